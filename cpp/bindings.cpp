// Python bindings of the kernels: numpy arrays in, numpy arrays out, the GIL
// released around every kernel (but NEAREST's smallest copies, which take less
// time than releasing it and taking it back). Arguments are checked in Python first
// (imagenet32/resize.py); this layer still refuses what it cannot take.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "arrow.hpp"
#include "imagenet32/passes.hpp"
#include "imagenet32/resize.hpp"
#include "imagenet32/simd.hpp"

namespace py = pybind11;

namespace imagenet32 {
namespace {

using SizeList = std::vector<std::pair<int, int>>;

template <class T>
const char* dtype_name() {
    if constexpr (std::is_same_v<T, uint8_t>) return "uint8";
    else if constexpr (std::is_same_v<T, uint16_t>) return "uint16";
    else if constexpr (std::is_same_v<T, int32_t>) return "int32";
    else return "float32";
}

// A view of a numpy array of T, H x W or H x W x C, already checked.
template <class T>
View<T> view_unchecked(const py::array& a) {
    View<T> v;
    v.data = static_cast<const T*>(a.data());
    v.height = static_cast<int>(a.shape(0));
    v.width = static_cast<int>(a.shape(1));
    v.channels = a.ndim() == 3 ? static_cast<int>(a.shape(2)) : 1;
    v.stride = a.strides(0) / static_cast<py::ssize_t>(sizeof(T));
    return v;
}

// A view of a numpy array H x W or H x W x C whose pixels are contiguous.
template <class T>
View<T> view_of(const py::array& a) {
    if (!py::isinstance<py::array_t<T>>(a))
        throw py::type_error(std::string("expected a ") + dtype_name<T>() + " array");
    if (a.ndim() != 2 && a.ndim() != 3) throw py::value_error("expected a 2-D or 3-D array");
    const int channels = a.ndim() == 3 ? static_cast<int>(a.shape(2)) : 1;
    if (channels < 1 || channels > 4) throw py::value_error("expected 1 to 4 channels");
    const auto item = static_cast<py::ssize_t>(sizeof(T));
    const bool empty = a.size() == 0;  // numpy gives empty arrays arbitrary strides
    if (!empty && ((a.ndim() == 3 && a.shape(2) > 1 && a.strides(2) != item) ||
                   (a.shape(1) > 1 && a.strides(1) != item * channels) || a.strides(0) % item != 0))
        throw py::value_error("pixels must be contiguous within rows");
    if (a.shape(0) > (1 << 30) || a.shape(1) > (1 << 30)) throw py::value_error("image too large");
    return view_unchecked<T>(a);
}

// A numpy array that owns `img` (no copy); 2-D when `planar2d`.
template <class T>
py::array to_numpy(Image<T>&& img, bool planar2d) {
    auto* owned = new Image<T>(std::move(img));
    py::capsule owner(owned, [](void* p) { delete static_cast<Image<T>*>(p); });
    const auto item = static_cast<py::ssize_t>(sizeof(T));
    const py::ssize_t h = owned->height(), w = owned->width(), c = owned->channels();
    if (planar2d) return py::array_t<T>({h, w}, {w * c * item, c * item}, owned->data(), owner);
    return py::array_t<T>({h, w, c}, {w * c * item, c * item, item}, owned->data(), owner);
}

std::vector<Size> sizes_of(const SizeList& sizes) {
    std::vector<Size> out;
    for (const auto& [w, h] : sizes) {
        if (w < 1 || h < 1) throw py::value_error("height and width must be > 0");
        Image<uint8_t>::checked_count(w, h, 4);
        out.push_back(Size{w, h});
    }
    return out;
}

Box box_of(const std::array<double, 4>& b) { return Box{b[0], b[1], b[2], b[3]}; }

const Backend& backend_of(const std::string& simd) {
    return simd.empty() ? default_backend() : backend_named(simd);
}

Engine<uint8_t> engine8(const Rules& rules, const Backend& backend) {
    Engine<uint8_t> e;
    e.passes = [rules, &backend](const View<uint8_t>& src, const std::vector<CorePlan>& plans) {
        return passes8(src, plans, rules, backend);
    };
    e.reduce = backend.reduce8;
    e.gather = backend.nearest8;
    return e;
}

template <class T>
Engine<T> engine_wide(const Rules& rules, Sample<T> sample) {
    Engine<T> e;
    e.passes = [rules, sample](const View<T>& src, const std::vector<CorePlan>& plans) {
        return wide_passes(src, plans, rules, sample);
    };
    if constexpr (!std::is_same_v<T, uint16_t>) e.reduce = reduce_wide<T>;
    return e;
}

py::list resize8(const py::array& src, const SizeList& sizes, const std::array<double, 4>& box,
                 std::optional<double> gap, bool alpha, Filter filter, const Rules& rules, const std::string& simd,
                 bool early_copy) {
    const View<uint8_t> v = view_of<uint8_t>(src);
    const std::vector<Size> s = sizes_of(sizes);
    const Engine<uint8_t> engine = engine8(rules, backend_of(simd));
    std::vector<Image<uint8_t>> out;
    {
        py::gil_scoped_release release;
        out = resize_many(v, s, box_of(box), gap, alpha, filter, rules, engine, early_copy);
    }
    py::list result;
    for (Image<uint8_t>& img : out) result.append(to_numpy(std::move(img), src.ndim() == 2));
    return result;
}

template <class T>
py::list resize_wide(const py::array& src, const SizeList& sizes, const std::array<double, 4>& box,
                     std::optional<double> gap, Filter filter, const Rules& rules, bool swapped16) {
    const View<T> v = view_of<T>(src);
    if (v.channels != 1) throw py::value_error("16- and 32-bit images have one channel");
    const std::vector<Size> s = sizes_of(sizes);
    Sample<T> sample;
    sample.fmt = Format16{swapped16, rules.clamp16};
    const Engine<T> engine = engine_wide(rules, sample);
    std::vector<Image<T>> out;
    {
        py::gil_scoped_release release;
        out = resize_many(v, s, box_of(box), gap, false, filter, rules, engine);
    }
    py::list result;
    for (Image<T>& img : out) result.append(to_numpy(std::move(img), true));
    return result;
}

// Many images, each to every size, on `threads` threads; results stacked per size.
py::list resize8_batch(const py::list& images, const SizeList& sizes, std::optional<double> gap, bool alpha,
                       Filter filter, const Rules& rules, const std::string& simd, int threads) {
    const std::vector<Size> s = sizes_of(sizes);
    std::vector<View<uint8_t>> views;
    std::vector<py::array> keep;
    int channels = -1, ndim = -1;
    for (py::handle h : images) {
        py::array a = py::reinterpret_borrow<py::array>(h);
        views.push_back(view_of<uint8_t>(a));
        if (channels >= 0 && (views.back().channels != channels || a.ndim() != ndim))
            throw py::value_error("all images of a batch must have the same number of channels");
        channels = views.back().channels;
        ndim = static_cast<int>(a.ndim());
        keep.push_back(std::move(a));
    }
    if (channels < 0) channels = 1;
    const std::size_t n = views.size();
    std::vector<Image<uint8_t>> stacks;
    for (const Size& size : s) {
        const std::size_t rows = Image<uint8_t>::checked_count(size.height, static_cast<long long>(n), 1);
        if (rows > static_cast<std::size_t>(std::numeric_limits<int>::max()))
            throw py::value_error("a batch stacking more than 2^31 - 1 rows of output");
        stacks.emplace_back(size.width, static_cast<int>(rows), channels);
    }
    const Engine<uint8_t> engine = engine8(rules, backend_of(simd));
    {
        py::gil_scoped_release release;
        std::atomic<std::size_t> next{0};
        std::exception_ptr error;
        std::mutex error_lock;
        auto work = [&] {
            for (std::size_t i = next++; i < n; i = next++) {
                try {
                    const Box whole{0, 0, double(views[i].width), double(views[i].height)};
                    std::vector<Image<uint8_t>> out =
                        resize_many(views[i], s, whole, gap, alpha, filter, rules, engine);
                    for (std::size_t k = 0; k < s.size(); ++k)
                        std::copy(out[k].data(), out[k].data() + out[k].size(),
                                  stacks[k].data() + i * out[k].size());
                } catch (...) {
                    std::lock_guard<std::mutex> g(error_lock);
                    if (!error) error = std::current_exception();
                    next = n;
                }
            }
        };
        const int count = std::max(1, std::min<int>(threads, static_cast<int>(n)));
        std::vector<std::thread> pool;
        for (int t = 1; t < count; ++t) pool.emplace_back(work);
        work();
        for (std::thread& t : pool) t.join();
        if (error) std::rethrow_exception(error);
    }
    py::list result;
    for (std::size_t k = 0; k < s.size(); ++k) {
        const py::ssize_t h = s[k].height, w = s[k].width, c = channels;
        auto* owned = new Image<uint8_t>(std::move(stacks[k]));
        py::capsule owner(owned, [](void* p) { delete static_cast<Image<uint8_t>*>(p); });
        std::vector<py::ssize_t> shape{py::ssize_t(n), h, w}, strides{h * w * c, w * c, c};
        if (ndim == 3) {
            shape.push_back(c);
            strides.push_back(1);
        }
        result.append(py::array_t<uint8_t>(shape, strides, owned->data(), owner));
    }
    return result;
}

// A square's side: a Python int (not a bool or a numpy integer) from 1 to
// 2^31 - 1; else 0.
int side_of(const py::handle& h) {
    if (!PyLong_CheckExact(h.ptr())) return 0;
    int overflow = 0;
    const long long side = PyLong_AsLongLongAndOverflow(h.ptr(), &overflow);
    return overflow || side < 1 || side > std::numeric_limits<int>::max() ? 0 : static_cast<int>(side);
}

// resize8 for the commonest calls, a whole uint8 image (C-contiguous, not
// empty) to one square (`sides` an int: an array back) or several (a list or
// tuple: a list back) of modest buffers, with the least overhead. None for anything
// else: Python then takes the general path, which checks everything.
py::object resize8_squares(const py::handle& image, const py::handle& sides_arg, Filter filter,
                           const Rules& rules) {
    const bool one = PyLong_CheckExact(sides_arg.ptr());
    std::vector<Size> sizes;
    if (one) {
        sizes.push_back(Size{side_of(sides_arg), 0});
    } else if (PyList_CheckExact(sides_arg.ptr()) || PyTuple_CheckExact(sides_arg.ptr())) {
        for (const py::handle item : sides_arg) sizes.push_back(Size{side_of(item), 0});
    }
    constexpr long long kModest = 1LL << 28;  // bytes of the largest buffer
    constexpr long long kQuick = 1LL << 16;   // NEAREST's output bytes copied without releasing the GIL
    if (!py::isinstance<py::array_t<uint8_t>>(image)) return py::none();
    const auto a = py::reinterpret_borrow<py::array>(image);
    const int channels = a.ndim() == 3 ? static_cast<int>(a.shape(2)) : 1;
    if (!(a.ndim() == 2 || (a.ndim() == 3 && channels >= 2)) || channels > 4 || a.size() == 0 ||
        !(a.flags() & py::array::c_style) || sizes.empty())
        return py::none();
    const long long longest = std::max<long long>(a.shape(0), a.shape(1)) * channels;
    for (Size& s : sizes) {
        const long long side = s.width;
        if (side < 1 || longest * side > kModest || side * side * channels > kModest) return py::none();
        s.height = s.width;
    }
    const View<uint8_t> v = view_unchecked<uint8_t>(a);  // C-contiguous and modest: view_of's checks hold
    const bool alpha = channels % 2 == 0;
    std::vector<py::array> arrays;
    if (filter == Filter::nearest &&
        std::all_of(sizes.begin(), sizes.end(),
                    [&](Size s) { return nearest_is_one_map(rules, v.width, v.height, s, alpha); })) {
        // NEAREST copies pixels: straight into new numpy arrays.
        std::vector<Canvas<uint8_t>> canvases;
        long long bytes = 0;
        for (const Size s : sizes) {
            bytes += static_cast<long long>(s.width) * s.height * channels;
            py::array_t<uint8_t> array = a.ndim() == 3 ? py::array_t<uint8_t>({s.height, s.width, channels})
                                                       : py::array_t<uint8_t>({s.height, s.width});
            canvases.push_back(
                Canvas<uint8_t>{array.mutable_data(), s.width, s.height, channels, s.width * channels});
            arrays.push_back(std::move(array));
        }
        const Gather<uint8_t> gather = default_backend().nearest8;
        std::optional<py::gil_scoped_release> release;
        if (bytes > kQuick) release.emplace();
        for (const Canvas<uint8_t>& c : canvases)
            nearest_into(v, 0.f, 0.f, static_cast<float>(v.width), static_cast<float>(v.height), c, gather);
    } else {
        const Engine<uint8_t> engine = engine8(rules, default_backend());
        std::vector<Image<uint8_t>> out;
        {
            py::gil_scoped_release release;
            const Box whole{0, 0, double(v.width), double(v.height)};
            out = resize_many(v, sizes, whole, std::nullopt, alpha, filter, rules, engine);
        }
        for (Image<uint8_t>& img : out) arrays.push_back(to_numpy(std::move(img), a.ndim() == 2));
    }
    if (one) return std::move(arrays[0]);
    py::list result;
    for (py::array& array : arrays) result.append(std::move(array));
    return std::move(result);
}

// Image.reduce of an 8-bit image (premultiplied when it has alpha), or of an I or F image.
py::array reduce_array(const py::array& src, int fx, int fy, const std::array<int, 4>& b, bool alpha,
                       const std::string& simd) {
    const IntBox box{b[0], b[1], b[2], b[3]};
    if (py::isinstance<py::array_t<uint8_t>>(src)) {
        // A block wider or taller than the box holds the box's pixels, and an 8-bit block's
        // value depends only on them (spec 3.5): the same bytes, and no block arithmetic near
        // 2^31. (I and F sum a partial block in another order than a whole one: not there.)
        fx = std::max(1, std::min(fx, box.x1 - box.x0));
        fy = std::max(1, std::min(fy, box.y1 - box.y0));
        const View<uint8_t> v = view_of<uint8_t>(src);
        const auto reduce8 = backend_of(simd).reduce8;
        Image<uint8_t> out;
        {
            py::gil_scoped_release release;
            if (alpha) {
                const Image<uint8_t> pm = premultiplied(v);
                out = reduce8(pm.view(), fx, fy, box);
                unpremultiply(out);
            } else {
                out = reduce8(v, fx, fy, box);
            }
        }
        return to_numpy(std::move(out), src.ndim() == 2);
    }
    auto wide = [&](auto sample) -> py::array {
        using T = decltype(sample);
        const View<T> v = view_of<T>(src);
        if (v.channels != 1) throw py::value_error("32-bit images have one channel");
        Image<T> out;
        {
            py::gil_scoped_release release;
            out = reduce_wide<T>(v, fx, fy, box);
        }
        return to_numpy(std::move(out), true);
    };
    if (py::isinstance<py::array_t<int32_t>>(src)) return wide(int32_t{});
    if (py::isinstance<py::array_t<float>>(src)) return wide(float{});
    throw py::type_error("reduce takes uint8, int32 or float32 arrays");
}

}  // namespace

void register_bindings(py::module_& m) {
    py::class_<Rules>(m, "Rules", "The resize behaviour of a Pillow release (see imagenet32.pillow_rules).")
        .def(py::init([](bool floor_ceil_bounds, bool box_left_closed, bool vertical_first, bool tall_split,
                         bool gap_with_alpha, bool clamp16, bool hamming_tails, bool premultiply_nearest) {
                 return Rules{floor_ceil_bounds, box_left_closed, vertical_first, tall_split,
                              gap_with_alpha,    clamp16,         hamming_tails,  premultiply_nearest};
             }),
             py::kw_only(), py::arg("floor_ceil_bounds"), py::arg("box_left_closed"), py::arg("vertical_first"),
             py::arg("tall_split"), py::arg("gap_with_alpha"), py::arg("clamp16"), py::arg("hamming_tails"),
             py::arg("premultiply_nearest"))
        .def_readonly("floor_ceil_bounds", &Rules::floor_ceil_bounds)
        .def_readonly("box_left_closed", &Rules::box_left_closed)
        .def_readonly("vertical_first", &Rules::vertical_first)
        .def_readonly("tall_split", &Rules::tall_split)
        .def_readonly("gap_with_alpha", &Rules::gap_with_alpha)
        .def_readonly("clamp16", &Rules::clamp16)
        .def_readonly("hamming_tails", &Rules::hamming_tails)
        .def_readonly("premultiply_nearest", &Rules::premultiply_nearest);

    py::enum_<Filter>(m, "Filter", "Pillow's resampling filters.")
        .value("box", Filter::box)
        .value("bilinear", Filter::bilinear)
        .value("hamming", Filter::hamming)
        .value("bicubic", Filter::bicubic)
        .value("lanczos", Filter::lanczos)
        .value("mks2013", Filter::mks2013)
        .value("mks2021", Filter::mks2021)
        .value("nearest", Filter::nearest);

    m.def("resize8", &resize8, py::arg("image"), py::arg("sizes"), py::arg("box"), py::arg("gap"),
          py::arg("alpha"), py::arg("filter"), py::arg("rules"), py::arg("simd") = "", py::arg("early_copy") = true);
    m.def("resize16", &resize_wide<uint16_t>, py::arg("image"), py::arg("sizes"), py::arg("box"), py::arg("gap"),
          py::arg("filter"), py::arg("rules"), py::arg("swapped") = false);
    m.def("resize32i", &resize_wide<int32_t>, py::arg("image"), py::arg("sizes"), py::arg("box"), py::arg("gap"),
          py::arg("filter"), py::arg("rules"), py::arg("swapped") = false);
    m.def("resize32f", &resize_wide<float>, py::arg("image"), py::arg("sizes"), py::arg("box"), py::arg("gap"),
          py::arg("filter"), py::arg("rules"), py::arg("swapped") = false);
    m.def("is_crop", [](double x0, double y0, double x1, double y1, int width, int height) {
        return is_crop(to_float(Box{x0, y0, x1, y1}), Size{width, height});
    }, "Whether the core crops for this box and output size (Pillow's crop shortcut).");
    m.def("resize8_squares", &resize8_squares, py::arg("image"), py::arg("sides"), py::arg("filter"),
          py::arg("rules"));
    m.def("resize8_batch", &resize8_batch, py::arg("images"), py::arg("sizes"), py::arg("gap"), py::arg("alpha"),
          py::arg("filter"), py::arg("rules"), py::arg("simd") = "", py::arg("threads") = 1);
    m.def("reduce", &reduce_array, py::arg("image"), py::arg("fx"), py::arg("fy"), py::arg("box"),
          py::arg("alpha") = false, py::arg("simd") = "");
    m.def("arrow_pixels", &arrow_pixels, py::arg("schema"), py::arg("array"), py::arg("width"), py::arg("height"),
          "A numpy view (no copy) of the pixels of a Pillow image exported through the Arrow C data interface.");
    m.def("simd_backends", [] {
        std::vector<std::string> names;
        for (const Backend* b : usable_backends()) names.push_back(b->name);
        return names;
    });
    m.def("default_simd", [] { return std::string(default_backend().name); });
    m.def("compiler", [] {
#if defined(__clang__)
        return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
        return std::string("gcc ") + __VERSION__;
#else
        return std::string("unknown");
#endif
    });
    m.attr("compile_flags") = IMAGENET32_CXX_FLAGS;
}

}  // namespace imagenet32
