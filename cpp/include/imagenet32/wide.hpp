// The 16- and 32-bit resample passes (modes I;16*, I and F): double weights,
// a sequential double sum over every tap, then the mode's rounding.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "pixels.hpp"
#include "windows.hpp"

namespace imagenet32 {

// How a 16-bit image is stored and rounded (spec section 1.7).
struct Format16 {
    bool swapped = false;  // samples are byte-swapped before and after the arithmetic
    bool clamp = true;     // 12.3+: clamp to [0, 65535]; before: clip each byte
};

inline uint16_t byteswap16(uint16_t v) { return static_cast<uint16_t>((v >> 8) | (v << 8)); }

// Pillow's ROUND_UP for a double, with x86's answer for values out of range.
inline int32_t round_up(double ss) {
    const double r = ss >= 0.0 ? ss + 0.5 : ss - 0.5;
    if (!(r > -2147483649.0 && r < 2147483648.0)) return std::numeric_limits<int32_t>::min();
    return static_cast<int32_t>(r);
}

inline uint8_t clip8(int v) { return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v); }

// Pillow's `ss += term`: x86 (and ARM) give the first operand's NaN when both are NaN, so a
// NaN sum keeps its sign and payload. A compiler may put the operands of an addition either
// way round (it is commutative but for which NaN comes out), so the rule is written out.
inline double add_to(double ss, double term) { return std::isnan(ss) ? ss : ss + term; }

// Sample type traits: reading a sample as a double and storing a double sum.
template <class T> struct Sample;

template <> struct Sample<int32_t> {
    Format16 fmt;  // unused
    double load(int32_t v) const { return static_cast<double>(v); }
    int32_t store(double ss) const { return round_up(ss); }
};

template <> struct Sample<float> {
    Format16 fmt;  // unused
    double load(float v) const { return static_cast<double>(v); }
    float store(double ss) const { return static_cast<float>(ss); }
};

template <> struct Sample<uint16_t> {
    Format16 fmt;
    double load(uint16_t v) const { return static_cast<double>(fmt.swapped ? byteswap16(v) : v); }
    uint16_t store(double ss) const {
        const int v = round_up(ss);
        uint16_t out;
        if (fmt.clamp) out = static_cast<uint16_t>(v < 0 ? 0 : v > 65535 ? 65535 : v);
        else out = static_cast<uint16_t>(clip8(v % 256) | (clip8(v >> 8) << 8));
        return fmt.swapped ? byteswap16(out) : out;
    }
};

// Sums for Image.reduce on 32-bit images: int partial sums wrap like C's int.
inline double wrap_sum(int32_t a, int32_t b) {
    return static_cast<double>(static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b)));
}
inline double wrap_sum(int32_t a, int32_t b, int32_t c, int32_t d) {
    const uint32_t s = static_cast<uint32_t>(a) + static_cast<uint32_t>(b) + static_cast<uint32_t>(c) +
                       static_cast<uint32_t>(d);
    return static_cast<double>(static_cast<int32_t>(s));
}
inline double wrap_sum(float a, float b) { return static_cast<double>(a + b); }
inline double wrap_sum(float a, float b, float c, float d) { return static_cast<double>(a + b + c + d); }

template <class T> T from_double(double ss) { return Sample<T>{}.store(ss); }

// A window's sum in Pillow's order (see add_to), apart from the fast loops: a NaN sum only.
template <class T>
[[gnu::noinline]] double ordered_sum(const T* p, const double* w, int taps, const Sample<T>& s) {
    double ss = 0.0;
    for (int j = 0; j < taps; ++j) ss = add_to(ss, s.load(p[j]) * w[j]);
    return ss;
}

// Horizontal pass over rows [row0, row0 + rows) of a one-channel image.
template <class T>
void wide_h(const View<T>& src, int row0, int rows, const Coefficients& c, const Sample<T>& s,
            T* dst, std::ptrdiff_t dst_stride) {
    for (int r = 0; r < rows; ++r) {
        const T* in = src.row(row0 + r);
        T* out = dst + r * dst_stride;
        for (int xx = 0; xx < c.out; ++xx) {
            const double* w = c.weights_of(xx);
            const T* p = in + c.first[xx];
            double ss = 0.0;
            for (int j = 0; j < c.taps[xx]; ++j) ss += s.load(p[j]) * w[j];
            if (std::isnan(ss)) ss = ordered_sum(p, w, c.taps[xx], s);  // NaN: Pillow's order decides which
            out[xx] = s.store(ss);
        }
    }
}

// Vertical pass: output row yy combines rows first[yy] - row0 ... of `src`,
// each sample's sum taken tap by tap in order, as Pillow does.
template <class T>
void wide_v(const View<T>& src, int row0, const Coefficients& c, const Sample<T>& s, T* dst,
            std::ptrdiff_t dst_stride) {
    std::vector<double> acc(static_cast<std::size_t>(src.width));
    for (int yy = 0; yy < c.out; ++yy) {
        const double* w = c.weights_of(yy);
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int j = 0; j < c.taps[yy]; ++j) {
            const T* in = src.row(c.first[yy] - row0 + j);
            for (int x = 0; x < src.width; ++x) acc[x] += s.load(in[x]) * w[j];  // vectorised
        }
        // A sum that is NaN at the end was NaN from its first NaN on, and only then can the
        // order of an addition's operands matter: such rows are summed again in Pillow's order.
        // (Both sums written out: one loop taking the addition as a lambda made the plain sum
        // 18% slower.)
        bool nan = false;
        for (int x = 0; x < src.width; ++x) nan |= std::isnan(acc[x]);
        if (nan) {
            std::fill(acc.begin(), acc.end(), 0.0);
            for (int j = 0; j < c.taps[yy]; ++j) {
                const T* in = src.row(c.first[yy] - row0 + j);
                for (int x = 0; x < src.width; ++x) acc[x] = add_to(acc[x], s.load(in[x]) * w[j]);
            }
        }
        T* out = dst + yy * dst_stride;
        for (int x = 0; x < src.width; ++x) out[x] = s.store(acc[x]);
    }
}

}  // namespace imagenet32
