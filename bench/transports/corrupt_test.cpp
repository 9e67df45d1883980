// corrupt-test: a deliberately broken transport that proves the verification works. It is a
// UNIX stream socketpair whose sender flips one bit of its 3rd message and of every 97th after
// it; every run through it must be reported FAILED. Runs only when named with --transport.
#include "harness/sizes.hpp"
#include "transports/fd_channel_end.hpp"
#include "transports/make_channel.hpp"
#include "transports/socket_pair.hpp"

namespace shmring::bench {

namespace {

class CorruptingChannelEnd : public FdChannelEnd {
public:
    using FdChannelEnd::FdChannelEnd;

    bool end_send() override {
        if (sent_++ % 97 == 2) pending().back() ^= std::byte{1};
        return FdChannelEnd::end_send();
    }

private:
    std::uint64_t sent_ = 0;
};

}  // namespace

void register_corrupt_test(Registry& registry) {
    registry.add({.name = "corrupt-test",
                  .description = "test only: a stream that flips a bit in the 3rd and every 97th message",
                  .modes = {WaitStrategy::block},
                  .patterns = {Pattern::latency, Pattern::throughput, Pattern::bulk},
                  .max_message = kLargestMessage,
                  .limit_reason = "",
                  .test_only = true,
                  .create = make_channel<SocketPairChannel<SOCK_STREAM, CorruptingChannelEnd>>});
}

}  // namespace shmring::bench
