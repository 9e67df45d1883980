#include "stop_signal.hpp"

#include <cerrno>
#include <cmath>
#include <csignal>
#include <ctime>

namespace shmring::cli {

namespace {

volatile std::sig_atomic_t stop_flag = 0;

void on_stop(int signal) { stop_flag = signal; }

}  // namespace

void install_stop_handlers() {
    struct sigaction action {};
    action.sa_handler = on_stop;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() noexcept { return stop_flag != 0; }

int stop_signal() noexcept { return stop_flag; }

void sleep_unless_stopped(double seconds) {
    timespec left{static_cast<std::time_t>(seconds), static_cast<long>(std::fmod(seconds, 1.0) * 1e9)};
    while (!stop_requested() && ::nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
}

}  // namespace shmring::cli
