#include "harness/watchdog.hpp"

#include <cerrno>
#include <csignal>
#include <sys/time.h>

#include "harness/clock.hpp"

namespace shmring::bench {

namespace {

volatile std::sig_atomic_t g_expired = 0;

void on_alarm(int) { g_expired = 1; }

void set_timer(std::int64_t ns) {
    itimerval timer{};
    timer.it_value.tv_sec = ns / 1'000'000'000;
    timer.it_value.tv_usec = (ns % 1'000'000'000) / 1000;
    ::setitimer(ITIMER_REAL, &timer, nullptr);
}

}  // namespace

void install_watchdog() {
    struct sigaction action {};
    action.sa_handler = on_alarm;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: blocked system calls must return EINTR
    ::sigaction(SIGALRM, &action, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

void arm_watchdog(std::int64_t deadline_ns) {
    g_expired = 0;
    const std::int64_t left = deadline_ns - now_ns();
    if (left <= 0) {
        g_expired = 1;
        return;
    }
    set_timer(left < 1000 ? 1000 : left);  // a zero it_value would disarm instead
}

void disarm_watchdog() {
    set_timer(0);
    g_expired = 0;
}

bool watchdog_expired() noexcept { return g_expired != 0; }

bool retry_interrupted() noexcept { return errno == EINTR && g_expired == 0; }

}  // namespace shmring::bench
