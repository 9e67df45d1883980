#include "link.hpp"

#include <cstdio>

namespace shmring::bridge::detail {

void Log::operator()(const std::string& line) const {
    const std::string text = prefix_ + line;
    if (settings_.log) {
        settings_.log(text);
        return;
    }
    std::fprintf(stderr, "%s\n", text.c_str());
}

}  // namespace shmring::bridge::detail
