// AVX2 variant of the 8-bit Image.reduce (reduce.hpp): the same integer rule,
// so the same bytes. For each output row: the block's rows are summed column
// by column in 16-bit lanes; then, at every column position i at once, the
// sum of the fx columns i, i + C, ... (one block's samples of one channel
// when i starts a block) is finished with Pillow's multiply and shift; last,
// a byte shuffle keeps the positions that start blocks. Blocks of at most 257
// samples (all the factors that take an ImageNet image to 32 or 64) keep
// their sums in 16-bit lanes, twice as many per instruction; larger blocks
// use 32-bit sums. Blocks of 2^k <= 256 samples (2x2, 4x4, 8x8, 16x16 ...)
// are finished in 16-bit lanes too, by a shift: Pillow's multiplier is then
// exactly 2^(24 - k) and the product never wraps.
#pragma once

#include "avx2_target.hpp"

#if IMAGENET32_HAVE_AVX2

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "reduce.hpp"

namespace imagenet32 {
namespace avx2 {

IMAGENET32_AVX2 inline __m256i widened(const uint8_t* p) {
    return _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// Rows [y0, y1) of the `bytes` samples at x0, summed column by column into
// col, in 16-bit lanes over runs of at most 257 rows (257 * 255 fits 16
// bits). With 16-bit sums (Sum = uint16_t) there is one run.
template <class Sum>
IMAGENET32_AVX2 void reduce_column_sums(const View<uint8_t>& src, std::ptrdiff_t x0, int y0, int y1, int bytes,
                                        Sum* col) {
    constexpr int kRun = 257;
    const uint8_t* rows[kRun];  // locals: the vector stores below may alias anything else
    for (int r0 = y0; r0 < y1; r0 += kRun) {
        const int n = std::min(y1 - r0, kRun);
        for (int i = 0; i < n; ++i) rows[i] = src.row(r0 + i) + x0;
        const bool first = r0 == y0;
        int x = 0;
        for (; x + 16 <= bytes; x += 16) {
            __m256i acc = _mm256_setzero_si256();
            int i = 0;
            for (; i + 2 <= n; i += 2)
                acc = _mm256_add_epi16(acc, _mm256_add_epi16(widened(rows[i] + x), widened(rows[i + 1] + x)));
            if (i < n) acc = _mm256_add_epi16(acc, widened(rows[i] + x));
            __m256i* out = reinterpret_cast<__m256i*>(col + x);
            if constexpr (sizeof(Sum) == 2) {
                _mm256_storeu_si256(out, acc);
            } else {
                __m256i lo = _mm256_cvtepu16_epi32(_mm256_castsi256_si128(acc));
                __m256i hi = _mm256_cvtepu16_epi32(_mm256_extracti128_si256(acc, 1));
                if (!first) {
                    lo = _mm256_add_epi32(_mm256_loadu_si256(out), lo);
                    hi = _mm256_add_epi32(_mm256_loadu_si256(out + 1), hi);
                }
                _mm256_storeu_si256(out, lo);
                _mm256_storeu_si256(out + 1, hi);
            }
        }
        for (; x < bytes; ++x) {
            uint32_t sum = first ? 0 : col[x];
            for (int i = 0; i < n; ++i) sum += rows[i][x];
            col[x] = static_cast<Sum>(sum);
        }
    }
}

// For the 32 positions i, i + 1, ...: the sums of col[i + k * C], k < fx,
// as four vectors of 32-bit lanes in order. FX is fx when known at compile
// time (the small factors), else 0.
// The same sums in 16-bit lanes (fx * fy <= 257: 16 bits suffice), positions
// i .. i + 15 in lo and i + 16 .. i + 31 in hi, each plus `start`.
template <int C, int FX>
IMAGENET32_AVX2 inline void block_sums16(const uint16_t* col, int fx, __m256i start, __m256i& lo, __m256i& hi) {
    if constexpr (FX > 0) fx = FX;
    lo = hi = start;
    for (int k = 0; k < fx; ++k) {
        lo = _mm256_add_epi16(lo, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col + k * C)));
        hi = _mm256_add_epi16(hi, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col + k * C + 16)));
    }
}

template <int C, int FX>
IMAGENET32_AVX2 inline void block_sums(const uint16_t* col, int fx, __m256i s[4]) {
    __m256i lo, hi;
    block_sums16<C, FX>(col, fx, _mm256_setzero_si256(), lo, hi);
    s[0] = _mm256_cvtepu16_epi32(_mm256_castsi256_si128(lo));
    s[1] = _mm256_cvtepu16_epi32(_mm256_extracti128_si256(lo, 1));
    s[2] = _mm256_cvtepu16_epi32(_mm256_castsi256_si128(hi));
    s[3] = _mm256_cvtepu16_epi32(_mm256_extracti128_si256(hi, 1));
}

template <int C, int FX>
IMAGENET32_AVX2 inline void block_sums(const uint32_t* col, int fx, __m256i s[4]) {
    if constexpr (FX > 0) fx = FX;
    for (int v = 0; v < 4; ++v) {
        s[v] = _mm256_setzero_si256();
        for (int k = 0; k < fx; ++k)
            s[v] = _mm256_add_epi32(s[v], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col + k * C + 8 * v)));
    }
}

// Pillow's rule on 32 sums, as 32 bytes in order.
IMAGENET32_AVX2 inline __m256i finish_bytes(__m256i s[4], __m256i half, __m256i multiplier) {
    for (int v = 0; v < 4; ++v)
        s[v] = _mm256_srli_epi32(_mm256_mullo_epi32(_mm256_add_epi32(s[v], half), multiplier), 24);
    const __m256i packed = _mm256_packus_epi16(_mm256_packus_epi32(s[0], s[1]), _mm256_packus_epi32(s[2], s[3]));
    return _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// Pillow's rule on the sums at every position i < starts (each the sum of
// col[i + k * C], k < fx, over n samples), as bytes into f.
template <int C, int FX, class Sum>
IMAGENET32_AVX2 inline void finish_positions(const Sum* col, int starts, int fx, uint32_t n, uint8_t* f) {
    const __m256i half = _mm256_set1_epi32(static_cast<int>(n / 2));
    const __m256i multiplier = _mm256_set1_epi32(static_cast<int>(reduce_multiplier(n)));
    for (int i = 0; i < starts; i += 32) {
        __m256i s[4];
        block_sums<C, FX>(col + i, fx, s);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(f + i), finish_bytes(s, half, multiplier));
    }
}

// The same when n = 2^k <= 256 (2x2, 4x4, 8x8 ... blocks) and the sums are
// 16-bit: the multiplier is then exactly 2^(24 - k) and the product never
// wraps, so the rule is (sum + n / 2) >> k, which fits 16 bits (at most
// 255 * 256 + 128): 16 lanes an instruction instead of 8. False, doing
// nothing, for other n.
template <int C, int FX>
IMAGENET32_AVX2 inline bool finish_positions_by_shift(const uint16_t* col, int starts, int fx, uint32_t n,
                                                      uint8_t* f) {
    int k = 0;
    while (k <= 8 && n != (1u << k)) ++k;
    if (k > 8) return false;
    const __m256i half = _mm256_set1_epi16(static_cast<short>(n / 2));
    const __m128i shift = _mm_cvtsi32_si128(k);
    for (int i = 0; i < starts; i += 32) {
        __m256i lo, hi;
        block_sums16<C, FX>(col + i, fx, half, lo, hi);
        const __m256i packed = _mm256_packus_epi16(_mm256_srl_epi16(lo, shift), _mm256_srl_epi16(hi, shift));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(f + i), _mm256_permute4x64_epi64(packed, 0xD8));
    }
    return true;
}

// The pshufb pattern taking, from 16 bytes, the C samples at the start of
// each of `per` blocks of fx * C bytes, packed.
template <int C>
IMAGENET32_AVX2 inline __m128i block_starts(int fx, int per) {
    alignas(16) int8_t pick[16];
    std::fill(pick, pick + 16, int8_t{-1});
    for (int j = 0; j < per; ++j)
        for (int c = 0; c < C; ++c) pick[j * C + c] = static_cast<int8_t>(j * fx * C + c);
    return _mm_load_si128(reinterpret_cast<const __m128i*>(pick));
}

// Up to this factor the block sums are made at every position, 32 at a time,
// and the block starts picked: fx additions a byte, vectorised. Past it each
// block is summed once (reduce8_blocks): fx times fewer additions, one at a
// time (a 1 x 10^6 row reduced by 500,000 took 26 s the vectorised way).
constexpr int kSummedAtEveryPosition = 16;

template <int C, class Sum, int FX>
IMAGENET32_AVX2 void reduce8_rows(const View<uint8_t>& src, int fx, int fy, const IntBox& box, Image<uint8_t>& out) {
    const int in_w = box.x1 - box.x0, bytes = in_w * C;
    const int whole = in_w / fx;        // blocks of full width
    const int starts = whole * fx * C;  // the positions that may start a block
    const int padded = (starts + 31) / 32 * 32;
    // Reads reach fx - 1 pixels past the last position finished.
    std::vector<Sum> col(static_cast<std::size_t>(std::max(bytes, padded + fx * C)) + 16, Sum{0});
    std::vector<uint32_t> partial(C * static_cast<std::size_t>(fx));  // the last, partial block, widened
    std::vector<uint8_t> finished(static_cast<std::size_t>(padded) + 16);
    std::vector<uint8_t> row(static_cast<std::size_t>(whole) * C + 16);
    const int block = fx * C, per = block <= 16 ? 16 / block : 0;
    const __m128i pick = per > 0 ? block_starts<C>(fx, per) : _mm_setzero_si128();
    for (int y = 0; y < out.height(); ++y) {
        const int y0 = box.y0 + y * fy, y1 = std::min(y0 + fy, box.y1);
        reduce_column_sums(src, static_cast<std::ptrdiff_t>(box.x0) * C, y0, y1, bytes, col.data());
        const uint32_t n = block_samples(fx, y1 - y0);
        const Sum* sums = col.data();  // locals, as above
        if (fx > kSummedAtEveryPosition) {
            reduce8_blocks<C, FX>(sums, whole, fx, n, out.row(y));
        } else {
            uint8_t* f = finished.data();
            uint8_t* packed = row.data();
            bool finished_by_shift = false;
            if constexpr (std::is_same_v<Sum, uint16_t>)
                finished_by_shift = finish_positions_by_shift<C, FX>(sums, starts, fx, n, f);
            if (!finished_by_shift) finish_positions<C, FX>(sums, starts, fx, n, f);
            if (per > 0) {
                for (int x = 0; x < whole; x += per)
                    _mm_storeu_si128(reinterpret_cast<__m128i*>(packed + x * C),
                                     _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(f + x * block)),
                                                      pick));
            } else {
                for (int x = 0; x < whole; ++x) std::memcpy(packed + x * C, f + x * block, 4);
            }
            std::memcpy(out.row(y), packed, static_cast<std::size_t>(whole) * C);
        }
        if (whole < out.width()) {
            std::copy(col.begin() + starts, col.begin() + bytes, partial.begin());
            reduce8_partial_block<C>(partial.data(), in_w - whole * fx, y1 - y0, out.row(y) + whole * C);
        }
    }
}

template <int C>
IMAGENET32_AVX2 void reduce8_rows(const View<uint8_t>& src, int fx, int fy, const IntBox& box, Image<uint8_t>& out) {
    constexpr long long kSums16 = 257;  // blocks of at most 257 samples sum to 16 bits
    if (static_cast<long long>(fx) * fy > kSums16) return reduce8_rows<C, uint32_t, 0>(src, fx, fy, box, out);
    switch (fx) {
        case 2: reduce8_rows<C, uint16_t, 2>(src, fx, fy, box, out); break;
        case 3: reduce8_rows<C, uint16_t, 3>(src, fx, fy, box, out); break;
        case 4: reduce8_rows<C, uint16_t, 4>(src, fx, fy, box, out); break;
        default: reduce8_rows<C, uint16_t, 0>(src, fx, fy, box, out); break;
    }
}

inline Image<uint8_t> reduce8(const View<uint8_t>& src, int fx, int fy, const IntBox& box) {
    return reduce8_by(src, fx, fy, box, [&](auto channels, Image<uint8_t>& out) {
        reduce8_rows<decltype(channels)::value>(src, fx, fy, box, out);
    });
}

}  // namespace avx2
}  // namespace imagenet32

#endif
