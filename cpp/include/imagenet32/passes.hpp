// Running the two resample passes of a set of core plans. For 8-bit BOX
// every pass that reads the source is handed to the backend together, so a
// SIMD backend can serve several output sizes from one pass over the input.
#pragma once

#include <vector>

#include "backend.hpp"
#include "resize.hpp"
#include "wide.hpp"

namespace imagenet32 {

// One plan's passes in its job's order, given the plan's two pass functions:
// h(src, row0, rows, dst, dst_stride) filters rows [row0, row0 + rows) of
// src; v(src, row0, dst, dst_stride) filters src, whose first row is input
// row row0.
template <class T, class H, class V>
void run_job(const View<T>& src, const CorePlan& plan, PassJob<T>& j, const H& h, const V& v) {
    switch (j.kind) {
        case PassJob<T>::kCopy:
            break;
        case PassJob<T>::kHorizontal:
            h(src, 0, src.height, j.out.data(), j.out.stride());
            break;
        case PassJob<T>::kVertical:
            v(src, 0, j.out.data(), j.out.stride());
            break;
        case PassJob<T>::kHorizontalThenVertical:
            h(src, j.row0, j.mid.height(), j.mid.data(), j.mid.stride());
            v(j.mid.view(), j.row0, j.out.data(), j.out.stride());
            break;
        case PassJob<T>::kVerticalThenHorizontal:
            v(src, 0, j.mid.data(), j.mid.stride());
            h(j.mid.view(), 0, plan.size.height, j.out.data(), j.out.stride());
            break;
    }
}

// An 8-bit plan with a filter other than BOX, on its own.
inline void conv8_job(const View<uint8_t>& src, const CorePlan& p, PassJob<uint8_t>& j, const Rules& rules,
                      const Backend& backend) {
    const auto h = p.need_h ? cached_fixed_coefficients(p.h, p.filter, rules) : nullptr;
    const auto v = p.need_v ? cached_fixed_coefficients(p.v, p.filter, rules) : nullptr;
    run_job(
        src, p, j,
        [&](const View<uint8_t>& in, int row0, int rows, uint8_t* dst, std::ptrdiff_t stride) {
            backend.conv_h(in, ConvTask{h.get(), row0, rows, dst, stride});
        },
        [&](const View<uint8_t>& in, int row0, uint8_t* dst, std::ptrdiff_t stride) {
            backend.conv_v(in, ConvTask{v.get(), row0, in.height, dst, stride});
        });
}

inline std::vector<Window> shifted(std::vector<Window> windows, int by) {
    for (Window& w : windows) w.start -= by;
    return windows;
}

inline std::vector<Image<uint8_t>> passes8(const View<uint8_t>& src, const std::vector<CorePlan>& plans,
                                          const Rules& rules, const Backend& backend) {
    std::vector<PassJob<uint8_t>> jobs = schedule(src, plans);
    std::vector<std::shared_ptr<const std::vector<Window>>> hw(plans.size()), vw(plans.size());
    std::vector<HTask> from_src_h;
    std::vector<VTask> from_src_v;
    for (std::size_t i = 0; i < plans.size(); ++i) {
        const CorePlan& p = plans[i];
        PassJob<uint8_t>& j = jobs[i];
        if (p.filter != Filter::box) {
            conv8_job(src, p, j, rules, backend);
            continue;
        }
        if (p.need_h) hw[i] = cached_box_windows(p.h, rules);
        if (p.need_v) vw[i] = cached_box_windows(p.v, rules);
        switch (j.kind) {
            case PassJob<uint8_t>::kCopy:
                break;
            case PassJob<uint8_t>::kHorizontal:
                from_src_h.push_back({hw[i]->data(), p.size.width, 0, src.height, j.out.data(), j.out.stride()});
                break;
            case PassJob<uint8_t>::kVertical:
                from_src_v.push_back({vw[i]->data(), p.size.height, j.out.data(), j.out.stride()});
                break;
            case PassJob<uint8_t>::kHorizontalThenVertical:
                from_src_h.push_back(
                    {hw[i]->data(), p.size.width, j.row0, j.mid.height(), j.mid.data(), j.mid.stride()});
                if (j.row0 != 0) vw[i] = std::make_shared<const std::vector<Window>>(shifted(*vw[i], j.row0));
                break;
            case PassJob<uint8_t>::kVerticalThenHorizontal:
                from_src_v.push_back({vw[i]->data(), p.size.height, j.mid.data(), j.mid.stride()});
                break;
        }
    }
    if (!from_src_h.empty()) backend.box_h(src, from_src_h.data(), from_src_h.size());
    if (!from_src_v.empty()) backend.box_v(src, from_src_v.data(), from_src_v.size());
    std::vector<Image<uint8_t>> out(plans.size());
    for (std::size_t i = 0; i < plans.size(); ++i) {
        PassJob<uint8_t>& j = jobs[i];
        const CorePlan& p = plans[i];
        if (p.filter == Filter::box && j.kind == PassJob<uint8_t>::kHorizontalThenVertical) {
            const VTask t{vw[i]->data(), p.size.height, j.out.data(), j.out.stride()};
            backend.box_v(j.mid.view(), &t, 1);
        } else if (p.filter == Filter::box && j.kind == PassJob<uint8_t>::kVerticalThenHorizontal) {
            const HTask t{hw[i]->data(), p.size.width, 0, p.size.height, j.out.data(), j.out.stride()};
            backend.box_h(j.mid.view(), &t, 1);
        }
        out[i] = std::move(j.out);
    }
    return out;
}

template <class T>
std::vector<Image<T>> wide_passes(const View<T>& src, const std::vector<CorePlan>& plans, const Rules& rules,
                                  const Sample<T>& s) {
    std::vector<PassJob<T>> jobs = schedule(src, plans);
    std::vector<Image<T>> out(plans.size());
    for (std::size_t i = 0; i < plans.size(); ++i) {
        const CorePlan& p = plans[i];
        const Coefficients h = p.need_h ? coefficients(p.h, p.filter, rules) : Coefficients{};
        const Coefficients v = p.need_v ? coefficients(p.v, p.filter, rules) : Coefficients{};
        run_job(
            src, p, jobs[i],
            [&](const View<T>& in, int row0, int rows, T* dst, std::ptrdiff_t stride) {
                wide_h(in, row0, rows, h, s, dst, stride);
            },
            [&](const View<T>& in, int row0, T* dst, std::ptrdiff_t stride) { wide_v(in, row0, v, s, dst, stride); });
        out[i] = std::move(jobs[i].out);
    }
    return out;
}

}  // namespace imagenet32
