// A set of 8-bit kernels: the scalar reference, or one SIMD variant (simd.hpp).
#pragma once

#include <cstddef>

#include "box8.hpp"
#include "conv8.hpp"
#include "nearest.hpp"
#include "reduce.hpp"

namespace imagenet32 {

struct Backend {
    const char* name;
    void (*box_h)(const View<uint8_t>&, const HTask*, std::size_t);
    void (*box_v)(const View<uint8_t>&, const VTask*, std::size_t);
    void (*conv_h)(const View<uint8_t>&, const ConvTask&);
    void (*conv_v)(const View<uint8_t>&, const ConvTask&);
    Image<uint8_t> (*reduce8)(const View<uint8_t>&, int fx, int fy, const IntBox&);
    Gather<uint8_t> nearest8;  // NEAREST's copying of the picked pixels
};

inline const Backend kScalar{"scalar", scalar::box_h_tasks, scalar::box_v_tasks, scalar::conv_h, scalar::conv_v,
                             scalar::reduce8, gather_any<uint8_t>};

}  // namespace imagenet32
