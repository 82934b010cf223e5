// Pillow's Image.reduce (Reduce.c, 7.0+): each output is the rounded mean of
// an fx x fy block of the box; the last column and row take partial blocks.
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "pixels.hpp"
#include "wide.hpp"

namespace imagenet32 {

struct IntBox { int x0, y0, x1, y1; };

// Pillow's division_UINT32: 2^32 / (256 n) in float arithmetic, truncated.
inline uint32_t reduce_multiplier(uint32_t n) {
    const float dividend = 4294967296.0f;
    return static_cast<uint32_t>(dividend / static_cast<float>(256u * n));
}

inline int ceil_div(int a, int b) { return static_cast<int>((static_cast<long long>(a) + b - 1) / b); }

template <class T>
void check_reduce(const View<T>& src, int fx, int fy, const IntBox& box) {
    if (fx < 1 || fy < 1) throw std::invalid_argument("reduce factor must be at least 1");
    if (box.x0 < 0 || box.y0 < 0 || box.x1 > src.width || box.y1 > src.height || box.x1 <= box.x0 ||
        box.y1 <= box.y0)
        throw std::invalid_argument("reduce box must be a non-empty region of the image");
}

// A block's sample count, width x rows, as Pillow's C int product gives it:
// wrapped modulo 2^32 past 2^31 - 1 (blocks of over two billion samples), here
// without the signed overflow (undefined behaviour) of an int product.
inline uint32_t block_samples(int width, int rows) {
    return static_cast<uint32_t>(width) * static_cast<uint32_t>(rows);
}

// The 8-bit rule: ((sum + n / 2) * multiplier mod 2^32) >> 24.
// The last, partial block of a row: `width` columns of sums over `rows` rows.
template <int C>
void reduce8_partial_block(const uint32_t* column, int width, int rows, uint8_t* dst) {
    const uint32_t n = block_samples(width, rows), multiplier = reduce_multiplier(n);
    for (int c = 0; c < C; ++c) {
        uint32_t sum = n / 2;
        for (int k = 0; k < width; ++k) sum += column[k * C + c];
        dst[c] = static_cast<uint8_t>((sum * multiplier) >> 24);
    }
}

// Pillow's rule on each of `whole` blocks of fx pixels of column sums (n
// samples a block), block by block: fx additions a byte, whatever fx is. FX
// is fx when it is known at compile time (the common small factors), else 0.
template <int C, int FX, class Sum>
void reduce8_blocks(const Sum* column, int whole, int fx, uint32_t n, uint8_t* dst) {
    if constexpr (FX > 0) fx = FX;
    const uint32_t half = n / 2, multiplier = reduce_multiplier(n);
    for (int x = 0; x < whole; ++x) {
        const Sum* col = column + static_cast<std::ptrdiff_t>(x) * fx * C;
        for (int c = 0; c < C; ++c) {
            uint32_t sum = half;
            for (int k = 0; k < fx; ++k) sum += col[k * C + c];
            dst[x * C + c] = static_cast<uint8_t>((sum * multiplier) >> 24);
        }
    }
}

// The fx x fy reduction of box, its rows filled by rows(channels, out) with
// the channel count as a std::integral_constant (each kernel is a template on it).
template <class Rows>
Image<uint8_t> reduce8_by(const View<uint8_t>& src, int fx, int fy, const IntBox& box, const Rows& rows) {
    check_reduce(src, fx, fy, box);
    Image<uint8_t> out(ceil_div(box.x1 - box.x0, fx), ceil_div(box.y1 - box.y0, fy), src.channels);
    switch (src.channels) {
        case 1: rows(std::integral_constant<int, 1>{}, out); break;
        case 2: rows(std::integral_constant<int, 2>{}, out); break;
        case 3: rows(std::integral_constant<int, 3>{}, out); break;
        default: rows(std::integral_constant<int, 4>{}, out); break;
    }
    return out;
}

namespace scalar {

// Each output row sums its block of source rows column by column (a loop the
// compiler vectorises), then adds fx adjacent pixels of those sums per
// channel (FX as for reduce8_blocks).
template <int C, int FX>
void reduce8_finish(const uint32_t* column, int in_w, int fx, int rows, uint8_t* dst) {
    if constexpr (FX > 0) fx = FX;
    const int whole = in_w / fx;
    reduce8_blocks<C, FX>(column, whole, fx, block_samples(fx, rows), dst);
    if (whole * fx < in_w)
        reduce8_partial_block<C>(column + static_cast<std::ptrdiff_t>(whole) * fx * C, in_w - whole * fx, rows,
                                 dst + whole * C);
}

template <int C>
void reduce8_rows(const View<uint8_t>& src, int fx, int fy, const IntBox& box, Image<uint8_t>& out) {
    const int in_w = box.x1 - box.x0;
    const std::size_t bytes = static_cast<std::size_t>(in_w) * C;
    std::vector<uint32_t> column(bytes);
    for (int y = 0; y < out.height(); ++y) {
        const int y0 = box.y0 + y * fy, y1 = std::min(y0 + fy, box.y1);
        std::fill(column.begin(), column.end(), 0u);
        for (int yy = y0; yy < y1; ++yy) {
            const uint8_t* p = src.row(yy) + static_cast<std::ptrdiff_t>(box.x0) * C;
            for (std::size_t i = 0; i < bytes; ++i) column[i] += p[i];
        }
        switch (fx) {
            case 1: reduce8_finish<C, 1>(column.data(), in_w, fx, y1 - y0, out.row(y)); break;
            case 2: reduce8_finish<C, 2>(column.data(), in_w, fx, y1 - y0, out.row(y)); break;
            case 3: reduce8_finish<C, 3>(column.data(), in_w, fx, y1 - y0, out.row(y)); break;
            case 4: reduce8_finish<C, 4>(column.data(), in_w, fx, y1 - y0, out.row(y)); break;
            default: reduce8_finish<C, 0>(column.data(), in_w, fx, y1 - y0, out.row(y)); break;
        }
    }
}

inline Image<uint8_t> reduce8(const View<uint8_t>& src, int fx, int fy, const IntBox& box) {
    return reduce8_by(src, fx, fy, box, [&](auto channels, Image<uint8_t>& out) {
        reduce8_rows<decltype(channels)::value>(src, fx, fy, box, out);
    });
}

}  // namespace scalar

// The 32-bit rule (I and F), summed in Pillow's order: a whole block adds
// partial sums of 2x2 quads (then of the odd column, row and corner), taken in
// the sample type, to a double; a partial block at the right or bottom edge
// adds its samples one by one. The mean is sum * (1.0 / n).
template <class T>
Image<T> reduce_wide(const View<T>& src, int fx, int fy, const IntBox& box) {
    check_reduce(src, fx, fy, box);
    const int out_w = ceil_div(box.x1 - box.x0, fx), out_h = ceil_div(box.y1 - box.y0, fy);
    Image<T> out(out_w, out_h, 1);
    for (int y = 0; y < out_h; ++y) {
        // In 64 bits: a factor may be near 2^31 (one partial block).
        const int y0 = box.y0 + y * fy, y1 = static_cast<int>(std::min<long long>(y0 + 0LL + fy, box.y1));
        for (int x = 0; x < out_w; ++x) {
            const int x0 = box.x0 + x * fx, x1 = static_cast<int>(std::min<long long>(x0 + 0LL + fx, box.x1));
            double sum = 0.0;
            if (x1 - x0 == fx && y1 - y0 == fy) {
                int yy = y0;
                for (; yy + 1 < y1; yy += 2) {
                    const T* a = src.row(yy);
                    const T* b = src.row(yy + 1);
                    int xx = x0;
                    for (; xx + 1 < x1; xx += 2) sum += wrap_sum(a[xx], a[xx + 1], b[xx], b[xx + 1]);
                    if (xx < x1) sum += wrap_sum(a[xx], b[xx]);
                }
                if (yy < y1) {
                    const T* a = src.row(yy);
                    int xx = x0;
                    for (; xx + 1 < x1; xx += 2) sum += wrap_sum(a[xx], a[xx + 1]);
                    if (xx < x1) sum += static_cast<double>(a[xx]);
                }
            } else {
                for (int yy = y0; yy < y1; ++yy)
                    for (int xx = x0; xx < x1; ++xx) sum += static_cast<double>(src.row(yy)[xx]);
            }
            const double multiplier = 1.0 / static_cast<int32_t>(block_samples(x1 - x0, y1 - y0));
            out.row(y)[x] = from_double<T>(sum * multiplier);
        }
    }
    return out;
}

}  // namespace imagenet32
