// AVX2 variant of the 8-bit BOX passes (placeholder until written).
#pragma once
#define IMAGENET32_HAVE_AVX2 0
