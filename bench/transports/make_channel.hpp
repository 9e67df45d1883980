// The TransportSpec::create of a channel type constructed from the run's config whose
// `Outcome make()` does the work that may fail.
#pragma once

#include <memory>

#include "harness/transport.hpp"

namespace shmring::bench {

template <class ChannelType>
Result<std::unique_ptr<Channel>> make_channel(const ChannelConfig& config) {
    auto channel = std::make_unique<ChannelType>(config);
    if (auto made = channel->make(); !made) return made.error();
    return std::unique_ptr<Channel>(std::move(channel));
}

}  // namespace shmring::bench
