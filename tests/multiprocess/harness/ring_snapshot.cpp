#include "harness/ring_snapshot.hpp"

#include <thread>

#include "shmring/layout.hpp"
#include "shmring/ring_segment.hpp"

namespace shmring::multiprocess {

namespace {

// Every load below is relaxed: these are looks taken while others write, for a message or to poll
// until a count rises, and no field read here guards the reading of another.
constexpr auto kSnapshot = std::memory_order_relaxed;

std::string describe_event(const char* name, const layout::WaitEvent& event) {
    return std::string(name) + " event: sequence " + std::to_string(event.sequence.load(kSnapshot)) + ", " +
           std::to_string(layout::sleeper_count(event)) + " asleep\n";
}

const char* role_name(std::uint32_t role) {
    switch (static_cast<layout::EndpointRole>(role)) {
        case layout::EndpointRole::none: return "none";
        case layout::EndpointRole::producer: return "producer";
        case layout::EndpointRole::consumer: return "consumer";
        case layout::EndpointRole::observer: return "observer";
        case layout::EndpointRole::user: return "user";
    }
    return "unknown";
}

}  // namespace

std::string describe_ring(std::string_view name) {
    auto ring = RingSegment::open(name, Access::read_only);
    if (!ring) return "ring '" + std::string(name) + "': " + ring.error().message() + "\n";
    const auto& geometry = ring->geometry();
    const std::uint64_t producer = ring->producer().position.load(kSnapshot);
    const std::uint64_t consumer = ring->consumer().position.load(kSnapshot);
    std::string text = "ring '" + std::string(name) + "': capacity " + std::to_string(geometry.capacity) +
                       ", producer position " + std::to_string(producer) + ", consumer position " +
                       std::to_string(consumer) + ", corrupt flag " +
                       std::to_string(ring->control().corrupt.load(kSnapshot)) + "\n";
    text += describe_event("data", ring->data_event());
    text += describe_event("space", ring->space_event());
    if (geometry.engine == layout::Engine::mpmc) {
        for (const std::uint64_t ticket : {consumer, producer}) {
            const auto* slot = reinterpret_cast<const layout::SlotHeader*>(ring->data() + (ticket & geometry.mask) * geometry.slot_stride);
            text += "slot of ticket " + std::to_string(ticket) + ": sequence " + std::to_string(slot->sequence.load(kSnapshot)) +
                    " (free for it at " + std::to_string(2 * ticket) + ", full at " + std::to_string(2 * ticket + 1) + ")\n";
        }
    }
    for (std::uint32_t i = 0; i < layout::kMaxEndpoints; ++i) {
        const auto& entry = ring->endpoint(i);
        const std::uint64_t state = entry.state.load(kSnapshot);
        if (layout::endpoint_status(state) == layout::EndpointStatus::free) continue;
        text += "endpoint " + std::to_string(i) + ": pid " + std::to_string(entry.pid.load(kSnapshot)) + ", " +
                role_name(entry.role.load(kSnapshot)) + ", claim " + std::to_string(entry.claim.load(kSnapshot)) + ", " +
                std::to_string(entry.counters.messages.load(kSnapshot)) + " messages, " +
                std::to_string(entry.counters.sleeps.load(kSnapshot)) + " sleeps, " +
                std::to_string(entry.counters.wakes.load(kSnapshot)) + " wakes\n";
    }
    return text;
}

ParkingTotals parking_totals(std::string_view name) {
    auto ring = RingSegment::open(name, Access::read_only);
    if (!ring) return {};
    const auto& control = ring->control();
    return {control.retired_producers.sleeps.load(kSnapshot) + control.retired_consumers.sleeps.load(kSnapshot),
            control.retired_producers.wakes.load(kSnapshot) + control.retired_consumers.wakes.load(kSnapshot)};
}

std::vector<std::uint64_t> sleeps_by_endpoint(const RingSegment& ring, layout::EndpointRole role) {
    std::vector<std::uint64_t> sleeps;
    for (std::uint32_t i = 0; i < layout::kMaxEndpoints; ++i) {
        const auto& entry = ring.endpoint(i);
        if (layout::endpoint_status(entry.state.load(kSnapshot)) != layout::EndpointStatus::attached ||
            entry.role.load(kSnapshot) != static_cast<std::uint32_t>(role))
            continue;
        sleeps.push_back(entry.counters.sleeps.load(kSnapshot));
    }
    return sleeps;
}

bool wait_for_parked(const RingSegment& ring, layout::EndpointRole role, std::size_t sleepers, std::uint64_t sleeps,
                     Deadline deadline) {
    for (;;) {
        std::size_t parked = 0;
        std::uint64_t total = 0;
        for (const std::uint64_t count : sleeps_by_endpoint(ring, role)) {
            parked += count > 0 ? 1 : 0;
            total += count;
        }
        if (parked >= sleepers && total >= sleeps) return true;
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

}  // namespace shmring::multiprocess
