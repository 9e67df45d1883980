#include "live_view.hpp"

#include <cstdio>
#include <ctime>
#include <unistd.h>

#include "diagnostics.hpp"
#include "stop_signal.hpp"

namespace shmring::cli {

std::uint64_t now_realtime_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000U + static_cast<std::uint64_t>(ts.tv_nsec);
}

LiveView::LiveView(const WatchOptions& options) : count_(options.count), terminal_(!options.json && ::isatty(STDOUT_FILENO) == 1) {
    if (terminal_) std::fputs("\x1b[2J", stdout);
}

bool LiveView::done(std::uint64_t refreshes) const noexcept { return stop_requested() || (count_ != 0 && refreshes >= count_); }

int LiveView::failed(std::string_view who) const { return stop_requested() ? kExitSuccess : stdout_failed(who); }

bool LiveView::show(const std::string& text) const {
    if (!terminal_) {
        std::fputs(text.c_str(), stdout);
        return std::fflush(stdout) == 0;  // one line per interval, even into a pipe
    }
    // Home, then each line cleared to its end and the rest of the screen below: no flicker.
    std::string frame = "\x1b[H";
    for (std::size_t start = 0; start < text.size();) {
        const std::size_t end = text.find('\n', start);
        frame += text.substr(start, end - start) + "\x1b[K\n";
        if (end == std::string::npos) break;
        start = end + 1;
    }
    frame += "\x1b[J";
    std::fputs(frame.c_str(), stdout);
    return std::fflush(stdout) == 0;
}

}  // namespace shmring::cli
