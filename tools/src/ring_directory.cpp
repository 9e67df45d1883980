#include "ring_directory.hpp"

#include <algorithm>
#include <dirent.h>

#include "shmring/layout.hpp"
#include "shmring/segment.hpp"

namespace shmring::cli {

namespace {

constexpr std::string_view kShmDirectory = "/dev/shm";
// The object name without its leading '/': the file name in kShmDirectory.
constexpr std::string_view kFilePrefix = std::string_view(layout::kObjectPrefix).substr(1);

}  // namespace

std::string ring_path(std::string_view name) { return std::string(kShmDirectory) + Segment::object_name(name); }

std::vector<std::string> ring_names() {
    std::vector<std::string> names;
    DIR* directory = ::opendir(std::string(kShmDirectory).c_str());
    if (directory == nullptr) return names;
    while (const dirent* entry = ::readdir(directory)) {
        const std::string_view file = entry->d_name;
        if (!file.starts_with(kFilePrefix)) continue;
        const std::string_view name = file.substr(kFilePrefix.size());
        if (Segment::validate_name(name)) names.emplace_back(name);
    }
    ::closedir(directory);
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace shmring::cli
