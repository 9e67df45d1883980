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
    return name;
}

}  // namespace shmring::cli
