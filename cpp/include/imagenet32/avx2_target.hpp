// Whether this compiler can build AVX2 kernels, and the attribute that marks
// them. Kernels carry target("avx2") so the module still runs on CPUs without
// AVX2; simd.hpp calls them only after checking the CPU.
#pragma once

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define IMAGENET32_HAVE_AVX2 1
#include <immintrin.h>
#define IMAGENET32_AVX2 __attribute__((target("avx2")))
// The AVX-512 subsets the avx512 backend needs (simd.hpp checks each).
#define IMAGENET32_AVX512 __attribute__((target("avx2,avx512f,avx512bw,avx512vl,avx512vbmi")))
#else
#define IMAGENET32_HAVE_AVX2 0
#endif
