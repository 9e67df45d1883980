// The output of the live views, `watch` and `top`: on a terminal a screen redrawn in place, else
// text appended per refresh (plain lines or JSON lines), so that it can be logged or piped.
#pragma once

#include <cstdint>
#include <string>

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
    // Shows a screen (terminal) or appends text; false once stdout is gone (its reader left).
    bool show(const std::string& text) const;

private:
    std::uint64_t count_;
    bool terminal_;
};

}  // namespace shmring::cli
