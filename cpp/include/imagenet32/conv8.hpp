// The 8-bit passes of the convolution filters other than BOX (bilinear,
// hamming, bicubic, lanczos, MKS): every output sample is
// clip8((2^21 + sum of sample * k) >> 22) with Pillow's 22-bit fixed-point
// coefficients k (spec sections 1.3 and 1.4). The scalar kernels here are
// the reference; every SIMD variant must give the same bytes.
#pragma once

#include <cstdint>
#include <vector>

#include "pixels.hpp"
#include "windows.hpp"

namespace imagenet32 {

// One pass. Horizontal: source rows [row0, row0 + rows) to `rows` rows of dst.
// Vertical: the source's first row is input row `row0` of the coefficients.
struct ConvTask {
    const FixedCoefficients* c;
    int row0, rows;
    uint8_t* dst;
    std::ptrdiff_t dst_stride;
};

// Pillow's clip8 of an accumulated sum (an arithmetic shift, then a clamp).
inline uint8_t fixed_output(int32_t acc) {
    const int32_t v = acc >> kPrecisionBits;
    return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

constexpr int32_t kHalf = 1 << (kPrecisionBits - 1);

// Sums wrap like Pillow's int arithmetic (no filter comes near overflow).
inline int32_t mac(int32_t acc, uint8_t sample, int32_t k) {
    return static_cast<int32_t>(static_cast<uint32_t>(acc) + static_cast<uint32_t>(sample) * static_cast<uint32_t>(k));
}

namespace scalar {

inline void conv_h(const View<uint8_t>& src, const ConvTask& t) {
    const FixedCoefficients& c = *t.c;
    const int C = src.channels;
    for (int r = 0; r < t.rows; ++r) {
        const uint8_t* in = src.row(t.row0 + r);
        uint8_t* out = t.dst + r * t.dst_stride;
        for (int xx = 0; xx < c.out; ++xx) {
            const int32_t* k = c.k_of(xx);
            const uint8_t* p = in + static_cast<std::ptrdiff_t>(c.first[xx]) * C;
            for (int ch = 0; ch < C; ++ch) {
                int32_t acc = kHalf;
                for (int j = 0; j < c.taps[xx]; ++j) acc = mac(acc, p[j * C + ch], k[j]);
                out[xx * C + ch] = fixed_output(acc);
            }
        }
    }
}

inline void conv_v(const View<uint8_t>& src, const ConvTask& t) {
    const FixedCoefficients& c = *t.c;
    const std::size_t n = src.row_elements();
    std::vector<int32_t> acc(n);
    for (int yy = 0; yy < c.out; ++yy) {
        const int32_t* k = c.k_of(yy);
        std::fill(acc.begin(), acc.end(), kHalf);
        for (int j = 0; j < c.taps[yy]; ++j) {
            const uint8_t* in = src.row(c.first[yy] - t.row0 + j);
            for (std::size_t i = 0; i < n; ++i) acc[i] = mac(acc[i], in[i], k[j]);
        }
        uint8_t* out = t.dst + yy * t.dst_stride;
        for (std::size_t i = 0; i < n; ++i) out[i] = fixed_output(acc[i]);
    }
}

}  // namespace scalar
}  // namespace imagenet32
