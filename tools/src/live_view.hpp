// The output of the live views, `watch` and `top`: on a terminal a screen redrawn in place, else
// text appended per refresh (plain lines or JSON lines), so that it can be logged or piped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "commands.hpp"

namespace shmring::cli {

std::uint64_t now_realtime_ns();

class LiveView {
public:
    explicit LiveView(const WatchOptions& options);
    // A terminal gets screens, unless JSON was asked for.
    bool terminal() const noexcept { return terminal_; }
    // True once `refreshes` reached --count, or a stop was requested.
    bool done(std::uint64_t refreshes) const noexcept;
    // Shows a screen (terminal) or appends text; false with errno set when stdout fails (EPIPE: its
    // reader left).
    bool show(const std::string& text) const;

    // The status of a view whose show() failed: 0 when a stop was asked for or the reader left.
    int failed(std::string_view who) const;

private:
    std::uint64_t count_;
    bool terminal_;
};

}  // namespace shmring::cli
