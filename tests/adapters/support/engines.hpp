// Queue tests that run once per engine, named .../spsc and .../mpmc.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "shmring/layout.hpp"
#include "shmring/queue.hpp"

namespace shmring::adapters_test {

inline std::string engine_name(const ::testing::TestParamInfo<layout::Engine>& info) {
    return info.param == layout::Engine::spsc ? "spsc" : "mpmc";
}

inline QueueConfig queue_config(layout::Engine engine, std::uint64_t max_messages, std::uint32_t max_message_size) {
    QueueConfig config;
    config.max_messages = max_messages;
    config.max_message_size = max_message_size;
    config.engine = engine;
    return config;
}

}  // namespace shmring::adapters_test
