// Pillow's LA/RGBA <-> La/RGBa conversions (Convert.c), which Image.resize
// wraps around every non-NEAREST resize of an image with alpha.
#pragma once

#include <cstdint>

#include "pixels.hpp"

namespace imagenet32 {

// round(c * a / 255) exactly, as Pillow's MULDIV255.
inline uint8_t multiply_alpha(unsigned c, unsigned a) {
    const unsigned t = c * a + 128;
    return static_cast<uint8_t>(((t >> 8) + t) >> 8);
}

// A premultiplied copy of `src`; the last channel is alpha.
inline Image<uint8_t> premultiplied(const View<uint8_t>& src) {
    Image<uint8_t> out = copy_of(src);
    const int C = src.channels, a = C - 1;
    for (int y = 0; y < out.height(); ++y) {
        uint8_t* p = out.row(y);
        for (int x = 0; x < out.width(); ++x, p += C)
            for (int c = 0; c < a; ++c) p[c] = multiply_alpha(p[c], p[a]);
    }
    return out;
}

// Undo premultiplication in place: c = min(255, 255 * c / a) unless a is 0 or 255.
inline void unpremultiply(Image<uint8_t>& img) {
    const int C = img.channels(), a = C - 1;
    for (int y = 0; y < img.height(); ++y) {
        uint8_t* p = img.row(y);
        for (int x = 0; x < img.width(); ++x, p += C) {
            const unsigned alpha = p[a];
            if (alpha == 0 || alpha == 255) continue;
            for (int c = 0; c < a; ++c) {
                const unsigned v = 255u * p[c] / alpha;
                p[c] = static_cast<uint8_t>(v > 255 ? 255 : v);
            }
        }
    }
}

}  // namespace imagenet32
