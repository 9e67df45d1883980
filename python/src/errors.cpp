// Errors: the C API's errno values as Python's exceptions.
#include <shmring/shmring.h>

#include <cerrno>

#include "binding.hpp"

namespace shmring::python {

namespace {

PyObject* corrupt_error = nullptr;

const char* kCorruptDoc = R"(The segment is not a shmring ring of the kind asked for, was written by
another layout version, or holds a value that breaks the protocol (errno EPROTO). Another process
may have written anything into shared memory: shmring reports it rather than trusting it.)";

}  // namespace

void raise_errno(int err, const std::string& name, const std::string& message) {
    err = err < 0 ? -err : err;
    PyObject* type = err == EPROTO ? corrupt_error : PyExc_OSError;
    // OSError(errno, text, filename): OSError itself picks the subclass of that errno (PEP 3151),
    // so the exception is made first and raised as its own type.
    const py::tuple args = name.empty() ? py::make_tuple(err, message) : py::make_tuple(err, message, name);
    const py::object exception = py::handle(type)(*args);
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exception.ptr())), exception.ptr());
    throw py::error_already_set();
}

void raise_errno(int err, const std::string& name) {
    raise_errno(err, name, shmring_strerror(err));
}

py::bytes copy_to_bytes(const void* data, std::size_t length) {
    PyObject* copy = PyBytes_FromStringAndSize(static_cast<const char*>(data), static_cast<Py_ssize_t>(length));
    if (copy == nullptr) throw py::error_already_set();
    return py::reinterpret_steal<py::bytes>(copy);
}

void register_errors(py::module_& module) {
    corrupt_error = PyErr_NewExceptionWithDoc("shmring.CorruptError", kCorruptDoc, PyExc_OSError, nullptr);
    if (corrupt_error == nullptr) throw py::error_already_set();
    module.add_object("CorruptError", py::handle(corrupt_error));
}

}  // namespace shmring::python
