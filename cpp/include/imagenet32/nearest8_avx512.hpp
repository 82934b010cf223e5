// AVX-512 (F, BW, VBMI) NEAREST for 8-bit RGB, the same bytes as the scalar
// gather (nearest.hpp): each vpgatherdd takes 16 pixels of the source row as
// 4-byte reads, vpermb drops every fourth byte, and one masked store writes
// the 48 bytes. Pixels whose 4-byte read would leave the row, and the rest of
// a row past its last chunk of 16, take the scalar copy.
#pragma once

#include "avx2_target.hpp"

#if IMAGENET32_HAVE_AVX2

#include <cstdint>
#include <limits>
#include <vector>

#include "nearest.hpp"

namespace imagenet32 {
namespace avx512 {

IMAGENET32_AVX512 inline void gather_rgb_row(const uint8_t* in, const int32_t* offsets, int chunks, uint8_t* out) {
    const __m512i rgb = _mm512_set_epi8(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  //
                                        62, 61, 60, 58, 57, 56, 54, 53, 52, 50, 49, 48, 46, 45, 44, 42,  //
                                        41, 40, 38, 37, 36, 34, 33, 32, 30, 29, 28, 26, 25, 24, 22, 21,  //
                                        20, 18, 17, 16, 14, 13, 12, 10, 9, 8, 6, 5, 4, 2, 1, 0);
    constexpr __mmask64 k48 = (__mmask64{1} << 48) - 1;
    for (int c = 0; c < chunks; ++c) {
        const __m512i at = _mm512_loadu_si512(offsets + 16 * c);
        const __m512i pixels = _mm512_i32gather_epi32(at, in, 1);
        _mm512_mask_storeu_epi8(out + 48 * c, k48, _mm512_permutexvar_epi8(rgb, pixels));
    }
}

inline void gather_rgb(const View<uint8_t>& src, const std::vector<int>& rows, const std::vector<int>& cols,
                       Image<uint8_t>& out) {
    const RowPlan p = row_plan<3>(cols, src.width);
    const int chunks = p.moves / 16;  // pixels [0, moves) may be read 4 bytes at a time
    std::vector<int32_t> offsets(static_cast<std::size_t>(chunks) * 16);
    for (std::size_t x = 0; x < offsets.size(); ++x) offsets[x] = static_cast<int32_t>(p.offsets[x]);
    const int x = chunks * 16;
    for_each_row(src, rows, out, [&](const uint8_t* in, uint8_t* o) {
        gather_rgb_row(in, offsets.data(), chunks, o);
        gather_row<uint8_t, 3>(in, p.offsets.data() + x, p.n - x, p.valid - x, p.moves - x, o + 3 * x);
    });
}

// NEAREST's gather: RGB rows whose byte offsets fit the gathers' 32 bits
// here, everything else the scalar way.
inline void nearest8(const View<uint8_t>& src, const std::vector<int>& rows, const std::vector<int>& cols,
                     Image<uint8_t>& out) {
    if (src.channels == 3 && static_cast<long long>(src.width) * 3 < std::numeric_limits<int32_t>::max())
        gather_rgb(src, rows, cols, out);
    else
        gather_any(src, rows, cols, out);
}

}  // namespace avx512
}  // namespace imagenet32

#endif
