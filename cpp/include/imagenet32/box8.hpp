// The 8-bit BOX passes. A window's output is (2^21 + k * sum) >> 22, clipped
// to 255 (spec section 2.1); the scalar kernels here are the reference, and
// every SIMD variant must give the same bytes.
#pragma once

#include <cstdint>
#include <vector>

#include "pixels.hpp"
#include "windows.hpp"

namespace imagenet32 {

// One horizontal pass: rows [row0, row0 + rows) of the source, windows along x,
// written to `rows` rows of `dst`.
struct HTask {
    const Window* windows;
    int out_w;
    int row0, rows;
    uint8_t* dst;
    std::ptrdiff_t dst_stride;
};

// Whether t's windows are `seen`, so that a plan made for those holds for t
// (a window's k follows from its count).
inline bool same_windows(const std::vector<Window>& seen, const HTask& t) {
    if (seen.size() != static_cast<std::size_t>(t.out_w)) return false;
    for (std::size_t j = 0; j < seen.size(); ++j)
        if (seen[j].start != t.windows[j].start || seen[j].count != t.windows[j].count) return false;
    return true;
}

// One vertical pass over all rows of the source, windows along y.
struct VTask {
    const Window* windows;
    int out_h;
    uint8_t* dst;
    std::ptrdiff_t dst_stride;
};

inline uint8_t box_output(uint32_t k, uint32_t sum) {
    const uint32_t v = ((1u << (kPrecisionBits - 1)) + k * sum) >> kPrecisionBits;
    return static_cast<uint8_t>(v > 255 ? 255 : v);
}

namespace scalar {

// The channels of a pixel are summed together: one pass over each window
// (a loop per channel cost a third more, and up to 35% more again when the
// compiler placed that tight loop across a 64-byte boundary).
template <int C>
void box_h_rows(const View<uint8_t>& src, const HTask& t) {
    for (int r = 0; r < t.rows; ++r) {
        const uint8_t* in = src.row(t.row0 + r);
        uint8_t* out = t.dst + r * t.dst_stride;
        for (int xx = 0; xx < t.out_w; ++xx) {
            const Window& w = t.windows[xx];
            const uint8_t* p = in + static_cast<std::ptrdiff_t>(w.start) * C;
            uint32_t sum[C] = {};
            for (int i = 0; i < w.count; ++i)
                for (int c = 0; c < C; ++c) sum[c] += p[i * C + c];
            for (int c = 0; c < C; ++c) out[xx * C + c] = box_output(w.k, sum[c]);
        }
    }
}

inline void box_h(const View<uint8_t>& src, const HTask& t) {
    switch (src.channels) {
        case 1: box_h_rows<1>(src, t); break;
        case 2: box_h_rows<2>(src, t); break;
        case 3: box_h_rows<3>(src, t); break;
        default: box_h_rows<4>(src, t); break;
    }
}

inline void box_v(const View<uint8_t>& src, const VTask& t) {
    const std::size_t n = src.row_elements();
    std::vector<uint32_t> acc(n);
    for (int yy = 0; yy < t.out_h; ++yy) {
        const Window& w = t.windows[yy];
        std::fill(acc.begin(), acc.end(), 0u);
        for (int r = w.start; r < w.start + w.count; ++r) {
            const uint8_t* in = src.row(r);
            for (std::size_t i = 0; i < n; ++i) acc[i] += in[i];
        }
        uint8_t* out = t.dst + yy * t.dst_stride;
        for (std::size_t i = 0; i < n; ++i) out[i] = box_output(w.k, acc[i]);
    }
}

inline void box_h_tasks(const View<uint8_t>& src, const HTask* tasks, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) box_h(src, tasks[i]);
}

inline void box_v_tasks(const View<uint8_t>& src, const VTask* tasks, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) box_v(src, tasks[i]);
}

}  // namespace scalar

}  // namespace imagenet32
