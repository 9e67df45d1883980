// Methods called once per message (send, receive, loan, commit, ...), defined on the pybind11
// classes as plain CPython vectorcall methods (METH_FASTCALL): pybind11's general dispatch costs
// a few hundred nanoseconds a call, more than the ring's own work, which at 64 B messages is most
// of what a Python program pays per message.
#pragma once

#include <pybind11/pybind11.h>

#include <cstring>
#include <exception>
#include <new>

#include "binding.hpp"

namespace shmring::python {

// A fast method's parameters: up to two, the first `required` of them required; the others are
// None when not given.
struct FastSignature {
    const char* names[2];
    int count;
    int required;
};

// The C++ T behind `self` (the method descriptor has checked that self is an instance of the
// class or of a Python subclass, which may derive from several bound classes).
template <class T>
T* self_of(PyObject* self) {
    static const py::detail::type_info* const type = py::detail::get_type_info(typeid(T));
    auto value = reinterpret_cast<py::detail::instance*>(self)->get_value_and_holder(type, false);
    if (!value || !value.holder_constructed()) {
        PyErr_SetString(PyExc_TypeError, "the object was not initialised: a subclass's __init__ must call the base's");
        return nullptr;
    }
    return value.template value_ptr<T>();
}

// Parses the arguments as Python would for `def method(self, <names>)`; false with TypeError set.
template <const FastSignature& S>
bool parse_fast_arguments(PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames, py::handle (&out)[2]) {
    if (nargs > S.count) {
        PyErr_Format(PyExc_TypeError, "takes at most %d arguments (%zd given)", S.count, nargs);
        return false;
    }
    for (Py_ssize_t i = 0; i < nargs; ++i) out[i] = args[i];
    const Py_ssize_t keywords = kwnames == nullptr ? 0 : PyTuple_GET_SIZE(kwnames);
    for (Py_ssize_t k = 0; k < keywords; ++k) {
        const char* keyword = PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, k));
        if (keyword == nullptr) return false;
        int slot = -1;
        for (int i = 0; i < S.count; ++i) {
            if (std::strcmp(keyword, S.names[i]) == 0) slot = i;
        }
        if (slot < 0 || out[slot]) {
            PyErr_Format(PyExc_TypeError, slot < 0 ? "got an unexpected keyword argument '%s'" : "got multiple values for argument '%s'",
                         keyword);
            return false;
        }
        out[slot] = args[nargs + k];
    }
    for (int i = 0; i < S.count; ++i) {
        if (out[i]) continue;
        if (i < S.required) {
            PyErr_Format(PyExc_TypeError, "missing required argument '%s'", S.names[i]);
            return false;
        }
        out[i] = Py_None;
    }
    return true;
}

// The CPython entry of a fast method: `Body(T&, py::handle self, py::handle a, py::handle b)`
// returns a py::object; C++ exceptions become Python's as pybind11 would raise them.
template <class T, auto Body, const FastSignature& S>
PyObject* fast_entry(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) noexcept {
    try {
        T* object = self_of<T>(self);
        py::handle argv[2];
        if (object == nullptr || !parse_fast_arguments<S>(args, nargs, kwnames, argv)) return nullptr;
        return Body(*object, py::handle(self), argv[0], argv[1]).release().ptr();
    } catch (py::error_already_set& error) {
        error.restore();
    } catch (const py::builtin_exception& error) {
        error.set_error();
    } catch (const std::bad_alloc&) {
        PyErr_NoMemory();
    } catch (const std::exception& error) {
        PyErr_SetString(PyExc_RuntimeError, error.what());
    }
    return nullptr;
}

// Defines method `name` of `cls` as the fast method Body. `doc` starts with its signature line
// ("name($self, message, timeout=None)\n--\n\n"), which inspect and help() read.
template <class T, auto Body, const FastSignature& S>
void def_fast(py::class_<T>& cls, const char* name, const char* doc) {
    static PyMethodDef definition{name, reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&fast_entry<T, Body, S>)),
                                  METH_FASTCALL | METH_KEYWORDS, doc};
    auto* type = reinterpret_cast<PyTypeObject*>(cls.ptr());
    auto descriptor = py::reinterpret_steal<py::object>(PyDescr_NewMethod(type, &definition));
    if (!descriptor) throw py::error_already_set();
    cls.attr(name) = descriptor;
}

inline constexpr FastSignature kNoArguments{{nullptr, nullptr}, 0, 0};
inline constexpr FastSignature kTimeout{{"timeout", nullptr}, 1, 0};
inline constexpr FastSignature kMessageTimeout{{"message", "timeout"}, 2, 1};
inline constexpr FastSignature kLength{{"length", nullptr}, 1, 1};

}  // namespace shmring::python
