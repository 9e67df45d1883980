// A service client's poll descriptor fires for a verdict as for a response: its helper's probe
// settles a call whose server died taking it, and the handle then reports reset.
#include <gtest/gtest.h>

#include <poll.h>

#include "shmring/detail/poll_helper.hpp"
#include "shmring/service.hpp"
#include "support/dying_server.hpp"
#include "support/test_ring.hpp"

namespace shmring::adapters_test {
namespace {

using shmring::testing::bytes_of;

TEST(ServicePoll, shouldFireForACallWhoseServerDiedTakingIt) {
    shmring::testing::RingName name("service.poll");
    ASSERT_TRUE(create_service(name, 2, 64, 64));
    auto server = ServiceServer::attach(name);  // alive, but never sees the call
    auto client = ServiceClient::attach(name);
    ASSERT_TRUE(server && client);
    detail::PollDescriptor descriptor;
    const auto fd = descriptor.get(
        client->endpoint(), client->ring().space_event(), [&] { return client->has_response(); },
        [&] { return client->settle_calls_if_gone(); });
    ASSERT_TRUE(fd);
    std::uint64_t id = 0;
    ASSERT_EQ(client->try_send(bytes_of("q"), id), Status::ok);
    ASSERT_TRUE(shmring::testing::kill_a_server_taking_a_ticket(name.str()));
    pollfd ready{*fd, POLLIN, 0};
    ASSERT_EQ(::poll(&ready, 1, 2000), 1);
    std::byte response[64];
    std::size_t length = 0;
    EXPECT_EQ(client->try_wait(id, response, length), Status::reset);
}

}  // namespace
}  // namespace shmring::adapters_test
