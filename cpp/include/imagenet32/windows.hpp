// Which input samples feed each output sample, computed with exactly the
// double-precision operations of Pillow's precompute_coeffs (see
// shared/spec/pillow-resize.md sections 1.2, 2.2 and 4).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "pixels.hpp"

namespace imagenet32 {

// Pillow's 8-bit fixed point: weights are integers in units of 2^-22.
constexpr int kPrecisionBits = 22;

// The behaviours of Pillow releases that change resize bytes. Python maps a
// release number to one of these (imagenet32/pillow_rules.py).
struct Rules {
    bool floor_ceil_bounds = false;   // 4.0-4.1: windows bounded by floor/ceil, not rounding
    bool box_left_closed = false;     // < 7.0: BOX is 1 on [-0.5, 0.5), not (-0.5, 0.5]
    bool vertical_first = true;       // 13.0+: the core runs the vertical pass first when the height shrinks more
    bool tall_split = false;          // 12.2-12.3: images > 100x taller than wide get two core calls
    bool gap_with_alpha = true;       // 13.0+: reducing_gap also applies to LA/RGBA
    bool clamp16 = true;              // 12.3+: 16-bit results clamped instead of split into clipped bytes
    bool hamming_tails = false;       // 4.0-4.1: HAMMING is not cut to 0 at |t| >= 1
    bool premultiply_nearest = false; // < 8.2: NEAREST also resizes LA/RGBA premultiplied
};

// Pillow's resampling filters. NEAREST is not a convolution: Pillow samples
// it with an affine transform (nearest.hpp); the others are convolutions.
enum class Filter : int { box = 0, bilinear, hamming, bicubic, lanczos, mks2013, mks2021, nearest };

// How far a convolution filter reaches, in output pixels.
inline double filter_support(Filter f) {
    switch (f) {
        case Filter::nearest: return 0.0;
        case Filter::box: return 0.5;
        case Filter::bilinear: return 1.0;
        case Filter::hamming: return 1.0;
        case Filter::bicubic: return 2.0;
        case Filter::lanczos: return 3.0;
        case Filter::mks2013: return 2.5;
        case Filter::mks2021: return 4.5;
    }
    return 0.0;
}

// The BOX filter of the release: exactly 1.0 inside the window, 0.0 outside.
inline double box_filter(double t, const Rules& rules) {
    if (rules.box_left_closed) return (t >= -0.5 && t < 0.5) ? 1.0 : 0.0;
    return (t > -0.5 && t <= 0.5) ? 1.0 : 0.0;
}

inline double sinc(double x) {
    if (x == 0.0) return 1.0;
    x = x * M_PI;
    return std::sin(x) / x;
}

// A filter's value at t, each formula in double, left to right as Pillow
// writes it (its pow(u, 2) is the correctly rounded u * u).
inline double filter_value(Filter f, double t, const Rules& rules) {
    switch (f) {
        case Filter::box:
            return box_filter(t, rules);
        case Filter::bilinear:
            if (t < 0.0) t = -t;
            return t < 1.0 ? 1.0 - t : 0.0;
        case Filter::hamming: {
            if (t < 0.0) t = -t;
            if (t == 0.0) return 1.0;
            if (t >= 1.0 && !rules.hamming_tails) return 0.0;
            t = t * M_PI;
            return std::sin(t) / t * (static_cast<double>(0.54f) + static_cast<double>(0.46f) * std::cos(t));
        }
        case Filter::bicubic: {
            const double a = -0.5;
            if (t < 0.0) t = -t;
            if (t < 1.0) return ((a + 2.0) * t - (a + 3.0)) * t * t + 1;
            if (t < 2.0) return (((t - 5) * t + 8) * t - 4) * a;
            return 0.0;
        }
        case Filter::lanczos:
            return (-3.0 <= t && t < 3.0) ? sinc(t) * sinc(t / 3) : 0.0;
        case Filter::mks2013:
            if (t < 0.0) t = -t;
            if (t < 0.5) return 17.0 / 16.0 - 7.0 / 4.0 * (t * t);
            if (t < 1.5) return (1.0 - t) * (7.0 / 4.0 - t);
            if (t < 2.5) return -1.0 / 8.0 * ((t - 5.0 / 2.0) * (t - 5.0 / 2.0));
            return 0.0;
        case Filter::mks2021:
            if (t < 0.0) t = -t;
            if (t < 0.5) return 577.0 / 576.0 - 239.0 / 144.0 * (t * t);
            if (t < 1.5) return 35.0 / 36.0 * (t - 1.0) * (t - 239.0 / 140.0);
            if (t < 2.5) return 1.0 / 6.0 * (t - 2.0) * (65.0 / 24.0 - t);
            if (t < 3.5) return 1.0 / 36.0 * (t - 3.0) * (t - 15.0 / 4.0);
            if (t < 4.5) return -1.0 / 288.0 * ((t - 9.0 / 2.0) * (t - 9.0 / 2.0));
            return 0.0;
        case Filter::nearest:
            break;
    }
    throw std::logic_error("NEAREST is not a convolution filter");
}

// One axis of a resize: `in` samples, the region [in0, in1) of them (floats,
// as Pillow parses boxes), to `out` samples.
struct Axis {
    int in = 0;
    float in0 = 0, in1 = 0;
    int out = 1;
};

// Pillow's precompute_coeffs geometry, computed with the same double
// operations in the same order: each output's center, and the input range
// [xmin, xend) whose weights it evaluates.
class Geometry {
public:
    Geometry(const Axis& axis, Filter filter, const Rules& rules) : axis_(axis), filter_(filter), rules_(rules) {
        if (axis.out < 1) throw std::invalid_argument("output size must be at least 1");
        const float span = axis.in1 - axis.in0;  // a float subtraction, as in Pillow
        scale_ = static_cast<double>(span) / axis.out;
        const double filterscale = scale_ < 1.0 ? 1.0 : scale_;
        support_ = filter_support(filter) * filterscale;
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

    // The un-normalised weight of input x.
    double weight(int x, double center) const {
        return filter_value(filter_, (static_cast<double>(x) - center + 0.5) * inv_, rules_);
    }

    // The buffer stride Pillow uses for weights; bounds the taps per output.
    double kernel_size() const { return std::ceil(support_) * 2 + 1; }

private:
    Axis axis_;
    Filter filter_;
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

inline Coefficients coefficients(const Axis& axis, Filter filter, const Rules& rules) {
    const Geometry geo(axis, filter, rules);
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

// Pillow's 8-bit coefficients: each double weight as a 22-bit fixed-point
// int, rounded half away from zero (spec section 1.3).
struct FixedCoefficients {
    int out = 0;
    int stride = 0;
    std::vector<int32_t> first, taps, k;
    const int32_t* k_of(int xx) const { return k.data() + static_cast<std::size_t>(xx) * stride; }
};

inline FixedCoefficients fixed_coefficients(const Coefficients& c) {
    FixedCoefficients f;
    f.out = c.out;
    f.stride = c.stride;
    f.first = c.first;
    f.taps = c.taps;
    f.k.resize(c.weights.size());
    for (std::size_t i = 0; i < c.weights.size(); ++i) {
        const double w = c.weights[i] * (1 << kPrecisionBits);
        f.k[i] = static_cast<int32_t>(w < 0 ? w - 0.5 : w + 0.5);
    }
    return f;
}

// The input rows Pillow's horizontal-first pass reads for the vertical
// windows: [ybox_first, ybox_last) from the first and last outputs' bounds.
inline std::pair<int, int> pillow_row_span(const Axis& axis, Filter filter, const Rules& rules) {
    const Geometry geo(axis, filter, rules);
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
    const Geometry geo(axis, Filter::box, rules);
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

namespace detail {

inline std::size_t table_elements(const FixedCoefficients& t) { return t.k.size(); }
inline std::size_t table_elements(const std::vector<Window>& t) { return t.size(); }

// make() from a per-thread cache of the axes used last: images come in a few
// shapes, and for small outputs computing the table (the filters' sin and cos,
// the double arithmetic of every window) costs as much as the passes.
template <class Table, class Make>
std::shared_ptr<const Table> recent_table(const Axis& axis, Filter filter, const Rules& rules, Make make) {
    struct Entry {
        Axis axis;
        Filter filter;
        Rules rules;
        std::shared_ptr<const Table> table;
        bool matches(const Axis& a, Filter f, const Rules& r) const {
            return axis.in == a.in && axis.in0 == a.in0 && axis.in1 == a.in1 && axis.out == a.out && filter == f &&
                   rules.floor_ceil_bounds == r.floor_ceil_bounds && rules.box_left_closed == r.box_left_closed &&
                   rules.hamming_tails == r.hamming_tails;
        }
    };
    constexpr std::size_t kKept = 32;
    std::vector<Entry>& recent = per_thread<std::vector<Entry>>();  // most recent first
    for (std::size_t i = 0; i < recent.size(); ++i)
        if (recent[i].matches(axis, filter, rules)) {
            std::rotate(recent.begin(), recent.begin() + static_cast<std::ptrdiff_t>(i),
                        recent.begin() + static_cast<std::ptrdiff_t>(i) + 1);
            return recent.front().table;
        }
    auto table = std::make_shared<const Table>(make());
    constexpr std::size_t kLargest = 1 << 20;  // elements; bigger tables (huge images) are not kept
    if (table_elements(*table) > kLargest) return table;
    recent.insert(recent.begin(), Entry{axis, filter, rules, table});
    if (recent.size() > kKept) recent.pop_back();
    return table;
}

}  // namespace detail

// fixed_coefficients(coefficients(...)), from the per-thread cache.
inline std::shared_ptr<const FixedCoefficients> cached_fixed_coefficients(const Axis& axis, Filter filter,
                                                                          const Rules& rules) {
    return detail::recent_table<FixedCoefficients>(
        axis, filter, rules, [&] { return fixed_coefficients(coefficients(axis, filter, rules)); });
}

// box_windows, from the per-thread cache.
inline std::shared_ptr<const std::vector<Window>> cached_box_windows(const Axis& axis, const Rules& rules) {
    return detail::recent_table<std::vector<Window>>(axis, Filter::box, rules, [&] { return box_windows(axis, rules); });
}

}  // namespace imagenet32
