// Command line of shmring-bench.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace shmring::bench {

enum class Profile { smoke, quick, full };

const char* to_string(Profile profile) noexcept;

struct Options {
    Profile profile = Profile::full;
    std::vector<std::string> transports;  // empty: every transport that is not test-only
    std::vector<std::string> modes;       // empty: all
    std::vector<std::string> patterns;    // empty: all
    std::vector<std::size_t> sizes;       // empty: all
    int reps = 0;                         // 0: the profile's
    std::string json_path;
    std::string csv_path;
    std::string plot_dir;
    bool hold_cpu_dma_latency = false;
    bool list = false;
    bool help = false;
};

// False with `error` set on a bad command line.
bool parse_options(int argc, char** argv, Options& options, std::string& error);
const char* usage() noexcept;

}  // namespace shmring::bench
