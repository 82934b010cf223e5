// Which input samples feed each output sample, computed with exactly the
// double-precision operations of Pillow's precompute_coeffs (see
// shared/spec/pillow-resize.md sections 1.2, 2.2 and 4).
#pragma once

#include <cmath>
#include <cstdint>
#include <algorithm>
#include <stdexcept>
#include <utility>
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

// One axis of a resize: `in` samples, the region [in0, in1) of them (floats,
// as Pillow parses boxes), to `out` samples.
struct Axis {
    int in = 0;
    float in0 = 0, in1 = 0;
    int out = 1;
};

// Pillow's precompute_coeffs geometry for BOX, computed with the same double
// operations in the same order: each output's center, and the input range
// [xmin, xend) whose weights it evaluates.
class BoxGeometry {
public:
    BoxGeometry(const Axis& axis, const Rules& rules) : axis_(axis), rules_(rules) {
        if (axis.out < 1) throw std::invalid_argument("output size must be at least 1");
        const float span = axis.in1 - axis.in0;  // a float subtraction, as in Pillow
        scale_ = static_cast<double>(span) / axis.out;
        const double filterscale = scale_ < 1.0 ? 1.0 : scale_;
        support_ = 0.5 * filterscale;
        inv_ = 1.0 / filterscale;
    }

    double center(int xx) const { return static_cast<double>(axis_.in0) + (xx + 0.5) * scale_; }

    // [xmin, xend) for output xx, clipped to the input.
    void bounds(double center, int& xmin, int& xend) const {
        if (rules_.floor_ceil_bounds) {
            xmin = static_cast<int>(std::floor(center - support_));
            xend = static_cast<int>(std::ceil(center + support_));
        } else {
            xmin = static_cast<int>(center - support_ + 0.5);
            xend = static_cast<int>(center + support_ + 0.5);
        }
        if (xmin < 0) xmin = 0;
        if (xend > axis_.in) xend = axis_.in;
        if (xend < xmin) xend = xmin;
    }

    // The un-normalised weight of input x: exactly 1.0 or 0.0.
    double weight(int x, double center) const {
        return box_filter((static_cast<double>(x) - center + 0.5) * inv_, rules_);
    }

    // The buffer stride Pillow uses for weights; bounds the taps per output.
    double kernel_size() const { return std::ceil(support_) * 2 + 1; }

private:
    Axis axis_;
    Rules rules_;
    double scale_ = 0, support_ = 0, inv_ = 0;
};

// The double weights of one axis (for the 16- and 32-bit passes): for each
// output, the input range [first, first + taps) and its normalised weights,
// zero weights included, as Pillow keeps them.
struct Coefficients {
    int out = 0;
    int stride = 0;  // weights per output in `weights`
    std::vector<int32_t> first, taps;
    std::vector<double> weights;
    const double* weights_of(int xx) const { return weights.data() + static_cast<std::size_t>(xx) * stride; }
};

inline Coefficients box_coefficients(const Axis& axis, const Rules& rules) {
    const BoxGeometry geo(axis, rules);
    if (geo.kernel_size() * axis.out > static_cast<double>(1 << 28)) throw std::length_error("resize window too large");
    Coefficients c;
    c.out = axis.out;
    c.stride = static_cast<int>(geo.kernel_size());
    c.first.resize(axis.out);
    c.taps.resize(axis.out);
    c.weights.assign(static_cast<std::size_t>(axis.out) * c.stride, 0.0);
    for (int xx = 0; xx < axis.out; ++xx) {
        const double center = geo.center(xx);
        int xmin, xend;
        geo.bounds(center, xmin, xend);
        double* w = c.weights.data() + static_cast<std::size_t>(xx) * c.stride;
        double total = 0.0;
        for (int x = xmin; x < xend; ++x) total += (w[x - xmin] = geo.weight(x, center));
        if (total != 0.0)
            for (int j = 0; j < xend - xmin; ++j) w[j] /= total;
        c.first[xx] = xmin;
        c.taps[xx] = xend - xmin;
    }
    return c;
}

// The input rows Pillow's horizontal-first pass reads for the vertical
// windows: [ybox_first, ybox_last) from the first and last outputs' bounds.
inline std::pair<int, int> pillow_row_span(const Axis& axis, const Rules& rules) {
    const BoxGeometry geo(axis, rules);
    int first_min, first_end, last_min, last_end;
    geo.bounds(geo.center(0), first_min, first_end);
    geo.bounds(geo.center(axis.out - 1), last_min, last_end);
    return {first_min, std::max(first_min, last_end)};
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

// The windows of one axis. The weight-1 inputs of a window are contiguous
// (spec section 2.1: the filter argument is monotonic in x), so only the
// ends of [xmin, xend) are examined.
inline std::vector<Window> box_windows(const Axis& axis, const Rules& rules) {
    const BoxGeometry geo(axis, rules);
    std::vector<Window> windows(axis.out);
    for (int xx = 0; xx < axis.out; ++xx) {
        const double center = geo.center(xx);
        int lo, hi;
        geo.bounds(center, lo, hi);
        while (lo < hi && geo.weight(lo, center) == 0.0) ++lo;
        while (hi > lo && geo.weight(hi - 1, center) == 0.0) --hi;
        Window& w = windows[xx];
        w.start = lo;
        w.count = hi - lo;
        w.k = fixed_weight(w.count);
    }
    return windows;
}

}  // namespace imagenet32
