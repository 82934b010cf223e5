// Which input samples feed each output sample, computed with exactly the
// double-precision operations of Pillow's precompute_coeffs (see
// shared/spec/pillow-resize.md sections 1.2, 2.2 and 4).
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace imagenet32 {

// The behaviours of Pillow releases that change resize bytes. Python maps a
// release number to one of these (imagenet32/pillow_rules.py).
struct Rules {
    bool floor_ceil_bounds = false;   // 4.0-4.1: windows bounded by floor/ceil, not rounding
    bool box_left_closed = false;     // < 7.0: BOX is 1 on [-0.5, 0.5), not (-0.5, 0.5]
    bool vertical_first = true;       // 13.0+: the core runs the vertical pass first when the height shrinks more
    bool tall_split = false;          // 12.2-12.3: images > 100x taller than wide get two core calls
    bool gap_with_alpha = true;       // 13.0+: reducing_gap also applies to LA/RGBA
    bool clamp16 = true;              // 12.3+: 16-bit results clamped instead of split into clipped bytes
};

// The BOX filter of the release: exactly 1.0 inside the window, 0.0 outside.
inline double box_filter(double t, const Rules& rules) {
    if (rules.box_left_closed) return (t >= -0.5 && t < 0.5) ? 1.0 : 0.0;
    return (t > -0.5 && t <= 0.5) ? 1.0 : 0.0;
}

// The coefficients of one axis: for each output sample, the input range
// [first, first + taps) and its normalised double weights (zero weights kept,
// because Pillow keeps them and 32-bit sums include them).
struct Coefficients {
    int out = 0;
    int stride = 0;  // weights per output in `weights`
    std::vector<int32_t> first, taps;
    std::vector<double> weights;
    const double* weights_of(int xx) const { return weights.data() + static_cast<std::size_t>(xx) * stride; }
};

// Pillow's precompute_coeffs for BOX on an axis of `in` samples, the region
// [in0, in1) (float, as Pillow parses boxes), to `out` samples.
inline Coefficients box_coefficients(int in, float in0, float in1, int out, const Rules& rules) {
    if (out < 1) throw std::invalid_argument("output size must be at least 1");
    const float span = in1 - in0;  // a float subtraction, as in Pillow
    const double scale = static_cast<double>(span) / out;
    const double filterscale = scale < 1.0 ? 1.0 : scale;
    const double support = 0.5 * filterscale;
    const double inv = 1.0 / filterscale;
    const double kernel = std::ceil(support) * 2 + 1;
    if (kernel * out > static_cast<double>(1 << 28)) throw std::length_error("resize window too large");

    Coefficients c;
    c.out = out;
    c.stride = static_cast<int>(kernel);
    c.first.resize(out);
    c.taps.resize(out);
    c.weights.assign(static_cast<std::size_t>(out) * c.stride, 0.0);
    for (int xx = 0; xx < out; ++xx) {
        const double center = static_cast<double>(in0) + (xx + 0.5) * scale;
        int xmin, xend;
        if (rules.floor_ceil_bounds) {
            xmin = static_cast<int>(std::floor(center - support));
            xend = static_cast<int>(std::ceil(center + support));
        } else {
            xmin = static_cast<int>(center - support + 0.5);
            xend = static_cast<int>(center + support + 0.5);
        }
        if (xmin < 0) xmin = 0;
        if (xend > in) xend = in;
        const int taps = xend - xmin > 0 ? xend - xmin : 0;
        double* w = c.weights.data() + static_cast<std::size_t>(xx) * c.stride;
        double total = 0.0;
        for (int j = 0; j < taps; ++j) {
            w[j] = box_filter((static_cast<double>(xmin + j) - center + 0.5) * inv, rules);
            total += w[j];
        }
        if (total != 0.0)
            for (int j = 0; j < taps; ++j) w[j] /= total;
        c.first[xx] = xmin;
        c.taps[xx] = taps;
    }
    return c;
}

// A BOX window reduced to what the 8-bit kernels need: the run of inputs
// whose weight is non-zero (all such weights are equal, spec section 2.1) and
// Pillow's 22-bit fixed-point weight for it.
struct Window {
    int32_t start = 0;
    int32_t count = 0;  // 0: no input contributes and the output is 0
    uint32_t k = 0;
};

constexpr int kPrecisionBits = 22;

// Pillow's fixed-point conversion of the normalised weight 1/count.
inline uint32_t fixed_weight(int count) {
    if (count <= 0) return 0;
    const double w = 1.0 / static_cast<double>(count);
    return static_cast<uint32_t>(w * (1 << kPrecisionBits) + 0.5);
}

inline std::vector<Window> box_windows(const Coefficients& c) {
    std::vector<Window> windows(c.out);
    for (int xx = 0; xx < c.out; ++xx) {
        const double* w = c.weights_of(xx);
        int lo = -1, hi = -1;
        for (int j = 0; j < c.taps[xx]; ++j) {
            if (w[j] == 0.0) continue;
            if (lo < 0) lo = j;
            else if (hi != j - 1) throw std::logic_error("BOX window is not contiguous");
            hi = j;
        }
        Window& out = windows[xx];
        if (lo >= 0) {
            out.start = c.first[xx] + lo;
            out.count = hi - lo + 1;
        } else {
            out.start = c.first[xx];
            out.count = 0;
        }
        out.k = fixed_weight(out.count);
    }
    return windows;
}

}  // namespace imagenet32
