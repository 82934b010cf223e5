// Zero-copy access to Pillow's pixels through the Arrow C data interface
// (https://arrow.apache.org/docs/format/CDataInterface.html), which Pillow
// 11.2+ exports with Image.__arrow_c_array__. The two structs are the stable
// ABI that specification defines.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace imagenet32 {

struct ArrowSchema {
    const char* format;
    const char* name;
    const char* metadata;
    int64_t flags;
    int64_t n_children;
    ArrowSchema** children;
    ArrowSchema* dictionary;
    void (*release)(ArrowSchema*);
    void* private_data;
};

struct ArrowArray {
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void** buffers;
    ArrowArray** children;
    ArrowArray* dictionary;
    void (*release)(ArrowArray*);
    void* private_data;
};

// The pixels of a width x height Pillow image as a numpy array that keeps the
// exported Arrow array (and so the image's memory) alive: H x W x 4 uint8 for
// modes stored in 4 bytes per pixel (RGB, RGBA, LA, CMYK, ...), H x W of
// uint8, uint16, int32 or float32 otherwise.
inline pybind11::array arrow_pixels(const pybind11::capsule& schema_capsule,
                                    const pybind11::capsule& array_capsule, int width, int height) {
    namespace py = pybind11;
    auto* schema = static_cast<ArrowSchema*>(PyCapsule_GetPointer(schema_capsule.ptr(), "arrow_schema"));
    auto* array = static_cast<ArrowArray*>(PyCapsule_GetPointer(array_capsule.ptr(), "arrow_array"));
    if (!schema || !array) throw py::error_already_set();
    if (!schema->release || !array->release) throw py::value_error("Arrow data already released");
    const int64_t pixels = static_cast<int64_t>(width) * height;
    const std::string format = schema->format ? schema->format : "";
    const ArrowArray* leaf = array;
    int64_t per_pixel = 1;
    if (format == "+w:4") {
        if (array->n_children != 1 || schema->n_children != 1 || std::string(schema->children[0]->format) != "C")
            throw py::value_error("unexpected Arrow layout for a 4-byte image");
        leaf = array->children[0];
        per_pixel = 4;
        if (array->offset != 0 || array->length != pixels) throw py::value_error("Arrow length does not match");
    }
    if (leaf->null_count > 0 || leaf->n_buffers < 2 || leaf->length - leaf->offset < pixels * per_pixel)
        throw py::value_error("Arrow buffer does not match the image size");
    std::string leaf_format = per_pixel == 4 ? "C" : format;
    py::dtype dtype;
    std::size_t item;
    if (leaf_format == "C") { dtype = py::dtype::of<uint8_t>(); item = 1; }
    else if (leaf_format == "s" || leaf_format == "S") { dtype = py::dtype::of<uint16_t>(); item = 2; }
    else if (leaf_format == "i") { dtype = py::dtype::of<int32_t>(); item = 4; }
    else if (leaf_format == "f") { dtype = py::dtype::of<float>(); item = 4; }
    else throw py::value_error("unsupported Arrow format '" + format + "'");
    const auto* data = static_cast<const char*>(leaf->buffers[1]) + leaf->offset * static_cast<int64_t>(item);
    const py::ssize_t h = height, w = width, it = static_cast<py::ssize_t>(item);
    if (per_pixel == 4)
        return py::array(dtype, {h, w, py::ssize_t(4)}, {w * 4 * it, 4 * it, it}, data, array_capsule);
    return py::array(dtype, {h, w}, {w * it, it}, data, array_capsule);
}

}  // namespace imagenet32
