// shmring sem post|wait|value NAME: a semaphore from the shell. post adds one to the count (--count
// times), failing at the maximum (EOVERFLOW); wait takes one, waiting while the count is 0: for
// ever, --timeout S (ETIMEDOUT), or not at all with --nonblock (EAGAIN); value prints the count,
// read-only, as stat reads it.
#include <cstdio>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "inspector.hpp"
#include "message_io.hpp"
#include "ring_json.hpp"
#include "ring_report.hpp"
#include "shmring/semaphore.hpp"
#include "stop_signal.hpp"

namespace shmring::cli {

namespace {

std::string seconds_text(double seconds) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", seconds);
    return text;
}

}  // namespace

int run_sem_post(const SemaphoreOptions& options) {
    auto semaphore = Semaphore::attach(options.name);
    if (!semaphore) return fail(options.name, reason_of(semaphore.error(), options.name));
    for (std::uint64_t posted = 0; posted < options.count; ++posted) {
        const Status status = semaphore->post();
        if (status == Status::overflow)
            return fail(options.name, (options.count > 1 ? "post " + std::to_string(posted + 1) + " of " + std::to_string(options.count) + ": "
                                                         : std::string()) +
                                          "the count is at its maximum of " + std::to_string(semaphore->maximum()) + " (EOVERFLOW)");
        if (status != Status::ok) return fail(options.name, reason_of(status));
    }
    return kExitSuccess;
}

int run_sem_wait(const SemaphoreOptions& options) {
    install_stop_handlers();
    auto semaphore = Semaphore::attach(options.name);
    if (!semaphore) return fail(options.name, reason_of(semaphore.error(), options.name));
    if (options.nonblock) {
        const Status status = semaphore->try_wait();
        if (status == Status::again) return fail(options.name, "the count is 0 (EAGAIN)");
        return status == Status::ok ? kExitSuccess : fail(options.name, reason_of(status));
    }
    const Deadline give_up = deadline_in(options.timeout_seconds);
    for (;;) {
        if (stop_requested()) return interrupted();
        const Status status = semaphore->wait(slice_before(give_up));
        if (status == Status::ok) return kExitSuccess;
        // A deadline already past only tries, which answers again rather than timed_out.
        const bool zero = status == Status::timed_out || status == Status::again;
        if (!zero) return fail(options.name, reason_of(status));
        if (Clock::now() >= give_up)
            return fail(options.name, "timed out after " + seconds_text(options.timeout_seconds) + " s: the count stayed 0 (ETIMEDOUT)");
    }
}

int run_sem_value(const SemaphoreOptions& options) {
    const auto view = report_or_fail(options.name);
    if (!view) return kExitFailure;
    if (view->ring.geometry.engine != layout::Engine::semaphore)
        return fail(options.name, reason_of(Error(Errc::wrong_kind, options.name), options.name));
    if (options.json) {
        std::puts(stat_json(*view).at("semaphore").dump().c_str());
    } else {
        std::printf("%u\n", view->ring.state.count);
    }
    return kExitSuccess;
}

}  // namespace shmring::cli
