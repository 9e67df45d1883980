#include "shmring/lock.hpp"

namespace shmring {

Outcome create_lock(std::string_view name, unsigned mode, const SegmentOptions& options) {
    auto ring = RingSegment::create(name, state_config(layout::Engine::lock, mode, options));
    if (!ring) return ring.error();
    return Ok{};
}

Result<Lock> Lock::attach(std::string_view name, const EndpointOptions& options) {
    return attach_by_name<Lock>(name, layout::Engine::lock, options);
}

Result<Lock> Lock::attach(RingSegment ring, const EndpointOptions& options) {
    auto endpoint = Endpoint::attach(std::move(ring), layout::EndpointRole::user, layout::Engine::lock, options);
    if (!endpoint) return endpoint.error();
    return Lock(std::move(*endpoint));
}

Status Lock::counted(Status status) noexcept {
    if (status == Status::ok || status == Status::owner_died) endpoint_.count_message(0);
    if (status == Status::corrupt) ring().mark_corrupt();
    endpoint_.count_miss(status, &layout::Counters::empty);
    return status;
}

Status Lock::try_acquire() noexcept {
    if (endpoint_.forked_copy()) return Status::not_owner;
    Status status = protocol_.try_take();
    // A try that finds the lock held looks at its holder at most once per probe interval.
    if (status == Status::again && endpoint_.try_probe_due()) status = protocol_.try_take_from_dead(ring());
    return counted(status);
}

Status Lock::acquire(Deadline deadline) noexcept {
    if (endpoint_.forked_copy()) return Status::not_owner;
    return counted(protocol_.take_waiting(endpoint_, owner_lock_event(), deadline));
}

Status Lock::make_consistent() noexcept {
    if (endpoint_.forked_copy()) return Status::not_owner;
    return protocol_.make_consistent();
}

Status Lock::release() noexcept {
    if (endpoint_.forked_copy()) return Status::not_owner;
    const Status status = protocol_.give_back();
    if (status == Status::ok) endpoint_.notify(owner_lock_event());
    return status;
}

Lock::~Lock() {
    if (!endpoint_.owned_by_this_process() || !protocol_.held()) return;
    (void)protocol_.give_back(/*as_death=*/true);
    endpoint_.notify(owner_lock_event());
}

}  // namespace shmring
