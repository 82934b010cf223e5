// AVX-512 (BW, VL, VBMI) variant of the 8-bit BOX horizontal pass: the same
// integer arithmetic as the scalar reference (box8.hpp), so the same bytes.
//
// Where windows are long, each window is summed on its own instead of through
// the AVX2 pass's running sums: a masked load takes a chunk of up to 16 of its
// pixels, vpermb lays the chunk out channel by channel (8 samples to a 64-bit
// lane, channel c in lanes 2c and 2c+1), and vpsadbw sums each lane. Four
// windows are then finished together: their lane pairs are added, put side by
// side in 32-bit lanes, multiplied by each window's weight, rounded, narrowed
// with saturation (Pillow's clip to 255) and shuffled into pixel order.
//
// RGB and RGBA windows of at most 8 pixels, and sizes nested in them, take the
// short-window pass first (box8_short_avx512.hpp). Otherwise the cost is per
// chunk, not per byte, so a pass over short windows (upscales, several output
// sizes sharing one pass) takes the sweep of box8_avx2.hpp, in its wide form
// (four rows to a register).
#pragma once

#include "avx2_target.hpp"

#if IMAGENET32_HAVE_AVX2

#include <algorithm>
#include <cstdint>
#include <vector>

#include "box8_avx2.hpp"
#include "box8_short_avx512.hpp"

// GCC 12's AVX-512 intrinsics start some results from _mm512_undefined_*(),
// which -Wmaybe-uninitialized reports at every use (a false positive).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace imagenet32 {
namespace avx512 {

constexpr int kChunk = 16;  // pixels per chunk: 8 samples of a channel to each of two 64-bit lanes

// When the AVX2 sweep is cheaper: a chunk costs about as much as sweeping 14
// source bytes, a chunk of a window of several chunks 2.5 times that
// (measured on Zen 4, RGB rows 375 to 1024 wide, 8 to 128 outputs, and the
// dataset's four sizes sharing one pass). Costs are counted in half chunks.
constexpr int kBytesPerHalfChunk = 7;

// The plan of one task: its windows' chunks, in groups of four windows
// (the last window repeated to fill the last group). A window of no pixels
// has one chunk that loads nothing, so that every window has at least one.
struct DirectTask {
    std::vector<uint64_t> load_mask;   // per chunk: the bytes it loads
    std::vector<int32_t> offset;       // per chunk: its first byte in the row
    std::vector<int32_t> chunk_end;    // per window: one past its last chunk
    std::vector<uint32_t> k;           // per group: the weights of windows 0, 2, 1, 3
    bool multi = false;                // some window has more than one chunk

    void plan(const HTask& t, int channels) {
        load_mask.clear();
        offset.clear();
        chunk_end.clear();
        k.clear();
        const int padded = (t.out_w + 3) / 4 * 4;
        for (int i = 0; i < padded; ++i) {
            const Window& w = t.windows[std::min(i, t.out_w - 1)];
            int p = 0;
            do {
                const int n = std::min(kChunk, w.count - p);
                load_mask.push_back(n * channels == 64 ? ~0ull : (1ull << (n * channels)) - 1);
                offset.push_back((w.start + p) * channels);
                p += kChunk;
            } while (p < w.count);
            chunk_end.push_back(static_cast<int32_t>(offset.size()));
        }
        multi = offset.size() > chunk_end.size();
        for (int i = 0; i < padded; i += 4)
            for (int j : {0, 2, 1, 3}) k.push_back(t.windows[std::min(i + j, t.out_w - 1)].k);
    }
};

// Windows longer than this take the AVX2 sweep (their sums must fit 32 bits).
constexpr int kLongestWindow = 1 << 20;

// A task's cost per row in half chunks (-1: not for this pass).
inline long long chunk_cost(const HTask& t) {
    long long n = 0;
    for (int i = 0; i < t.out_w; ++i) {
        if (t.windows[i].count > kLongestWindow) return -1;
        const int chunks = (t.windows[i].count + kChunk - 1) / kChunk;
        n += chunks > 1 ? 5 * chunks : 2;
    }
    return n;
}

// The vpermb pattern: channel c of pixel 8h + i goes to byte 8 (2c + h) + i.
// Lanes of absent channels read byte 63, which the masked load leaves zero
// (a chunk of C < 4 channels loads at most 48 bytes).
template <int C>
IMAGENET32_AVX512 inline __m512i chunk_layout() {
    alignas(64) int8_t index[64];
    for (int j = 0; j < 64; ++j) {
        const int lane = j / 8, c = lane / 2, pixel = (lane % 2) * 8 + j % 8;
        index[j] = static_cast<int8_t>(c < C ? pixel * C + c : 63);
    }
    return _mm512_load_si512(index);
}

// The pshufb pattern from the narrowed sums (byte 4c + slot, slots holding
// windows 0, 2, 1, 3) to four pixels in order.
template <int C>
IMAGENET32_AVX512 inline __m128i pixel_order() {
    alignas(16) int8_t index[16];
    constexpr int slot[4] = {0, 2, 1, 3};
    for (int j = 0; j < 16; ++j) index[j] = static_cast<int8_t>(j < 4 * C ? 4 * (j % C) + slot[j / C] : -1);
    return _mm_load_si128(reinterpret_cast<const __m128i*>(index));
}

// One row's windows, from the plan's arrays held in locals (stores to the
// output could otherwise alias them and force a reload every window).
template <int C, bool Multi>
struct DirectRow {
    const uint64_t* load_mask;
    const int32_t* offset;
    const int32_t* chunk_end;
    const uint32_t* k;
    __m512i layout;
    __m128i order;

    IMAGENET32_AVX512 __m512i chunk(const uint8_t* in, int i) const {
        const __m512i bytes = _mm512_maskz_loadu_epi8(load_mask[i], in + offset[i]);
        return _mm512_sad_epu8(_mm512_permutexvar_epi8(layout, bytes), _mm512_setzero_si512());
    }

    IMAGENET32_AVX512 __m512i window(const uint8_t* in, int w) const {
        if constexpr (!Multi) {
            return chunk(in, w);
        } else {
            const int begin = w == 0 ? 0 : chunk_end[w - 1];
            __m512i s = chunk(in, begin);
            for (int i = begin + 1; i < chunk_end[w]; ++i) s = _mm512_add_epi64(s, chunk(in, i));
            return s;
        }
    }

    // The bytes of windows xx..xx+3 of one source row.
    IMAGENET32_AVX512 __m128i group(const uint8_t* in, int xx) const {
        const __m512i s0 = window(in, xx), s1 = window(in, xx + 1), s2 = window(in, xx + 2), s3 = window(in, xx + 3);
        // 128-bit lane c: [sum of window 0, of window 1] of channel c, then the same for windows 2 and 3.
        const __m512i s01 = _mm512_add_epi64(_mm512_unpacklo_epi64(s0, s1), _mm512_unpackhi_epi64(s0, s1));
        const __m512i s23 = _mm512_add_epi64(_mm512_unpacklo_epi64(s2, s3), _mm512_unpackhi_epi64(s2, s3));
        // Sums fit 32 bits: dwords [w0, w2, w1, w3] of each channel.
        const __m512i sums = low_dwords(s01, s23);
        const __m512i kv = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(k + xx)));
        return _mm_shuffle_epi8(_mm512_cvtusepi32_epi8(avx2::finish32_wide(sums, kv)), order);
    }
};

template <int C, bool Multi>
IMAGENET32_AVX512 void direct_rows(const View<uint8_t>& src, const HTask& t, const DirectTask& d) {
    const DirectRow<C, Multi> row{d.load_mask.data(), d.offset.data(), d.chunk_end.data(), d.k.data(),
                                  chunk_layout<C>(), pixel_order<C>()};
    const int out_w = t.out_w, row0 = t.row0, rows = t.rows;
    uint8_t* const dst = t.dst;
    const std::ptrdiff_t dst_stride = t.dst_stride;
    const std::ptrdiff_t row_bytes = static_cast<std::ptrdiff_t>(src.row_elements());
    for (int r = 0; r < rows; ++r) {
        const uint8_t* in = src.row(row0 + r);
        uint8_t* out = dst + static_cast<std::ptrdiff_t>(r) * dst_stride;
        if (r + kRowsAhead < rows) prefetch_l2(src.row(row0 + r + kRowsAhead), 0, row_bytes);
        for (int g = 0; 4 * g < out_w; ++g) store_group<C>(out, g, out_w, row.group(in, 4 * g));
    }
}

template <int C>
IMAGENET32_AVX512 void direct(const View<uint8_t>& src, const HTask& t, const DirectTask& d) {
    if (d.multi) direct_rows<C, true>(src, t, d);
    else direct_rows<C, false>(src, t, d);
}

IMAGENET32_AVX512 inline void box_h_tasks(const View<uint8_t>& src, const HTask* tasks, std::size_t n) {
    if (box_h_short(src, tasks, n)) return;
    long long cost = 0;
    bool fits = true;
    for (std::size_t i = 0; i < n; ++i) {
        const long long c = chunk_cost(tasks[i]);
        fits = fits && c >= 0;
        cost += c;
    }
    if (!fits || cost * kBytesPerHalfChunk > static_cast<long long>(src.row_elements())) {
        avx2::box_h_passes<true>(src, tasks, n);
        return;
    }
    DirectTask& d = per_thread<DirectTask>();  // reused: its vectors keep their capacity
    for (std::size_t i = 0; i < n; ++i) {
        d.plan(tasks[i], src.channels);
        switch (src.channels) {
            case 1: direct<1>(src, tasks[i], d); break;
            case 2: direct<2>(src, tasks[i], d); break;
            case 3: direct<3>(src, tasks[i], d); break;
            default: direct<4>(src, tasks[i], d); break;
        }
    }
}

}  // namespace avx512
}  // namespace imagenet32

#pragma GCC diagnostic pop

#endif
