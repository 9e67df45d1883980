// The extension module shmring._shmring: the C API's creation calls, the channel classes and the
// shared-state classes.
// The package shmring (shmring/__init__.py) re-exports it with the pure-Python parts.
#include <shmring/shmring.h>

#include "binding.hpp"

namespace shmring::python {

namespace {

// The engine and policy words of the Python API, as the C API's constants.
int engine_of(const std::string& engine) {
    if (engine == "spsc") return SHMRING_SPSC;
    if (engine == "mpmc") return SHMRING_MPMC;
    throw py::value_error("engine must be \"spsc\" or \"mpmc\", not \"" + engine + "\"");
}

// A semaphore's largest maximum (shmring.h: the count is returned as an int).
constexpr std::uint64_t kMaxSemaphoreCount = 2147483647;

}  // namespace

}  // namespace shmring::python

PYBIND11_MODULE(_shmring, module) {
    using namespace shmring::python;
    module.doc() = "shmring's extension module; import shmring instead.";
    register_errors(module);
    register_leases(module);
    register_pipe(module);
    register_queue(module);
    register_topic(module);
    register_service(module);
    register_state(module);

    module.def("version", [] { return std::string(shmring_version()); }, "The library's version, MAJOR.MINOR.PATCH.");
    module.def(
        "create_pipe",
        [](const std::string& name, std::size_t capacity, unsigned mode) {
            checked(shmring_pipe_create(name.c_str(), capacity, mode), name);
        },
        py::arg("name"), py::arg("capacity"), py::arg("mode") = 0600);
    module.def(
        "create_queue",
        [](const std::string& name, std::size_t max_messages, std::size_t max_message_size, const std::string& engine, unsigned mode) {
            checked(shmring_queue_create(name.c_str(), max_messages, max_message_size, engine_of(engine), mode), name);
        },
        py::arg("name"), py::arg("max_messages"), py::arg("max_message_size"), py::arg("engine") = "spsc", py::arg("mode") = 0600);
    module.def(
        "create_topic",
        [](const std::string& name, std::size_t capacity, std::size_t max_message_size, bool lossy, unsigned mode) {
            checked(shmring_topic_create(name.c_str(), capacity, max_message_size, lossy ? SHMRING_LOSSY : SHMRING_LOSSLESS, mode), name);
        },
        py::arg("name"), py::arg("capacity"), py::arg("max_message_size"), py::arg("lossy") = false, py::arg("mode") = 0600);
    module.def(
        "create_service",
        [](const std::string& name, std::size_t max_pending, std::size_t max_request, std::size_t max_response, unsigned mode) {
            checked(shmring_service_create(name.c_str(), max_pending, max_request, max_response, mode), name);
        },
        py::arg("name"), py::arg("max_pending"), py::arg("max_request"), py::arg("max_response"), py::arg("mode") = 0600);
    module.def(
        "create_cell",
        [](const std::string& name, std::size_t max_size, unsigned mode) { checked(shmring_cell_create(name.c_str(), max_size, mode), name); },
        py::arg("name"), py::arg("max_size"), py::arg("mode") = 0600);
    module.def(
        "create_lock", [](const std::string& name, unsigned mode) { checked(shmring_lock_create(name.c_str(), mode), name); },
        py::arg("name"), py::arg("mode") = 0600);
    module.def(
        "create_semaphore",
        [](const std::string& name, std::uint64_t initial, std::uint64_t maximum, unsigned mode) {
            // Counts the C call's unsigned cannot hold are out of its range too (1 to 2147483647).
            if (initial > kMaxSemaphoreCount || maximum > kMaxSemaphoreCount) raise_errno(EINVAL, name);
            checked(shmring_sem_create(name.c_str(), static_cast<unsigned>(initial), static_cast<unsigned>(maximum), mode), name);
        },
        py::arg("name"), py::arg("initial") = 0, py::arg("maximum") = kMaxSemaphoreCount, py::arg("mode") = 0600);
    module.def("unlink", [](const std::string& name) { checked(shmring_unlink(name.c_str()), name); }, py::arg("name"));
}
