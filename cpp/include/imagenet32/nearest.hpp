// Pillow's NEAREST resize (spec section 3.7): not a convolution but an affine
// map. Each output pixel's centre is mapped back into the box and truncated
// to an input index; outputs that land outside the image are 0.
#pragma once

#include <algorithm>
#include <array>
#include <cstring>
#include <type_traits>
#include <vector>

#include "pixels.hpp"

namespace imagenet32 {

// The input index of every output along one axis (as many as `pos` holds),
// -1 where outside [0, in). ImagingScaleAffine (8- and 32-bit images) steps
// by repeated addition, so its rounding drift is part of the result; the
// generic transform Pillow uses for I;16 multiplies instead.
inline void nearest_positions(float lo, float hi, int in, bool accumulate, std::vector<int>& pos) {
    const int out = static_cast<int>(pos.size());
    const double step = static_cast<double>(hi - lo) / out;  // a float difference, as Pillow's box
    const double origin = lo;
    double p = origin + step * 0.5;
    for (int i = 0; i < out; ++i, p += step) {
        const double v = accumulate ? p : step * (i + 0.5) + origin;
        pos[i] = (v < 0.0 || v >= in) ? -1 : static_cast<int>(v);
    }
}

// One output row from source row `in`. Valid positions form a prefix of
// `cols` (positions only grow); those past it are outside the image (0).
// `moves` of the valid ones, chosen so that reads and writes stay inside the
// rows, copy 3-byte pixels with one 4-byte move each: the next pixel
// rewrites the extra byte. `offsets` are the valid positions in samples.
template <class T, int C>
void gather_row(const T* in, const std::ptrdiff_t* offsets, int n, int valid, int moves, T* out) {
    int x = 0;
    if constexpr (sizeof(T) * C == 3) {
        for (; x < moves; ++x) std::memcpy(out + x * C, in + offsets[x], 4);
    }
    for (; x < valid; ++x) std::memcpy(out + x * C, in + offsets[x], sizeof(T) * C);
    std::fill(out + static_cast<std::ptrdiff_t>(valid) * C, out + static_cast<std::ptrdiff_t>(n) * C, T{});
}

// Where a row's valid positions end, and how many of them `gather_row` may
// copy with a 4-byte move (see there), with the valid positions in samples.
struct RowPlan {
    int n = 0, valid = 0, moves = 0;
    std::vector<std::ptrdiff_t> offsets;
};

template <int C>
void row_plan(const std::vector<int>& cols, int src_width, RowPlan& p) {
    p.n = static_cast<int>(cols.size());
    p.valid = 0;
    while (p.valid < p.n && cols[p.valid] >= 0) ++p.valid;
    p.moves = std::min(p.valid, p.n - 1);  // the row's last pixel is copied exactly
    while (p.moves > 0 && cols[p.moves - 1] + 1 >= src_width) --p.moves;  // and so is the source row's last pixel
    p.offsets.resize(static_cast<std::size_t>(p.valid));
    for (int x = 0; x < p.valid; ++x) p.offsets[x] = static_cast<std::ptrdiff_t>(cols[x]) * C;
}

// The source row and column each output pixel takes (-1: outside), and the
// output rows that read a source row of their own (inside the image, not the
// row before's), kept per thread with what they were computed from: images
// come in a few shapes, and the same map serves the next call.
struct NearestMap {
    std::vector<int> rows, cols, picked;
    std::array<float, 4> box{};
    int in_w = -1, in_h = -1;
    bool accumulate = false;
};

// Whether output row y reads the same source row as the row before it.
inline bool repeats_row_before(const std::vector<int>& rows, int y) { return y > 0 && rows[y] == rows[y - 1]; }

// The output rows the picked ones do not cover, in order: zero outside the
// image, a copy of the row before when it reads the same source row.
template <class T>
void finish_rows(const NearestMap& map, const Canvas<T>& out) {
    const std::size_t samples = static_cast<std::size_t>(out.width) * out.channels;
    for (int y = 0; y < out.height; ++y) {
        if (map.rows[y] < 0) {
            std::fill(out.row(y), out.row(y) + samples, T{});
        } else if (repeats_row_before(map.rows, y)) {
            std::memcpy(out.row(y), out.row(y - 1), samples * sizeof(T));
        }
    }
}

// Every output row: `fill(source row, output row)` for the picked ones, then finish_rows.
template <class T, class Fill>
void for_each_row(const View<T>& src, const NearestMap& map, const Canvas<T>& out, Fill fill) {
    for (const int y : map.picked) fill(src.row(map.rows[y]), out.row(y));
    finish_rows(map, out);
}

template <class T, int C>
void gather(const View<T>& src, const NearestMap& map, const Canvas<T>& out) {
    RowPlan& p = per_thread<RowPlan>();
    row_plan<C>(map.cols, src.width, p);
    // Copied out of p: the byte stores below may alias its members.
    const std::ptrdiff_t* at = p.offsets.data();
    const int n = p.n, valid = p.valid, moves = p.moves;
    for_each_row(src, map, out, [&](const T* in, T* o) { gather_row<T, C>(in, at, n, valid, moves, o); });
}

// Every output pixel from its source row and column (-1: outside, 0).
template <class T>
void gather_any(const View<T>& src, const NearestMap& map, const Canvas<T>& out) {
    switch (src.channels) {
        case 1: gather<T, 1>(src, map, out); break;
        case 2: gather<T, 2>(src, map, out); break;
        case 3: gather<T, 3>(src, map, out); break;
        default: gather<T, 4>(src, map, out); break;
    }
}

template <class T>
using Gather = void (*)(const View<T>&, const NearestMap&, const Canvas<T>&);

// The NEAREST resize of the box [x0, x1) x [y0, y1) (floats, as Pillow parses them) into `out`.
template <class T>
void nearest_into(const View<T>& src, float x0, float y0, float x1, float y1, const Canvas<T>& out,
                  Gather<T> copy = gather_any<T>) {
    const bool accumulate = !std::is_same_v<T, uint16_t>;
    NearestMap& map = per_thread<NearestMap>();
    const std::array<float, 4> box{x0, y0, x1, y1};
    if (map.box != box || map.in_w != src.width || map.in_h != src.height || map.accumulate != accumulate ||
        map.cols.size() != static_cast<std::size_t>(out.width) ||
        map.rows.size() != static_cast<std::size_t>(out.height)) {
        map.cols.resize(static_cast<std::size_t>(out.width));
        map.rows.resize(static_cast<std::size_t>(out.height));
        nearest_positions(x0, x1, src.width, accumulate, map.cols);
        nearest_positions(y0, y1, src.height, accumulate, map.rows);
        map.picked.clear();
        for (int y = 0; y < out.height; ++y)
            if (map.rows[y] >= 0 && !repeats_row_before(map.rows, y)) map.picked.push_back(y);
        map.box = box;
        map.in_w = src.width;
        map.in_h = src.height;
        map.accumulate = accumulate;
    }
    copy(src, map, out);
}

template <class T>
Image<T> nearest(const View<T>& src, int width, int height, float x0, float y0, float x1, float y1,
                 Gather<T> copy = gather_any<T>) {
    Image<T> out(width, height, src.channels);
    nearest_into(src, x0, y0, x1, y1, out.canvas(), copy);
    return out;
}

}  // namespace imagenet32
