#include "shmring/detail/publish_fence.hpp"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace shmring::detail {

namespace {

long membarrier(int command) noexcept { return ::syscall(SYS_membarrier, command, 0, 0); }

}  // namespace

bool light_publisher_fence() noexcept {
    // Registration belongs to the address space (exec drops it). The answer is cached per thread and
    // keyed by pid, so that a forked child asks again: registering twice is harmless. Called when an
    // endpoint attaches, never per message.
    struct Registration {
        pid_t pid = 0;
        bool registered = false;
    };
    static thread_local Registration cached;
    const pid_t pid = ::getpid();
    if (cached.pid != pid) {
        const long commands = membarrier(MEMBARRIER_CMD_QUERY);
        cached.registered = commands > 0 && (commands & MEMBARRIER_CMD_GLOBAL_EXPEDITED) != 0 &&
                            membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) == 0;
        cached.pid = pid;
    }
    return cached.registered;
}

bool heavy_barrier() noexcept { return membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) == 0; }

}  // namespace shmring::detail
