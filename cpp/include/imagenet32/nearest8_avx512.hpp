// AVX-512 (F, BW, VBMI) NEAREST for 8-bit RGB, the same bytes as the scalar
// gather (nearest.hpp): each vpgatherdd takes 16 pixels of the source row as
// 4-byte reads, vpermb drops the spare byte of each, and one masked store
// writes the 48 bytes. When every pixel of a row can be read that way (none
// is the source row's first, or none its last) the whole row goes in chunks
// of 16, the last one overlapping the one before, two rows at a time (two
// rows' gathers in flight: 4-6% faster to 64); otherwise the pixels whose read
// would leave the row, and the rest of a row past its last chunk of 16, take
// the scalar copy.
#pragma once

#include "avx2_target.hpp"

#if IMAGENET32_HAVE_AVX2

#include <cstdint>
#include <limits>
#include <vector>

#include "nearest.hpp"

namespace imagenet32 {
namespace avx512 {

// The RGB order of 16 pixels read as 4-byte words starting `skip` (0 or 1) bytes before each pixel.
IMAGENET32_AVX512 inline __m512i rgb_order(int skip) {
    return _mm512_add_epi8(_mm512_set_epi8(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  //
                                           62, 61, 60, 58, 57, 56, 54, 53, 52, 50, 49, 48, 46, 45, 44, 42,  //
                                           41, 40, 38, 37, 36, 34, 33, 32, 30, 29, 28, 26, 25, 24, 22, 21,  //
                                           20, 18, 17, 16, 14, 13, 12, 10, 9, 8, 6, 5, 4, 2, 1, 0),
                           _mm512_set1_epi8(static_cast<char>(skip)));
}

constexpr __mmask64 k48 = (__mmask64{1} << 48) - 1;

// The 16 pixels from `x` on: reads at in + offsets[x..x+15], writes out + 3x .. 3x + 47.
IMAGENET32_AVX512 inline void gather_rgb_chunk(const uint8_t* in, const int32_t* offsets, int x, __m512i order,
                                               uint8_t* out) {
    const __m512i pixels = _mm512_i32gather_epi32(_mm512_loadu_si512(offsets + x), in, 1);
    _mm512_mask_storeu_epi8(out + 3 * x, k48, _mm512_permutexvar_epi8(order, pixels));
}

// The first `chunks` chunks of a row, without the rest.
IMAGENET32_AVX512 inline void gather_rgb_chunks(const uint8_t* in, const int32_t* offsets, int chunks, uint8_t* out) {
    const __m512i order = rgb_order(0);
    for (int c = 0; c < chunks; ++c) gather_rgb_chunk(in, offsets, 16 * c, order, out);
}

// Whole rows of n >= 16 pixels, every read `skip` bytes before its pixel: the
// picked rows in pairs (the i-th with the one half the list on), their chunks
// of 16 interleaved so that two rows' gathers are in flight, the last chunk
// overlapping the one before.
IMAGENET32_AVX512 inline void gather_rgb_rows(const View<uint8_t>& src, const NearestMap& map, const int32_t* offsets,
                                              int n, int skip, const Canvas<uint8_t>& out) {
    const __m512i order = rgb_order(skip);
    const std::size_t count = map.picked.size(), half = (count + 1) / 2;
    for (std::size_t i = 0; i < half; ++i) {
        const int y0 = map.picked[i], y1 = map.picked[i + half < count ? i + half : i];
        const uint8_t* in0 = src.row(map.rows[y0]);
        const uint8_t* in1 = src.row(map.rows[y1]);
        for (int x = 0; x + 16 <= n; x += 16) {
            gather_rgb_chunk(in0, offsets, x, order, out.row(y0));
            gather_rgb_chunk(in1, offsets, x, order, out.row(y1));
        }
        if (n % 16) {
            gather_rgb_chunk(in0, offsets, n - 16, order, out.row(y0));
            gather_rgb_chunk(in1, offsets, n - 16, order, out.row(y1));
        }
    }
}

// How far before each pixel its 4-byte read can start so that every pixel of
// the row is read inside it: 1 when none is the row's first pixel, 0 when none
// is its last, -1 when neither holds or some pixel is outside the image.
inline int read_skip(const std::vector<int>& cols, int src_width) {
    if (cols.back() < 0) return -1;  // outside pixels come last (positions only grow)
    if (cols.front() >= 1) return 1;
    return cols.back() + 1 < src_width ? 0 : -1;
}

// The gathers' byte offsets, kept per thread.
struct RgbOffsets {
    std::vector<int32_t> at;
};

inline void gather_rgb(const View<uint8_t>& src, const NearestMap& map, const Canvas<uint8_t>& out) {
    const std::vector<int>& cols = map.cols;
    const int n = out.width;
    const int skip = n >= 16 ? read_skip(cols, src.width) : -1;
    std::vector<int32_t>& offsets = per_thread<RgbOffsets>().at;
    if (skip >= 0) {  // whole rows
        offsets.resize(static_cast<std::size_t>(n));
        for (int x = 0; x < n; ++x) offsets[x] = 3 * cols[x] - skip;
        gather_rgb_rows(src, map, offsets.data(), n, skip, out);
        finish_rows(map, out);
        return;
    }
    RowPlan& p = per_thread<RowPlan>();
    row_plan<3>(cols, src.width, p);
    const int chunks = p.moves / 16;  // pixels [0, moves) may be read 4 bytes at a time
    offsets.resize(static_cast<std::size_t>(chunks) * 16);
    for (std::size_t x = 0; x < offsets.size(); ++x) offsets[x] = static_cast<int32_t>(p.offsets[x]);
    const int x = chunks * 16;
    const int32_t* at = offsets.data();
    const std::ptrdiff_t* rest = p.offsets.data() + x;  // p's members copied out: see gather
    const int n_rest = p.n - x, valid_rest = p.valid - x, moves_rest = p.moves - x;
    for_each_row(src, map, out, [&](const uint8_t* in, uint8_t* o) {
        gather_rgb_chunks(in, at, chunks, o);
        gather_row<uint8_t, 3>(in, rest, n_rest, valid_rest, moves_rest, o + 3 * x);
    });
}

// NEAREST's gather: RGB rows whose byte offsets fit the gathers' 32 bits
// here, everything else the scalar way.
inline void nearest8(const View<uint8_t>& src, const NearestMap& map, const Canvas<uint8_t>& out) {
    if (src.channels == 3 && static_cast<long long>(src.width) * 3 < std::numeric_limits<int32_t>::max())
        gather_rgb(src, map, out);
    else
        gather_any(src, map, out);
}

}  // namespace avx512
}  // namespace imagenet32

#endif
