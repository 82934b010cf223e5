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

#include <cstddef>

namespace imagenet32 {

// Passes ask for source rows (prefetch_l2) a few rows before they read them:
// a source that is not in the caches (an image just decoded, the build's
// case; a batch of images) otherwise stalls them at every row. The direct
// pass, one row at a time, asks always (500x375 -> 32x32 from an uncached
// image 3.9x faster, 1024x768 3.5x). The passes reading several rows at once
// (the sweep four, the short pass two) ask only on rows of at most
// kPrefetchBytes: on longer rows (1024 and 2048 wide, RGB) the hardware's
// prefetcher keeps up with them by itself, and asking again cost 6-9% (sweep)
// and 10-20% (short pass) on a cached image. On the dataset's 500-wide rows the
// short pass's asking costs 15% when one image is resized again and again (in
// cache) and saves 5% right after a decode, the case that matters.
constexpr int kRowsAhead = 4;
constexpr std::ptrdiff_t kPrefetchBytes = 2048;

// Asks for bytes [from, to) of a row into L2.
inline void prefetch_l2(const void* row, std::ptrdiff_t from, std::ptrdiff_t to) {
    const char* bytes = static_cast<const char*>(row);
    // An asm statement: GCC 12 drops _mm_prefetch from such loops.
    for (std::ptrdiff_t x = from; x < to; x += 64) asm volatile("prefetcht1 %0" : : "m"(bytes[x]));
}

}  // namespace imagenet32
#else
#define IMAGENET32_HAVE_AVX2 0
#endif
