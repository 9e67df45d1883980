// The C API of locks (shmring.h) on top of shmring::Lock (lock.hpp).
#include <cerrno>
#include <memory>

#include "c_api_support.hpp"
#include "patience.hpp"
#include "shmring/lock.hpp"
#include "shmring/shmring.h"

struct shmring_lock {
    shmring::Lock lock;
};

using shmring::Status;
using namespace shmring::c_api;

namespace {

int result_of(Status status) { return status == Status::ok ? 0 : negated(status); }

}  // namespace

extern "C" {

int shmring_lock_create(const char* name, unsigned mode) {
    if (name == nullptr) return -EINVAL;
    return guarded([&] {
        const auto created = shmring::create_lock(name, mode_or_default(mode));
        return created ? 0 : fail(created.error());
    });
}

int shmring_lock_open(const char* name, shmring_lock** out) {
    if (name == nullptr || out == nullptr) return -EINVAL;
    return guarded([&] {
        auto lock = shmring::Lock::attach(name);
        if (!lock) return fail(lock.error());
        *out = new shmring_lock{std::move(*lock)};
        return 0;
    });
}

int shmring_lock_acquire(shmring_lock* l, int64_t timeout_ns) {
    if (l == nullptr) return -EINVAL;
    auto& lock = l->lock;
    return result_of(shmring::detail::tried_then_waited(
        lock.endpoint(), patience_of(timeout_ns), [&] { return lock.try_acquire(); },
        [&](shmring::Deadline deadline) { return lock.acquire(deadline); }));
}

int shmring_lock_consistent(shmring_lock* l) {
    if (l == nullptr) return -EINVAL;
    return result_of(l->lock.make_consistent());
}

int shmring_lock_release(shmring_lock* l) {
    if (l == nullptr) return -EINVAL;
    return result_of(l->lock.release());
}

void shmring_lock_close(shmring_lock* l) { delete l; }

}  // extern "C"
