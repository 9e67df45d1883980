// shmring create pipe|queue|topic|service NAME ...: new rings through create_pipe, create_queue,
// create_topic, create_service.
#include <limits>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "shmring/pipe.hpp"
#include "shmring/queue.hpp"
#include "shmring/service.hpp"
#include "shmring/topic.hpp"

namespace shmring::cli {

int run_create_pipe(const CreatePipeOptions& options) {
    if (auto created = create_pipe(options.name, options.capacity, options.mode); !created)
        return fail(options.name, reason_of(created.error(), options.name));
    return kExitSuccess;
}

int run_create_queue(const CreateQueueOptions& options) {
    if (options.message_size > std::numeric_limits<std::uint32_t>::max())
        return fail(options.name, "max message size must be 1 byte to 1 MiB");
    QueueConfig config;
    config.max_messages = options.messages;
    config.max_message_size = static_cast<std::uint32_t>(options.message_size);
    config.engine = options.engine == "mpmc" ? layout::Engine::mpmc : layout::Engine::spsc;
    config.mode = options.mode;
    if (auto created = create_queue(options.name, config); !created) return fail(options.name, reason_of(created.error(), options.name));
    return kExitSuccess;
}

int run_create_topic(const CreateTopicOptions& options) {
    if (options.message_size > layout::kMaxSlotSize) return fail(options.name, "max message size must be 1 byte to 1 MiB");
    const auto policy = options.policy == "lossy" ? layout::TopicPolicy::lossy : layout::TopicPolicy::lossless;
    if (auto created = create_topic(options.name, options.messages, static_cast<std::uint32_t>(options.message_size), policy, options.mode);
        !created)
        return fail(options.name, reason_of(created.error(), options.name));
    return kExitSuccess;
}

int run_create_service(const CreateServiceOptions& options) {
    if (options.request_size > layout::kMaxSlotSize || options.response_size > layout::kMaxSlotSize)
        return fail(options.name, "request and response sizes must be 1 byte to 1 MiB");
    if (auto created = create_service(options.name, options.pending, static_cast<std::uint32_t>(options.request_size),
                                      static_cast<std::uint32_t>(options.response_size), options.mode);
        !created)
        return fail(options.name, reason_of(created.error(), options.name));
    return kExitSuccess;
}

}  // namespace shmring::cli
