// The C API of semaphores (shmring.h) on top of shmring::Semaphore (semaphore.hpp), and its poll
// descriptor, which fires while the count is above zero.
#include <cerrno>
#include <memory>

#include "c_api_support.hpp"
#include "patience.hpp"
#include "shmring/detail/poll_helper.hpp"
#include "shmring/semaphore.hpp"
#include "shmring/shmring.h"

struct shmring_sem {
    explicit shmring_sem(shmring::Semaphore opened) : semaphore(std::move(opened)) {}
    shmring::Semaphore semaphore;
    shmring::detail::PollDescriptor poll;  // after the semaphore: its helper stops first
};

using shmring::Status;
using namespace shmring::c_api;

extern "C" {

int shmring_sem_create(const char* name, unsigned initial, unsigned maximum, unsigned mode) {
    if (name == nullptr || maximum == 0 || maximum > shmring::layout::kMaxSemaphoreCount || initial > maximum) return -EINVAL;
    return guarded([&] {
        const auto created = shmring::create_semaphore(name, initial, maximum, mode_or_default(mode));
        return created ? 0 : fail(created.error());
    });
}

int shmring_sem_open(const char* name, shmring_sem** out) {
    if (name == nullptr || out == nullptr) return -EINVAL;
    return guarded([&] {
        auto semaphore = shmring::Semaphore::attach(name);
        if (!semaphore) return fail(semaphore.error());
        *out = std::make_unique<shmring_sem>(std::move(*semaphore)).release();
        return 0;
    });
}

int shmring_sem_post(shmring_sem* s) {
    if (s == nullptr) return -EINVAL;
    const Status status = s->semaphore.post();
    return status == Status::ok ? 0 : negated(status);
}

int shmring_sem_wait(shmring_sem* s, int64_t timeout_ns) {
    if (s == nullptr) return -EINVAL;
    auto& semaphore = s->semaphore;
    const Status status = shmring::detail::tried_then_waited(
        semaphore.endpoint(), patience_of(timeout_ns), [&] { return semaphore.try_wait(); },
        [&](shmring::Deadline deadline) { return semaphore.wait(deadline); });
    if (status == Status::again || status == Status::timed_out) s->poll.rearm();  // found the count at zero
    return status == Status::ok ? 0 : negated(status);
}

int shmring_sem_value(shmring_sem* s) {
    if (s == nullptr) return -EINVAL;
    const std::uint32_t value = s->semaphore.value();
    return value <= s->semaphore.maximum() ? static_cast<int>(value) : negated(Status::corrupt);
}

int shmring_sem_fd(shmring_sem* s) {
    if (s == nullptr) return -EINVAL;
    return guarded([&] {
        auto fd = s->poll.get(s->semaphore.endpoint(), s->semaphore.event(), [s] { return s->semaphore.value() > 0; },
                              [] { return false; });
        return fd ? *fd : fail(fd.error());
    });
}

void shmring_sem_close(shmring_sem* s) { delete s; }

}  // extern "C"
