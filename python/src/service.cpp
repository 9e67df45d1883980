// shmring.Service: request/response (shmring_service_* of the C API).
#include <shmring/shmring.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <thread>
#include <vector>

#include "binding.hpp"

namespace shmring::python {

namespace {

const char* kServiceDoc = R"(One side of a service: request/response between processes.

Service(name, role, *, wait=Wait.ADAPTIVE) opens service `name` (made by create_service) as a
"client" or a "server" (any number of each, 64 endpoints in all). Each request is served by exactly
one server; its response goes back to the client that sent it.

Client: call(request) sends and waits for the response; send() and wait(id) do it apart, many calls
in flight. ConnectionRefusedError: no server is attached. ConnectionResetError: the server serving
the call died or closed before answering (the request is never served twice). A call that times
out (TimeoutError) or is interrupted is given up: its response, should it come, is dropped.

Server: receive() gives (request id, request); reply(id, response) answers it, once; serve(handler)
loops. A server that closes with requests unanswered resets them (ConnectionResetError at their
clients).)";

const HandleCalls kServiceCalls{
    [](void* service) { shmring_service_close(static_cast<shmring_service*>(service)); },
    [](void* service) { return shmring_service_fd(static_cast<shmring_service*>(service)); },
    [](void* service, int strategy) { return shmring_service_set_wait(static_cast<shmring_service*>(service), strategy); },
};

int service_role(const std::string& role) {
    if (role == "client") return SHMRING_CLIENT;
    if (role == "server") return SHMRING_SERVER;
    throw py::value_error("role must be \"client\" or \"server\", not \"" + role + "\"");
}

// How long a waiting client looks at its response before it sleeps on the descriptor: a server
// that answers within it costs no wake-up.
constexpr std::chrono::microseconds kSpin{20};

class Service : public Handle {
public:
    Service(std::string name, const std::string& role, int wait)
        : Handle(std::move(name), role, kServiceCalls, &shmring_service_open, service_role(role), wait) {
        const bool client = role == "client";
        scratch_.resize(static_cast<std::size_t>(
            checked(client ? shmring_service_max_response_size(service()) : shmring_service_max_request_size(service()), this->name())));
    }

    std::uint64_t send(const py::handle& request, const py::handle& timeout) {
        const Call call(*this, "client", "send");
        return sent(request, Patience(timeout));
    }

    py::bytes wait(std::uint64_t id, const py::handle& timeout) {
        const Call call(*this, "client", "wait");
        return collected(id, Patience(timeout));
    }

    py::bytes call(const py::handle& request, const py::handle& timeout) {
        const Call call(*this, "client", "call");
        const Patience patience(timeout);
        const std::uint64_t id = sent(request, patience);
        try {
            return collected(id, patience);
        } catch (...) {
            // The caller never learns the id: a call that ends without its response is given up.
            (void)shmring_service_cancel(service(), id);
            throw;
        }
    }

    void cancel(std::uint64_t id) {
        const Call call(*this, "client", "cancel");
        checked(shmring_service_cancel(service(), id), name());
    }

    py::tuple receive(const py::handle& timeout) {
        const Call call(*this, "server", "receive");
        if (!kept_.held) {
            const ssize_t length = checked(patiently(Patience(timeout),
                                                     [&](std::int64_t ns) {
                                                         return shmring_service_receive(service(), scratch_.data(), scratch_.size(),
                                                                                        &kept_.id, ns);
                                                     }),
                                           name());
            return py::make_tuple(kept_.id, handed_over(static_cast<std::size_t>(length)));
        }
        return py::make_tuple(kept_.id, handed_over_kept());
    }

    void reply(std::uint64_t id, const py::handle& response) {
        const Call call(*this, "server", "reply");
        const BufferArg bytes(response, false);
        checked(shmring_service_reply(service(), id, bytes.data(), bytes.size()), name());
    }

    std::size_t max_request_size() {
        const Call call(*this);
        return static_cast<std::size_t>(checked(shmring_service_max_request_size(service()), name()));
    }

    std::size_t max_response_size() {
        const Call call(*this);
        return static_cast<std::size_t>(checked(shmring_service_max_response_size(service()), name()));
    }

private:
    shmring_service* service() const noexcept { return c_handle<shmring_service>(); }

    std::uint64_t sent(const py::handle& request, const Patience& patience) {
        const BufferArg bytes(request, false);
        std::uint64_t id = 0;
        checked(patiently(patience, [&](std::int64_t ns) { return shmring_service_send(service(), bytes.data(), bytes.size(), &id, ns); }),
                name());
        return id;
    }

    ssize_t look(std::uint64_t id) { return shmring_service_wait(service(), id, scratch_.data(), scratch_.size(), 0); }

    // The response of call `id`. The C API's waiting call gives the call up when its timeout
    // passes, so it cannot wait a slice at a time; this waits by looks (timeout 0 keeps the call
    // pending): for kSpin, then on the descriptor, a slice at a time, running signal handlers
    // between slices. A wait that ends without the response (timeout, exception) gives the call up.
    py::bytes collected(std::uint64_t id, const Patience& patience) {
        if (kept_.held && kept_.id == id) return handed_over_kept();
        ssize_t length = look(id);
        if (length == -EAGAIN && !patience.only_tries()) {
            const int fd = checked(shmring_service_fd(service()), name());
            bool spun = false;
            std::chrono::microseconds backoff{0};
            for (;;) {
                if (patience.expired()) {
                    (void)shmring_service_cancel(service(), id);
                    length = -ETIMEDOUT;
                    break;
                }
                {
                    py::gil_scoped_release unlocked;
                    length = spun ? -EAGAIN : spin(id);
                    spun = true;
                    if (length == -EAGAIN) {
                        pollfd ready{fd, POLLIN, 0};
                        const int woken = ::poll(&ready, 1, static_cast<int>((patience.next_slice_ns() + 999'999) / 1'000'000));
                        length = look(id);
                        // The descriptor stays readable while another call's response waits to be
                        // collected: back off rather than spin on it.
                        if (length == -EAGAIN && woken > 0) backoff = back_off(backoff, patience);
                    }
                }
                if (length != -EAGAIN) break;
                if (PyErr_CheckSignals() != 0) {
                    (void)shmring_service_cancel(service(), id);
                    throw py::error_already_set();
                }
            }
        }
        checked(length, name());
        kept_.id = id;
        return handed_over(static_cast<std::size_t>(length));
    }

    // A request (server) or response (client) taken from the ring into scratch_ whose copy into a
    // bytes object fails (MemoryError) is kept: the next receive, or the next wait for its id,
    // returns it rather than losing it.
    struct Kept {
        bool held = false;
        std::uint64_t id = 0;
        std::vector<std::byte> bytes;
    };

    // The first `length` bytes of scratch_ (kept_.id names them), copied out for Python.
    py::bytes handed_over(std::size_t length) {
        try {
            return copy_to_bytes(scratch_.data(), length);
        } catch (const py::error_already_set&) {
            kept_.bytes.assign(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(length));
            kept_.held = true;
            throw;
        }
    }

    py::bytes handed_over_kept() {
        py::bytes copy = copy_to_bytes(kept_.bytes.data(), kept_.bytes.size());
        kept_.held = false;
        return copy;
    }

    // Sleeps a little longer each time (50 us doubling up to 10 ms, never past the deadline) and
    // returns the next sleep's length.
    static std::chrono::microseconds back_off(std::chrono::microseconds last, const Patience& patience) {
        const auto next = std::clamp(last * 2, std::chrono::microseconds{50}, std::chrono::microseconds{10'000});
        const auto cap = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::nanoseconds(patience.next_slice_ns()));
        std::this_thread::sleep_for(std::min(next, cap));
        return next;
    }

    ssize_t spin(std::uint64_t id) {
        const auto until = std::chrono::steady_clock::now() + kSpin;
        ssize_t length = look(id);
        while (length == -EAGAIN && std::chrono::steady_clock::now() < until) length = look(id);
        return length;
    }

    // Where a response (client) or a request (server) is copied: the largest one fits.
    std::vector<std::byte> scratch_;
    Kept kept_;
};

}  // namespace

void register_service(py::module_& module) {
    const auto none = py::none();
    py::class_<Service> cls(module, "Service", kServiceDoc);
    cls.def(py::init<std::string, const std::string&, int>(), py::arg("name"), py::arg("role"), py::kw_only(),
            py::arg("wait") = static_cast<int>(SHMRING_WAIT_ADAPTIVE))
        .def("call", &Service::call, py::arg("request"), py::arg("timeout") = none,
             "Client: sends a request and returns its response (bytes). One timeout covers both.")
        .def("send", &Service::send, py::arg("request"), py::arg("timeout") = none,
             "Client: sends a request without waiting for its response; returns its id. Waits only while\n"
             "max_pending calls are pending.")
        .def("wait", &Service::wait, py::arg("id"), py::arg("timeout") = none,
             "Client: the response of request `id` (any order). timeout=0 only looks (BlockingIOError: the\n"
             "call stays pending); a timeout that passes gives the call up.")
        .def("cancel", &Service::cancel, py::arg("id"), "Client: gives a pending call up; its response is dropped.")
        .def("receive", &Service::receive, py::arg("timeout") = none, "Server: the next request, as (id, bytes).")
        .def("reply", &Service::reply, py::arg("id"), py::arg("response"),
             "Server: answers request `id`, once. A reply to a client that gave up is dropped.")
        .def_property_readonly("max_request_size", &Service::max_request_size, "The largest request, in bytes.")
        .def_property_readonly("max_response_size", &Service::max_response_size, "The largest response, in bytes.");
    def_handle(cls, "Service", "a call can make progress (client: a response or a reset is ready; server: a request is there)");
}

}  // namespace shmring::python
