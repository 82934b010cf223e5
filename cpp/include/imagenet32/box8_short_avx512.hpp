// AVX-512 (BW, VL, VBMI) BOX horizontal pass for RGB and RGBA rows whose
// windows are at most 8 pixels long (64 outputs from sides up to 512, the
// dataset's case), and for coarser sizes nested in them (32, 16 and 8 from
// the same source): the same integer arithmetic as the scalar reference
// (box8.hpp), so the same bytes.
//
// Rows are taken two at a time, one in each half of a 512-bit vector. A
// window is one 32-byte load from each row: vpermt2b lays their pixels out
// channel by channel (channel c of the first row in 64-bit lane c, of the
// second in lane 4 + c; the permute's mask zeroes the bytes of pixels outside
// the window) and vpsadbw sums each lane. Four windows are finished together
// in 32-bit lanes (four times the weight, plus the rounding), and one
// vpermt2b takes the top byte of each, in pixel order, each row's in a
// 128-bit lane of its own. (Zen 4 runs a 512-bit operation as two 256-bit
// halves: the pairing saves the loads of offsets and masks, and instructions.)
//
// A coarser size whose every window is exactly the union of 2, 4 or 8
// consecutive windows of the finest size (checked window by window, in
// pixels) takes its sums from the finest size's: two more additions per
// window instead of a pass over the row. Sizes that do not nest so, and
// rows of other channel counts or longer windows, take box8_avx512.hpp's
// passes.
#pragma once

#include "avx2_target.hpp"

#if IMAGENET32_HAVE_AVX2

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "box8.hpp"

namespace imagenet32 {
namespace avx512 {

constexpr int kShortWindow = 8;  // pixels: one 64-bit lane of a channel
constexpr int kLevels = 4;       // the finest size and sizes 2, 4 and 8 times coarser

// A window of the short pass costs about as much as sweeping 7 source bytes
// (finished from its own load or from the finest size's sums alike; measured
// on Zen 4, RGB rows 333 to 500 wide, 64 outputs and the dataset's four sizes).
constexpr int kBytesPerShortWindow = 7;

// The plan of one pass: the finest size's windows, padded to whole groups of
// four (the last window repeated), and each size's weights.
struct ShortPlan {
    std::vector<int32_t> offset;   // per window: its first byte in the row
    std::vector<uint64_t> lanes;   // per window: the permute's mask (its pixels' bytes in each channel lane), for two rows
    std::vector<uint32_t> bytes;   // per window: the load mask, for loads that would pass the row's end
    int safe_groups = 0;           // the leading groups whose 32-byte loads all stay in the row
    std::array<const HTask*, kLevels> task{};          // per level (finest = 0): the size asked, or null
    std::array<std::vector<uint32_t>, kLevels> k4;     // per level, per group: 4 k of [w0, w1] x 4, twice (two rows), then of [w2, w3]

    // Whether these tasks can take the short pass, and its plan if so (the
    // last call's, when their windows and the row are the same).
    bool plan(const View<uint8_t>& src, const HTask* tasks, std::size_t n) {
        task.fill(nullptr);
        if ((src.channels != 3 && src.channels != 4) || n == 0) return false;
        const HTask* finest = std::max_element(tasks, tasks + n, [](const HTask& a, const HTask& b) {
            return a.out_w < b.out_w;
        });
        long long windows = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const HTask& t = tasks[i];
            const int level = level_of(finest->out_w, t.out_w);
            if (level < 0 || task[level] || t.row0 != finest->row0 || t.rows != finest->rows) return false;
            task[level] = &t;
            windows += t.out_w;
        }
        const long long row_bytes = static_cast<long long>(src.row_elements());
        if (planned_ && row_bytes == row_bytes_ && src.channels == channels_ && same_tasks()) return true;
        planned_ = false;
        for (int level = 1; level < kLevels; ++level)
            if (task[level] && (task[level]->out_w % 4 != 0 || !nested(*finest, *task[level], 1 << level))) return false;
        for (int i = 0; i < finest->out_w; ++i)
            if (finest->windows[i].count > kShortWindow) return false;
        if (windows * kBytesPerShortWindow > row_bytes) return false;
        layout(*finest, src.channels, row_bytes);
        for (int level = 0; level < kLevels; ++level) {
            weights(task[level], k4[level]);
            const HTask* t = task[level];
            seen_[level].assign(t ? t->windows : nullptr, t ? t->windows + t->out_w : nullptr);
        }
        row_bytes_ = row_bytes;
        channels_ = src.channels;
        planned_ = true;
        return true;
    }

private:
    // What the layout and weights were made from.
    bool planned_ = false;
    long long row_bytes_ = 0;
    int channels_ = 0;
    std::array<std::vector<Window>, kLevels> seen_;

    // Whether this call's sizes and windows are those the plan was made for.
    bool same_tasks() const {
        for (int level = 0; level < kLevels; ++level)
            if (task[level] ? !same_windows(seen_[level], *task[level]) : !seen_[level].empty()) return false;
        return true;
    }

    // log2 of finest / out_w when that is 1, 2, 4 or 8; otherwise -1.
    static int level_of(int finest, int out_w) {
        for (int level = 0; level < kLevels; ++level)
            if (out_w << level == finest) return level;
        return -1;
    }

    // Whether every window of `t` covers exactly the pixels of its m windows of `f`.
    static bool nested(const HTask& f, const HTask& t, int m) {
        for (int j = 0; j < t.out_w; ++j) {
            const Window& w = t.windows[j];
            int end = w.start;
            for (int q = j * m; q < (j + 1) * m; ++q) {
                const Window& part = f.windows[q];
                if (part.count == 0) continue;
                if (part.start != end) return false;
                end += part.count;
            }
            if (end != w.start + w.count) return false;
        }
        return true;
    }

    void layout(const HTask& f, int channels, long long row_bytes) {
        offset.clear();
        lanes.clear();
        bytes.clear();
        const int padded = (f.out_w + 3) / 4 * 4;
        safe_groups = 0;
        bool safe = true;
        for (int i = 0; i < padded; ++i) {
            const Window& w = f.windows[std::min(i, f.out_w - 1)];
            const uint32_t pixels = (1u << w.count) - 1;
            offset.push_back(w.start * channels);
            const uint64_t one = pixels | pixels << 8 | pixels << 16 | (channels == 4 ? pixels << 24 : 0);
            lanes.push_back(one | one << 32);
            bytes.push_back(w.count * channels == 32 ? ~0u : (1u << (w.count * channels)) - 1);
            safe = safe && w.start * channels + 32 <= row_bytes;
            if (safe && i % 4 == 3) ++safe_groups;
        }
    }

    static void weights(const HTask* t, std::vector<uint32_t>& k4) {
        k4.clear();
        if (!t) return;
        for (int i = 0; i < t->out_w; i += 4)
            for (int pair = 0; pair < 4; pair += 2)
                for (int row = 0; row < 2; ++row)
                    for (int lane = 0; lane < 8; ++lane)
                        k4.push_back(4 * t->windows[std::min(i + pair + lane % 2, t->out_w - 1)].k);
    }
};

// The vpermt2b pattern from a window's bytes in two rows (two 32-byte loads)
// to channel c of pixel i at byte 8c + i of the first row, 32 + 8c + i of the
// second (lanes of absent channels are zeroed by the permute's mask).
template <int C>
IMAGENET32_AVX512 inline __m512i short_layout() {
    alignas(64) int8_t index[64];
    for (int j = 0; j < 64; ++j) index[j] = static_cast<int8_t>((j % 32) / 8 < C ? (j % 8) * C + (j % 32) / 8 + (j / 32) * 64 : 0);
    return _mm512_load_si512(index);
}

// The vpermt2b pattern from finish's two vectors of 32-bit values, [w0, w1]
// then [w2, w3] of each channel (each row in its 256-bit half), to four
// pixels in order, the first row's at byte 0 and the second's at byte 16:
// the top byte of each value.
template <int C>
IMAGENET32_AVX512 inline __m512i short_order() {
    alignas(64) int8_t index[64] = {};
    for (int row = 0; row < 2; ++row)
        for (int j = 0; j < 4 * C; ++j) {
            const int pixel = j / C, c = j % C;
            index[16 * row + j] = static_cast<int8_t>((pixel < 2 ? 0 : 64) + 32 * row + 4 * (2 * c + pixel % 2) + 3);
        }
    return _mm512_load_si512(index);
}

// The low dwords of a's and b's 64-bit lanes side by side: [a0, b0, a1, b1, ...]
// (a's high dwords must be zero). One masked dword shuffle: cheaper than a
// shift and an OR. Shared with box8_avx512.hpp's direct windows.
IMAGENET32_AVX512 inline __m512i low_dwords(__m512i a, __m512i b) {
    return _mm512_mask_shuffle_epi32(a, 0xAAAA, b, _MM_PERM_CDAB);
}

template <int C>
struct ShortRow {
    const int32_t* offset;
    const uint64_t* lanes;
    const uint32_t* bytes;
    __m512i layout, order, round;

    // Window i's channel sums, channel c in 64-bit lane c (row 0) and 4 + c (row 1).
    template <bool Masked>
    IMAGENET32_AVX512 __m512i sums(const uint8_t* in0, const uint8_t* in1, int i) const {
        const std::ptrdiff_t o = offset[i];
        __m256i b0, b1;
        if (Masked) {
            b0 = _mm256_maskz_loadu_epi8(bytes[i], in0 + o);
            b1 = _mm256_maskz_loadu_epi8(bytes[i], in1 + o);
        } else {
            b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in0 + o));
            b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in1 + o));
        }
        return _mm512_sad_epu8(
            _mm512_maskz_permutex2var_epi8(lanes[i], _mm512_castsi256_si512(b0), layout, _mm512_castsi256_si512(b1)),
            _mm512_setzero_si512());
    }

    // Four windows' sums to their 4 * C output bytes; k4 as ShortPlan lays it
    // out. A window's byte is (2^21 + k * sum) >> 22, computed as the top byte
    // of 2^23 + 4 k * sum: the same number, and under 2^32 for windows of
    // fewer than 16,448 pixels (sum <= 255 n, k <= 2^22 / n + 1/2), which
    // also keeps it at most 255 (Pillow's clip never acts).
    IMAGENET32_AVX512 __m256i finish(__m512i s0, __m512i s1, __m512i s2, __m512i s3, const uint32_t* k4) const {
        // Sums fit 32 bits: dwords [w0, w1] of each channel, then [w2, w3].
        const __m512i a = low_dwords(s0, s1), b = low_dwords(s2, s3);
        const __m512i fa = _mm512_add_epi32(_mm512_mullo_epi32(a, _mm512_loadu_si512(k4)), round);
        const __m512i fb = _mm512_add_epi32(_mm512_mullo_epi32(b, _mm512_loadu_si512(k4 + 16)), round);
        return _mm512_castsi512_si256(_mm512_permutex2var_epi8(fa, order, fb));
    }
};

// Group g (outputs 4g..4g+3) of a row of out_w outputs: a full 16-byte store
// where the row has room (the next group overwrites its spare bytes), else
// only the row's bytes. Full: a full store even at the row's end (the bytes
// past it are written again later). Shared with box8_avx512.hpp's direct windows.
template <int C, bool Full = false>
IMAGENET32_AVX512 inline void store_group(uint8_t* out, int g, int out_w, __m128i v) {
    const int x = 4 * g * C, row_bytes = out_w * C;
    if (Full || x + 16 <= row_bytes) _mm_storeu_si128(reinterpret_cast<__m128i*>(out + x), v);
    else _mm_mask_storeu_epi8(out + x, static_cast<__mmask16>((1u << std::min(16, row_bytes - x)) - 1), v);
}

// One group of four windows of two rows, as finish gives it.
template <int C, bool Full>
IMAGENET32_AVX512 inline void store_groups(uint8_t* out0, uint8_t* out1, int g, int out_w, __m256i v) {
    store_group<C, Full>(out0, g, out_w, _mm256_castsi256_si128(v));
    store_group<C, Full>(out1, g, out_w, _mm256_extracti128_si256(v, 1));
}

// Rows r0 and r1 of the pass, every size. Depth: the coarsest level asked (0:
// the finest size alone). Groups are taken in blocks of 2^Depth, the block's
// sums held in registers: a block ends with a group of every coarser size.
template <int C, int Depth, bool Full>
IMAGENET32_AVX512 void short_pair(const View<uint8_t>& src, const ShortPlan& p, const ShortRow<C>& row, int r0,
                                  int r1) {
    constexpr int kBlock = 1 << Depth;
    // The plan's fields held in locals (the plan is thread-local, and output
    // stores could alias it: either would reload them at every group).
    const HTask& f = *p.task[0];
    const int groups = (f.out_w + 3) / 4, safe_groups = p.safe_groups;
    const uint8_t* in0 = src.row(f.row0 + r0);
    const uint8_t* in1 = src.row(f.row0 + r1);
    const uint32_t* k[kLevels];
    int out_w[kLevels];
    uint8_t* out0[kLevels];
    uint8_t* out1[kLevels];
    for (int level = 0; level < kLevels; ++level) {
        const HTask* t = p.task[level];
        k[level] = p.k4[level].data();
        out_w[level] = t ? t->out_w : 0;
        out0[level] = t ? t->dst + static_cast<std::ptrdiff_t>(r0) * t->dst_stride : nullptr;
        out1[level] = t ? t->dst + static_cast<std::ptrdiff_t>(r1) * t->dst_stride : nullptr;
    }
    for (int g0 = 0; g0 < groups; g0 += kBlock) {
        __m512i pair[2][2], quad[4], octet[4];  // sums of 2, 4 and 8 finest windows
#pragma GCC unroll 8
        for (int j = 0; j < kBlock; ++j) {
            const int g = g0 + j, i = 4 * g;
            __m512i s0, s1, s2, s3;
            if (g < safe_groups) {
                s0 = row.template sums<false>(in0, in1, i), s1 = row.template sums<false>(in0, in1, i + 1);
                s2 = row.template sums<false>(in0, in1, i + 2), s3 = row.template sums<false>(in0, in1, i + 3);
            } else {
                s0 = row.template sums<true>(in0, in1, i), s1 = row.template sums<true>(in0, in1, i + 1);
                s2 = row.template sums<true>(in0, in1, i + 2), s3 = row.template sums<true>(in0, in1, i + 3);
            }
            store_groups<C, Full>(out0[0], out1[0], g, out_w[0], row.finish(s0, s1, s2, s3, k[0] + 32 * g));
            if constexpr (Depth == 0) continue;
            pair[j % 2][0] = _mm512_add_epi64(s0, s1);
            pair[j % 2][1] = _mm512_add_epi64(s2, s3);
            quad[j % 4] = _mm512_add_epi64(pair[j % 2][0], pair[j % 2][1]);
            if (j % 2 == 1) {
                if (Depth == 3) octet[j / 2] = _mm512_add_epi64(quad[j % 4 - 1], quad[j % 4]);
                if (out0[1])
                    store_groups<C, Full>(out0[1], out1[1], g / 2, out_w[1],
                                          row.finish(pair[0][0], pair[0][1], pair[1][0], pair[1][1], k[1] + 32 * (g / 2)));
            }
            if (Depth >= 2 && j % 4 == 3 && out0[2])
                store_groups<C, Full>(out0[2], out1[2], g / 4, out_w[2],
                                      row.finish(quad[0], quad[1], quad[2], quad[3], k[2] + 32 * (g / 4)));
            if (Depth == 3 && j == 7 && out0[3])
                store_groups<C, Full>(out0[3], out1[3], g / 8, out_w[3],
                                      row.finish(octet[0], octet[1], octet[2], octet[3], k[3] + 32 * (g / 8)));
        }
    }
}

// Rows in pairs: row r with row r + half (the last row of an odd count with
// itself), so that a full store's 4 bytes past the end of a row land in a row
// of a later pair: every pair but the last one or two (where that row may be
// done already, or past the image) stores so when every size's rows are whole
// groups, one after the other.
template <int C, int Depth>
IMAGENET32_AVX512 void short_rows(const View<uint8_t>& src, const ShortPlan& p) {
    const ShortRow<C> row{p.offset.data(), p.lanes.data(), p.bytes.data(), short_layout<C>(), short_order<C>(),
                          _mm512_set1_epi32(1 << (kPrecisionBits + 1))};
    bool whole_groups = true;
    for (const HTask* t : p.task)
        whole_groups = whole_groups && (!t || (t->out_w % 4 == 0 && t->dst_stride == t->out_w * C));
    const int rows = p.task[0]->rows, half = (rows + 1) / 2, row0 = p.task[0]->row0;
    const std::ptrdiff_t row_bytes = static_cast<std::ptrdiff_t>(src.row_elements());
    const bool ahead = row_bytes <= kPrefetchBytes;
    for (int r = 0; r < half; ++r) {
        const int r1 = r + half < rows ? r + half : r;
        if (ahead && r1 + kRowsAhead < rows) {
            prefetch_l2(src.row(row0 + r + kRowsAhead), 0, row_bytes);
            prefetch_l2(src.row(row0 + r1 + kRowsAhead), 0, row_bytes);
        }
        if (whole_groups && r + 1 < rows - half) short_pair<C, Depth, true>(src, p, row, r, r1);
        else short_pair<C, Depth, false>(src, p, row, r, r1);
    }
}

template <int C>
IMAGENET32_AVX512 void short_pass(const View<uint8_t>& src, const ShortPlan& p) {
    if (p.task[3]) short_rows<C, 3>(src, p);
    else if (p.task[2]) short_rows<C, 2>(src, p);
    else if (p.task[1]) short_rows<C, 1>(src, p);
    else short_rows<C, 0>(src, p);
}

// The short pass for these tasks, if they can take it (ShortPlan::plan).
IMAGENET32_AVX512 inline bool box_h_short(const View<uint8_t>& src, const HTask* tasks, std::size_t n) {
    ShortPlan& p = per_thread<ShortPlan>();  // reused: its vectors keep their capacity
    if (!p.plan(src, tasks, n)) return false;
    if (src.channels == 3) short_pass<3>(src, p);
    else short_pass<4>(src, p);
    return true;
}

}  // namespace avx512
}  // namespace imagenet32

#endif
