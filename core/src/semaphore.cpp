#include "shmring/semaphore.hpp"

namespace shmring {

Outcome create_semaphore(std::string_view name, std::uint32_t initial, std::uint32_t maximum, unsigned mode, const SegmentOptions& options) {
    RingConfig config = state_config(layout::Engine::semaphore, mode, options);
    config.max_messages = maximum;
    config.initial_count = initial;
    auto ring = RingSegment::create(name, config);
    if (!ring) return ring.error();
    return Ok{};
}

Result<Semaphore> Semaphore::attach(std::string_view name, const EndpointOptions& options) {
    return attach_by_name<Semaphore>(name, layout::Engine::semaphore, options);
}

Result<Semaphore> Semaphore::attach(RingSegment ring, const EndpointOptions& options) {
    auto endpoint = Endpoint::attach(std::move(ring), layout::EndpointRole::user, layout::Engine::semaphore, options);
    if (!endpoint) return endpoint.error();
    return Semaphore(std::move(*endpoint));
}

Status Semaphore::post() noexcept {
    auto& shared = count();
    // Relaxed: the CAS below checks it.
    std::uint32_t now = shared.load(std::memory_order_relaxed);
    do {
        if (now > maximum()) {
            ring().mark_corrupt();
            return Status::corrupt;
        }
        if (now == maximum()) return Status::overflow;
        // Release, pairs with the acquire CAS in take(): what the poster wrote before posting is
        // visible to the waiter that takes this count.
    } while (!shared.compare_exchange_weak(now, now + 1, std::memory_order_release, std::memory_order_relaxed));
    endpoint_.count_message(0);
    endpoint_.notify(event());
    return Status::ok;
}

Status Semaphore::take() noexcept {
    auto& shared = count();
    std::uint32_t now = shared.load(std::memory_order_relaxed);  // checked by the CAS below
    do {
        if (now == 0) return Status::again;
        if (now > maximum()) {
            ring().mark_corrupt();
            return Status::corrupt;
        }
        // Acquire, pairs with the release CAS in post().
    } while (!shared.compare_exchange_weak(now, now - 1, std::memory_order_acquire, std::memory_order_relaxed));
    return Status::ok;
}

Status Semaphore::counted(Status status) noexcept {
    if (status == Status::ok) endpoint_.count_message(0);
    endpoint_.count_miss(status, &layout::Counters::empty);
    return status;
}

Status Semaphore::try_wait() noexcept { return counted(take()); }

Status Semaphore::wait(Deadline deadline) noexcept {
    return counted(endpoint_.wait(event(), deadline, [&]() noexcept { return take(); }, detail::LookAgain{}));
}

}  // namespace shmring
