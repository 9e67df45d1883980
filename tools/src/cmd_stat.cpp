// shmring stat NAME: everything a ring's segment tells, as text or JSON.
#include <cstdio>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "ring_json.hpp"
#include "ring_text.hpp"
#include "ring_report.hpp"

namespace shmring::cli {

int run_stat(const StatOptions& options) {
    const auto view = report_or_fail(options.name);
    if (!view) return kExitFailure;
    if (options.json) {
        std::puts(stat_json(*view).dump(2).c_str());
    } else {
        std::fputs(stat_text(*view).c_str(), stdout);
    }
    return kExitSuccess;
}

}  // namespace shmring::cli
