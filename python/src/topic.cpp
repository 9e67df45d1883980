// shmring.Topic: publish-subscribe, every subscriber receiving every message (shmring_topic_*).
#include <shmring/shmring.h>

#include <cerrno>
#include <utility>

#include "binding.hpp"
#include "fast_method.hpp"
#include "lease.hpp"

namespace shmring::python {

namespace {

const char* kTopicDoc = R"(One side of a topic: one publisher, many subscribers, each receiving every message.

Topic(name, role, *, from_oldest=False, wait=Wait.ADAPTIVE) opens topic `name` (made by
create_topic) as the "publisher" (one at a time; a successor continues the sequence) or a
"subscriber" (up to 63), which starts with the next message published, or with from_oldest=True
with the oldest one the topic still keeps. Messages carry sequence numbers 1, 2, 3, ...

A lossless topic holds its publisher back while the slowest live subscriber is `capacity` messages
behind; a lossy one never waits, and a subscriber that falls a lap behind continues at the oldest
message kept, counting what it missed in `lost`.

Timeouts as for Queue: None waits for ever, 0 only tries (BlockingIOError), a positive number of
seconds at most that long (TimeoutError). A subscriber iterates over messages for ever.)";

const HandleCalls kTopicCalls{
    [](void* topic) { shmring_topic_close(static_cast<shmring_topic*>(topic)); },
    [](void* topic) { return shmring_topic_fd(static_cast<shmring_topic*>(topic)); },
    [](void* topic, int strategy) { return shmring_topic_set_wait(static_cast<shmring_topic*>(topic), strategy); },
};

int topic_role(const std::string& role, bool from_oldest) {
    if (role == "publisher") {
        if (from_oldest) throw py::value_error("from_oldest is for subscribers");
        return SHMRING_PUBLISHER;
    }
    if (role == "subscriber") return SHMRING_SUBSCRIBER | (from_oldest ? SHMRING_FROM_OLDEST : 0);
    throw py::value_error("role must be \"publisher\" or \"subscriber\", not \"" + role + "\"");
}

class Topic : public Handle {
public:
    Topic(std::string name, const std::string& role, bool from_oldest, int wait)
        : Handle(std::move(name), role, kTopicCalls, &shmring_topic_open, topic_role(role, from_oldest), wait) {}

    void publish(const py::handle& message, const py::handle& timeout) {
        const Call call(*this, "publisher", "publish");
        const BufferArg bytes(message, false);
        checked(patiently(Patience(timeout),
                          [&](std::int64_t ns) { return shmring_topic_publish(topic(), bytes.data(), bytes.size(), ns); }),
                name());
    }

    py::object loan(const py::object& self, const py::handle& timeout) {
        const Call call(*this, "publisher", "loan");
        void* room = nullptr;
        std::size_t capacity = 0;
        checked(patiently(Patience(timeout), [&](std::int64_t ns) { return shmring_topic_loan(topic(), &room, &capacity, ns); }), name());
        return make_loan(*this, self, {static_cast<std::byte*>(room), capacity}, ends(topic()));
    }

    // The next message and its sequence number: peeked, copied, released. A lossy topic's message
    // overwritten while it was copied counts as lost, and the next one is taken instead; one that
    // cannot be copied (MemoryError) stays held for the next receive.
    py::tuple receive_with_sequence(const py::handle& timeout) {
        const Call call(*this, "subscriber", "receive");
        const Patience patience(timeout);
        for (;;) {
            held_ = taken(patience);
            py::bytes copy = copy_to_bytes(held_.data, static_cast<std::size_t>(held_.length));
            const std::uint64_t sequence = std::exchange(held_, {}).sequence;
            const int released = shmring_topic_release(topic());
            if (released == -EOVERFLOW) continue;
            checked(released, name());
            return py::make_tuple(sequence, std::move(copy));
        }
    }

    py::object receive(const py::handle& timeout) { return receive_with_sequence(timeout)[1]; }

    ssize_t receive_into(const py::handle& buffer, const py::handle& timeout) {
        const Call call(*this, "subscriber", "receive_into");
        const BufferArg room(buffer, true);
        if (held_.held()) {
            const ssize_t length = checked(held_.copy_into({room.data(), room.size()}), name());
            const int released = shmring_topic_release(topic());
            if (released != -EOVERFLOW) {
                checked(released, name());
                return length;
            }
            // Overwritten while it was copied: lost, and the next message is received instead.
        }
        return checked(patiently(Patience(timeout),
                                 [&](std::int64_t ns) { return shmring_topic_receive(topic(), room.data(), room.size(), nullptr, ns); }),
                       name());
    }

    py::object peek(const py::object& self, const py::handle& timeout) {
        const Call call(*this, "subscriber", "peek");
        const HeldMessage next = taken(Patience(timeout));
        held_ = {};  // the Message lends it now
        return make_message(*this, self, {static_cast<const std::byte*>(next.data), static_cast<std::size_t>(next.length)},
                            ends(topic()), next.sequence);
    }

    std::uint64_t lost() {
        const Call call(*this, "subscriber", "lost");
        return shmring_topic_lost(topic());
    }

    std::size_t max_message_size() {
        const Call call(*this);
        return static_cast<std::size_t>(checked(shmring_topic_max_message_size(topic()), name()));
    }

private:
    shmring_topic* topic() const noexcept { return c_handle<shmring_topic>(); }

    // The next message in place: the one held after a failed copy, or a new peek.
    HeldMessage taken(const Patience& patience) {
        if (held_.held()) return held_;
        HeldMessage next;
        next.length = checked(
            patiently(patience, [&](std::int64_t ns) { return shmring_topic_peek(topic(), &next.data, &next.sequence, ns); }), name());
        return next;
    }

    HeldMessage held_;

    static LeaseEnds ends(shmring_topic* topic) {
        return {topic, [](void* t, std::size_t length) { return shmring_topic_commit(static_cast<shmring_topic*>(t), length); },
                [](void* t) { shmring_topic_abort(static_cast<shmring_topic*>(t)); },
                [](void* t) { return shmring_topic_release(static_cast<shmring_topic*>(t)); }};
    }
};

}  // namespace

void register_topic(py::module_& module) {
    const auto none = py::none();
    py::class_<Topic> cls(module, "Topic", kTopicDoc);
    cls.def(py::init<std::string, const std::string&, bool, int>(), py::arg("name"), py::arg("role"), py::kw_only(),
            py::arg("from_oldest") = false, py::arg("wait") = static_cast<int>(SHMRING_WAIT_ADAPTIVE))
        .def("receive_into", &Topic::receive_into, py::arg("buffer"), py::arg("timeout") = none,
             "Receives the next message into a writable buffer; returns its length.\n"
             "OSError(EMSGSIZE) if the buffer is too small: the message stays next.")
        .def_property_readonly("lost", &Topic::lost, "Subscriber of a lossy topic: how many messages it missed.")
        .def_property_readonly("max_message_size", &Topic::max_message_size, "The largest message, in bytes.")
        .def("__iter__", [](py::object self) { return self; })
        .def("__next__", [](Topic& self) { return self.receive(py::none()); });
    def_fast<Topic, [](Topic& topic, py::handle, py::handle message, py::handle timeout) -> py::object {
        topic.publish(message, timeout);
        return py::none();
    }, kMessageTimeout>(cls, "publish",
                        "publish($self, message, timeout=None)\n--\n\n"
                        "Publishes one message (any bytes-like object). Only a lossless topic ever waits.\n"
                        "OSError(EMSGSIZE) above max_message_size: nothing is published.");
    def_fast<Topic, [](Topic& topic, py::handle, py::handle timeout, py::handle) { return topic.receive(timeout); }, kTimeout>(
        cls, "receive", "receive($self, timeout=None)\n--\n\nReceives the next message, as bytes.");
    def_fast<Topic, [](Topic& topic, py::handle, py::handle timeout, py::handle) -> py::object {
        return topic.receive_with_sequence(timeout);
    }, kTimeout>(cls, "receive_with_sequence",
                 "receive_with_sequence($self, timeout=None)\n--\n\nReceives the next message: (sequence number, bytes).");
    def_fast<Topic, [](Topic& topic, py::handle self, py::handle timeout, py::handle) {
        return topic.loan(py::reinterpret_borrow<py::object>(self), timeout);
    }, kTimeout>(cls, "loan",
                 "loan($self, timeout=None)\n--\n\n"
                 "Zero copy: the next message's room in place (a shmring.Loan); commit(length) publishes it.");
    def_fast<Topic, [](Topic& topic, py::handle self, py::handle timeout, py::handle) {
        return topic.peek(py::reinterpret_borrow<py::object>(self), timeout);
    }, kTimeout>(cls, "peek",
                 "peek($self, timeout=None)\n--\n\n"
                 "Zero copy: the next message in place (a shmring.Message with its sequence), until message.release().");
    def_handle(cls, "Topic", "a call can make progress (subscriber: a message is there; publisher: one can be published)");
}

}  // namespace shmring::python
