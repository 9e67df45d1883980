// Service handles (service.hpp) on real segments: calls, pipelining, give-ups, back-pressure,
// servers that close or die, clients that die, and garbage in the call slots (the sanitizer
// builds run these too).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <optional>
#include <cstring>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "shmring/detail/service_protocol.hpp"
#include "shmring/service.hpp"
#include "support/dying_server.hpp"
#include "support/test_ring.hpp"

namespace shmring {
namespace {

using namespace std::chrono_literals;
using testing::bytes_of;

constexpr std::uint32_t kSize = 64;

std::string text(std::span<const std::byte> bytes) { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }

// Answers every request it takes with the request upper-cased, until `stop`.
void serve_upper(ServiceServer& server, const std::atomic<bool>& stop) {
    while (!stop.load()) {
        const Request request = server.receive(Clock::now() + 10ms);
        if (request.status != Status::ok) continue;
        std::string answer = text(request.data);
        for (auto& c : answer) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        ASSERT_EQ(server.reply(request.id, bytes_of(answer)), Status::ok);
    }
}

// Sends "q" from `client` and has `server` take it: `id` and `request` name the call it serves.
void send_and_take(ServiceClient& client, ServiceServer& server, std::uint64_t& id, Request& request) {
    ASSERT_EQ(client.try_send(bytes_of("q"), id), Status::ok);
    request = server.try_receive();
    ASSERT_EQ(request.status, Status::ok);
}

struct Buffer {
    std::byte bytes[kSize];
    std::span<std::byte> span() { return bytes; }
    std::string str(std::size_t length) const { return {reinterpret_cast<const char*>(bytes), length}; }
};

TEST(Service, shouldAnswerACallWithItsOwnResponse) {
    testing::RingName name("service.call");
    ASSERT_TRUE(create_service(name, 4, kSize, kSize));
    auto server = ServiceServer::attach(name);
    ASSERT_TRUE(server);
    auto client = ServiceClient::attach(name);
    ASSERT_TRUE(client);
    std::atomic<bool> stop{false};
    std::thread serving([&] { serve_upper(*server, stop); });
    Buffer response;
    std::size_t length = 0;
    for (int i = 0; i < 1000; ++i) {
        const std::string request = "call " + std::to_string(i);
        ASSERT_EQ(client->call(bytes_of(request), response.span(), length), Status::ok);
        std::string expected = request;
        for (auto& c : expected) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        ASSERT_EQ(response.str(length), expected);
    }
    stop = true;
    serving.join();
}

TEST(Service, shouldRefuseACallWhenNoServerIsAttached) {
    testing::RingName name("service.refused");
    ASSERT_TRUE(create_service(name, 4, kSize, kSize));
    auto client = ServiceClient::attach(name);
    ASSERT_TRUE(client);
    std::uint64_t id = 0;
    EXPECT_EQ(client->try_send(bytes_of("x"), id), Status::refused);
    Buffer response;
    std::size_t length = 0;
    const auto start = Clock::now();
    EXPECT_EQ(client->call(bytes_of("x"), response.span(), length), Status::refused);
    EXPECT_LT(Clock::now() - start, 10ms);
    {
        auto server = ServiceServer::attach(name);
        ASSERT_TRUE(server);
        EXPECT_EQ(client->try_send(bytes_of("x"), id), Status::ok);
    }
    // The server closed: the request it never took is refused when the client waits for it.
    EXPECT_EQ(client->wait(id, response.span(), length, Clock::now() + 2s), Status::refused);
    EXPECT_EQ(client->try_send(bytes_of("x"), id), Status::refused);
}

TEST(Service, shouldCollectPipelinedResponsesInAnyOrder) {
    testing::RingName name("service.pipeline");
    ASSERT_TRUE(create_service(name, 8, kSize, kSize));
    auto server = ServiceServer::attach(name);
    auto client = ServiceClient::attach(name);
    ASSERT_TRUE(server && client);
    std::vector<std::uint64_t> ids(8);
    for (int i = 0; i < 8; ++i) ASSERT_EQ(client->try_send(bytes_of("r" + std::to_string(i)), ids[i]), Status::ok);
    std::uint64_t extra = 0;
    EXPECT_EQ(client->try_send(bytes_of("over"), extra), Status::again);  // max_pending reached
    // Answered in the order taken, collected backwards.
    for (int i = 0; i < 8; ++i) {
        const Request request = server->try_receive();
        ASSERT_EQ(request.status, Status::ok);
        ASSERT_EQ(request.id, ids[i]);
        ASSERT_EQ(server->reply(request.id, bytes_of("a" + text(request.data))), Status::ok);
        EXPECT_EQ(server->reply(request.id, bytes_of("twice")), Status::unknown_request);
    }
    Buffer response;
    std::size_t length = 0;
    for (int i = 7; i >= 0; --i) {
        ASSERT_EQ(client->try_wait(ids[i], response.span(), length), Status::ok);
        EXPECT_EQ(response.str(length), "ar" + std::to_string(i));
        EXPECT_EQ(client->try_wait(ids[i], response.span(), length), Status::unknown_request);
    }
    EXPECT_EQ(client->try_wait(12345, response.span(), length), Status::unknown_request);
}

TEST(Service, shouldFreeACallSlotWhenTheClientCollectsOutOfOrder) {
    testing::RingName name("service.slots");
    ASSERT_TRUE(create_service(name, 3, kSize, kSize));
    auto server = ServiceServer::attach(name);
    auto client = ServiceClient::attach(name);
    ASSERT_TRUE(server && client);
    std::uint64_t ids[3];
    for (auto& id : ids) ASSERT_EQ(client->try_send(bytes_of("q"), id), Status::ok);
    for (int i = 0; i < 3; ++i) {
        const Request request = server->try_receive();
        ASSERT_EQ(request.status, Status::ok);
        ASSERT_EQ(server->reply(request.id, bytes_of("a")), Status::ok);
    }
    Buffer response;
    std::size_t length = 0;
    ASSERT_EQ(client->try_wait(ids[1], response.span(), length), Status::ok);  // the middle one
    std::uint64_t next = 0;
    EXPECT_EQ(client->try_send(bytes_of("q"), next), Status::ok);  // its slot is free again
    EXPECT_NE(next, ids[1]);
}

TEST(Service, shouldDropTheResponseOfACallThatTimedOutAndNeverHandItToTheNext) {
    testing::RingName name("service.stale");
    ASSERT_TRUE(create_service(name, 1, kSize, kSize));
    auto server = ServiceServer::attach(name);
    auto client = ServiceClient::attach(name);
    ASSERT_TRUE(server && client);
    Buffer response;
    std::size_t length = 0;
    // The server takes the request and answers only after the client gave up.
    std::uint64_t first = 0;
    ASSERT_EQ(client->try_send(bytes_of("first"), first), Status::ok);
    const Request taken = server->try_receive();
    ASSERT_EQ(taken.status, Status::ok);
    EXPECT_EQ(client->wait(first, response.span(), length, Clock::now() + 5ms), Status::timed_out);
    EXPECT_EQ(server->reply(taken.id, bytes_of("late")), Status::ok);  // dropped
    // The one slot is free again, and the next call gets its own response.
    std::uint64_t second = 0;
    ASSERT_EQ(client->try_send(bytes_of("second"), second), Status::ok);
    EXPECT_EQ(client->try_wait(second, response.span(), length), Status::again);
    const Request next = server->try_receive();
    ASSERT_EQ(next.status, Status::ok);
    EXPECT_EQ(text(next.data), "second");
    ASSERT_EQ(server->reply(next.id, bytes_of("fresh")), Status::ok);
    ASSERT_EQ(client->try_wait(second, response.span(), length), Status::ok);
    EXPECT_EQ(response.str(length), "fresh");
    EXPECT_EQ(client->try_wait(first, response.span(), length), Status::unknown_request);
}

TEST(Service, shouldSkipARequestGivenUpWhileQueued) {
    testing::RingName name("service.skip");
    ASSERT_TRUE(create_service(name, 2, kSize, kSize));
    auto server = ServiceServer::attach(name);
    auto client = ServiceClient::attach(name);
    ASSERT_TRUE(server && client);
    std::uint64_t gone = 0;
    std::uint64_t kept = 0;
    ASSERT_EQ(client->try_send(bytes_of("gone"), gone), Status::ok);
    ASSERT_TRUE(client->cancel(gone));
    EXPECT_FALSE(client->cancel(gone));
    ASSERT_EQ(client->try_send(bytes_of("kept"), kept), Status::ok);
    const Request request = server->try_receive();
    ASSERT_EQ(request.status, Status::ok);
    EXPECT_EQ(request.id, kept);
    EXPECT_EQ(text(request.data), "kept");
    EXPECT_EQ(server->try_receive().status, Status::again);
}

TEST(Service, shouldAnswerInPlaceWithoutCopying) {
    testing::RingName name("service.zero");
    ASSERT_TRUE(create_service(name, 2, kSize, 16));
    auto server = ServiceServer::attach(name);
    auto client = ServiceClient::attach(name);
    ASSERT_TRUE(server && client);
    std::uint64_t id = 0;
    ASSERT_EQ(client->try_send(bytes_of("in place"), id), Status::ok);
    const Request request = server->try_receive();
    ASSERT_EQ(request.status, Status::ok);
    const auto room = server->response_buffer(request.id);
    ASSERT_EQ(room.size(), 16U);
    EXPECT_TRUE(server->response_buffer(request.id + (std::uint64_t{1} << 24)).empty());  // another generation
    std::memcpy(room.data(), request.data.data(), 8);
    EXPECT_EQ(server->reply(request.id, std::size_t{17}), Status::too_large);
    ASSERT_EQ(server->reply(request.id, std::size_t{8}), Status::ok);
    Buffer response;
    std::size_t length = 0;
    ASSERT_EQ(client->try_wait(id, response.span(), length), Status::ok);
    EXPECT_EQ(response.str(length), "in place");
}

TEST(Service, shouldDropAResponseLargerThanTheCallersBuffer) {
    testing::RingName name("service.small");
    ASSERT_TRUE(create_service(name, 2, kSize, kSize));
    auto server = ServiceServer::attach(name);
    auto client = ServiceClient::attach(name);
    ASSERT_TRUE(server && client);
    std::uint64_t id = 0;
    ASSERT_EQ(client->try_send(bytes_of("q"), id), Status::ok);
    const Request request = server->try_receive();
    ASSERT_EQ(server->reply(request.id, bytes_of("a long answer")), Status::ok);
    std::byte small[4];
    std::size_t length = 0;
    EXPECT_EQ(client->try_wait(id, small, length), Status::too_large);
    EXPECT_EQ(client->try_wait(id, small, length), Status::unknown_request);
    EXPECT_EQ(client->try_send(bytes_of(std::string(kSize + 1, 'x')), id), Status::too_large);
}

TEST(Service, shouldResetTheCallsOfAServerThatClosesWithoutAnswering) {
    testing::RingName name("service.close");
    ASSERT_TRUE(create_service(name, 2, kSize, kSize));
    auto client = ServiceClient::attach(name);
    ASSERT_TRUE(client);
    std::uint64_t id = 0;
    {
        auto server = ServiceServer::attach(name);
        ASSERT_TRUE(server);
        ASSERT_EQ(client->try_send(bytes_of("q"), id), Status::ok);
        ASSERT_EQ(server->try_receive().status, Status::ok);
    }
    Buffer response;
    std::size_t length = 0;
    EXPECT_EQ(client->try_wait(id, response.span(), length), Status::reset);
    EXPECT_EQ(client->try_wait(id, response.span(), length), Status::unknown_request);
}

TEST(Service, shouldResetACallWithinAProbeIntervalWhenItsServerIsKilled) {
    testing::RingName name("service.kill");
    ASSERT_TRUE(create_service(name, 2, kSize, kSize));
    auto client = ServiceClient::attach(name);
    ASSERT_TRUE(client);
    int taken[2];
    ASSERT_EQ(::pipe(taken), 0);
    const pid_t child = ::fork();
    if (child == 0) {
        auto server = ServiceServer::attach(name);
        if (!server) ::_exit(1);
        const Request request = server->receive();
        (void)!::write(taken[1], "t", 1);
        ::pause();  // never answers
        ::_exit(request.status == Status::ok ? 0 : 1);
    }
    // Wait for the server to attach, then call.
    std::uint64_t id = 0;
    Status sent = Status::refused;
    for (int i = 0; i < 2000 && sent == Status::refused; ++i) {
        sent = client->try_send(bytes_of("q"), id);
        if (sent == Status::refused) std::this_thread::sleep_for(1ms);
    }
    ASSERT_EQ(sent, Status::ok);
    char byte = 0;
    ASSERT_EQ(::read(taken[0], &byte, 1), 1);
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    const auto killed = Clock::now();
    Buffer response;
    std::size_t length = 0;
    EXPECT_EQ(client->wait(id, response.span(), length, Clock::now() + 5s), Status::reset);
    EXPECT_LT(Clock::now() - killed, 250ms);
    // The dead server is forgotten: the next call is refused at once.
    EXPECT_EQ(client->try_send(bytes_of("q"), id), Status::refused);
    ::close(taken[0]);
    ::close(taken[1]);
}

TEST(Service, shouldGiveUpTheCallsOfAKilledClientAndLetServersGoOn) {
    testing::RingName name("service.client.kill");
    ASSERT_TRUE(create_service(name, 4, kSize, kSize));
    auto server = ServiceServer::attach(name);
    ASSERT_TRUE(server);
    int sent[2];
    ASSERT_EQ(::pipe(sent), 0);
    const pid_t child = ::fork();
    if (child == 0) {
        auto client = ServiceClient::attach(name);
        if (!client) ::_exit(1);
        std::uint64_t id = 0;
        for (int i = 0; i < 4; ++i)
            if (client->try_send(bytes_of("from the dead"), id) != Status::ok) ::_exit(1);
        (void)!::write(sent[1], "s", 1);
        ::pause();
        ::_exit(0);
    }
    char byte = 0;
    ASSERT_EQ(::read(sent[0], &byte, 1), 1);
    // One request is taken before the client dies, and answered after: into the void.
    const Request taken = server->try_receive();
    ASSERT_EQ(taken.status, Status::ok);
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_EQ(server->reply(taken.id, bytes_of("nobody")), Status::ok);
    // A new client finds every call slot back once the dead one is reaped.
    auto client = ServiceClient::attach(name);
    ASSERT_TRUE(client);
    std::uint64_t ids[4];
    for (auto& id : ids) ASSERT_EQ(client->send(bytes_of("alive"), id, Clock::now() + 2s), Status::ok);
    // The dead client's queued requests are skipped; only the live one's are served.
    for (int i = 0; i < 4; ++i) {
        const Request request = server->receive(Clock::now() + 2s);
        ASSERT_EQ(request.status, Status::ok);
        EXPECT_EQ(text(request.data), "alive");
        ASSERT_EQ(server->reply(request.id, bytes_of("ok")), Status::ok);
    }
    EXPECT_EQ(server->try_receive().status, Status::again);
    ::close(sent[0]);
    ::close(sent[1]);
}

TEST(Service, shouldServeManyClientsWithAPoolOfServersExactlyOnce) {
    testing::RingName name("service.pool");
    ASSERT_TRUE(create_service(name, 8, kSize, kSize));
    constexpr int kClients = 3;
    constexpr int kServers = 2;
    constexpr int kCalls = 3000;
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> served{0};
    std::vector<std::thread> servers;
    for (int s = 0; s < kServers; ++s) {
        servers.emplace_back([&] {
            auto server = ServiceServer::attach(name);
            ASSERT_TRUE(server);
            while (!stop.load()) {
                const Request request = server->receive(Clock::now() + 5ms);
                if (request.status != Status::ok) continue;
                std::uint64_t n = 0;
                ASSERT_EQ(request.data.size(), sizeof n);
                std::memcpy(&n, request.data.data(), sizeof n);
                n = ~n;
                ASSERT_EQ(server->reply(request.id, std::as_bytes(std::span(&n, 1))), Status::ok);
                served.fetch_add(1);
            }
        });
    }
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
        clients.emplace_back([&, c] {
            auto client = ServiceClient::attach(name);
            ASSERT_TRUE(client);
            while (!client->server_attached()) std::this_thread::yield();
            while (__builtin_popcountll(client->ring().control().servers.load(std::memory_order_relaxed)) < kServers) std::this_thread::yield();
            for (std::uint64_t i = 0; i < kCalls; i += 2) {
                // Two in flight, collected in reverse order.
                const std::uint64_t a = (std::uint64_t(c) << 32) | i;
                const std::uint64_t b = a + 1;
                std::uint64_t id_a = 0;
                std::uint64_t id_b = 0;
                ASSERT_EQ(client->send(std::as_bytes(std::span(&a, 1)), id_a), Status::ok);
                ASSERT_EQ(client->send(std::as_bytes(std::span(&b, 1)), id_b), Status::ok);
                std::uint64_t answer = 0;
                std::size_t length = 0;
                ASSERT_EQ(client->wait(id_b, std::as_writable_bytes(std::span(&answer, 1)), length), Status::ok);
                ASSERT_EQ(answer, ~b);
                ASSERT_EQ(client->wait(id_a, std::as_writable_bytes(std::span(&answer, 1)), length), Status::ok);
                ASSERT_EQ(answer, ~a);
            }
        });
    }
    for (auto& t : clients) t.join();
    stop = true;
    for (auto& t : servers) t.join();
    EXPECT_EQ(served.load(), std::uint64_t{kClients} * kCalls);
}

TEST(Service, shouldResetACallWhoseServerDiedTakingItAndFreeTheQueueForClientsThatOnlyTry) {
    testing::RingName name("service.taking");
    ASSERT_TRUE(create_service(name, 2, kSize, kSize));
    auto server = ServiceServer::attach(name);  // alive throughout, but never sees the call
    auto client = ServiceClient::attach(name);
    ASSERT_TRUE(server && client);
    std::uint64_t id = 0;
    ASSERT_EQ(client->try_send(bytes_of("taken by the dead"), id), Status::ok);
    ASSERT_TRUE(testing::kill_a_server_taking_a_ticket(name.str()));
    Buffer response;
    std::size_t length = 0;
    // A client that only tries learns it within a probe interval, as a waiting one would.
    Status status = Status::again;
    const auto start = Clock::now();
    while (status == Status::again && Clock::now() - start < 1s) status = client->try_wait(id, response.span(), length);
    EXPECT_EQ(status, Status::reset);
    EXPECT_LT(Clock::now() - start, 250ms);
    // The queue slot the dead server held was repaired: sends go on past its lap.
    for (int i = 0; i < 20; ++i) {
        Status sent = Status::again;
        const auto begin = Clock::now();
        while (sent == Status::again && Clock::now() - begin < 1s) sent = client->try_send(bytes_of("q"), id);
        ASSERT_EQ(sent, Status::ok) << "send " << i;
        const Request request = server->try_receive();
        ASSERT_EQ(request.status, Status::ok);
        ASSERT_EQ(server->reply(request.id, bytes_of("a")), Status::ok);
        ASSERT_EQ(client->try_wait(id, response.span(), length), Status::ok);
    }
}

TEST(Service, shouldRefuseAQueuedCallWhenTheLastServerDiesBeforeTakingIt) {
    testing::RingName name("service.last");
    ASSERT_TRUE(create_service(name, 2, kSize, kSize));
    auto client = ServiceClient::attach(name);
    ASSERT_TRUE(client);
    const pid_t child = ::fork();
    if (child == 0) {
        auto server = ServiceServer::attach(name);
        ::raise(SIGKILL);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    std::uint64_t id = 0;
    ASSERT_EQ(client->try_send(bytes_of("q"), id), Status::ok);  // the dead server's bit still says attached
    Buffer response;
    std::size_t length = 0;
    EXPECT_EQ(client->wait(id, response.span(), length, Clock::now() + 2s), Status::refused);
    EXPECT_EQ(client->try_send(bytes_of("q"), id), Status::refused);  // and now at once
}

TEST(Service, shouldLeaveNothingPendingAfterACallThatOnlyTriedAndACancel) {
    testing::RingName name("service.try");
    ASSERT_TRUE(create_service(name, 1, kSize, kSize));
    auto server = ServiceServer::attach(name);
    auto client = ServiceClient::attach(name);
    ASSERT_TRUE(server && client);
    Buffer response;
    std::size_t length = 0;
    EXPECT_EQ(client->call(bytes_of("q"), response.span(), length, kTryOnce), Status::again);
    // The one call slot is free again; the server skips the id given up.
    std::uint64_t id = 0;
    ASSERT_EQ(client->try_send(bytes_of("next"), id), Status::ok);
    const Request request = server->try_receive();
    ASSERT_EQ(request.status, Status::ok);
    EXPECT_EQ(text(request.data), "next");
    // Cancelled while served: true once, and the server's answer frees the slot.
    EXPECT_TRUE(client->cancel(id));
    EXPECT_FALSE(client->cancel(id));
    std::uint64_t blocked = 0;
    EXPECT_EQ(client->try_send(bytes_of("q"), blocked), Status::again);
    ASSERT_EQ(server->reply(request.id, bytes_of("late")), Status::ok);
    EXPECT_EQ(client->try_send(bytes_of("q"), blocked), Status::ok);
}

// A service of 2 calls, with a server and a client attached.
class ServicePair : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(create_service(name_, 2, kSize, kSize));
        auto attached_server = ServiceServer::attach(name_);
        auto attached_client = ServiceClient::attach(name_);
        ASSERT_TRUE(attached_server && attached_client);
        server.emplace(std::move(*attached_server));
        client.emplace(std::move(*attached_client));
    }

    testing::RingName name_{"service.pair"};
    std::optional<ServiceServer> server;
    std::optional<ServiceClient> client;
};

// A thread waiting for call `id` (up to 5 s), given the time to get past the wait's first attempt:
// it then watches the outcome line.
class WaitingCaller {
public:
    WaitingCaller(ServiceClient& client, std::uint64_t id)
        : thread_([this, &client, id] {
              started_ = true;
              status_ = client.wait(id, response_.span(), length_, Clock::now() + 5s);
          }) {
        while (!started_) std::this_thread::yield();
        std::this_thread::sleep_for(5ms);
    }
    WaitingCaller(const WaitingCaller&) = delete;
    WaitingCaller& operator=(const WaitingCaller&) = delete;
    ~WaitingCaller() {
        if (thread_.joinable()) thread_.join();
    }

    Status join() {
        thread_.join();
        return status_;
    }
    std::string response() const { return response_.str(length_); }

private:
    std::atomic<bool> started_{false};
    Status status_ = Status::again;
    Buffer response_;
    std::size_t length_ = 0;
    std::thread thread_;  // last: it starts once the rest is built
};

// A waiting client watches the outcome posted on the response line. A server that dies between
// answering and posting leaves the call answered with nothing posted: the wait's probe posts it.
TEST_F(ServicePair, shouldCollectAnAnswerWhoseOutcomeWasNeverPostedWithinAProbeInterval) {
    std::uint64_t id = 0;
    Request request{Status::again, {}};
    send_and_take(*client, *server, id, request);
    WaitingCaller caller(*client, id);
    // The server's [S3], without the post after it.
    const std::uint64_t index = layout::request_index(id);
    std::memcpy(server->response_buffer(request.id).data(), "late", 4);
    detail::response_header(server->ring(), index).length.store(4, std::memory_order_relaxed);
    auto& state = detail::call_at(server->ring(), index).state;
    const std::uint64_t serving = state.load(std::memory_order_relaxed);
    ASSERT_EQ(layout::call_phase(serving), layout::CallPhase::serving);
    const auto answered_at = Clock::now();
    state.store(layout::call_state(layout::call_generation(serving), layout::CallPhase::answered, layout::call_client(serving),
                                   layout::call_server(serving)),
                std::memory_order_release);
    EXPECT_EQ(caller.join(), Status::ok);
    EXPECT_EQ(caller.response(), "late");
    EXPECT_LT(Clock::now() - answered_at, 1s) << "the probe (every 50 ms) posts it";
}

// A waiting client that watches the outcome line still reads the state word after each probe:
// garbage written there meanwhile ends the wait as corrupt, not never.
TEST_F(ServicePair, shouldEndAWaitAsCorruptWhenItsCallsStateTurnsToGarbage) {
    std::uint64_t id = 0;
    Request request{Status::again, {}};
    send_and_take(*client, *server, id, request);
    WaitingCaller caller(*client, id);
    auto& state = detail::call_at(server->ring(), layout::request_index(id)).state;
    const auto garbage_at = Clock::now();
    state.store(state.load(std::memory_order_relaxed) | 0x7F, std::memory_order_relaxed);
    EXPECT_EQ(caller.join(), Status::corrupt);
    EXPECT_LT(Clock::now() - garbage_at, 1s) << "found at the first look after a probe (every 50 ms)";
}

// An outcome posted for a call that has not ended (garbage, or a forgery) hands nothing out: the
// client frees a call only by a CAS from the state posted.
TEST_F(ServicePair, shouldNotTakeAnOutcomePostedForACallStillServed) {
    std::uint64_t id = 0;
    Request request{Status::again, {}};
    send_and_take(*client, *server, id, request);
    const std::uint64_t index = layout::request_index(id);
    const std::uint64_t serving = detail::call_at(client->ring(), index).state.load(std::memory_order_relaxed);
    auto& header = detail::response_header(client->ring(), index);
    header.length.store(1, std::memory_order_relaxed);
    header.outcome.store(layout::call_state(layout::call_generation(serving), layout::CallPhase::answered, layout::call_client(serving),
                                            layout::call_server(serving)),
                         std::memory_order_release);
    Buffer response;
    std::size_t length = 0;
    EXPECT_EQ(client->try_wait(id, response.span(), length), Status::again);
    EXPECT_EQ(client->wait(id, response.span(), length, Clock::now() + 20ms), Status::timed_out);
    // The wait gave the call up: the server's answer frees it and reaches nobody.
    EXPECT_EQ(server->reply(request.id, bytes_of("real")), Status::ok);
    EXPECT_EQ(client->try_wait(id, response.span(), length), Status::unknown_request);
    // The slot serves the next call.
    ASSERT_EQ(client->try_send(bytes_of("r"), id), Status::ok);
    const Request next = server->try_receive();
    ASSERT_EQ(next.status, Status::ok);
    ASSERT_EQ(server->reply(next.id, bytes_of("R")), Status::ok);
    ASSERT_EQ(client->wait(id, response.span(), length, Clock::now() + 1s), Status::ok);
    EXPECT_EQ(response.str(length), "R");
    EXPECT_EQ(client->ring().control().corrupt.load(std::memory_order_relaxed), 0U);
}

TEST_F(ServicePair, shouldReportGarbageInTheQueueOrTheCallsAsCorrupt) {
    std::uint64_t id = 0;
    ASSERT_EQ(client->try_send(bytes_of("q"), id), Status::ok);
    // A request id out of range in the queue.
    const std::uint64_t bogus = layout::request_id(1, 1000);
    std::memcpy(detail::payload_at(server->ring(), 0), &bogus, sizeof bogus);
    EXPECT_EQ(server->try_receive().status, Status::corrupt);
    // A request length past the request area.
    ASSERT_EQ(client->try_send(bytes_of("q"), id), Status::ok);
    detail::call_at(client->ring(), layout::request_index(id)).request_length.store(kSize + 1, std::memory_order_relaxed);
    EXPECT_EQ(server->try_receive().status, Status::corrupt);
    Buffer response;
    std::size_t length = 0;
    EXPECT_EQ(client->try_wait(id, response.span(), length), Status::reset);  // the server gave it up
    // A response length past the response area.
    Request request{Status::again, {}};
    send_and_take(*client, *server, id, request);
    ASSERT_EQ(server->reply(request.id, bytes_of("a")), Status::ok);
    detail::response_header(client->ring(), layout::request_index(id)).length.store(kSize + 1, std::memory_order_relaxed);
    EXPECT_EQ(client->try_wait(id, response.span(), length), Status::corrupt);
    // A phase no step makes.
    ASSERT_EQ(client->try_send(bytes_of("q"), id), Status::ok);
    auto& state = detail::call_at(client->ring(), layout::request_index(id)).state;
    state.store(state.load(std::memory_order_relaxed) | 0x7F, std::memory_order_relaxed);
    EXPECT_EQ(client->try_wait(id, response.span(), length), Status::corrupt);
    EXPECT_EQ(server->try_receive().status, Status::again);  // skipped, not served
    EXPECT_EQ(client->ring().control().corrupt.load(std::memory_order_relaxed), 1U);
}

}  // namespace
}  // namespace shmring
