// A shmring service: the parent is its client, the child its server, and each round trip is one
// call. The client's request goes out with `call` (send, then wait for the response); the server
// takes it in place with `receive` and answers in place (response_buffer, then reply). Round trips
// only: a call is a request and its response, so there is no one-way stream to measure (the RPC
// pool, harness/rpc_pool.hpp, keeps many calls in flight).
#include <algorithm>
#include <string>
#include <vector>

#include "harness/sizes.hpp"
#include "shmring/segment.hpp"
#include "shmring/service.hpp"
#include "transports/make_channel.hpp"
#include "transports/shmring_rings.hpp"

namespace shmring::bench {

namespace {

// As many calls, each a request and a response of the message size, as the buffer budget holds.
std::uint64_t pending_calls(const ChannelConfig& config) {
    const std::uint64_t fit = config.buffer_bytes / layout::call_stride_for(config.message_size, config.message_size);
    return std::clamp<std::uint64_t>(fit, 1, layout::kMaxServiceCalls);
}

// The harness fills the request between begin_send and end_send and expects the response from
// begin_receive: the call is made there, with the request held since end_send.
class ClientEnd : public ChannelEnd {
public:
    ClientEnd(ServiceClient client, Deadline deadline, std::size_t max_message)
        : client_(std::move(client)), deadline_(deadline), request_(max_message), response_(max_message) {}

    bool begin_send(std::size_t size, std::span<std::byte>& buffer) override {
        pending_ = buffer = {request_.data(), size};
        return true;
    }
    bool end_send() override { return true; }
    bool begin_receive(std::size_t, std::span<const std::byte>& message) override {
        std::size_t length = 0;
        const Status status = client_.call(pending_, response_, length, deadline_);
        if (status != Status::ok) return fail_status("call", status);
        message = {response_.data(), length};
        return true;
    }

private:
    ServiceClient client_;
    Deadline deadline_;
    std::vector<std::byte> request_;
    std::vector<std::byte> response_;
    std::span<std::byte> pending_;
};

// The request stays in place from begin_receive until its reply (end_send); the harness writes
// the response straight into the call's response area.
class ServerEnd : public ChannelEnd {
public:
    ServerEnd(ServiceServer server, Deadline deadline) : server_(std::move(server)), deadline_(deadline) {}

    bool begin_receive(std::size_t, std::span<const std::byte>& message) override {
        request_ = server_.receive(deadline_);
        if (request_.status != Status::ok) return fail_status("receive", request_.status);
        message = request_.data;
        return true;
    }
    bool begin_send(std::size_t size, std::span<std::byte>& buffer) override {
        const std::span<std::byte> area = server_.response_buffer(request_.id);
        if (area.size() < size) return fail("response_buffer: no room for the response");
        size_ = size;
        buffer = area.first(size);
        return true;
    }
    bool end_send() override {
        const Status status = server_.reply(request_.id, size_);
        return status == Status::ok || fail_status("reply", status);
    }

private:
    ServiceServer server_;
    Deadline deadline_;
    Request request_{Status::again, {}};
    std::size_t size_ = 0;
};

class ServiceChannel : public Channel {
public:
    explicit ServiceChannel(const ChannelConfig& config) : config_(config) {}
    ServiceChannel(const ServiceChannel&) = delete;
    ServiceChannel& operator=(const ServiceChannel&) = delete;
    ~ServiceChannel() override {
        if (created_) (void)Segment::unlink(config_.unique_name);
    }

    Outcome make() {
        const auto size = static_cast<std::uint32_t>(config_.message_size);
        if (auto made = create_service(config_.unique_name, pending_calls(config_), size, size); !made) return made;
        created_ = true;
        return Ok{};
    }

    // The child attaches the server before it says it is ready, hence before the parent's first call.
    Result<std::unique_ptr<ChannelEnd>> open(Side side) override {
        const EndpointOptions options = attach_options(config_.mode);
        const Deadline deadline = to_deadline(config_.deadline_ns);
        if (side == Side::child) {
            auto server = ServiceServer::attach(config_.unique_name, options);
            if (!server) return server.error();
            return std::unique_ptr<ChannelEnd>(new ServerEnd(std::move(*server), deadline));
        }
        auto client = ServiceClient::attach(config_.unique_name, options);
        if (!client) return client.error();
        return std::unique_ptr<ChannelEnd>(new ClientEnd(std::move(*client), deadline, config_.message_size));
    }

private:
    ChannelConfig config_;
    bool created_ = false;
};

}  // namespace

void register_shmring_service(Registry& registry) {
    registry.add({.name = "shmring-service",
                  .description = "shmring service, one call per round trip: call; receive and reply in place",
                  .modes = {WaitStrategy::spin, WaitStrategy::adaptive, WaitStrategy::block},
                  .patterns = {Pattern::latency},
                  .max_message = kLargestMessage,
                  .limit_reason = "",
                  .test_only = false,
                  .create = make_channel<ServiceChannel>});
}

}  // namespace shmring::bench
