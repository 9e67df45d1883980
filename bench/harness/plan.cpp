#include "harness/plan.hpp"

#include <algorithm>

#include "harness/sizes.hpp"

namespace shmring::bench {

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr std::int64_t kSecond = 1'000'000'000;

template <class T>
bool wanted(const std::vector<std::string>& filter, const T& value) {
    return filter.empty() || std::find(filter.begin(), filter.end(), to_string(value)) != filter.end();
}

bool takes(const TransportSpec& spec, Pattern pattern) {
    return std::find(spec.patterns.begin(), spec.patterns.end(), pattern) != spec.patterns.end();
}

// Shared-memory transports get the same budget: 64 KiB, or 16 messages when they are larger.
std::size_t buffer_budget(std::size_t size) { return std::max<std::size_t>(64 * 1024, 16 * size); }

Job make_job(const TransportSpec& spec, WaitStrategy mode, Pattern pattern, std::size_t size, const ProfileSettings& s, bool spin_ok) {
    Job job;
    job.transport = &spec;
    job.mode = mode;
    job.pattern = pattern;
    job.size = size;
    job.buffer_bytes = buffer_budget(size);
    job.timeout_ns = s.timeout_ns;
    switch (pattern) {
        case Pattern::latency:
            job.count = s.round_trips;
            job.warmup = std::max<std::uint64_t>(job.count / 10, 1);
            break;
        case Pattern::throughput:
            job.count = std::max<std::uint64_t>(std::min(s.stream_messages, s.stream_bytes / size), 16);
            job.warmup = job.count / 10;
            break;
        case Pattern::bulk:
            job.count = s.bulk_bytes / size;
            break;
        case Pattern::paced:
            job.count = s.paced_messages;
            job.warmup = std::max<std::uint64_t>(job.count / 20, 1);
            break;
    }
    if (size > spec.max_message)
        job.skipped = spec.limit_reason.empty() ? "above the transport's limit" : spec.limit_reason;
    else if (mode == WaitStrategy::spin && !spin_ok)
        job.skipped = "spinning needs two usable cores";
    return job;
}

}  // namespace

std::string Job::label() const {
    return transport->name + " " + to_string(mode) + " " + to_string(pattern) + " " + std::to_string(size) + " B";
}

ProfileSettings settings_for(Profile profile) noexcept {
    switch (profile) {
        case Profile::smoke: return {1, 50, 400, 1 * kMiB, 4 * kMiB, 20, 20 * kSecond};
        case Profile::quick: return {3, 2'000, 50'000, 8 * kMiB, 64 * kMiB, 300, 60 * kSecond};
        case Profile::full: return {5, 20'000, 500'000, 256 * kMiB, 1024 * kMiB, 3'000, 300 * kSecond};
    }
    return {};
}

bool make_plan(const Registry& registry, const Options& options, bool spin_ok, Plan& plan, std::string& error) {
    for (const auto& name : options.transports) {
        if (registry.find(name) == nullptr) {
            error = "unknown transport " + name + " (--list shows them)";
            return false;
        }
    }
    for (const auto& name : options.modes)
        if (name != "spin" && name != "adaptive" && name != "block") {
            error = "unknown mode " + name;
            return false;
        }
    for (const auto& name : options.patterns)
        if (name != "latency" && name != "throughput" && name != "bulk" && name != "paced" && name != "fanout" && name != "rpc-pool") {
            error = "unknown pattern " + name;
            return false;
        }

    plan.settings = settings_for(options.profile);
    if (options.reps > 0) plan.settings.reps = options.reps;
    // Fan-out has runs of its own (fanout.hpp): with every pattern, or named, and with shmring-topic.
    const auto named = [](const std::vector<std::string>& list, const char* name) {
        return std::find(list.begin(), list.end(), name) != list.end();
    };
    plan.fanout = (options.patterns.empty() || named(options.patterns, "fanout")) &&
                  (options.transports.empty() || named(options.transports, "shmring-topic"));
    plan.fanout_settings.messages = plan.settings.stream_messages;
    plan.fanout_settings.reps = plan.settings.reps;
    plan.fanout_settings.timeout_ns = plan.settings.timeout_ns;
    // The RPC pool likewise (rpc_pool.hpp), with shmring-service: as many calls as a stream has messages.
    plan.rpc_pool = (options.patterns.empty() || named(options.patterns, "rpc-pool")) &&
                    (options.transports.empty() || named(options.transports, "shmring-service"));
    plan.rpc_pool_settings.calls = plan.settings.stream_messages;
    plan.rpc_pool_settings.reps = plan.settings.reps;
    plan.rpc_pool_settings.timeout_ns = plan.settings.timeout_ns;
    const auto selected = [&](const TransportSpec& spec) {
        if (options.transports.empty()) return !spec.test_only;
        return std::find(options.transports.begin(), options.transports.end(), spec.name) != options.transports.end();
    };
    const auto size_wanted = [&](std::size_t size) {
        return options.sizes.empty() || std::find(options.sizes.begin(), options.sizes.end(), size) != options.sizes.end();
    };

    for (const Pattern pattern : {Pattern::latency, Pattern::throughput, Pattern::bulk, Pattern::paced}) {
        if (!wanted(options.patterns, pattern)) continue;
        std::vector<std::size_t> sizes;
        if (pattern == Pattern::bulk) sizes = {kBulkChunk};
        else if (pattern == Pattern::paced) sizes = {kPacedSize};
        else sizes.assign(kMessageSizes.begin(), kMessageSizes.end());
        for (const std::size_t size : sizes) {
            if (pattern != Pattern::bulk && pattern != Pattern::paced && !size_wanted(size)) continue;
            for (const auto& spec : registry.all()) {
                if (!selected(spec) || !takes(spec, pattern)) continue;
                for (const WaitStrategy mode : spec.modes) {
                    // Spinning through idle milliseconds measures nothing but a burnt core.
                    if (pattern == Pattern::paced && mode == WaitStrategy::spin) continue;
                    if (!wanted(options.modes, mode)) continue;
                    plan.jobs.push_back(make_job(spec, mode, pattern, size, plan.settings, spin_ok));
                }
            }
        }
    }
    const bool any_job = std::any_of(plan.jobs.begin(), plan.jobs.end(), [](const Job& job) { return job.skipped.empty(); });
    if (!plan.fanout && !plan.rpc_pool && !any_job) {
        error = "nothing to run with these filters";
        return false;
    }
    return true;
}

}  // namespace shmring::bench
