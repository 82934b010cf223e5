// Everything Image.resize(size, filter, box, reducing_gap) does around the
// two resample passes (spec section 3): the early copy, premultiplied alpha,
// the reducing gap, the 12.2 tall-image split, the crop shortcut, NEAREST's
// affine map and the order of the passes. Templated on the sample type; the
// passes come from an Engine.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "alpha.hpp"
#include "nearest.hpp"
#include "pixels.hpp"
#include "reduce.hpp"
#include "windows.hpp"

namespace imagenet32 {

struct Size {
    int width = 0, height = 0;
};

// A region of the source as Python floats, as given to Image.resize.
struct Box {
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

// The same region as the C core parses it ("(ffff)": rounded to float).
struct FloatBox {
    float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

inline FloatBox to_float(const Box& b) {
    return {static_cast<float>(b.x0), static_cast<float>(b.y0), static_cast<float>(b.x1),
            static_cast<float>(b.y1)};
}

// What ImagingResample does for one output size.
struct CorePlan {
    Size size;
    Filter filter = Filter::box;
    bool need_h = false, need_v = false, vertical_first = false;
    Axis h, v;
    std::pair<int, int> rows;  // the source rows a horizontal-first pass reads
};

inline CorePlan plan_core(int in_w, int in_h, Size size, const FloatBox& box, Filter filter, const Rules& rules) {
    if (size.width < 1 || size.height < 1) throw std::invalid_argument("height and width must be > 0");
    // Pillow's checks, in its order (a box past the edge reaches here after a reducing gap's
    // reduce, checked against the reduced image, as Pillow checks it).
    if (!(box.x0 >= 0 && box.y0 >= 0)) throw std::invalid_argument("box offset can't be negative");
    if (!(box.x1 <= in_w && box.y1 <= in_h))
        throw std::invalid_argument("box can't exceed original image size (the image resized is " +
                                    std::to_string(in_w) + "x" + std::to_string(in_h) + ")");
    if (!(box.x1 >= box.x0 && box.y1 >= box.y0)) throw std::invalid_argument("box can't be empty");
    CorePlan p;
    p.size = size;
    p.filter = filter;
    // Comparisons of float with int, as in Pillow: a pass is skipped only when it is an identity.
    p.need_h = size.width != in_w || box.x0 != 0 || box.x1 != static_cast<float>(size.width);
    p.need_v = size.height != in_h || box.y0 != 0 || box.y1 != static_cast<float>(size.height);
    const long long shrink_h = static_cast<long long>(in_h) - size.height;
    const long long shrink_w = static_cast<long long>(in_w) - size.width;
    p.vertical_first = rules.vertical_first && shrink_h > 0 && shrink_h > 2 * shrink_w;
    p.h = Axis{in_w, box.x0, box.x1, size.width};
    p.v = Axis{in_h, box.y0, box.y1, size.height};
    p.rows = p.need_h && p.need_v && !p.vertical_first ? pillow_row_span(p.v, filter, rules) : std::make_pair(0, in_h);
    return p;
}

// How each plan's passes run: which reads the source and into which buffer.
template <class T>
struct PassJob {
    enum Kind { kCopy, kHorizontal, kVertical, kHorizontalThenVertical, kVerticalThenHorizontal };
    Kind kind = kCopy;
    int row0 = 0;        // first source row of the intermediate (horizontal first)
    Image<T> mid, out;   // the intermediate image and the result
};

template <class T>
std::vector<PassJob<T>> schedule(const View<T>& src, const std::vector<CorePlan>& plans) {
    std::vector<PassJob<T>> jobs(plans.size());
    for (std::size_t i = 0; i < plans.size(); ++i) {
        const CorePlan& p = plans[i];
        PassJob<T>& j = jobs[i];
        if (!p.need_h && !p.need_v) {
            j.kind = PassJob<T>::kCopy;
            j.out = copy_of(src);
            continue;
        }
        j.out = Image<T>(p.size.width, p.size.height, src.channels);
        if (p.need_h && !p.need_v) {
            j.kind = PassJob<T>::kHorizontal;
        } else if (!p.need_h) {
            j.kind = PassJob<T>::kVertical;
        } else if (!p.vertical_first) {
            j.kind = PassJob<T>::kHorizontalThenVertical;
            j.row0 = p.rows.first;
            j.mid = Image<T>(p.size.width, p.rows.second - p.rows.first, src.channels);
        } else {
            j.kind = PassJob<T>::kVerticalThenHorizontal;
            j.mid = Image<T>(src.width, p.size.height, src.channels);
        }
    }
    return jobs;
}

// What differs between sample types: the passes for a set of plans, and
// Image.reduce (empty for modes Pillow cannot reduce).
template <class T>
struct Engine {
    std::function<std::vector<Image<T>>(const View<T>&, const std::vector<CorePlan>&)> passes;
    std::function<Image<T>(const View<T>&, int, int, const IntBox&)> reduce;
    Gather<T> gather = gather_any<T>;  // NEAREST's copying of the picked pixels
};

// Pillow's _resize crop shortcut: an integer box exactly the output size is a crop.
inline bool is_crop(const FloatBox& b, Size s) {
    return b.x0 - static_cast<float>(static_cast<int>(b.x0)) == 0 &&
           b.x1 - b.x0 == static_cast<float>(s.width) &&
           b.y0 - static_cast<float>(static_cast<int>(b.y0)) == 0 &&
           b.y1 - b.y0 == static_cast<float>(s.height);
}

// The C core (_resize) for several sizes of one image and one box.
template <class T>
std::vector<Image<T>> core_many(const View<T>& src, const std::vector<Size>& sizes, const FloatBox& box,
                                Filter filter, const Rules& rules, const Engine<T>& engine) {
    std::vector<Image<T>> out(sizes.size());
    std::vector<CorePlan> plans;
    std::vector<std::size_t> where;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        if (is_crop(box, sizes[i])) {
            out[i] = crop(src, static_cast<int>(box.x0), static_cast<int>(box.y0), static_cast<int>(box.x1),
                          static_cast<int>(box.y1));
        } else if (filter == Filter::nearest) {
            plan_core(src.width, src.height, sizes[i], box, filter, rules);  // the same checks
            out[i] = nearest(src, sizes[i].width, sizes[i].height, box.x0, box.y0, box.x1, box.y1, engine.gather);
        } else {
            plans.push_back(plan_core(src.width, src.height, sizes[i], box, filter, rules));
            where.push_back(i);
        }
    }
    if (!plans.empty()) {
        std::vector<Image<T>> done = engine.passes(src, plans);
        for (std::size_t j = 0; j < where.size(); ++j) out[where[j]] = std::move(done[j]);
    }
    return out;
}

// Pillow 12.2-12.3 resize images over 100x taller than wide in two core calls.
inline bool tall_split(const Rules& rules, int in_w, int in_h, Size size) {
    return rules.tall_split && static_cast<long long>(in_h) > 100LL * in_w && size.height < in_h;
}

// Whether Image.resize of a whole image to `size` with NEAREST is one affine
// map (nearest_into): not through premultiplied alpha, not split in two.
inline bool nearest_is_one_map(const Rules& rules, int in_w, int in_h, Size size, bool alpha) {
    return !(alpha && rules.premultiply_nearest) && !tall_split(rules, in_w, in_h, size);
}

// One size through what Image.resize does after the reducing gap.
template <class T>
Image<T> core_one(const View<T>& src, Size size, const Box& box, Filter filter, const Rules& rules,
                  const Engine<T>& engine) {
    if (tall_split(rules, src.width, src.height, size)) {
        const Box first{0, box.y0, static_cast<double>(src.width), box.y1};
        const Image<T> mid =
            std::move(core_many(src, {Size{src.width, size.height}}, to_float(first), filter, rules, engine)[0]);
        const Box second{box.x0, 0, box.x1, static_cast<double>(size.height)};
        return std::move(core_many(mid.view(), {size}, to_float(second), filter, rules, engine)[0]);
    }
    return std::move(core_many(src, {size}, to_float(box), filter, rules, engine)[0]);
}

// Python's int(extent / size / gap) or 1.
inline int gap_factor(double extent, int size, double gap) {
    const int f = static_cast<int>(std::trunc(extent / size / gap));
    return f == 0 ? 1 : f;
}

// Image._get_safe_box: the box widened to whole pixels, and by the filter's
// support beyond BOX's.
inline IntBox safe_box(const Box& box, Size size, int in_w, int in_h, Filter filter) {
    const double support = filter_support(filter) - 0.5;
    const double sx = support * ((box.x1 - box.x0) / size.width);
    const double sy = support * ((box.y1 - box.y0) / size.height);
    return IntBox{std::max(0, static_cast<int>(std::trunc(box.x0 - sx))),
                  std::max(0, static_cast<int>(std::trunc(box.y0 - sy))),
                  std::min(in_w, static_cast<int>(std::ceil(box.x1 + sx))),
                  std::min(in_h, static_cast<int>(std::ceil(box.y1 + sy)))};
}

// Image.resize from its reducing gap on, for an image without alpha.
template <class T>
std::vector<Image<T>> resize_plain(const View<T>& src, const std::vector<Size>& sizes, const Box& box,
                                   std::optional<double> gap, Filter filter, const Rules& rules,
                                   const Engine<T>& engine) {
    std::vector<Image<T>> out(sizes.size());
    std::vector<Size> shared;
    std::vector<std::size_t> where;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        const Size s = sizes[i];
        if (gap && filter != Filter::nearest) {
            const int fx = gap_factor(box.x1 - box.x0, s.width, *gap);
            const int fy = gap_factor(box.y1 - box.y0, s.height, *gap);
            if (fx > 1 || fy > 1) {
                if (!engine.reduce) throw std::invalid_argument("image has wrong mode");
                const IntBox rb = safe_box(box, s, src.width, src.height, filter);
                if (rb.x1 <= rb.x0 || rb.y1 <= rb.y0) throw std::invalid_argument("box can't be empty");  // as Pillow's reduce
                const Image<T> reduced = engine.reduce(src, fx, fy, rb);
                const Box moved{(box.x0 - rb.x0) / fx, (box.y0 - rb.y0) / fy, (box.x1 - rb.x0) / fx,
                                (box.y1 - rb.y0) / fy};
                out[i] = core_one(reduced.view(), s, moved, filter, rules, engine);
                continue;
            }
        }
        if (tall_split(rules, src.width, src.height, s)) {
            out[i] = core_one(src, s, box, filter, rules, engine);
            continue;
        }
        shared.push_back(s);
        where.push_back(i);
    }
    if (!shared.empty()) {
        std::vector<Image<T>> done = core_many(src, shared, to_float(box), filter, rules, engine);
        for (std::size_t j = 0; j < where.size(); ++j) out[where[j]] = std::move(done[j]);
    }
    return out;
}

// Image.resize(size, filter, box, reducing_gap) for several sizes. With
// `alpha` (modes LA and RGBA; the last channel is alpha) the resize runs on
// premultiplied samples, as Pillow's does (for NEAREST only before 8.2).
// Image.resize returns a copy when the size is the image's and the box, if
// given, equals the tuple (0, 0, width, height): `early_copy` says whether the
// caller's box passes that test (a list never does), which only matters with
// alpha, whose premultiplied round trip is not exact.
template <class T>
std::vector<Image<T>> resize_many(const View<T>& src, const std::vector<Size>& sizes, const Box& box,
                                  std::optional<double> gap, bool alpha, Filter filter, const Rules& rules,
                                  const Engine<T>& engine, bool early_copy = true) {
    std::vector<Image<T>> out(sizes.size());
    std::vector<Size> todo;
    std::vector<std::size_t> where;
    const bool whole = early_copy && box.x0 == 0 && box.y0 == 0 && box.x1 == src.width && box.y1 == src.height;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        if (whole && sizes[i].width == src.width && sizes[i].height == src.height) {
            out[i] = copy_of(src);
        } else {
            todo.push_back(sizes[i]);
            where.push_back(i);
        }
    }
    if (todo.empty()) return out;
    std::vector<Image<T>> done;
    if constexpr (std::is_same_v<T, uint8_t>) {
        if (alpha && (filter != Filter::nearest || rules.premultiply_nearest)) {
            const Image<uint8_t> pm = premultiplied(src);
            done = resize_plain(pm.view(), todo, box, rules.gap_with_alpha ? gap : std::nullopt, filter, rules,
                                engine);
            for (Image<uint8_t>& img : done) unpremultiply(img);
        } else {
            done = resize_plain(src, todo, box, gap, filter, rules, engine);
        }
    } else {
        if (alpha) throw std::invalid_argument("only 8-bit images have alpha");
        done = resize_plain(src, todo, box, gap, filter, rules, engine);
    }
    for (std::size_t j = 0; j < where.size(); ++j) out[where[j]] = std::move(done[j]);
    return out;
}

}  // namespace imagenet32
