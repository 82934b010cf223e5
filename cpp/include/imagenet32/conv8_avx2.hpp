// AVX2 variant of the 8-bit convolution passes (conv8.hpp): the same 32-bit
// integer sums, eight at a time, so the same bytes.
//
// Horizontal pass, eight rows at a time: the rows' bytes are transposed so
// that the eight rows' values of one byte position are adjacent; then every
// tap is one widening load, one multiply by the broadcast coefficient and one
// add per channel, with the eight rows in the lanes. The results, produced in
// the same transposed order, are transposed back into the output rows.
//
// Vertical pass: 32 bytes of a row at a time, one multiply-add per tap.
#pragma once

#include "avx2_target.hpp"

#if IMAGENET32_HAVE_AVX2

#include <algorithm>
#include <cstdint>
#include <vector>

#include "conv8.hpp"

namespace imagenet32 {
namespace avx2 {

IMAGENET32_AVX2 inline __m128i load16(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
IMAGENET32_AVX2 inline void store16(uint8_t* p, __m128i v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v); }

// Bytes [b, b + 16) of eight rows to out[i * 8 + r] = rows[r][b + i].
IMAGENET32_AVX2 inline void rows_to_columns(const uint8_t* const rows[8], int b, uint8_t* out) {
    __m128i p[8], q[8];
    for (int r = 0; r < 8; r += 2) {
        const __m128i x = load16(rows[r] + b), y = load16(rows[r + 1] + b);
        p[r] = _mm_unpacklo_epi8(x, y);      // bytes 0-7 of rows r, r+1, interleaved
        p[r + 1] = _mm_unpackhi_epi8(x, y);  // bytes 8-15
    }
    for (int h = 0; h < 2; ++h) {  // rows 0-3, then 4-7: four rows of four bytes per 32-bit lane
        q[4 * h + 0] = _mm_unpacklo_epi16(p[4 * h], p[4 * h + 2]);
        q[4 * h + 1] = _mm_unpackhi_epi16(p[4 * h], p[4 * h + 2]);
        q[4 * h + 2] = _mm_unpacklo_epi16(p[4 * h + 1], p[4 * h + 3]);
        q[4 * h + 3] = _mm_unpackhi_epi16(p[4 * h + 1], p[4 * h + 3]);
    }
    for (int i = 0; i < 4; ++i) {  // join the halves: two byte positions of eight rows per vector
        store16(out + 32 * i, _mm_unpacklo_epi32(q[i], q[i + 4]));
        store16(out + 32 * i + 16, _mm_unpackhi_epi32(q[i], q[i + 4]));
    }
}

// The inverse: in[i * 8 + r] for i in [0, 16) to bytes [b, b + 16) of the
// first `count` of eight rows.
IMAGENET32_AVX2 inline void columns_to_rows(const uint8_t* in, uint8_t* const rows[8], int count, int b) {
    // Each vector holds two byte positions of eight rows; pair them up per row
    // (16-bit lanes), then an 8 x 8 transpose of the 16-bit lanes.
    const __m128i pair = _mm_setr_epi8(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
    __m128i s[8], t[8], m[8];
    for (int i = 0; i < 8; ++i) s[i] = _mm_shuffle_epi8(load16(in + 16 * i), pair);
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm_unpacklo_epi16(s[i], s[i + 1]);
        t[i + 1] = _mm_unpackhi_epi16(s[i], s[i + 1]);
    }
    for (int h = 0; h < 2; ++h) {
        m[4 * h + 0] = _mm_unpacklo_epi32(t[4 * h], t[4 * h + 2]);
        m[4 * h + 1] = _mm_unpackhi_epi32(t[4 * h], t[4 * h + 2]);
        m[4 * h + 2] = _mm_unpacklo_epi32(t[4 * h + 1], t[4 * h + 3]);
        m[4 * h + 3] = _mm_unpackhi_epi32(t[4 * h + 1], t[4 * h + 3]);
    }
    for (int i = 0; i < 4; ++i) {
        const __m128i lo = _mm_unpacklo_epi64(m[i], m[i + 4]), hi = _mm_unpackhi_epi64(m[i], m[i + 4]);
        if (2 * i < count) store16(rows[2 * i] + b, lo);
        if (2 * i + 1 < count) store16(rows[2 * i + 1] + b, hi);
    }
}

// Four vectors of eight sums to 32 bytes in order: sums[0] lanes, then sums[1]...
IMAGENET32_AVX2 inline __m256i finish_fixed(const __m256i sums[4]) {
    __m256i v[4];
    for (int i = 0; i < 4; ++i) v[i] = _mm256_srai_epi32(sums[i], kPrecisionBits);
    // packs/packus clamp exactly as clip8 does; they interleave the 128-bit
    // halves, which the permutation undoes.
    const __m256i bytes = _mm256_packus_epi16(_mm256_packs_epi32(v[0], v[1]), _mm256_packs_epi32(v[2], v[3]));
    return _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

IMAGENET32_AVX2 inline __m256i widen8(const uint8_t* p) {
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}

// A pass's scratch rows, kept per thread between calls.
struct ScratchRows {
    std::vector<uint8_t> rows[2];
};

inline std::vector<uint8_t>& scratch(int which) { return per_thread<ScratchRows>().rows[which]; }

template <int C>
IMAGENET32_AVX2 void conv_h(const View<uint8_t>& src, const ConvTask& t) {
    const FixedCoefficients& c = *t.c;
    int lo = src.width, hi = 0;  // the input pixels any output reads
    for (int xx = 0; xx < c.out; ++xx) {
        if (c.taps[xx] == 0) continue;
        lo = std::min(lo, c.first[xx]);
        hi = std::max(hi, c.first[xx] + c.taps[xx]);
    }
    if (hi < lo) lo = hi = 0;
    const int in_bytes = (hi - lo) * C, out_bytes = c.out * C;
    std::vector<uint8_t>& columns = scratch(0);
    std::vector<uint8_t>& results = scratch(1);
    columns.resize(static_cast<std::size_t>(in_bytes) * 8);
    results.resize(static_cast<std::size_t>(out_bytes) * 8 + 32);  // finish_fixed writes 32 bytes
    const __m256i half = _mm256_set1_epi32(kHalf);
    for (int r0 = 0; r0 < t.rows; r0 += 8) {
        const int count = std::min(8, t.rows - r0);
        const uint8_t* in[8];
        uint8_t* out[8];
        for (int r = 0; r < 8; ++r) {
            const int rr = std::min(r, count - 1);  // missing rows repeat the last; their results are dropped
            in[r] = src.row(t.row0 + r0 + rr) + static_cast<std::ptrdiff_t>(lo) * C;
            out[r] = t.dst + (r0 + rr) * t.dst_stride;
        }
        int b = 0;
        for (; b + 16 <= in_bytes; b += 16) rows_to_columns(in, b, columns.data() + b * 8);
        for (; b < in_bytes; ++b)
            for (int r = 0; r < 8; ++r) columns[b * 8 + r] = in[r][b];
        for (int xx = 0; xx < c.out; ++xx) {
            __m256i acc[4] = {half, half, half, half};
            const uint8_t* p = columns.data() + static_cast<std::ptrdiff_t>(c.first[xx] - lo) * C * 8;
            const int32_t* k = c.k_of(xx);
            for (int j = 0; j < c.taps[xx]; ++j, p += C * 8) {
                const __m256i kj = _mm256_set1_epi32(k[j]);
                for (int ch = 0; ch < C; ++ch)
                    acc[ch] = _mm256_add_epi32(acc[ch], _mm256_mullo_epi32(widen8(p + ch * 8), kj));
            }
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(results.data() + xx * C * 8), finish_fixed(acc));
        }
        b = 0;
        for (; b + 16 <= out_bytes; b += 16) columns_to_rows(results.data() + b * 8, out, count, b);
        for (; b < out_bytes; ++b)
            for (int r = 0; r < count; ++r) out[r][b] = results[b * 8 + r];
    }
}

IMAGENET32_AVX2 inline void conv_h_task(const View<uint8_t>& src, const ConvTask& t) {
    switch (src.channels) {
        case 1: conv_h<1>(src, t); break;
        case 2: conv_h<2>(src, t); break;
        case 3: conv_h<3>(src, t); break;
        default: conv_h<4>(src, t); break;
    }
}

IMAGENET32_AVX2 inline void conv_v_task(const View<uint8_t>& src, const ConvTask& t) {
    const FixedCoefficients& c = *t.c;
    const int bytes = static_cast<int>(src.row_elements());
    const __m256i half = _mm256_set1_epi32(kHalf);
    for (int yy = 0; yy < c.out; ++yy) {
        const int32_t* k = c.k_of(yy);
        const int first = c.first[yy] - t.row0, taps = c.taps[yy];
        uint8_t* out = t.dst + static_cast<std::ptrdiff_t>(yy) * t.dst_stride;
        int x = 0;
        for (; x + 32 <= bytes; x += 32) {
            __m256i acc[4] = {half, half, half, half};
            for (int j = 0; j < taps; ++j) {
                const __m256i kj = _mm256_set1_epi32(k[j]);
                const uint8_t* p = src.row(first + j) + x;
                for (int i = 0; i < 4; ++i)
                    acc[i] = _mm256_add_epi32(acc[i], _mm256_mullo_epi32(widen8(p + 8 * i), kj));
            }
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + x), finish_fixed(acc));
        }
        for (; x + 8 <= bytes; x += 8) {
            __m256i acc[4] = {half, half, half, half};
            for (int j = 0; j < taps; ++j)
                acc[0] = _mm256_add_epi32(acc[0], _mm256_mullo_epi32(widen8(src.row(first + j) + x),
                                                                     _mm256_set1_epi32(k[j])));
            _mm_storel_epi64(reinterpret_cast<__m128i*>(out + x), _mm256_castsi256_si128(finish_fixed(acc)));
        }
        for (; x < bytes; ++x) {
            int32_t acc = kHalf;
            for (int j = 0; j < taps; ++j) acc = mac(acc, src.row(first + j)[x], k[j]);
            out[x] = fixed_output(acc);
        }
    }
}

}  // namespace avx2
}  // namespace imagenet32

#endif
