// AVX2 variant of the 8-bit BOX passes: the same integer arithmetic as the
// scalar reference (box8.hpp), so the same bytes, many times faster.
//
// Horizontal pass, four rows at a time. Each row is cut into granules of 16
// bytes after a shuffle (16, 8, 4, 4 pixels for 1, 2, 3, 4 channels), laid
// out channel by channel, so that pmaddubsw sums pixel pairs of a channel
// into 16-bit lanes. One vector holds the same granule of two rows. A running
// (wrapping) 16-bit sum over granules, kept before every granule, gives at
// every window edge the sum of everything to its left; a window's sum is the
// difference of two of these prefixes, exact while the window has at most 257
// pixels (longer windows are cut into pieces). All output sizes that read the
// source share this one pass: their window edges form one list of breaks.
// The avx512 backend runs the same pass wide: one register holds a granule of
// all four rows, and windows are finished for four rows at once (half the
// instructions; 4-6% faster on Zen 4, which splits 512-bit operations in two).
//
// Vertical pass: rows are summed column-wise in 16-bit lanes, 32 bytes at a time.
#pragma once

#include "avx2_target.hpp"

#if IMAGENET32_HAVE_AVX2

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "box8.hpp"

namespace imagenet32 {
namespace avx2 {

// 32 bytes kept between steps, loaded and stored with AVX2 only.
struct alignas(32) Block {
    uint8_t bytes[32];
};

IMAGENET32_AVX2 inline __m256i load(const Block& b) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(b.bytes)); }
IMAGENET32_AVX2 inline void store(Block& b, __m256i v) { _mm256_store_si256(reinterpret_cast<__m256i*>(b.bytes), v); }

constexpr int kLongWindow = 257;  // the most pixels whose sum fits a 16-bit lane
constexpr int kPiece = 256;       // longer windows are summed in pieces of this many pixels

// A granule: `pixels` pixels of one row, `bytes` source bytes, shuffled
// into 16 bytes channel by channel; `pixel_of_byte` maps each of those 16
// bytes back to its pixel (16 for padding).
template <int C> struct Granule;
template <> struct Granule<1> {
    static constexpr int pixels = 16, bytes = 16;
    static constexpr int8_t pixel_of_byte[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
};
template <> struct Granule<2> {
    static constexpr int pixels = 8, bytes = 16;  // [L0..L7 A0..A7]
    static constexpr int8_t pixel_of_byte[16] = {0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7};
};
template <> struct Granule<3> {
    static constexpr int pixels = 4, bytes = 12;  // [R0..R3 G0..G3 B0..B3 0 0 0 0]
    static constexpr int8_t pixel_of_byte[16] = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 16, 16, 16, 16};
};
template <> struct Granule<4> {
    static constexpr int pixels = 4, bytes = 16;  // [R0..R3 G0..G3 B0..B3 A0..A3]
    static constexpr int8_t pixel_of_byte[16] = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3};
};

// The pshufb pattern laying out one granule per 128-bit lane channel by channel.
template <int C>
IMAGENET32_AVX2 inline __m256i granule_shuffle() {
    if constexpr (C == 2) {
        return _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15,
                                0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    } else if constexpr (C == 3) {
        return _mm256_setr_epi8(0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11, -1, -1, -1, -1,
                                0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11, -1, -1, -1, -1);
    } else {
        return _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,
                                0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    }
}

// The same granule of two rows: [row a | row b].
template <int C>
IMAGENET32_AVX2 inline __m256i load_granules(const uint8_t* a, const uint8_t* b, __m256i shuffle) {
    const __m256i v = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a))),
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(b)), 1);
    if constexpr (C == 1) return v;
    else return _mm256_shuffle_epi8(v, shuffle);
}

// pmaddubsw weights summing the first t pixels of a granule, for t = 0 .. pixels.
template <int C>
const std::vector<Block>& prefix_masks() {
    static const std::vector<Block> masks = [] {
        std::vector<Block> m(Granule<C>::pixels + 1);
        for (int t = 0; t <= Granule<C>::pixels; ++t)
            for (int i = 0; i < 32; ++i) m[t].bytes[i] = Granule<C>::pixel_of_byte[i % 16] < t ? 1 : 0;
        return m;
    }();
    return masks;
}

// From the eight 16-bit pair sums of each row (per 128-bit lane) to the
// row's channel sums as 32-bit lanes [c0 c1 c2 c3]. Exact: each channel's sum
// over a window of at most 257 pixels fits 16 bits.
template <int C>
IMAGENET32_AVX2 inline __m256i channel_sums(__m256i d) {
    const __m256i low16 = _mm256_set1_epi32(0xFFFF);
    d = _mm256_add_epi16(d, _mm256_srli_epi32(d, 16));  // pairs of lanes
    if constexpr (C == 1) {
        d = _mm256_add_epi16(d, _mm256_srli_epi64(d, 32));
        d = _mm256_add_epi16(d, _mm256_srli_si256(d, 8));
        return _mm256_and_si256(d, _mm256_setr_epi32(0xFFFF, 0, 0, 0, 0xFFFF, 0, 0, 0));
    } else if constexpr (C == 2) {
        d = _mm256_add_epi16(d, _mm256_srli_epi64(d, 32));  // L in lane 0, A in lane 4
        return _mm256_shuffle_epi8(d, _mm256_setr_epi8(0, 1, -1, -1, 8, 9, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                                        0, 1, -1, -1, 8, 9, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1));
    } else {
        return _mm256_and_si256(d, low16);
    }
}

// (2^21 + k * sum) >> 22 for eight 32-bit sums.
IMAGENET32_AVX2 inline __m256i finish32(__m256i sums, __m256i k) {
    const __m256i round = _mm256_set1_epi32(1 << (kPrecisionBits - 1));
    return _mm256_srli_epi32(_mm256_add_epi32(_mm256_mullo_epi32(sums, k), round), kPrecisionBits);
}

// finish32 for sixteen sums (the avx512 backend's kernels).
IMAGENET32_AVX512 inline __m512i finish32_wide(__m512i sums, __m512i k) {
    const __m512i round = _mm512_set1_epi32(1 << (kPrecisionBits - 1));
    return _mm512_srli_epi32(_mm512_add_epi32(_mm512_mullo_epi32(sums, k), round), kPrecisionBits);
}

// The pshufb pattern keeping the C channel bytes of each of four 4-byte
// window results in a 128-bit lane, packed at its start.
template <int C>
IMAGENET32_AVX2 inline __m256i compact_channels() {
    if constexpr (C == 1) {
        return _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    } else if constexpr (C == 2) {
        return _mm256_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, -1, -1, -1, -1, -1, -1, -1, -1,
                                0, 1, 4, 5, 8, 9, 12, 13, -1, -1, -1, -1, -1, -1, -1, -1);
    } else {
        return _mm256_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1,
                                0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
    }
}

// One task's windows as indices into the shared list of breaks, padded to a
// multiple of 4 (by repeating the last window) for the emit loop.
struct TaskEdges {
    std::vector<int32_t> first, last;  // the breaks at each window's start and end
    std::vector<uint32_t> k;
    bool pieces = false;  // some window is longer than kLongWindow: sum it break to break
};

// The horizontal pass of every task reading one source. Its plan depends only
// on the source width and the tasks' windows, so it is kept (per thread, for
// the last few geometries) and reused for every image of the same shape.
// Wide: the AVX-512 sweep and finishing (only on CPUs that have it).
template <int C, bool Wide>
class HorizontalPass {
public:
    HorizontalPass(int width, const HTask* tasks, std::size_t n) : width_(width) {
        for (std::size_t i = 0; i < n; ++i) windows_.emplace_back(tasks[i].windows, tasks[i].windows + tasks[i].out_w);
        plan();
    }

    bool matches(int width, const HTask* tasks, std::size_t n) const {
        if (width != width_ || n != windows_.size()) return false;
        for (std::size_t i = 0; i < n; ++i)
            if (!same_windows(windows_[i], tasks[i])) return false;
        return true;
    }

    IMAGENET32_AVX2 void run(const View<uint8_t>& src, const HTask* tasks, std::size_t n) {
        if (breaks_ == 0) return;
        int r0 = src.height, r1 = 0;
        for (std::size_t i = 0; i < n; ++i)
            if (tasks[i].rows > 0) {
                r0 = std::min(r0, tasks[i].row0);
                r1 = std::max(r1, tasks[i].row0 + tasks[i].rows);
            }
        for (int r = r0; r < r1; r += 4) {
            const uint8_t* rows[4];
            for (int i = 0; i < 4; ++i) rows[i] = src.row(std::min(r + i, r1 - 1)) + x_begin_ * C;
            if constexpr (Wide) sweep_wide(rows);
            else sweep(rows);
            if (prefetch_ && r + 4 < r1) prefetch_rows(src, r + 4, r1);
            for (std::size_t i = 0; i < n; ++i) emit(tasks[i], edges_[i], r);
        }
    }

private:
    static constexpr int kPixels = Granule<C>::pixels;
    static constexpr int kBytes = Granule<C>::bytes;
    // Bytes each group of four windows stores per row: exact, except RGB
    // (16 bytes for 12).
    static constexpr int kGroupStore = C == 3 ? 16 : 4 * C;

    void plan() {
        std::vector<int32_t> pos;
        for (const std::vector<Window>& windows : windows_)
            for (const Window& w : windows) {
                pos.push_back(w.start);
                pos.push_back(w.start + w.count);
                for (int p = w.start + kPiece; w.count > kLongWindow && p < w.start + w.count; p += kPiece)
                    pos.push_back(p);
            }
        std::sort(pos.begin(), pos.end());
        pos.erase(std::unique(pos.begin(), pos.end()), pos.end());
        breaks_ = pos.size();
        if (pos.empty()) return;
        x_begin_ = pos.front() / kPixels * kPixels;
        granules_ = (pos.back() - x_begin_ + kPixels - 1) / kPixels;
        for (int32_t p : pos) {
            granule_of_.push_back((p - x_begin_) / kPixels);
            offset_of_.push_back((p - x_begin_) % kPixels);
        }
        auto index = [&](int32_t p) {
            return static_cast<int32_t>(std::lower_bound(pos.begin(), pos.end(), p) - pos.begin());
        };
        std::size_t widest = 0;
        for (const std::vector<Window>& windows : windows_) {
            TaskEdges edges;
            for (std::size_t i = 0; i < (windows.size() + 3) / 4 * 4; ++i) {
                const Window& w = windows[std::min(i, windows.size() - 1)];
                edges.first.push_back(index(w.start));
                edges.last.push_back(index(w.start + w.count));
                edges.k.push_back(w.k);
                edges.pieces = edges.pieces || w.count > kLongWindow;
            }
            edges_.push_back(std::move(edges));
            widest = std::max(widest, windows.size());
        }
        // Granules whose 16-byte loads would pass the end of the row are read
        // from a zero-padded copy of the row's tail.
        const int row_bytes = width_ * C;
        safe_ = 0;
        while (safe_ < granules_ && (x_begin_ + safe_ * kPixels) * C + 16 <= row_bytes) ++safe_;
        tail_from_ = safe_ * kBytes;
        tail_bytes_ = std::max(0, row_bytes - x_begin_ * C - tail_from_);
        tail_stride_ = (granules_ - safe_) * kBytes + 16;
        tail_.assign(4 * static_cast<std::size_t>(tail_stride_), 0);
        at_break_.resize(2 * breaks_);
        scratch_.assign(widest * C + 32, 0);
        prefetch_from_ = x_begin_ * C;
        prefetch_to_ = std::min(width_ * C, prefetch_from_ + granules_ * kBytes);
        prefetch_ = prefetch_to_ - prefetch_from_ <= kPrefetchBytes;
    }

    // Asks for the next block's rows while this block's windows are finished
    // (kPrefetchBytes): the dataset's four sizes of 500x375 took 117-126 us per
    // image without, 72-78 us with, when the image was just decoded.
    IMAGENET32_AVX2 void prefetch_rows(const View<uint8_t>& src, int r, int r1) const {
        for (int i = 0; i < 4; ++i) prefetch_l2(src.row(std::min(r + i, r1 - 1)), prefetch_from_, prefetch_to_);
    }

    // The four rows' pointers to granule g (from the padded tail near the end).
    void granule_rows(const uint8_t* const rows[4], int g, const uint8_t* out[4]) const {
        for (int i = 0; i < 4; ++i)
            out[i] = g < safe_ ? rows[i] + g * kBytes : tail_.data() + i * tail_stride_ + (g - safe_) * kBytes;
    }

    // One pass over the granules of four rows, keeping at every break the
    // channel sums (mod 2^16) of everything to its left.
    IMAGENET32_AVX2 void copy_tails(const uint8_t* const rows[4]) {
        if (safe_ < granules_) {  // under 16 bytes a row: a loop over locals, not a library call
            uint8_t* tail = tail_.data();
            const int bytes = tail_bytes_, stride = tail_stride_, from = tail_from_;
            for (int i = 0; i < 4; ++i)
                for (int j = 0; j < bytes; ++j) tail[i * stride + j] = rows[i][from + j];
        }
    }

    IMAGENET32_AVX2 void sweep(const uint8_t* const rows[4]) {
        copy_tails(rows);
        const __m256i shuffle = granule_shuffle<C>();
        const __m256i ones = _mm256_set1_epi8(1);
        __m256i acc01 = _mm256_setzero_si256(), acc23 = _mm256_setzero_si256();
        const uint8_t *p0 = rows[0], *p1 = rows[1], *p2 = rows[2], *p3 = rows[3];
        Block* at = at_break_.data();
        const Block* masks = prefix_masks<C>().data();
        // The granule holding the last break, and the sums before it: later
        // breaks in the same granule reuse them.
        __m256i cur01 = acc01, cur23 = acc23, before01 = acc01, before23 = acc23;
        int g = 0;
        for (std::size_t b = 0; b < breaks_; ++b) {
            const int until = granule_of_[b];
            const int t = offset_of_[b];
            if (until >= g) {
                for (const int direct = std::min(until, safe_); g < direct; ++g) {
                    const int o = g * kBytes;
                    acc01 = _mm256_add_epi16(acc01, _mm256_maddubs_epi16(load_granules<C>(p0 + o, p1 + o, shuffle), ones));
                    acc23 = _mm256_add_epi16(acc23, _mm256_maddubs_epi16(load_granules<C>(p2 + o, p3 + o, shuffle), ones));
                }
                for (; g < until; ++g) {
                    const uint8_t* q[4];
                    granule_rows(rows, g, q);
                    acc01 = _mm256_add_epi16(acc01, _mm256_maddubs_epi16(load_granules<C>(q[0], q[1], shuffle), ones));
                    acc23 = _mm256_add_epi16(acc23, _mm256_maddubs_epi16(load_granules<C>(q[2], q[3], shuffle), ones));
                }
                if (t == 0) {  // on a granule boundary
                    store(at[2 * b], channel_sums<C>(acc01));
                    store(at[2 * b + 1], channel_sums<C>(acc23));
                    continue;
                }
                const uint8_t* q[4];
                granule_rows(rows, until, q);
                cur01 = load_granules<C>(q[0], q[1], shuffle);
                cur23 = load_granules<C>(q[2], q[3], shuffle);
                before01 = acc01;
                before23 = acc23;
                acc01 = _mm256_add_epi16(acc01, _mm256_maddubs_epi16(cur01, ones));
                acc23 = _mm256_add_epi16(acc23, _mm256_maddubs_epi16(cur23, ones));
                g = until + 1;
            }
            const __m256i mask = load(masks[t]);
            store(at[2 * b], channel_sums<C>(_mm256_add_epi16(before01, _mm256_maddubs_epi16(cur01, mask))));
            store(at[2 * b + 1], channel_sums<C>(_mm256_add_epi16(before23, _mm256_maddubs_epi16(cur23, mask))));
        }
    }

    // The same granule of the four rows in one register: [row 0 | row 1 | row 2 | row 3].
    IMAGENET32_AVX512 static __m512i load_granules_wide(const uint8_t* const q[4], int o, __m512i shuffle) {
        __m512i v = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q[0] + o)));
        v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(q[1] + o)), 1);
        v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(q[2] + o)), 2);
        v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(q[3] + o)), 3);
        if constexpr (C == 1) return v;
        else return _mm512_shuffle_epi8(v, shuffle);
    }

    // channel_sums for four rows.
    IMAGENET32_AVX512 static __m512i channel_sums_wide(__m512i d) {
        d = _mm512_add_epi16(d, _mm512_srli_epi32(d, 16));
        if constexpr (C == 1) {
            d = _mm512_add_epi16(d, _mm512_srli_epi64(d, 32));
            d = _mm512_add_epi16(d, _mm512_bsrli_epi128(d, 8));
            return _mm512_and_si512(d, _mm512_set4_epi32(0, 0, 0, 0xFFFF));
        } else if constexpr (C == 2) {
            d = _mm512_add_epi16(d, _mm512_srli_epi64(d, 32));
            return _mm512_shuffle_epi8(d, _mm512_set4_epi32(-1, -1, static_cast<int>(0xFFFF0908u),
                                                            static_cast<int>(0xFFFF0100u)));
        } else {
            return _mm512_and_si512(d, _mm512_set1_epi32(0xFFFF));
        }
    }

    // sweep, four rows to a register; a break's 64 bytes are its two Blocks, rows (0, 1) then (2, 3).
    IMAGENET32_AVX512 void sweep_wide(const uint8_t* const rows[4]) {
        copy_tails(rows);
        const __m512i shuffle = _mm512_broadcast_i32x4(_mm256_castsi256_si128(granule_shuffle<C>()));
        const __m512i ones = _mm512_set1_epi8(1);
        __m512i acc = _mm512_setzero_si512();
        Block* at = at_break_.data();
        const Block* masks = prefix_masks<C>().data();
        __m512i cur = acc, before = acc;
        int g = 0;
        for (std::size_t b = 0; b < breaks_; ++b) {
            const int until = granule_of_[b];
            const int t = offset_of_[b];
            if (until >= g) {
                for (const int direct = std::min(until, safe_); g < direct; ++g)
                    acc = _mm512_add_epi16(acc, _mm512_maddubs_epi16(load_granules_wide(rows, g * kBytes, shuffle), ones));
                for (; g < until; ++g) {
                    const uint8_t* q[4];
                    granule_rows(rows, g, q);
                    acc = _mm512_add_epi16(acc, _mm512_maddubs_epi16(load_granules_wide(q, 0, shuffle), ones));
                }
                if (t == 0) {
                    _mm512_storeu_si512(at + 2 * b, channel_sums_wide(acc));
                    continue;
                }
                const uint8_t* q[4];
                granule_rows(rows, until, q);
                cur = load_granules_wide(q, 0, shuffle);
                before = acc;
                acc = _mm512_add_epi16(acc, _mm512_maddubs_epi16(cur, ones));
                g = until + 1;
            }
            const __m512i mask = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(masks[t].bytes)));
            _mm512_storeu_si512(at + 2 * b, channel_sums_wide(_mm512_add_epi16(before, _mm512_maddubs_epi16(cur, mask))));
        }
    }

    // Rows (0, 1) and (2, 3) of window i: channel sums as 32-bit lanes.
    template <bool Pieces>
    IMAGENET32_AVX2 void window_sums(const TaskEdges& e, int i, __m256i& s01, __m256i& s23) const {
        const Block* at = at_break_.data();
        const int first = e.first[i], last = e.last[i];
        if constexpr (!Pieces) {  // a 16-bit difference of prefixes is exact here
            s01 = _mm256_sub_epi16(load(at[2 * last]), load(at[2 * first]));
            s23 = _mm256_sub_epi16(load(at[2 * last + 1]), load(at[2 * first + 1]));
        } else {
            s01 = s23 = _mm256_setzero_si256();
            for (int b = first; b < last; ++b) {
                s01 = _mm256_add_epi32(s01, _mm256_sub_epi16(load(at[2 * b + 2]), load(at[2 * b])));
                s23 = _mm256_add_epi32(s23, _mm256_sub_epi16(load(at[2 * b + 3]), load(at[2 * b + 1])));
            }
        }
    }

    template <bool Pieces>
    IMAGENET32_AVX2 void finish_window(const TaskEdges& e, int i, __m256i& f01, __m256i& f23) const {
        __m256i s01, s23;
        window_sums<Pieces>(e, i, s01, s23);
        const __m256i k = _mm256_set1_epi32(static_cast<int>(e.k[i]));
        f01 = finish32(s01, k);
        f23 = finish32(s23, k);
    }

    // Windows xx..xx+3 of rows (0, 1) and (2, 3): packing the four windows'
    // bytes turns them into one run per row, [row 0 | row 1] and [row 2 | row 3].
    template <bool Pieces>
    IMAGENET32_AVX2 void group(const TaskEdges& e, int xx, __m256i& rows01, __m256i& rows23) const {
        __m256i a01, a23, b01, b23;
        finish_window<Pieces>(e, xx, a01, a23);
        finish_window<Pieces>(e, xx + 1, b01, b23);
        const __m256i w01 = _mm256_packus_epi32(a01, b01), w23 = _mm256_packus_epi32(a23, b23);
        finish_window<Pieces>(e, xx + 2, a01, a23);
        finish_window<Pieces>(e, xx + 3, b01, b23);
        rows01 = _mm256_packus_epi16(w01, _mm256_packus_epi32(a01, b01));
        rows23 = _mm256_packus_epi16(w23, _mm256_packus_epi32(a23, b23));
        if constexpr (C != 4) {
            rows01 = _mm256_shuffle_epi8(rows01, compact_channels<C>());
            rows23 = _mm256_shuffle_epi8(rows23, compact_channels<C>());
        }
    }

    // One task's outputs for the block's rows. Rows outside the task go to a
    // scratch row; groups that end near the row's end store exactly their bytes.
    IMAGENET32_AVX2 void emit(const HTask& t, const TaskEdges& e, int r) {
        uint8_t* out[4];
        if (!block_rows(t, r, out)) return;
        if (e.pieces) emit_rows<true>(t, e, out);
        else if constexpr (Wide) emit_rows_wide(t, e, out);
        else emit_rows<false>(t, e, out);
    }

    // Where rows r .. r+3 go; false if none is the task's.
    bool block_rows(const HTask& t, int r, uint8_t* out[4]) {
        bool any = false;
        for (int i = 0; i < 4; ++i) {
            const int row = r + i;
            const bool inside = row >= t.row0 && row < t.row0 + t.rows;
            out[i] = inside ? t.dst + static_cast<std::ptrdiff_t>(row - t.row0) * t.dst_stride : scratch_.data();
            any = any || inside;
        }
        return any;
    }

    template <bool Pieces>
    IMAGENET32_AVX2 void emit_rows(const HTask& t, const TaskEdges& e, uint8_t* const out[4]) {
        const int row_bytes = t.out_w * C;
        __m256i rows01, rows23;
        for (int xx = 0; xx < t.out_w; xx += 4) {
            group<Pieces>(e, xx, rows01, rows23);
            store_rows(out, xx, row_bytes, _mm256_castsi256_si128(rows01), _mm256_extracti128_si256(rows01, 1),
                       _mm256_castsi256_si128(rows23), _mm256_extracti128_si256(rows23, 1));
        }
    }

    // finish32 of window i for the four rows.
    IMAGENET32_AVX512 __m512i finish_window_wide(const TaskEdges& e, int i) const {
        const Block* at = at_break_.data();
        const __m512i sums = _mm512_sub_epi16(_mm512_loadu_si512(at + 2 * e.last[i]), _mm512_loadu_si512(at + 2 * e.first[i]));
        return finish32_wide(sums, _mm512_set1_epi32(static_cast<int>(e.k[i])));
    }

    // group for the four rows: [row 0 | row 1 | row 2 | row 3].
    IMAGENET32_AVX512 void emit_rows_wide(const HTask& t, const TaskEdges& e, uint8_t* const out[4]) {
        const int row_bytes = t.out_w * C;
        const __m512i compact = _mm512_broadcast_i32x4(_mm256_castsi256_si128(compact_channels<C>()));
        for (int xx = 0; xx < t.out_w; xx += 4) {
            const __m512i ab = _mm512_packus_epi32(finish_window_wide(e, xx), finish_window_wide(e, xx + 1));
            const __m512i cd = _mm512_packus_epi32(finish_window_wide(e, xx + 2), finish_window_wide(e, xx + 3));
            __m512i v = _mm512_packus_epi16(ab, cd);
            if constexpr (C != 4) v = _mm512_shuffle_epi8(v, compact);
            store_rows(out, xx, row_bytes, _mm512_castsi512_si128(v), _mm512_extracti32x4_epi32(v, 1),
                       _mm512_extracti32x4_epi32(v, 2), _mm512_extracti32x4_epi32(v, 3));
        }
    }

    // Windows xx..xx+3 of the four rows; a group that would store past the row's end stores exactly its bytes.
    IMAGENET32_AVX2 static void store_rows(uint8_t* const out[4], int xx, int row_bytes, __m128i v0, __m128i v1,
                                           __m128i v2, __m128i v3) {
        const int at = xx * C;
        if (at + kGroupStore <= row_bytes) {
            store_group(out[0] + at, v0);
            store_group(out[1] + at, v1);
            store_group(out[2] + at, v2);
            store_group(out[3] + at, v3);
        } else {
            const int n = std::min(4 * C, row_bytes - at);
            store_exactly(out[0] + at, v0, n);
            store_exactly(out[1] + at, v1, n);
            store_exactly(out[2] + at, v2, n);
            store_exactly(out[3] + at, v3, n);
        }
    }

    IMAGENET32_AVX2 static void store_group(uint8_t* p, __m128i v) {
        if constexpr (kGroupStore == 16) _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
        else if constexpr (kGroupStore == 8) _mm_storel_epi64(reinterpret_cast<__m128i*>(p), v);
        else {
            const int w = _mm_cvtsi128_si32(v);
            std::memcpy(p, &w, 4);
        }
    }

    IMAGENET32_AVX2 static void store_exactly(uint8_t* p, __m128i v, int n) {
        alignas(16) uint8_t tmp[16];
        _mm_store_si128(reinterpret_cast<__m128i*>(tmp), v);
        for (int i = 0; i < n; ++i) p[i] = tmp[i];
    }

    int width_;
    std::vector<std::vector<Window>> windows_;  // what the plan was made for
    std::size_t breaks_ = 0;
    std::vector<int32_t> granule_of_, offset_of_;
    std::vector<TaskEdges> edges_;
    int x_begin_ = 0, granules_ = 0, safe_ = 0;
    int prefetch_from_ = 0, prefetch_to_ = 0;  // the bytes of a row the sweep reads
    bool prefetch_ = false;                    // they are at most kPrefetchBytes
    int tail_from_ = 0, tail_bytes_ = 0, tail_stride_ = 0;
    std::vector<uint8_t> tail_, scratch_;
    std::vector<Block> at_break_;
};

// The pass for this geometry, from the thread's cache of recent ones.
template <int C, bool Wide>
HorizontalPass<C, Wide>& cached_pass(int width, const HTask* tasks, std::size_t n) {
    constexpr std::size_t kKept = 8;
    auto& recent = per_thread<std::vector<std::unique_ptr<HorizontalPass<C, Wide>>>>();  // most recent first
    for (std::size_t i = 0; i < recent.size(); ++i)
        if (recent[i]->matches(width, tasks, n)) {
            std::rotate(recent.begin(), recent.begin() + static_cast<std::ptrdiff_t>(i),
                        recent.begin() + static_cast<std::ptrdiff_t>(i) + 1);
            return *recent.front();
        }
    recent.insert(recent.begin(), std::make_unique<HorizontalPass<C, Wide>>(width, tasks, n));
    if (recent.size() > kKept) recent.pop_back();
    return *recent.front();
}

template <int C, bool Wide>
IMAGENET32_AVX2 void box_h(const View<uint8_t>& src, const HTask* tasks, std::size_t n) {
    cached_pass<C, Wide>(src.width, tasks, n).run(src, tasks, n);
}

// Wide only where the CPU has the AVX-512 subsets (the avx512 backend).
template <bool Wide>
IMAGENET32_AVX2 void box_h_passes(const View<uint8_t>& src, const HTask* tasks, std::size_t n) {
    switch (src.channels) {
        case 1: box_h<1, Wide>(src, tasks, n); break;
        case 2: box_h<2, Wide>(src, tasks, n); break;
        case 3: box_h<3, Wide>(src, tasks, n); break;
        default: box_h<4, Wide>(src, tasks, n); break;
    }
}

IMAGENET32_AVX2 inline void box_h_tasks(const View<uint8_t>& src, const HTask* tasks, std::size_t n) {
    box_h_passes<false>(src, tasks, n);
}

// Vertical pass: columns in blocks of 32, then 16 and 8 bytes, rows summed in
// 16-bit lanes (runs of at most 256 rows, widened into 32-bit sums), finished.
// Only a last few columns (under 8) take the scalar path.

// The window's column sums of `Bytes` bytes at x, as 32-bit lanes (in unpack order).
template <int Bytes>
IMAGENET32_AVX2 inline void column_sums(const View<uint8_t>& src, const Window& w, int x, __m256i s[4]) {
    const __m256i zero = _mm256_setzero_si256();
    s[0] = s[1] = s[2] = s[3] = zero;
    for (int r = w.start; r < w.start + w.count; r += kPiece) {
        __m256i a = zero, b = zero;
        for (int rr = r; rr < std::min(r + kPiece, w.start + w.count); ++rr) {
            const uint8_t* p = src.row(rr) + x;
            if constexpr (Bytes == 8) {
                a = _mm256_add_epi16(a, _mm256_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
            } else {
                a = _mm256_add_epi16(a, _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
                if constexpr (Bytes == 32)
                    b = _mm256_add_epi16(b, _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16))));
            }
        }
        s[0] = _mm256_add_epi32(s[0], _mm256_unpacklo_epi16(a, zero));
        s[1] = _mm256_add_epi32(s[1], _mm256_unpackhi_epi16(a, zero));
        s[2] = _mm256_add_epi32(s[2], _mm256_unpacklo_epi16(b, zero));
        s[3] = _mm256_add_epi32(s[3], _mm256_unpackhi_epi16(b, zero));
    }
}

// Finish `Bytes` columns of one output row.
template <int Bytes>
IMAGENET32_AVX2 inline void vertical_block(const View<uint8_t>& src, const Window& w, int x, uint8_t* out) {
    __m256i s[4];
    column_sums<Bytes>(src, w, x, s);
    const __m256i k = _mm256_set1_epi32(static_cast<int>(w.k));
    for (__m256i& v : s) v = finish32(v, k);
    // packus undoes the unpack order within lanes; permute4x64 puts the lanes' halves in order.
    const __m256i bytes = _mm256_permute4x64_epi64(
        _mm256_packus_epi16(_mm256_packus_epi32(s[0], s[1]), _mm256_packus_epi32(s[2], s[3])), 0xD8);
    if constexpr (Bytes == 32) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + x), bytes);
    } else if constexpr (Bytes == 16) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + x), _mm256_castsi256_si128(bytes));
    } else {
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + x), _mm256_castsi256_si128(bytes));
    }
}

IMAGENET32_AVX2 inline void box_v(const View<uint8_t>& src, const VTask& t) {
    const int bytes = static_cast<int>(src.row_elements());
    for (int yy = 0; yy < t.out_h; ++yy) {
        const Window& w = t.windows[yy];
        uint8_t* out = t.dst + static_cast<std::ptrdiff_t>(yy) * t.dst_stride;
        int x = 0;
        for (; x + 32 <= bytes; x += 32) vertical_block<32>(src, w, x, out);
        if (x + 16 <= bytes) {
            vertical_block<16>(src, w, x, out);
            x += 16;
        }
        if (x + 8 <= bytes) {
            vertical_block<8>(src, w, x, out);
            x += 8;
        }
        for (; x < bytes; ++x) {
            uint32_t sum = 0;
            for (int r = w.start; r < w.start + w.count; ++r) sum += src.row(r)[x];
            out[x] = box_output(w.k, sum);
        }
    }
}

IMAGENET32_AVX2 inline void box_v_tasks(const View<uint8_t>& src, const VTask* tasks, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) box_v(src, tasks[i]);
}

}  // namespace avx2
}  // namespace imagenet32

#endif
