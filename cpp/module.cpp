// The compiled core of imagenet32. Private: import imagenet32 instead.
#include <pybind11/pybind11.h>

namespace imagenet32 {
void register_bindings(pybind11::module_& m);
}

PYBIND11_MODULE(_core, m) {
    m.doc() = "imagenet32's native kernels (private; use the imagenet32 package)";
    imagenet32::register_bindings(m);
}
