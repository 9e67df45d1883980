#include "process_usage.hpp"

#include <cctype>
#include <climits>
#include <dirent.h>
#include <fstream>
#include <unistd.h>

namespace shmring::cli {

namespace {

constexpr std::string_view kShmPrefix = "/dev/shm/";

void add_mapped(const std::string& process, std::set<std::string>& in_use) {
    std::ifstream maps(process + "/maps");
    std::string line;
    while (std::getline(maps, line)) {
        // The path is the last field; an object unlinked since it was mapped ends in " (deleted)".
        const auto at = line.find(kShmPrefix);
        if (at != std::string::npos) in_use.insert(line.substr(at));
    }
}

void add_open(const std::string& process, std::set<std::string>& in_use) {
    const std::string fds = process + "/fd";
    DIR* directory = ::opendir(fds.c_str());
    if (directory == nullptr) return;
    while (const dirent* entry = ::readdir(directory)) {
        char target[PATH_MAX];
        const std::string link = fds + "/" + entry->d_name;
        const ssize_t length = ::readlink(link.c_str(), target, sizeof target);
        if (length <= 0 || static_cast<std::size_t>(length) >= sizeof target) continue;
        const std::string path(target, static_cast<std::size_t>(length));
        if (path.starts_with(kShmPrefix)) in_use.insert(path);
    }
    ::closedir(directory);
}

// The sequence length of the UTF-8 character that starts with `lead`, or 0 when it is no lead byte.
std::size_t utf8_length(unsigned char lead) {
    if (lead < 0x80) return 1;
    if (lead >= 0xc2 && lead <= 0xdf) return 2;
    if (lead >= 0xe0 && lead <= 0xef) return 3;
    if (lead >= 0xf0 && lead <= 0xf4) return 4;
    return 0;
}

// A name any process chose, made safe to print, to put in JSON and in a metric label: valid
// UTF-8 (the kernel cuts comm at 15 bytes, maybe inside a character) without control characters.
// Each byte that is neither becomes '?'. Overlong and surrogate forms are not told apart: JSON and
// Prometheus only need well-formed sequences.
std::string printable(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t length = utf8_length(lead);
        for (std::size_t k = 1; k < length; ++k)
            if (i + k >= text.size() || (static_cast<unsigned char>(text[i + k]) & 0xc0U) != 0x80U) length = 0;
        if (length == 0 || lead < 0x20 || lead == 0x7f) {
            out += '?';
            ++i;
            continue;
        }
        out.append(text, i, length);
        i += length;
    }
    return out;
}

}  // namespace

std::set<std::string> shm_objects_in_use() {
    std::set<std::string> in_use;
    const std::string self = std::to_string(::getpid());
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) return in_use;
    while (const dirent* entry = ::readdir(proc)) {
        const std::string pid = entry->d_name;
        if (pid.empty() || !std::isdigit(static_cast<unsigned char>(pid[0])) || pid == self) continue;
        add_mapped("/proc/" + pid, in_use);
        add_open("/proc/" + pid, in_use);
    }
    ::closedir(proc);
    return in_use;
}

std::string process_command(std::uint32_t pid) {
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    std::getline(comm, name);
    return printable(name);
}

}  // namespace shmring::cli
