// shmring.Queue: messages with POSIX message-queue semantics (shmring_queue_* of the C API).
#include <shmring/shmring.h>
#include <sys/uio.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "binding.hpp"
#include "fast_method.hpp"
#include "lease.hpp"

namespace shmring::python {

namespace {

const char* kQueueDoc = R"(One side of a queue: messages with the semantics of a POSIX message queue.

Queue(name, role, *, wait=Wait.ADAPTIVE) opens queue `name` (made by create_queue) as a "sender" or
a "receiver". An SPSC queue takes one of each at a time (a second one: OSError EBUSY); an MPMC
queue any number, each message going to exactly one receiver. Message boundaries, per-sender order
and exactly-once delivery hold.

Timeouts are seconds: None waits for ever, 0 only tries (BlockingIOError when it cannot), a
positive number waits at most that long (TimeoutError). A waiting call releases the GIL; Ctrl-C
ends it. A handle is for one thread at a time; it does not survive fork (open one in the child).
A receiver iterates over messages for ever: `for message in queue:`.)";

const HandleCalls kQueueCalls{
    [](void* queue) { shmring_queue_close(static_cast<shmring_queue*>(queue)); },
    [](void* queue) { return shmring_queue_fd(static_cast<shmring_queue*>(queue)); },
    [](void* queue, int strategy) { return shmring_queue_set_wait(static_cast<shmring_queue*>(queue), strategy); },
};

int queue_role(const std::string& role) {
    if (role == "sender") return SHMRING_SENDER;
    if (role == "receiver") return SHMRING_RECEIVER;
    throw py::value_error("role must be \"sender\" or \"receiver\", not \"" + role + "\"");
}

class Queue : public Handle {
public:
    Queue(std::string name, const std::string& role, int wait)
        : Handle(std::move(name), role, kQueueCalls, &shmring_queue_open, queue_role(role), wait) {}

    void send(const py::handle& message, const py::handle& timeout) {
        const Call call(*this, "sender", "send");
        const BufferArg bytes(message, false);
        checked(patiently(Patience(timeout), [&](std::int64_t ns) { return shmring_queue_send(queue(), bytes.data(), bytes.size(), ns); }),
                name());
    }

    py::bytes receive(const py::handle& timeout) {
        const Call call(*this, "receiver", "receive");
        const void* message = nullptr;
        const ssize_t length = checked(taken(Patience(timeout), message), name());
        return copied(message, length);
    }

    // Sends messages[0..n) in order as long as they fit, waiting only for the first; returns how
    // many went (an SPSC batch is published with one store and at most one wake-up).
    std::size_t send_batch(const py::handle& messages, const py::handle& timeout) {
        const Call call(*this, "sender", "send_batch");
        const auto sequence = py::reinterpret_steal<py::object>(PySequence_Fast(messages.ptr(), "messages must be a sequence"));
        if (!sequence) throw py::error_already_set();
        const Py_ssize_t count = PySequence_Fast_GET_SIZE(sequence.ptr());
        if (count == 0) return 0;
        std::vector<std::unique_ptr<BufferArg>> held;
        std::vector<iovec> batch;
        held.reserve(static_cast<std::size_t>(count));
        batch.reserve(static_cast<std::size_t>(count));
        for (Py_ssize_t i = 0; i < count; ++i) {
            held.push_back(std::make_unique<BufferArg>(PySequence_Fast_GET_ITEM(sequence.ptr(), i), false));
            batch.push_back({held.back()->data(), held.back()->size()});
        }
        return static_cast<std::size_t>(checked(
            patiently(Patience(timeout),
                      [&](std::int64_t ns) { return shmring_queue_send_batch(queue(), batch.data(), batch.size(), ns); }),
            name()));
    }

    // Receives up to `max_count` messages, waiting only for the first. An error after the first
    // ends the batch: the messages received are returned, and the error comes at the next call.
    py::list receive_batch(std::size_t max_count, const py::handle& timeout) {
        const Call call(*this, "receiver", "receive_batch");
        py::list messages;
        const Patience patience(timeout);
        while (messages.size() < max_count) {
            const void* message = nullptr;
            const ssize_t length = messages.empty() ? checked(taken(patience, message), name()) : shmring_queue_peek(queue(), &message, 0);
            if (length < 0) break;
            try {
                messages.append(copied(message, length));
            } catch (const py::error_already_set&) {
                if (messages.empty()) throw;
                break;
            }
        }
        return messages;
    }

    ssize_t receive_into(const py::handle& buffer, const py::handle& timeout) {
        const Call call(*this, "receiver", "receive_into");
        const BufferArg room(buffer, true);
        if (held_.held()) {
            const ssize_t length = checked(held_.copy_into({room.data(), room.size()}), name());
            checked(shmring_queue_release(queue()), name());
            return length;
        }
        return checked(patiently(Patience(timeout),
                                 [&](std::int64_t ns) { return shmring_queue_receive(queue(), room.data(), room.size(), ns); }),
                       name());
    }

    py::object loan(const py::object& self, const py::handle& timeout) {
        const Call call(*this, "sender", "loan");
        void* room = nullptr;
        std::size_t capacity = 0;
        checked(patiently(Patience(timeout), [&](std::int64_t ns) { return shmring_queue_loan(queue(), &room, &capacity, ns); }), name());
        return make_loan(*this, self, {static_cast<std::byte*>(room), capacity}, ends(queue()));
    }

    py::object peek(const py::object& self, const py::handle& timeout) {
        const Call call(*this, "receiver", "peek");
        const void* message = nullptr;
        const ssize_t length = checked(taken(Patience(timeout), message), name());
        held_ = {};  // the Message lends it now
        return make_message(*this, self, {static_cast<const std::byte*>(message), static_cast<std::size_t>(length)}, ends(queue()), 0);
    }

    std::size_t max_message_size() {
        const Call call(*this);
        return static_cast<std::size_t>(checked(shmring_queue_max_message_size(queue()), name()));
    }

private:
    shmring_queue* queue() const noexcept { return c_handle<shmring_queue>(); }

    // The next message in place: the one held after a failed copy, or a new peek.
    ssize_t taken(const Patience& patience, const void*& message) {
        if (held_.held()) {
            message = held_.data;
            return held_.length;
        }
        return patiently(patience, [&](std::int64_t ns) { return shmring_queue_peek(queue(), &message, ns); });
    }

    // The message taken, copied out (one copy, into a bytes object of its size) and given back;
    // held if the copy fails.
    py::bytes copied(const void* message, ssize_t length) {
        held_ = {message, length};
        py::bytes copy = copy_to_bytes(message, static_cast<std::size_t>(length));
        held_ = {};
        checked(shmring_queue_release(queue()), name());
        return copy;
    }

    HeldMessage held_;

    static LeaseEnds ends(shmring_queue* queue) {
        return {queue, [](void* q, std::size_t length) { return shmring_queue_commit(static_cast<shmring_queue*>(q), length); },
                [](void* q) { shmring_queue_abort(static_cast<shmring_queue*>(q)); },
                [](void* q) { return shmring_queue_release(static_cast<shmring_queue*>(q)); }};
    }
};

}  // namespace

void register_queue(py::module_& module) {
    const auto none = py::none();
    py::class_<Queue> cls(module, "Queue", kQueueDoc);
    cls.def(py::init<std::string, const std::string&, int>(), py::arg("name"), py::arg("role"), py::kw_only(),
            py::arg("wait") = static_cast<int>(SHMRING_WAIT_ADAPTIVE))
        .def("receive_into", &Queue::receive_into, py::arg("buffer"), py::arg("timeout") = none,
             "Receives the next message into a writable buffer; returns its length.\n"
             "OSError(EMSGSIZE) if the buffer is too small: the message stays queued.")
        .def("send_batch", &Queue::send_batch, py::arg("messages"), py::arg("timeout") = none,
             "Sends messages (a sequence of bytes-like objects) in order as long as they fit, waiting only\n"
             "for room for the first; returns how many were sent. An SPSC batch is published at once, with\n"
             "at most one wake-up. OSError(EMSGSIZE) if the first is above max_message_size.")
        .def("receive_batch", &Queue::receive_batch, py::arg("max_count") = 64, py::arg("timeout") = none,
             "Receives up to max_count messages (a list of bytes), waiting only for the first.")
        .def_property_readonly("max_message_size", &Queue::max_message_size, "The largest message, in bytes.")
        .def("__iter__", [](py::object self) { return self; })
        .def("__next__", [](Queue& self) { return self.receive(py::none()); });
    def_fast<Queue, [](Queue& queue, py::handle, py::handle message, py::handle timeout) -> py::object {
        queue.send(message, timeout);
        return py::none();
    }, kMessageTimeout>(cls, "send",
                        "send($self, message, timeout=None)\n--\n\n"
                        "Sends one message (any bytes-like object), waiting while the queue is full.\n"
                        "OSError(EMSGSIZE) above max_message_size: nothing is sent.");
    def_fast<Queue, [](Queue& queue, py::handle, py::handle timeout, py::handle) -> py::object { return queue.receive(timeout); },
             kTimeout>(cls, "receive", "receive($self, timeout=None)\n--\n\nReceives the next message, as bytes.");
    def_fast<Queue, [](Queue& queue, py::handle self, py::handle timeout, py::handle) {
        return queue.loan(py::reinterpret_borrow<py::object>(self), timeout);
    }, kTimeout>(cls, "loan",
                 "loan($self, timeout=None)\n--\n\n"
                 "Zero copy: room for one message of up to max_message_size bytes in the ring (a shmring.Loan).\n"
                 "Fill it, then loan.commit(length), or loan.abort().");
    def_fast<Queue, [](Queue& queue, py::handle self, py::handle timeout, py::handle) {
        return queue.peek(py::reinterpret_borrow<py::object>(self), timeout);
    }, kTimeout>(cls, "peek",
                 "peek($self, timeout=None)\n--\n\n"
                 "Zero copy: the next message in place (a shmring.Message), consumed at message.release().");
    def_handle(cls, "Queue", "a call can make progress (receiver: a message is there; sender: there is room)");
}

}  // namespace shmring::python
