// Picking the 8-bit kernel set at run time: the best the CPU supports, unless
// IMAGENET32_SIMD names one (tests and benchmarks force each in turn).
#pragma once

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "backend.hpp"
#include "box8_avx2.hpp"
#include "box8_avx512.hpp"
#include "conv8_avx2.hpp"
#include "nearest8_avx512.hpp"
#include "reduce8_avx2.hpp"

namespace imagenet32 {

#if IMAGENET32_HAVE_AVX2
inline const Backend kAvx2{"avx2", avx2::box_h_tasks, avx2::box_v_tasks, avx2::conv_h_task, avx2::conv_v_task,
                           avx2::reduce8, gather_any<uint8_t>};
// AVX-512 changes only the horizontal BOX pass and NEAREST's gather; the rest is AVX2's.
inline const Backend kAvx512{"avx512", avx512::box_h_tasks, avx2::box_v_tasks, avx2::conv_h_task,
                             avx2::conv_v_task, avx2::reduce8, avx512::nearest8};
#endif

inline bool cpu_has_avx2() {
#if IMAGENET32_HAVE_AVX2
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
#else
    return false;
#endif
}

// The AVX-512 subsets the kernels use (libgcc also checks that the OS saves the registers).
inline bool cpu_has_avx512() {
#if IMAGENET32_HAVE_AVX2
    __builtin_cpu_init();
    return cpu_has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vbmi");
#else
    return false;
#endif
}

// The backends this CPU can run, best first.
inline std::vector<const Backend*> usable_backends() {
    std::vector<const Backend*> out;
#if IMAGENET32_HAVE_AVX2
    if (cpu_has_avx512()) out.push_back(&kAvx512);
    if (cpu_has_avx2()) out.push_back(&kAvx2);
#endif
    out.push_back(&kScalar);
    return out;
}

inline const Backend& backend_named(const std::string& name) {
    for (const Backend* b : usable_backends())
        if (name == b->name) return *b;
    std::string known;
    for (const Backend* b : usable_backends()) known += std::string(known.empty() ? "" : ", ") + b->name;
    throw std::invalid_argument("unknown or unsupported SIMD backend '" + name + "' (this CPU: " + known + ")");
}

// IMAGENET32_SIMD if set, else the best usable backend.
inline const Backend& default_backend() {
    static const Backend* chosen = [] {
        const char* env = std::getenv("IMAGENET32_SIMD");
        if (env && *env) return &backend_named(env);
        return usable_backends().front();
    }();
    return *chosen;
}

}  // namespace imagenet32
