// Pillow's NEAREST resize (spec section 3.7): not a convolution but an affine
// map. Each output pixel's centre is mapped back into the box and truncated
// to an input index; outputs that land outside the image are 0.
#pragma once

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "pixels.hpp"

namespace imagenet32 {

// The input index of every output along one axis, -1 where outside [0, in).
// ImagingScaleAffine (8- and 32-bit images) steps by repeated addition, so
// its rounding drift is part of the result; the generic transform Pillow
// uses for I;16 multiplies instead.
inline std::vector<int> nearest_positions(float lo, float hi, int out, int in, bool accumulate) {
    const double step = static_cast<double>(hi - lo) / out;  // a float difference, as Pillow's box
    const double origin = lo;
    std::vector<int> pos(out);
    double p = origin + step * 0.5;
    for (int i = 0; i < out; ++i, p += step) {
        const double v = accumulate ? p : step * (i + 0.5) + origin;
        pos[i] = (v < 0.0 || v >= in) ? -1 : static_cast<int>(v);
    }
    return pos;
}

template <class T, int C>
void gather_row(const T* in, int in_width, const std::vector<int>& cols, T* out) {
    const std::size_t n = cols.size();
    for (std::size_t x = 0; x < n; ++x, out += C) {
        const int col = cols[x];
        if (col < 0) {
            std::fill(out, out + C, T{});
            continue;
        }
        const T* p = in + static_cast<std::ptrdiff_t>(col) * C;
        if constexpr (sizeof(T) * C == 3) {
            // One 4-byte move where both rows have a byte to spare: the next pixel rewrites it.
            if (x + 1 < n && col + 1 < in_width) {
                std::memcpy(out, p, 4);
                continue;
            }
        }
        std::memcpy(out, p, sizeof(T) * C);
    }
}

template <class T, int C>
void gather(const View<T>& src, const std::vector<int>& rows, const std::vector<int>& cols, Image<T>& out) {
    for (int y = 0; y < out.height(); ++y) {
        if (rows[y] < 0) {
            std::fill(out.row(y), out.row(y) + out.stride(), T{});
        } else if (y > 0 && rows[y] == rows[y - 1]) {
            std::memcpy(out.row(y), out.row(y - 1), static_cast<std::size_t>(out.stride()) * sizeof(T));
        } else {
            gather_row<T, C>(src.row(rows[y]), src.width, cols, out.row(y));
        }
    }
}

// The NEAREST resize of the box [x0, x1) x [y0, y1) (floats, as Pillow parses them).
template <class T>
Image<T> nearest(const View<T>& src, int width, int height, float x0, float y0, float x1, float y1) {
    const bool accumulate = !std::is_same_v<T, uint16_t>;
    const std::vector<int> cols = nearest_positions(x0, x1, width, src.width, accumulate);
    const std::vector<int> rows = nearest_positions(y0, y1, height, src.height, accumulate);
    Image<T> out(width, height, src.channels);
    switch (src.channels) {
        case 1: gather<T, 1>(src, rows, cols, out); break;
        case 2: gather<T, 2>(src, rows, cols, out); break;
        case 3: gather<T, 3>(src, rows, cols, out); break;
        default: gather<T, 4>(src, rows, cols, out); break;
    }
    return out;
}

}  // namespace imagenet32
