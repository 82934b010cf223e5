// A set of 8-bit kernels: the scalar reference, or one SIMD variant (simd.hpp).
#pragma once

#include <cstddef>

#include "box8.hpp"
#include "conv8.hpp"

namespace imagenet32 {

struct Backend {
    const char* name;
    void (*box_h)(const View<uint8_t>&, const HTask*, std::size_t);
    void (*box_v)(const View<uint8_t>&, const VTask*, std::size_t);
    void (*conv_h)(const View<uint8_t>&, const ConvTask&);
    void (*conv_v)(const View<uint8_t>&, const ConvTask&);
};

inline const Backend kScalar{"scalar", scalar::box_h_tasks, scalar::box_v_tasks, scalar::conv_h, scalar::conv_v};

}  // namespace imagenet32
