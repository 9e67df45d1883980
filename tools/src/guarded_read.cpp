#include "guarded_read.hpp"

#include <csetjmp>
#include <csignal>

namespace shmring::cli {

namespace {

thread_local sigjmp_buf* landing = nullptr;

void on_sigbus(int signal) {
    if (landing != nullptr) siglongjmp(*landing, 1);
    // A SIGBUS outside a guarded read is a real fault: die of it as if no handler were there.
    std::signal(signal, SIG_DFL);
    std::raise(signal);
}

}  // namespace

bool run_guarded(void (*read)(void* context), void* context) noexcept {
    struct sigaction action {};
    struct sigaction previous {};
    action.sa_handler = on_sigbus;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGBUS, &action, &previous);
    sigjmp_buf here;
    volatile bool completed = false;
    // Saves the signal mask (1): the jump out of the handler must unblock SIGBUS again.
    if (sigsetjmp(here, 1) == 0) {
        landing = &here;
        read(context);
        completed = true;
    }
    landing = nullptr;
    ::sigaction(SIGBUS, &previous, nullptr);
    return completed;
}

}  // namespace shmring::cli
