// The C API of topics (shmring.h) on top of the topic handles (topic.hpp): argument checks, the
// try-then-wait shape of every call (no clock read when the first try succeeds), the zero-copy
// ladder's order, and the poll descriptor.
#include <cerrno>
#include <chrono>
#include <memory>
#include <optional>
#include <span>

#include "c_api_support.hpp"
#include "patience.hpp"
#include "shmring/detail/poll_helper.hpp"
#include "shmring/shmring.h"
#include "shmring/topic.hpp"

struct shmring_topic {
    std::optional<shmring::TopicPublisher> publisher;
    std::optional<shmring::TopicSubscriber> subscriber;
    // A loan (publisher) or a peeked message (subscriber) is open: other calls get EINVAL.
    bool lent = false;
    shmring::detail::PollDescriptor poll;  // after the handles: its helper stops before they go

    shmring::Endpoint& endpoint() { return publisher ? publisher->endpoint() : subscriber->endpoint(); }
    // The result of a call, after rearming the poll descriptor when it says again.
    template <class Result>
    Result rearmed(Result result) {
        (void)poll.rearm_on_again(shmring::status_of(result));
        return result;
    }
};

namespace {

using shmring::Status;
using namespace shmring::c_api;
using shmring::detail::tried_then_waited;


}  // namespace

extern "C" {

int shmring_topic_create(const char* name, size_t capacity_messages, size_t max_message_size, int policy, unsigned mode) {
    if (name == nullptr || (policy != SHMRING_LOSSLESS && policy != SHMRING_LOSSY) || max_message_size == 0 ||
        max_message_size > shmring::layout::kMaxSlotSize)
        return -EINVAL;
    return guarded([&] {
        const auto created = shmring::create_topic(name, capacity_messages, static_cast<std::uint32_t>(max_message_size),
                                                   static_cast<shmring::layout::TopicPolicy>(policy), mode_or_default(mode));
        return created ? 0 : fail(created.error());
    });
}

int shmring_topic_open(const char* name, int role_and_flags, shmring_topic** out) {
    const int role = role_and_flags & ~SHMRING_FROM_OLDEST;
    const bool from_oldest = (role_and_flags & SHMRING_FROM_OLDEST) != 0;
    if (name == nullptr || out == nullptr || (role != SHMRING_PUBLISHER && role != SHMRING_SUBSCRIBER) ||
        (from_oldest && role != SHMRING_SUBSCRIBER))
        return -EINVAL;
    return guarded([&] {
        auto topic = std::make_unique<shmring_topic>();
        if (role == SHMRING_PUBLISHER) {
            auto publisher = shmring::TopicPublisher::attach(name);
            if (!publisher) return fail(publisher.error());
            topic->publisher.emplace(std::move(*publisher));
        } else {
            const auto start = from_oldest ? shmring::TopicStart::oldest : shmring::TopicStart::next;
            auto subscriber = shmring::TopicSubscriber::attach(name, {}, start);
            if (!subscriber) return fail(subscriber.error());
            topic->subscriber.emplace(std::move(*subscriber));
        }
        *out = topic.release();
        return 0;
    });
}

int shmring_topic_publish(shmring_topic* t, const void* msg, size_t len, int64_t timeout_ns) {
    if (t == nullptr || (msg == nullptr && len != 0) || t->lent) return -EINVAL;
    if (!t->publisher) return negated(Status::wrong_role);
    auto& p = *t->publisher;
    const std::span message(static_cast<const std::byte*>(msg), len);
    const Status status = t->rearmed(tried_then_waited(
        p.endpoint(), patience_of(timeout_ns), [&] { return p.try_send(message); },
        [&](shmring::Deadline deadline) { return p.send(message, deadline); }));
    return status == Status::ok ? 0 : negated(status);
}

ssize_t shmring_topic_receive(shmring_topic* t, void* buf, size_t cap, uint64_t* sequence, int64_t timeout_ns) {
    if (t == nullptr || (buf == nullptr && cap != 0) || t->lent) return -EINVAL;
    if (!t->subscriber) return negated(Status::wrong_role);
    auto& s = *t->subscriber;
    const std::span buffer(static_cast<std::byte*>(buf), cap);
    std::size_t length = 0;
    const Status status = t->rearmed(tried_then_waited(
        s.endpoint(), patience_of(timeout_ns), [&] { return s.try_receive(buffer, length, sequence); },
        [&](shmring::Deadline deadline) { return s.receive(buffer, length, sequence, deadline); }));
    return length_or_error(status, length);
}

int shmring_topic_loan(shmring_topic* t, void** buf, size_t* cap, int64_t timeout_ns) {
    if (t == nullptr || buf == nullptr || cap == nullptr || t->lent) return -EINVAL;
    if (!t->publisher) return negated(Status::wrong_role);
    auto& p = *t->publisher;
    const shmring::Loan loan = t->rearmed(tried_then_waited(
        p.endpoint(), patience_of(timeout_ns), [&] { return p.try_claim(); },
        [&](shmring::Deadline deadline) { return p.claim(0, deadline); }));
    if (loan.status != Status::ok) return negated(loan.status);
    t->lent = true;
    *buf = loan.data.data();
    *cap = loan.data.size();
    return 0;
}

int shmring_topic_commit(shmring_topic* t, size_t len) {
    if (t == nullptr) return -EINVAL;
    if (!t->publisher) return negated(Status::wrong_role);
    if (!t->lent) return -EINVAL;
    if (len > t->publisher->max_message()) return -EMSGSIZE;  // the loan stays open
    t->publisher->commit(len);
    t->lent = false;
    return 0;
}

void shmring_topic_abort(shmring_topic* t) {
    if (t == nullptr || !t->publisher || !t->lent) return;
    t->publisher->abort();
    t->lent = false;
}

ssize_t shmring_topic_peek(shmring_topic* t, const void** msg, uint64_t* sequence, int64_t timeout_ns) {
    if (t == nullptr || msg == nullptr || t->lent) return -EINVAL;
    if (!t->subscriber) return negated(Status::wrong_role);
    auto& s = *t->subscriber;
    const shmring::View view = t->rearmed(tried_then_waited(
        s.endpoint(), patience_of(timeout_ns), [&] { return s.try_peek(); }, [&](shmring::Deadline deadline) { return s.peek(deadline); }));
    if (view.status != Status::ok) return negated(view.status);
    t->lent = true;
    *msg = view.data.data();
    if (sequence != nullptr) *sequence = view.sequence;
    return static_cast<ssize_t>(view.data.size());
}

int shmring_topic_release(shmring_topic* t) {
    if (t == nullptr) return -EINVAL;
    if (!t->subscriber) return negated(Status::wrong_role);
    if (!t->lent) return -EINVAL;
    t->lent = false;
    const Status status = t->subscriber->release();
    return status == Status::ok ? 0 : negated(status);
}

uint64_t shmring_topic_lost(shmring_topic* t) { return t != nullptr && t->subscriber ? t->subscriber->lost() : 0; }

ssize_t shmring_topic_max_message_size(shmring_topic* t) {
    if (t == nullptr) return -EINVAL;
    return static_cast<ssize_t>(t->publisher ? t->publisher->max_message() : t->subscriber->max_message());
}

int shmring_topic_set_wait(shmring_topic* t, int strategy) {
    if (t == nullptr || !valid_strategy(strategy)) return -EINVAL;
    t->endpoint().set_wait_strategy(static_cast<shmring::WaitStrategy>(strategy));
    return 0;
}

int shmring_topic_fd(shmring_topic* t) {
    if (t == nullptr) return -EINVAL;
    return guarded([&] {
        shmring::Result<int> fd = t->publisher
            ? t->poll.get(t->publisher->endpoint(), t->publisher->ring().space_event(), [p = &*t->publisher] { return p->has_room(); },
                          [p = &*t->publisher] { return p->has_dead_subscriber(); })  // the next call reaps it
            : t->poll.get(t->subscriber->endpoint(), t->subscriber->ring().data_event(), [s = &*t->subscriber] { return s->has_data(); },
                          [] { return false; });
        return fd ? *fd : fail(fd.error());
    });
}

void shmring_topic_close(shmring_topic* t) { delete t; }

}  // extern "C"
