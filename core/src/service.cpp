#include "shmring/service.hpp"

#include <bit>
#include <cstring>

#include "shmring/detail/mpmc_repair.hpp"

namespace shmring {

namespace {

std::string quoted(std::string_view name) { return "service '" + std::string(name) + "'"; }

bool entry_alive(const RingSegment& ring, std::uint32_t index) noexcept {
    // [A3] acquire, pairs with [R3] in Endpoint::attach.
    return entry_presence(ring, index, ring.endpoint(index).state.load(std::memory_order_acquire)) == Presence::alive;
}

// The servers' mask: who may answer. Acquire, pairs with the release in ServiceServer::attach.
std::uint64_t attached_servers(const RingSegment& ring) noexcept { return ring.control().servers.load(std::memory_order_acquire); }

}  // namespace

Outcome create_service(std::string_view name, std::uint64_t max_pending, std::uint32_t max_request, std::uint32_t max_response,
                       unsigned mode, const SegmentOptions& options) {
    if (max_pending == 0 || max_pending > layout::kMaxServiceCalls)
        return Error(Errc::invalid_argument, quoted(name) + ": pending calls must be 1 to " + std::to_string(layout::kMaxServiceCalls));
    if (max_request == 0 || max_request > layout::kMaxSlotSize || max_response == 0 || max_response > layout::kMaxSlotSize)
        return Error(Errc::invalid_argument, quoted(name) + ": request and response sizes must be 1 byte to 1 MiB");
    RingConfig config;
    config.engine = layout::Engine::service;
    config.capacity = std::bit_ceil(2 * max_pending);
    config.slot_size = layout::kServiceQueueSlotSize;
    config.max_message = max_request;
    config.max_response = max_response;
    config.max_messages = max_pending;
    config.mode = mode;
    config.options = options;
    auto ring = RingSegment::create(name, config);
    if (!ring) return ring.error();
    return Ok{};
}

// --- client ------------------------------------------------------------------------------------

Result<ServiceClient> ServiceClient::attach(std::string_view name, const EndpointOptions& options) {
    return attach_by_name<ServiceClient>(name, layout::Engine::service, options);
}

Result<ServiceClient> ServiceClient::attach(RingSegment ring, const EndpointOptions& options) {
    auto endpoint = Endpoint::attach(std::move(ring), layout::EndpointRole::producer, layout::Engine::service, options);
    if (!endpoint) return endpoint.error();
    ServiceClient client(std::move(*endpoint));
    // Servers that died are forgotten now, so that a first call finds out at once that none is left.
    if (attached_servers(client.ring()) != 0) (void)client.free_stalled();
    return client;
}

ServiceClient::~ServiceClient() {
    if (!attached_ || !endpoint_.owned_by_this_process()) return;
    // Every call still pending is given up; servers serving one drop the response.
    if (detail::settle_calls_of(endpoint_.ring(), endpoint_.index())) endpoint_.notify(ring().space_event());
}

Status ServiceClient::try_send(std::span<const std::byte> request, std::uint64_t& id) noexcept {
    if (request.size() > max_request()) return Status::too_large;
    Status status = sent(request, id);
    if (status == Status::again && endpoint_.try_probe_due()) {
        (void)free_stalled();
        status = sent(request, id);
    }
    return status;
}

Status ServiceClient::send(std::span<const std::byte> request, std::uint64_t& id, Deadline deadline) noexcept {
    if (request.size() > max_request()) return Status::too_large;
    return endpoint_.wait(ring().space_event(), deadline, [&] { return sent(request, id); }, [this] { return free_stalled(); });
}

Status ServiceClient::sent(std::span<const std::byte> request, std::uint64_t& id) noexcept {
    const Status status = caller_.try_send(request, id);
    if (status == Status::ok) {
        endpoint_.count_message(request.size());
        endpoint_.notify(ring().data_event());
    }
    endpoint_.count_miss(status, &layout::Counters::full);
    return status;
}

Status ServiceClient::try_wait(std::uint64_t id, std::span<std::byte> buffer, std::size_t& length) noexcept {
    Status status = collected(id, buffer, length, detail::CallerProtocol::Look::state);
    if (status == Status::again && endpoint_.try_probe_due() && settle_if_gone(id)) status = collected(id, buffer, length, detail::CallerProtocol::Look::state);
    return status;
}

Status ServiceClient::wait(std::uint64_t id, std::span<std::byte> buffer, std::size_t& length, Deadline deadline) noexcept {
    // The first attempt reads the call's state (an id not ours is refused at once); the spin after
    // it watches only the posted outcome, off the line the server is changing, but for the first
    // attempt after each probe. The probe settles the call if what it waits for is gone, and posts
    // any outcome left unposted.
    auto look = detail::CallerProtocol::Look::state;
    const Status status = endpoint_.wait(
        ring().space_event(), deadline,
        [&] {
            const Status collected_now = collected(id, buffer, length, look);
            look = detail::CallerProtocol::Look::outcome;
            return collected_now;
        },
        [&] {
            (void)settle_if_gone(id);
            // The next attempt reads the state word again: garbage there, or a call no longer
            // ours, ends the wait (corrupt, unknown_request) within a probe interval.
            look = detail::CallerProtocol::Look::state;
            return Status::ok;
        });
    // A wait that timed out gives the call up, so that its response is never taken for another's.
    if (status == Status::timed_out) (void)cancel(id);
    return status;
}

Status ServiceClient::collected(std::uint64_t id, std::span<std::byte> buffer, std::size_t& length, detail::CallerProtocol::Look look) noexcept {
    const Status status = caller_.try_collect(id, buffer, length, look);
    // A call slot came free: a client waiting for one may go on.
    if (status != Status::again && status != Status::unknown_request) endpoint_.notify(ring().space_event());
    return status;
}

Status ServiceClient::call(std::span<const std::byte> request, std::span<std::byte> response, std::size_t& length,
                           Deadline deadline) noexcept {
    std::uint64_t id = 0;
    if (const Status sent = send(request, id, deadline); sent != Status::ok) return sent;
    const Status status = wait(id, response, length, deadline);
    // A call that only tried leaves nothing pending: its caller has no id to collect it with.
    if (status == Status::again) (void)cancel(id);
    return status;
}

bool ServiceClient::cancel(std::uint64_t id) noexcept {
    const auto freed = caller_.abandon(id);
    if (freed && *freed) endpoint_.notify(ring().space_event());  // a client may wait for the slot
    return freed.has_value();
}

bool ServiceClient::settle_if_gone(std::uint64_t id) noexcept {
    if (!caller_.settle_if_gone(id, Servers{*this})) return false;
    (void)free_stalled();  // the dead server too, so that the next call is refused at once if it was the last
    return true;
}

bool ServiceClient::settle_calls_if_gone() noexcept { return caller_.settle_calls_if_gone(Servers{*this}); }

bool ServiceClient::Servers::alive(std::uint32_t index) const noexcept { return entry_alive(client.ring(), index); }

bool ServiceClient::Servers::any_alive() const noexcept {
    for (std::uint64_t mask = attached_servers(client.ring()); mask != 0; mask &= mask - 1)
        if (alive(static_cast<std::uint32_t>(std::countr_zero(mask)))) return true;
    return false;
}

bool ServiceClient::Servers::repair(std::uint64_t ticket) const noexcept {
    // The producers' ticket a lap later uses the same slot: repair_unreleased's terms.
    return detail::repair_unreleased(client.ring(), client.endpoint_, ticket + client.ring().geometry().capacity);
}

Status ServiceClient::free_stalled() noexcept {
    const auto& ring = this->ring();
    const Servers servers{*this};
    // A dead server that held a queue ticket keeps its entry until the ticket's slot is repaired.
    for (std::uint64_t mask = attached_servers(ring); mask != 0; mask &= mask - 1) {
        const auto index = static_cast<std::uint32_t>(std::countr_zero(mask));
        if (servers.alive(index)) continue;
        // Relaxed: repair_unreleased re-reads what it acts on with acquire.
        const std::uint64_t claim = ring.endpoint(index).claim.load(std::memory_order_relaxed);
        if (claim != 0) (void)servers.repair(claim - 1);
    }
    // Then every dead endpoint, whose calls are settled as its entry is reaped (Endpoint's take_entry).
    (void)reap_dead_endpoints(ring);
    return Status::ok;
}

// --- server ------------------------------------------------------------------------------------

Result<ServiceServer> ServiceServer::attach(std::string_view name, const EndpointOptions& options) {
    return attach_by_name<ServiceServer>(name, layout::Engine::service, options);
}

Result<ServiceServer> ServiceServer::attach(RingSegment ring, const EndpointOptions& options) {
    auto endpoint = Endpoint::attach(std::move(ring), layout::EndpointRole::consumer, layout::Engine::service, options);
    if (!endpoint) return endpoint.error();
    // Release, pairs with attached_servers(): a client that sees the bit sees the entry attached.
    endpoint->ring().control().servers.fetch_or(std::uint64_t{1} << endpoint->index(), std::memory_order_release);
    return ServiceServer(std::move(*endpoint));
}

ServiceServer::~ServiceServer() {
    if (!attached_ || !endpoint_.owned_by_this_process()) return;
    // Relaxed: the bit is a hint; the calls below are settled by CAS.
    ring().control().servers.fetch_and(~(std::uint64_t{1} << endpoint_.index()), std::memory_order_relaxed);
    // Requests taken and not answered: their clients get reset. (Endpoint's detach wakes them.)
    (void)detail::settle_calls_of(ring(), endpoint_.index());
}

Request ServiceServer::try_receive() noexcept {
    bool skipped = false;
    Request request = responder_.try_take(skipped);
    if (request.status == Status::again && endpoint_.try_probe_due() && repair_stalled()) request = responder_.try_take(skipped);
    // Ids skipped were taking queue room that a client may wait for; a corrupt request's call was
    // reset for its client. (A request taken is answered later, and that wakes its client.)
    if (skipped || request.status == Status::corrupt) endpoint_.notify(ring().space_event());
    if (request.status == Status::ok) endpoint_.count_message(request.data.size());
    endpoint_.count_miss(request.status, &layout::Counters::empty);
    return request;
}

Status ServiceServer::reply(std::uint64_t id, std::size_t length) noexcept {
    const Status status = responder_.answer(id, length);
    if (status == Status::ok) endpoint_.notify(ring().space_event());
    return status;
}

Status ServiceServer::reply(std::uint64_t id, std::span<const std::byte> response) noexcept {
    if (response.size() > max_response()) return Status::too_large;
    const auto area = response_buffer(id);
    if (area.empty()) return Status::unknown_request;
    if (!response.empty()) std::memcpy(area.data(), response.data(), response.size());
    return reply(id, response.size());
}

bool ServiceServer::repair_stalled() const noexcept {
    // Relaxed: repair_unpublished re-reads everything it acts on with acquire.
    return detail::repair_unpublished(ring(), endpoint_, ring().consumer().position.load(std::memory_order_relaxed));
}

}  // namespace shmring
