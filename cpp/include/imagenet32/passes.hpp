// Running the two resample passes of a set of core plans. For 8-bit images
// every pass that reads the source is handed to the backend together, so a
// SIMD backend can serve several output sizes from one pass over the input.
#pragma once

#include <vector>

#include "box8.hpp"
#include "resize.hpp"
#include "wide.hpp"

namespace imagenet32 {

inline std::vector<Window> shifted(std::vector<Window> windows, int by) {
    for (Window& w : windows) w.start -= by;
    return windows;
}

inline std::vector<Image<uint8_t>> box8_passes(const View<uint8_t>& src, const std::vector<CorePlan>& plans,
                                              const Rules& rules, const Backend& backend) {
    std::vector<PassJob<uint8_t>> jobs = schedule(src, plans);
    std::vector<std::vector<Window>> hw(plans.size()), vw(plans.size());
    std::vector<HTask> from_src_h;
    std::vector<VTask> from_src_v;
    for (std::size_t i = 0; i < plans.size(); ++i) {
        const CorePlan& p = plans[i];
        PassJob<uint8_t>& j = jobs[i];
        if (p.need_h) hw[i] = box_windows(p.h, rules);
        if (p.need_v) vw[i] = box_windows(p.v, rules);
        switch (j.kind) {
            case PassJob<uint8_t>::kCopy:
                break;
            case PassJob<uint8_t>::kHorizontal:
                from_src_h.push_back({hw[i].data(), p.size.width, 0, src.height, j.out.data(), j.out.stride()});
                break;
            case PassJob<uint8_t>::kVertical:
                from_src_v.push_back({vw[i].data(), p.size.height, j.out.data(), j.out.stride()});
                break;
            case PassJob<uint8_t>::kHorizontalThenVertical:
                from_src_h.push_back(
                    {hw[i].data(), p.size.width, j.row0, j.mid.height(), j.mid.data(), j.mid.stride()});
                vw[i] = shifted(std::move(vw[i]), j.row0);
                break;
            case PassJob<uint8_t>::kVerticalThenHorizontal:
                from_src_v.push_back({vw[i].data(), p.size.height, j.mid.data(), j.mid.stride()});
                break;
        }
    }
    if (!from_src_h.empty()) backend.box_h(src, from_src_h.data(), from_src_h.size());
    if (!from_src_v.empty()) backend.box_v(src, from_src_v.data(), from_src_v.size());
    std::vector<Image<uint8_t>> out(plans.size());
    for (std::size_t i = 0; i < plans.size(); ++i) {
        PassJob<uint8_t>& j = jobs[i];
        const CorePlan& p = plans[i];
        if (j.kind == PassJob<uint8_t>::kHorizontalThenVertical) {
            const VTask t{vw[i].data(), p.size.height, j.out.data(), j.out.stride()};
            backend.box_v(j.mid.view(), &t, 1);
        } else if (j.kind == PassJob<uint8_t>::kVerticalThenHorizontal) {
            const HTask t{hw[i].data(), p.size.width, 0, p.size.height, j.out.data(), j.out.stride()};
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
        const CorePlan& plan = plans[i];
        const Coefficients h = plan.need_h ? box_coefficients(plan.h, rules) : Coefficients{};
        const Coefficients v = plan.need_v ? box_coefficients(plan.v, rules) : Coefficients{};
        PassJob<T>& j = jobs[i];
        switch (j.kind) {
            case PassJob<T>::kCopy:
                break;
            case PassJob<T>::kHorizontal:
                wide_h(src, 0, src.height, h, s, j.out.data(), j.out.stride());
                break;
            case PassJob<T>::kVertical:
                wide_v(src, 0, v, s, j.out.data(), j.out.stride());
                break;
            case PassJob<T>::kHorizontalThenVertical:
                wide_h(src, j.row0, j.mid.height(), h, s, j.mid.data(), j.mid.stride());
                wide_v(j.mid.view(), j.row0, v, s, j.out.data(), j.out.stride());
                break;
            case PassJob<T>::kVerticalThenHorizontal:
                wide_v(src, 0, v, s, j.mid.data(), j.mid.stride());
                wide_h(j.mid.view(), 0, plan.size.height, h, s, j.out.data(), j.out.stride());
                break;
        }
        out[i] = std::move(j.out);
    }
    return out;
}

}  // namespace imagenet32
