#include "harness/report.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <unistd.h>

namespace shmring::multiprocess {

void Report::put(std::string_view key, std::uint64_t value) noexcept {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    put(key, std::string_view(digits, static_cast<std::size_t>(end - digits)));
}

void Report::put(std::string_view key, std::string_view value) noexcept {
    // One write per line when it fits: the parent may read while the child still runs, and must
    // not see half a line (writes up to PIPE_BUF bytes reach a pipe whole).
    char line[512];
    if (key.size() + value.size() + 2 <= sizeof line) {
        char* end = std::copy(key.begin(), key.end(), line);
        *end++ = '=';
        end = std::copy(value.begin(), value.end(), end);
        *end++ = '\n';
        write_all(std::string_view(line, static_cast<std::size_t>(end - line)));
        return;
    }
    write_all(key);
    write_all("=");
    write_all(value);
    write_all("\n");
}

int Report::fail(std::string_view what) noexcept {
    put("error", what);
    return kExitFailed;
}

void Report::write_all(std::string_view text) noexcept {
    while (!text.empty()) {
        const ssize_t written = ::write(fd_, text.data(), text.size());
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return;  // the parent is gone: nobody is left to tell
        text.remove_prefix(static_cast<std::size_t>(written));
    }
}

}  // namespace shmring::multiprocess
