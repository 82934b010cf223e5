// Image views and owned images: the only data structures the kernels share.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

namespace imagenet32 {

// The calling thread's own T, kept between calls (plans, scratch rows,
// caches). Reached through this one out-of-line call: where a thread_local's
// uses are inlined into a loop, as link-time optimisation did, a shared
// library re-derives its address (__tls_get_addr) at every use.
template <class T>
[[gnu::noinline]] T& per_thread() {
    thread_local T instance;
    return instance;
}

// A read-only window on pixel rows: `channels` interleaved samples per pixel,
// rows `stride` elements apart (any sign). Samples within a row are contiguous.
template <class T>
struct View {
    const T* data = nullptr;
    int width = 0;
    int height = 0;
    int channels = 1;
    std::ptrdiff_t stride = 0;  // in elements of T

    const T* row(int y) const { return data + static_cast<std::ptrdiff_t>(y) * stride; }
    std::size_t row_elements() const { return static_cast<std::size_t>(width) * channels; }
};

// Rows to write: the same layout as View, writable (an Image, or a numpy array's buffer).
template <class T>
struct Canvas {
    T* data = nullptr;
    int width = 0;
    int height = 0;
    int channels = 1;
    std::ptrdiff_t stride = 0;  // in elements of T

    T* row(int y) const { return data + static_cast<std::ptrdiff_t>(y) * stride; }
};

// A contiguous image that owns its samples. They start uninitialised: every
// kernel writes all of its output.
template <class T>
class Image {
public:
    Image() = default;
    Image(int width, int height, int channels)
        : width_(width), height_(height), channels_(channels), size_(checked_count(width, height, channels)),
          samples_(new T[size_]) {}

    int width() const { return width_; }
    int height() const { return height_; }
    int channels() const { return channels_; }
    std::ptrdiff_t stride() const { return static_cast<std::ptrdiff_t>(width_) * channels_; }
    T* row(int y) { return samples_.get() + y * stride(); }
    const T* row(int y) const { return samples_.get() + y * stride(); }
    T* data() { return samples_.get(); }
    const T* data() const { return samples_.get(); }
    std::size_t size() const { return size_; }
    View<T> view() const { return View<T>{samples_.get(), width_, height_, channels_, stride()}; }
    Canvas<T> canvas() { return Canvas<T>{samples_.get(), width_, height_, channels_, stride()}; }

    // The number of samples of a width x height x channels image; throws
    // std::length_error rather than overflow or allocate something absurd.
    static std::size_t checked_count(long long width, long long height, long long channels) {
        if (width < 0 || height < 0 || channels < 1) throw std::invalid_argument("negative image size");
        const long long limit = static_cast<long long>((1ULL << 40) / sizeof(T));
        if (width > 0 && height > limit / width) throw std::length_error("image too large");
        const long long pixels = width * height;
        if (pixels > 0 && channels > limit / pixels) throw std::length_error("image too large");
        return static_cast<std::size_t>(pixels * channels);
    }

private:
    int width_ = 0;
    int height_ = 0;
    int channels_ = 1;
    std::size_t size_ = 0;
    std::unique_ptr<T[]> samples_;
};

// A copy of `src` in a new contiguous image.
template <class T>
Image<T> copy_of(const View<T>& src) {
    Image<T> out(src.width, src.height, src.channels);
    for (int y = 0; y < src.height; ++y)
        std::memcpy(out.row(y), src.row(y), src.row_elements() * sizeof(T));
    return out;
}

// Pillow's crop: the rectangle [x0, x1) x [y0, y1); pixels outside `src` are 0.
template <class T>
Image<T> crop(const View<T>& src, int x0, int y0, int x1, int y1) {
    Image<T> out(x1 - x0, y1 - y0, src.channels);
    std::fill(out.data(), out.data() + out.size(), T{});
    const int cx0 = std::max(x0, 0), cx1 = std::min(x1, src.width);
    for (int y = std::max(y0, 0); y < std::min(y1, src.height); ++y) {
        if (cx1 <= cx0) break;
        std::memcpy(out.row(y - y0) + static_cast<std::ptrdiff_t>(cx0 - x0) * src.channels,
                    src.row(y) + static_cast<std::ptrdiff_t>(cx0) * src.channels,
                    static_cast<std::size_t>(cx1 - cx0) * src.channels * sizeof(T));
    }
    return out;
}

}  // namespace imagenet32
