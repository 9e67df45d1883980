#include "diagnostics.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace shmring::cli {

int fail(std::string_view ring, std::string_view reason) {
    // Several lines would break scripts that read the first one: a reason never spans two.
    std::string line = "shmring: " + std::string(ring) + ": " + std::string(reason);
    std::replace(line.begin(), line.end(), '\n', ' ');
    line += '\n';
    std::fputs(line.c_str(), stderr);
    return kExitFailure;
}

std::string reason_of(const Error& error, std::string_view ring) {
    switch (error.code()) {
        case Errc::not_found: return "no such ring";
        case Errc::exists: return "a ring of that name exists already";
        default: break;
    }
    std::string message = error.message();
    for (const char* noun : {"ring '", "pipe '", "queue '", "service '"}) {
        const std::string prefix = noun + std::string(ring) + "': ";
        if (message.starts_with(prefix)) return message.substr(prefix.size());
    }
    return message;
}

std::string reason_of(Status status) {
    // Status values are errno values (error.hpp): glibc names them.
    const char* name = ::strerrorname_np(static_cast<int>(status));
    return std::string(describe(status)) + (name != nullptr ? " (" + std::string(name) + ")" : std::string());
}

}  // namespace shmring::cli
