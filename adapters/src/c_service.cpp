// The C API of services (shmring.h) on top of the service handles (service.hpp): argument checks,
// the try-then-wait shape of every call (no clock read when the first try succeeds), the request a
// server keeps when the caller's buffer was too small, and the poll descriptor.
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <span>

#include "c_api_support.hpp"
#include "patience.hpp"
#include "shmring/detail/poll_helper.hpp"
#include "shmring/service.hpp"
#include "shmring/shmring.h"

struct shmring_service {
    std::optional<shmring::ServiceClient> client;
    std::optional<shmring::ServiceServer> server;
    // Server: a request taken whose caller's buffer was too small; returned first next time.
    shmring::Request kept{shmring::Status::again, {}};
    shmring::detail::PollDescriptor poll;  // after the handles: its helper stops before they go

    shmring::Endpoint& endpoint() { return client ? client->endpoint() : server->endpoint(); }
    template <class Result>
    Result rearmed(Result result) {
        (void)poll.rearm_on_again(shmring::status_of(result));
        return result;
    }
};

namespace {

using shmring::Status;
using namespace shmring::c_api;
using shmring::detail::Patience;
using shmring::detail::tried_then_waited;


// The client's wait for the response of `id`: tries, then (if it may) waits until `deadline`.
Status collected(shmring_service& c, std::uint64_t id, std::span<std::byte> buffer, std::size_t& length, const Patience& patience) {
    auto& client = *c.client;
    const Status status = c.rearmed(tried_then_waited(
        client.endpoint(), patience, [&] { return client.try_wait(id, buffer, length); },
        [&](shmring::Deadline deadline) { return client.wait(id, buffer, length, deadline); }));
    return status;
}

// The server's next request: the one it kept, or a new one.
shmring::Request next_request(shmring_service& s, int64_t timeout_ns) {
    if (s.kept.status == Status::ok) return s.kept;
    auto& server = *s.server;
    return s.rearmed(tried_then_waited(
        server.endpoint(), patience_of(timeout_ns), [&] { return server.try_receive(); },
        [&](shmring::Deadline deadline) { return server.receive(deadline); }));
}

}  // namespace

extern "C" {

int shmring_service_create(const char* name, size_t max_pending, size_t max_request, size_t max_response, unsigned mode) {
    if (name == nullptr || max_request == 0 || max_request > shmring::layout::kMaxSlotSize || max_response == 0 ||
        max_response > shmring::layout::kMaxSlotSize)
        return -EINVAL;
    return guarded([&] {
        const auto created = shmring::create_service(name, max_pending, static_cast<std::uint32_t>(max_request),
                                                     static_cast<std::uint32_t>(max_response), mode_or_default(mode));
        return created ? 0 : fail(created.error());
    });
}

int shmring_service_open(const char* name, int role, shmring_service** out) {
    if (name == nullptr || out == nullptr || (role != SHMRING_CLIENT && role != SHMRING_SERVER)) return -EINVAL;
    return guarded([&] {
        auto service = std::make_unique<shmring_service>();
        if (role == SHMRING_CLIENT) {
            auto client = shmring::ServiceClient::attach(name);
            if (!client) return fail(client.error());
            service->client.emplace(std::move(*client));
        } else {
            auto server = shmring::ServiceServer::attach(name);
            if (!server) return fail(server.error());
            service->server.emplace(std::move(*server));
        }
        *out = service.release();
        return 0;
    });
}

ssize_t shmring_service_call(shmring_service* c, const void* req, size_t req_len, void* resp, size_t resp_cap, int64_t timeout_ns) {
    if (c == nullptr || (req == nullptr && req_len != 0) || (resp == nullptr && resp_cap != 0)) return -EINVAL;
    if (!c->client) return negated(Status::wrong_role);
    auto& client = *c->client;
    const std::span request(static_cast<const std::byte*>(req), req_len);
    std::uint64_t id = 0;
    // One deadline for both halves when the send had to wait; else the response's wait starts the
    // clock at its first miss.
    std::optional<shmring::Deadline> deadline;
    const Status sent = tried_then_waited(
        client.endpoint(), patience_of(timeout_ns), [&] { return client.try_send(request, id); },
        [&](shmring::Deadline until) {
            deadline = until;
            return client.send(request, id, until);
        });
    if (sent != Status::ok) return negated(sent);
    std::size_t length = 0;
    const std::span response(static_cast<std::byte*>(resp), resp_cap);
    const Status status = timeout_ns == 0 ? client.try_wait(id, response, length)
                                          : collected(*c, id, response, length, deadline ? Patience(*deadline) : patience_of(timeout_ns));
    // A call ends with its response or without: a caller that gets none gives the call up.
    if (status == Status::again || status == Status::timed_out) {
        (void)client.cancel(id);
        return negated(Status::timed_out);
    }
    return length_or_error(status, length);
}

int shmring_service_send(shmring_service* c, const void* req, size_t req_len, uint64_t* request_id, int64_t timeout_ns) {
    if (c == nullptr || (req == nullptr && req_len != 0) || request_id == nullptr) return -EINVAL;
    if (!c->client) return negated(Status::wrong_role);
    auto& client = *c->client;
    const std::span request(static_cast<const std::byte*>(req), req_len);
    std::uint64_t id = 0;
    const Status status = tried_then_waited(
        client.endpoint(), patience_of(timeout_ns), [&] { return client.try_send(request, id); },
        [&](shmring::Deadline deadline) { return client.send(request, id, deadline); });
    if (status != Status::ok) return negated(status);
    *request_id = id;
    return 0;
}

ssize_t shmring_service_wait(shmring_service* c, uint64_t request_id, void* resp, size_t resp_cap, int64_t timeout_ns) {
    if (c == nullptr || (resp == nullptr && resp_cap != 0)) return -EINVAL;
    if (!c->client) return negated(Status::wrong_role);
    std::size_t length = 0;
    const Status status = collected(*c, request_id, {static_cast<std::byte*>(resp), resp_cap}, length, patience_of(timeout_ns));
    return length_or_error(status, length);
}

int shmring_service_cancel(shmring_service* c, uint64_t request_id) {
    if (c == nullptr) return -EINVAL;
    if (!c->client) return negated(Status::wrong_role);
    return c->client->cancel(request_id) ? 0 : -EINVAL;
}

ssize_t shmring_service_receive(shmring_service* s, void* req, size_t cap, uint64_t* request_id, int64_t timeout_ns) {
    if (s == nullptr || (req == nullptr && cap != 0) || request_id == nullptr) return -EINVAL;
    if (!s->server) return negated(Status::wrong_role);
    const shmring::Request request = next_request(*s, timeout_ns);
    if (request.status != Status::ok) return negated(request.status);
    if (request.data.size() > cap) {
        s->kept = request;
        return -EMSGSIZE;
    }
    s->kept = {Status::again, {}};
    if (!request.data.empty()) std::memcpy(req, request.data.data(), request.data.size());
    *request_id = request.id;
    return static_cast<ssize_t>(request.data.size());
}

ssize_t shmring_service_peek(shmring_service* s, const void** req, uint64_t* request_id, int64_t timeout_ns) {
    if (s == nullptr || req == nullptr || request_id == nullptr) return -EINVAL;
    if (!s->server) return negated(Status::wrong_role);
    const shmring::Request request = next_request(*s, timeout_ns);
    if (request.status != Status::ok) return negated(request.status);
    s->kept = {Status::again, {}};
    *req = request.data.data();
    *request_id = request.id;
    return static_cast<ssize_t>(request.data.size());
}

int shmring_service_reply(shmring_service* s, uint64_t request_id, const void* resp, size_t len) {
    if (s == nullptr || (resp == nullptr && len != 0)) return -EINVAL;
    if (!s->server) return negated(Status::wrong_role);
    const Status status = s->server->reply(request_id, {static_cast<const std::byte*>(resp), len});
    return status == Status::ok ? 0 : negated(status);
}

int shmring_service_loan(shmring_service* s, uint64_t request_id, void** buf, size_t* cap) {
    if (s == nullptr || buf == nullptr || cap == nullptr) return -EINVAL;
    if (!s->server) return negated(Status::wrong_role);
    const auto area = s->server->response_buffer(request_id);
    if (area.empty()) return -EINVAL;
    *buf = area.data();
    *cap = area.size();
    return 0;
}

int shmring_service_commit(shmring_service* s, uint64_t request_id, size_t len) {
    if (s == nullptr) return -EINVAL;
    if (!s->server) return negated(Status::wrong_role);
    const Status status = s->server->reply(request_id, len);
    return status == Status::ok ? 0 : negated(status);
}

ssize_t shmring_service_max_request_size(shmring_service* s) {
    if (s == nullptr) return -EINVAL;
    return static_cast<ssize_t>(s->client ? s->client->max_request() : s->server->max_request());
}

ssize_t shmring_service_max_response_size(shmring_service* s) {
    if (s == nullptr) return -EINVAL;
    return static_cast<ssize_t>(s->client ? s->client->max_response() : s->server->max_response());
}

int shmring_service_set_wait(shmring_service* s, int strategy) {
    if (s == nullptr || !valid_strategy(strategy)) return -EINVAL;
    s->endpoint().set_wait_strategy(static_cast<shmring::WaitStrategy>(strategy));
    return 0;
}

int shmring_service_fd(shmring_service* s) {
    if (s == nullptr) return -EINVAL;
    return guarded([&] {
        shmring::Result<int> fd =
            // The probes settle what waits for the dead (the client's calls, the server's queue
            // slot of a client that died sending), so that the descriptor fires for the verdict.
            s->client ? s->poll.get(s->client->endpoint(), s->client->ring().space_event(), [c = &*s->client] { return c->has_response(); },
                                    [c = &*s->client] { return c->settle_calls_if_gone(); })
                      : s->poll.get(s->server->endpoint(), s->server->ring().data_event(), [v = &*s->server] { return v->has_request(); },
                                    [v = &*s->server] { return v->repair_stalled(); });
        return fd ? *fd : fail(fd.error());
    });
}

void shmring_service_close(shmring_service* s) { delete s; }

}  // extern "C"
