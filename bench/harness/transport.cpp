#include "harness/transport.hpp"

#include <cerrno>
#include <cstring>

#include "harness/watchdog.hpp"

namespace shmring::bench {

const char* to_string(WaitStrategy mode) noexcept {
    switch (mode) {
        case WaitStrategy::spin: return "spin";
        case WaitStrategy::adaptive: return "adaptive";
        case WaitStrategy::block: return "block";
    }
    return "?";
}

const char* to_string(Pattern pattern) noexcept {
    switch (pattern) {
        case Pattern::latency: return "latency";
        case Pattern::throughput: return "throughput";
        case Pattern::bulk: return "bulk";
        case Pattern::paced: return "paced";
    }
    return "?";
}

bool ChannelEnd::fail(std::string why) {
    error_ = std::move(why);
    return false;
}

bool ChannelEnd::fail_errno(const char* call) {
    const int saved = errno;
    if (saved == EINTR && watchdog_expired()) return fail(std::string(call) + ": timed out");
    return fail(std::string(call) + ": " + std::strerror(saved));
}

bool ChannelEnd::fail_status(const char* call, Status status) {
    return fail(std::string(call) + ": " + describe(status));
}

void Registry::add(TransportSpec spec) { specs_.push_back(std::move(spec)); }

const TransportSpec* Registry::find(std::string_view name) const noexcept {
    for (const auto& spec : specs_)
        if (spec.name == name) return &spec;
    return nullptr;
}

}  // namespace shmring::bench
