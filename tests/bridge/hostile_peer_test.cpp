// Peers that lie or send garbage, played by the test with ZeroMQ sockets of its own: a bridge
// never corrupts its ring, never delivers what it should not, and keeps serving honest peers.
#include <gtest/gtest.h>

#include <span>
#include <zmq.hpp>

#include "bridge_fixture.hpp"
#include "shmring/queue.hpp"
#include "support/test_ring.hpp"
#include "wire.hpp"

namespace shmring::testing {
namespace {

using namespace std::chrono_literals;
using namespace shmring::bridge::detail;

std::optional<zmq::message_t> receive_within(zmq::socket_t& socket, std::chrono::milliseconds timeout) {
    zmq::pollitem_t items[] = {{static_cast<void*>(socket), 0, ZMQ_POLLIN, 0}};
    if (zmq::poll(items, 1, timeout) <= 0) return std::nullopt;
    zmq::message_t message;
    if (!socket.recv(message, zmq::recv_flags::dontwait)) return std::nullopt;
    return message;
}

template <class T>
void send_routed(zmq::socket_t& router, const zmq::message_t& peer, const T& frame) {
    router.send(zmq::buffer(peer.data(), peer.size()), zmq::send_flags::sndmore);
    router.send(zmq::buffer(&frame, sizeof frame), zmq::send_flags::none);
}

std::vector<std::string> drain(const std::string& queue, std::size_t count) {
    const Finished got = run_tool({"recv", queue, "--count", std::to_string(count), "--timeout", "10"});
    std::vector<std::string> lines;
    std::string line;
    for (const char c : got.out) {
        if (c == '\n') lines.push_back(std::exchange(line, {}));
        else line += c;
    }
    return lines;
}

TEST(HostilePeer, shouldKeepItsRingWhole_whenAReceiverLiesAboutPositions) {
    RingName source("bridge.liar.src");
    RingName destination("bridge.liar.dst");
    BridgeStateGuard states({source.str(), destination.str()});
    ASSERT_EQ(run_tool({"create", "queue", source.str(), "--messages", "64", "--message-size", "64"}).code, 0);
    std::vector<std::string> sent;
    for (int i = 0; i < 20; ++i) sent.push_back("message " + std::to_string(i));
    ASSERT_EQ(run_tool({"send", source.str()}, [&] { std::string all; for (auto& m : sent) all += m + "\n"; return all; }()).code, 0);
    const int port = free_port();
    auto sender = start_sender(source.str(), port, {"--plain", "--heartbeat", "100"});
    {
        zmq::context_t context;
        zmq::socket_t liar(context, zmq::socket_type::router);
        liar.set(zmq::sockopt::linger, 0);
        liar.bind(loopback_endpoint(port));
        auto peer = receive_within(liar, 5s);
        ASSERT_TRUE(peer);
        auto hello_message = receive_within(liar, 1s);
        ASSERT_TRUE(hello_message);
        const auto hello = decode<Hello>(std::span(static_cast<const std::byte*>(hello_message->data()), hello_message->size()));
        ASSERT_TRUE(hello);
        send_routed(liar, *peer, Position{frame_head(FrameType::resume), hello->start, hello->epoch});
        ASSERT_TRUE(receive_within(liar, 2s));  // the routing id of a DATA message
        // Positions mid-record, past everything, and garbage.
        send_routed(liar, *peer, Position{frame_head(FrameType::ack), hello->start + 8, 0});
        send_routed(liar, *peer, Position{frame_head(FrameType::ack), hello->start + 12, 0});
        send_routed(liar, *peer, Position{frame_head(FrameType::ack), ~std::uint64_t{0}, 0});
        send_routed(liar, *peer, std::array<std::uint8_t, 5>{1, 2, 3, 4, 5});
        send_routed(liar, *peer, Position{frame_head(FrameType::resume), hello->start + 8, hello->epoch});
        std::this_thread::sleep_for(300ms);
    }
    // The liar is gone; an honest receiver takes its place and gets everything, once, in order.
    auto receiver = start_receiver(destination.str(), port);
    ASSERT_TRUE(eventually([&] { return run_tool({"stat", destination.str()}).code == 0; }, 15s));
    EXPECT_EQ(drain(destination.str(), sent.size()), sent);
    EXPECT_EQ(run_tool({"recv", destination.str(), "--timeout", "0.3"}).out, "") << "nothing twice";
    const Finished stat = run_tool({"stat", source.str(), "--json"});
    EXPECT_EQ(stat.out.find("\"corrupt\": true"), std::string::npos) << stat.out;
}

TEST(HostilePeer, shouldDeliverOnlyWhatIsValid_whenASenderSendsGarbage) {
    RingName destination("bridge.garbage.dst");
    BridgeStateGuard states({destination.str()});
    const int port = free_port();
    auto receiver = start_receiver(destination.str(), port);
    zmq::context_t context;
    zmq::socket_t fake(context, zmq::socket_type::dealer);
    fake.set(zmq::sockopt::linger, 0);
    fake.connect(loopback_endpoint(port));
    const auto send = [&](const auto& frame) { fake.send(zmq::buffer(&frame, sizeof frame), zmq::send_flags::none); };

    send(std::array<std::uint8_t, 3>{9, 9, 9});
    Hello hello{};
    hello.head = frame_head(FrameType::hello);
    hello.engine = static_cast<std::uint32_t>(layout::Engine::spsc);
    hello.kind = static_cast<std::uint32_t>(layout::ChannelKind::queue);
    hello.stream = 42;
    hello.epoch = 1;
    hello.capacity = std::uint64_t{1} << 40;
    hello.max_messages = 16;
    hello.max_message = 64;
    send(hello);
    auto refusal = receive_within(fake, 5s);
    ASSERT_TRUE(refusal);
    EXPECT_EQ(frame_type(std::span(static_cast<const std::byte*>(refusal->data()), refusal->size())), FrameType::refuse);

    hello.capacity = 2048;
    send(hello);
    auto resume = receive_within(fake, 5s);
    ASSERT_TRUE(resume);
    ASSERT_EQ(frame_type(std::span(static_cast<const std::byte*>(resume->data()), resume->size())), FrameType::resume);

    const auto data = [&](std::uint64_t epoch, std::uint64_t end, std::uint32_t length, const std::string& text) {
        DataBuilder builder;
        builder.start(epoch, 0);
        std::string payload = text;
        payload.resize(length, '.');
        builder.add(end, 0, std::as_bytes(std::span(payload.data(), payload.size())), false);
        ASSERT_TRUE(builder.send(fake));
    };
    data(~std::uint64_t{0}, 72, 64, "an epoch nobody started");
    data(1, 72, 65, "longer than the ring's messages");
    data(1, std::uint64_t{1} << 30, 64, "a step past the source ring");
    data(1, 40, 64, "a step shorter than the record");
    data(1, 72, 64, "valid");
    EXPECT_TRUE(eventually([&] { return run_tool({"stat", destination.str()}).code == 0; }, 10s));
    const Finished got = run_tool({"recv", destination.str(), "--timeout", "1"});
    EXPECT_EQ(got.out, "valid" + std::string(59, '.') + "\n") << "only the valid record, once";
    const Finished status = run_tool({"bridge", "status", destination.str(), "--json"});
    EXPECT_NE(status.out.find("\"running\": true"), std::string::npos) << status.out;
}

// An MPMC queue's stream moves on by one ticket per record, a message (type 0) or a void (no
// payload): anything else is dropped whole, and a void writes nothing.
TEST(HostilePeer, shouldHoldAnMpmcStreamToOneTicketPerRecord) {
    RingName destination("bridge.tickets.dst");
    BridgeStateGuard states({destination.str()});
    const int port = free_port();
    auto receiver = start_receiver(destination.str(), port);
    zmq::context_t context;
    zmq::socket_t fake(context, zmq::socket_type::dealer);
    fake.set(zmq::sockopt::linger, 0);
    fake.connect(loopback_endpoint(port));
    Hello hello{};
    hello.head = frame_head(FrameType::hello);
    hello.engine = static_cast<std::uint32_t>(layout::Engine::mpmc);
    hello.kind = static_cast<std::uint32_t>(layout::ChannelKind::queue);
    hello.stream = 43;
    hello.epoch = 1;
    hello.capacity = 16;
    hello.max_messages = 16;
    hello.slot_size = 64;
    hello.max_message = 64;
    fake.send(zmq::buffer(&hello, sizeof hello), zmq::send_flags::none);
    auto resume = receive_within(fake, 5s);
    ASSERT_TRUE(resume);
    ASSERT_EQ(frame_type(std::span(static_cast<const std::byte*>(resume->data()), resume->size())), FrameType::resume);

    struct Piece {
        std::uint64_t end;
        std::uint32_t type;
        std::string text;
    };
    const auto data = [&](std::uint64_t from, const std::vector<Piece>& pieces) {
        DataBuilder builder;
        builder.start(1, from);
        for (const Piece& piece : pieces) builder.add(piece.end, piece.type, std::as_bytes(std::span(piece.text.data(), piece.text.size())), false);
        ASSERT_TRUE(builder.send(fake));
    };
    data(0, {{2, 0, "two tickets in one step"}});
    data(0, {{1, 7, "a type no MPMC stream has"}});
    data(0, {{1, kVoidRecord, "a void with a payload"}});
    data(0, {{1, kVoidRecord, ""}, {2, 0, "after a void"}, {3, kVoidRecord, ""}});
    EXPECT_TRUE(eventually([&] { return run_tool({"stat", destination.str()}).code == 0; }, 10s));
    const Finished got = run_tool({"recv", destination.str(), "--timeout", "1"});
    EXPECT_EQ(got.out, "after a void\n") << "only the valid message, once";
    EXPECT_TRUE(eventually(
        [&] { return run_tool({"bridge", "status", destination.str(), "--json"}).out.find("\"acknowledged\": 3") != std::string::npos; }, 10s))
        << run_tool({"bridge", "status", destination.str(), "--json"}).out;
}

}  // namespace
}  // namespace shmring::testing
