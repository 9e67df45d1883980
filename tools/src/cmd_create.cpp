// shmring create pipe|queue|topic|service|cell|lock|semaphore NAME ...: new rings through
// create_pipe, create_queue, create_topic, create_service, and cells, locks and semaphores through
// create_cell, create_lock, create_semaphore. The command line has checked every size against the engines'
// limits (main.cpp): the library's own checks remain the last word.
#include <cstdio>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "ring_json.hpp"
#include "ring_report.hpp"
#include "shmring/cell.hpp"
#include "shmring/lock.hpp"
#include "shmring/pipe.hpp"
#include "shmring/queue.hpp"
#include "shmring/semaphore.hpp"
#include "shmring/service.hpp"
#include "shmring/topic.hpp"

namespace shmring::cli {

namespace {

// With --json, the new ring as `stat --json` shows it.
int created(const std::string& name, bool json) {
    if (!json) return kExitSuccess;
    const auto view = report_or_fail(name);
    if (!view) return kExitFailure;
    std::puts(stat_json(*view).dump(2).c_str());
    return kExitSuccess;
}

}  // namespace

int run_create_pipe(const CreatePipeOptions& options) {
    if (auto made = create_pipe(options.name, options.capacity, options.mode); !made)
        return fail(options.name, reason_of(made.error(), options.name));
    return created(options.name, options.json);
}

int run_create_queue(const CreateQueueOptions& options) {
    QueueConfig config;
    config.max_messages = options.messages;
    config.max_message_size = static_cast<std::uint32_t>(options.message_size);
    config.engine = options.engine == "mpmc" ? layout::Engine::mpmc : layout::Engine::spsc;
    config.mode = options.mode;
    if (auto made = create_queue(options.name, config); !made) return fail(options.name, reason_of(made.error(), options.name));
    return created(options.name, options.json);
}

int run_create_topic(const CreateTopicOptions& options) {
    const auto policy = options.policy == "lossy" ? layout::TopicPolicy::lossy : layout::TopicPolicy::lossless;
    if (auto made = create_topic(options.name, options.messages, static_cast<std::uint32_t>(options.message_size), policy, options.mode);
        !made)
        return fail(options.name, reason_of(made.error(), options.name));
    return created(options.name, options.json);
}

int run_create_service(const CreateServiceOptions& options) {
    if (auto made = create_service(options.name, options.pending, static_cast<std::uint32_t>(options.request_size),
                                      static_cast<std::uint32_t>(options.response_size), options.mode);
        !made)
        return fail(options.name, reason_of(made.error(), options.name));
    return created(options.name, options.json);
}

int run_create_cell(const CreateCellOptions& options) {
    if (auto made = create_cell(options.name, options.max_size, options.mode); !made) return fail(options.name, reason_of(made.error(), options.name));
    return created(options.name, options.json);
}

int run_create_lock(const CreateLockOptions& options) {
    if (auto made = create_lock(options.name, options.mode); !made) return fail(options.name, reason_of(made.error(), options.name));
    return created(options.name, options.json);
}

int run_create_semaphore(const CreateSemaphoreOptions& options) {
    if (auto made = create_semaphore(options.name, static_cast<std::uint32_t>(options.initial), static_cast<std::uint32_t>(options.maximum),
                                     options.mode);
        !made)
        return fail(options.name, reason_of(made.error(), options.name));
    return created(options.name, options.json);
}

}  // namespace shmring::cli
