#include "harness/options.hpp"

#include <charconv>
#include <string_view>

namespace shmring::bench {

namespace {

// "a,b" appends a and b: every list flag may be repeated or take a comma-separated list.
void append_list(std::string_view text, std::vector<std::string>& out) {
    while (!text.empty()) {
        const auto comma = text.find(',');
        if (const auto item = text.substr(0, comma); !item.empty()) out.emplace_back(item);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
}

template <class Number>
bool parse_number(std::string_view text, Number& value) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

const char* to_string(Profile profile) noexcept {
    switch (profile) {
        case Profile::smoke: return "smoke";
        case Profile::quick: return "quick";
        case Profile::full: return "full";
    }
    return "?";
}

const char* usage() noexcept {
    return "usage: shmring-bench [--smoke | --quick] [options]\n"
           "\n"
           "Two-process shoot-out of shmring against the kernel's IPC and raw floors. Without --smoke\n"
           "or --quick it makes the full run (5 repetitions, 1 GiB bulk streams).\n"
           "\n"
           "  --smoke               every transport, tiny counts: checks verification, takes seconds\n"
           "  --quick               3 repetitions with small counts, under 90 s on two cores\n"
           "  --transport NAME,...  only these transports (--list shows them; corrupt-test runs only so)\n"
           "  --mode M,...          spin, adaptive, block\n"
           "  --pattern P,...       latency, throughput, bulk, paced, fanout (one publisher, 1, 2, 4 subscribers),\n"
           "                        rpc-pool (2 servers, 4 clients with 8 calls in flight each)\n"
           "  --size N,...          message sizes in bytes (of 8, 64, 512, 4096, 65536)\n"
           "  --reps N              repetitions (interleaved round-robin across jobs)\n"
           "  --json FILE           one object per (transport, mode, pattern, size)\n"
           "  --csv FILE            the same rows as CSV\n"
           "  --plot DIR            PNG charts drawn by gnuplot\n"
           "  --cpu-dma-latency     hold /dev/cpu_dma_latency at 0 during the run (needs root)\n"
           "  --list                list the transports and exit\n"
           "\n"
           "Exit status: 0 when every run verified, 1 when any run FAILED, 2 on a bad command line.\n";
}

bool parse_options(int argc, char** argv, Options& options, std::string& error) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const auto value = [&](std::string_view& out) {
            if (i + 1 >= argc) {
                error = std::string(arg) + " needs a value";
                return false;
            }
            out = argv[++i];
            return true;
        };
        std::string_view text;
        if (arg == "--smoke") {
            options.profile = Profile::smoke;
        } else if (arg == "--quick") {
            options.profile = Profile::quick;
        } else if (arg == "--cpu-dma-latency") {
            options.hold_cpu_dma_latency = true;
        } else if (arg == "--list") {
            options.list = true;
        } else if (arg == "--help" || arg == "-h") {
            options.help = true;
        } else if (arg == "--transport") {
            if (!value(text)) return false;
            append_list(text, options.transports);
        } else if (arg == "--mode") {
            if (!value(text)) return false;
            append_list(text, options.modes);
        } else if (arg == "--pattern") {
            if (!value(text)) return false;
            append_list(text, options.patterns);
        } else if (arg == "--size") {
            if (!value(text)) return false;
            std::vector<std::string> sizes;
            append_list(text, sizes);
            for (const auto& s : sizes) {
                std::size_t size = 0;
                if (!parse_number(s, size)) {
                    error = "--size: not a number: " + s;
                    return false;
                }
                options.sizes.push_back(size);
            }
        } else if (arg == "--reps") {
            if (!value(text)) return false;
            if (!parse_number(text, options.reps) || options.reps < 1) {
                error = "--reps: expected a positive number";
                return false;
            }
        } else if (arg == "--json" || arg == "--csv" || arg == "--plot") {
            if (!value(text)) return false;
            (arg == "--json" ? options.json_path : arg == "--csv" ? options.csv_path : options.plot_dir) = text;
        } else {
            error = "unknown option " + std::string(arg);
            return false;
        }
    }
    return true;
}

}  // namespace shmring::bench
