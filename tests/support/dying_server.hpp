// Test support: a service server that dies in the one window where a dead server leaves a call
// queued although its request-queue ticket is gone.
#pragma once

#include <csignal>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "shmring/service.hpp"

namespace shmring::testing {

// Forks a server that takes the next queue ticket as a server does (its claim recorded, then the
// ticket taken) and is killed before it takes the call. True once it is dead.
inline bool kill_a_server_taking_a_ticket(const std::string& name) {
    const pid_t child = ::fork();
    if (child == 0) {
        auto server = ServiceServer::attach(name);
        if (!server) ::_exit(1);
        const auto& ring = server->ring();
        const std::uint64_t ticket = ring.consumer().position.load(std::memory_order_relaxed);
        server->endpoint().entry().claim.store(ticket + 1, std::memory_order_release);
        ring.consumer().position.store(ticket + 1, std::memory_order_release);
        ::raise(SIGKILL);
    }
    int status = 0;
    return child > 0 && ::waitpid(child, &status, 0) == child && WIFSIGNALED(status);
}

}  // namespace shmring::testing
