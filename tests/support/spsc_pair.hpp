// Test support: an SPSC ring created under a RingName, with a producer and a consumer attached.
#pragma once

#include <gtest/gtest.h>

#include "shmring/spsc_ring.hpp"
#include "support/test_ring.hpp"

namespace shmring::testing {

struct SpscPair {
    SpscProducer producer;
    SpscConsumer consumer;
};

inline SpscPair make_spsc_pair(const RingName& name, std::uint64_t capacity, const EndpointOptions& options = {}) {
    EXPECT_TRUE(create_spsc_ring(name, capacity));
    auto producer = SpscProducer::attach(name, options);
    auto consumer = SpscConsumer::attach(name, options);
    EXPECT_TRUE(producer && consumer);
    return {std::move(*producer), std::move(*consumer)};
}

}  // namespace shmring::testing
