// Services: request/response between processes. Any number of clients send requests; any number
// of servers share them (each request is served by exactly one); each response goes back to the
// client and request id it answers, and to nobody else.
//
// The protocol is detail/service_protocol.hpp; a handle here is that protocol on an attached
// endpoint (clients are producers, servers consumers), which adds counters, waiting, waking and
// the probes that turn a dead server into an error rather than a hang.
//
// Client: call (send + wait), or send and wait apart, many calls in flight, collected in any
// order. A call waits for a free call slot when `max_pending` calls are pending. refused: no live
// server is attached; reset: the server serving the call died or closed before it answered
// (noticed within a probe interval, 50 ms by default); the request is never served twice. A wait
// that times out gives the call up: its response, should it come, is dropped.
//
// Server: try_receive / receive lend the request in place; the response is written in place too
// (response_buffer, then reply(id, length)) or copied (reply(id, bytes)). Replying twice, or to an
// id it does not serve: unknown_request.
//
// Handles are single-threaded: one thread at a time may call a handle's methods.
#pragma once

#include "shmring/detail/cxx20.hpp"

#include <span>
#include <string_view>

#include "shmring/detail/reassign.hpp"
#include "shmring/detail/reset_on_move.hpp"
#include "shmring/detail/service_protocol.hpp"
#include "shmring/detail/wait_loop.hpp"
#include "shmring/endpoint.hpp"
#include "shmring/error.hpp"
#include "shmring/layout.hpp"
#include "shmring/loan.hpp"
#include "shmring/ring_segment.hpp"

namespace shmring {

// Creates service `name`: up to `max_pending` calls pending at once (1 to 2^23), requests of up to
// `max_request` bytes and responses of up to `max_response` bytes (1 byte to 1 MiB each).
Outcome create_service(std::string_view name, std::uint64_t max_pending, std::uint32_t max_request, std::uint32_t max_response,
                       unsigned mode = 0600, const SegmentOptions& options = {});

class ServiceClient {
public:
    static Result<ServiceClient> attach(std::string_view name, const EndpointOptions& options = {});
    static Result<ServiceClient> attach(RingSegment ring, const EndpointOptions& options = {});

    const RingSegment& ring() const noexcept { return endpoint_.ring(); }
    Endpoint& endpoint() noexcept { return endpoint_; }
    const Endpoint& endpoint() const noexcept { return endpoint_; }
    std::size_t max_request() const noexcept { return caller_.max_request(); }
    std::size_t max_response() const noexcept { return caller_.max_response(); }

    // Sends a request; `id` receives its request id. again: `max_pending` calls are pending;
    // refused: no server is attached; too_large: above max_request().
    [[nodiscard]] Status try_send(std::span<const std::byte> request, std::uint64_t& id) noexcept;
    Status send(std::span<const std::byte> request, std::uint64_t& id, Deadline deadline = kNoDeadline) noexcept;

    // The response of call `id`, copied into `buffer`; `length` receives its size. again: not
    // yet; reset: its server died or closed; too_large: longer than `buffer` (it is dropped);
    // unknown_request: no pending call of this client has that id.
    [[nodiscard]] Status try_wait(std::uint64_t id, std::span<std::byte> buffer, std::size_t& length) noexcept;
    // The same, waiting until the deadline; timed_out gives the call up. refused: it was still
    // queued when every server had gone.
    Status wait(std::uint64_t id, std::span<std::byte> buffer, std::size_t& length, Deadline deadline = kNoDeadline) noexcept;

    // send, then wait, until one deadline.
    Status call(std::span<const std::byte> request, std::span<std::byte> response, std::size_t& length,
                Deadline deadline = kNoDeadline) noexcept;

    // Gives call `id` up: its response is dropped. False if it is not a pending call of this client.
    bool cancel(std::uint64_t id) noexcept;

    // A racy look, from any thread, at whether a response of this client's is ready (poll helpers).
    bool has_response() const noexcept { return caller_.has_response(); }
    // Settles the calls of this client that wait for a server that is gone (its server died: the
    // wait says reset; no server is left: refused); true if any was. Reads leases (slow); changes
    // calls only by CAS: a poll helper thread may call it.
    bool settle_calls_if_gone() noexcept;
    // Whether any server is attached (a look at a word, no system call).
    bool server_attached() const noexcept { return caller_.server_attached(); }

    ServiceClient(ServiceClient&&) noexcept = default;
    ServiceClient& operator=(ServiceClient&& other) noexcept { return detail::reassign(*this, std::move(other)); }
    // Gives every pending call up. (A forked child's copy of the handle is its parent's.)
    ~ServiceClient();

private:
    explicit ServiceClient(Endpoint endpoint)
        : endpoint_(std::move(endpoint)), caller_(endpoint_.ring(), endpoint_.entry().claim, endpoint_.index()) {}

    // What a client asks of the registry when a call or a send waits long: whether servers live,
    // and the repair of queue slots that dead servers hold (mpmc_repair.hpp).
    struct Servers {
        const ServiceClient& client;
        bool alive(std::uint32_t index) const noexcept;
        bool any_alive() const noexcept;
        bool repair(std::uint64_t ticket) const noexcept;
    };

    // One try at sending, or at collecting, with its counting and waking: the attempts of the
    // waits. The public tries add a look for the dead now and then (Endpoint::try_probe_due).
    Status sent(std::span<const std::byte> request, std::uint64_t& id) noexcept;
    Status collected(std::uint64_t id, std::span<std::byte> buffer, std::size_t& length, detail::CallerProtocol::Look look) noexcept;
    // Settles call `id` if what it waits for is gone (CallerProtocol::settle_if_gone), and then
    // frees what the dead hold. Slow: system calls.
    bool settle_if_gone(std::uint64_t id) noexcept;
    // Frees what dead endpoints hold: queue slots of dead servers, then their entries and those of
    // dead clients, whose calls are settled as the entries are reaped. Slow: system calls.
    Status free_stalled() noexcept;

    Endpoint endpoint_;
    detail::CallerProtocol caller_;
    detail::ResetOnMove<bool> attached_{true};  // false once moved from
};

class ServiceServer {
public:
    static Result<ServiceServer> attach(std::string_view name, const EndpointOptions& options = {});
    static Result<ServiceServer> attach(RingSegment ring, const EndpointOptions& options = {});

    const RingSegment& ring() const noexcept { return endpoint_.ring(); }
    Endpoint& endpoint() noexcept { return endpoint_; }
    const Endpoint& endpoint() const noexcept { return endpoint_; }
    std::size_t max_request() const noexcept { return responder_.max_request(); }
    std::size_t max_response() const noexcept { return responder_.max_response(); }

    // Takes the next request, in place until it is answered. again: none pending.
    [[nodiscard]] Request try_receive() noexcept;
    Request receive(Deadline deadline = kNoDeadline) noexcept {
        return detail::waited<Request>([&](auto attempt) { return wait_for_request(deadline, attempt); }, [&] { return try_receive(); });
    }

    // Where to write the response of request `id` in place (max_response() bytes); empty if this
    // server does not serve `id`.
    std::span<std::byte> response_buffer(std::uint64_t id) const noexcept { return responder_.response_area_of(id); }
    // Answers `id` with the first `length` bytes of its response_buffer. ok also if the client gave
    // up (the response is dropped). unknown_request: answered already, or not served here.
    Status reply(std::uint64_t id, std::size_t length) noexcept;
    // Answers `id` with a copy of `response`.
    Status reply(std::uint64_t id, std::span<const std::byte> response) noexcept;

    template <class Attempt, class Probe = detail::NoProbe>
    Status wait_for_request(Deadline deadline, Attempt&& attempt, Probe&& probe = {}) noexcept {
        return endpoint_.wait(ring().data_event(), deadline, attempt, [this, &probe]() noexcept {
            repair_stalled();
            return probe();
        });
    }
    // Repairs the queue slot of a client that died sending (mpmc_repair.hpp); true if it did.
    bool repair_stalled() const noexcept;

    // A racy look, from any thread, at whether a request is queued (poll helpers).
    bool has_request() const noexcept { return responder_.has_request(); }

    ServiceServer(ServiceServer&&) noexcept = default;
    ServiceServer& operator=(ServiceServer&& other) noexcept { return detail::reassign(*this, std::move(other)); }
    // Leaves: clients of the requests it still serves get reset.
    ~ServiceServer();

private:
    explicit ServiceServer(Endpoint endpoint)
        : endpoint_(std::move(endpoint)), responder_(endpoint_.ring(), endpoint_.entry().claim, endpoint_.index()) {}

    Endpoint endpoint_;
    detail::ResponderProtocol responder_;
    detail::ResetOnMove<bool> attached_{true};  // false once moved from
};

}  // namespace shmring
