// shmring ls: every ring in /dev/shm, one line each. A ring that cannot be inspected is listed
// with its state and its reason goes to stderr; the listing goes on.
#include <cstdio>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "inspector.hpp"
#include "ring_directory.hpp"
#include "ring_json.hpp"
#include "ring_text.hpp"
#include "ring_report.hpp"
#include "text_format.hpp"

namespace shmring::cli {

int run_ls(const LsOptions& options) {
    Json rings = Json::array();
    Table table({"NAME", "KIND", "ENGINE", "CAPACITY", "USED", "MSGS", "FILL", "ALIVE", "DEAD", "STATE"});
    for (const std::string& name : ring_names()) {
        Inspection inspection = inspect_ring(name);
        if (inspection.verdict == Verdict::missing) continue;  // removed since the directory was read
        if (inspection.verdict != Verdict::ok) {
            const std::string state(verdict_name(inspection.verdict));
            rings.push_back(problem_json(name, state, inspection));
            table.add({name, "-", "-", "-", "-", "-", "-", "-", "-", state});
            if (inspection.verdict != Verdict::initialising) fail(name, state + ": " + inspection.reason);
            continue;
        }
        const RingReport view = report_of(name, std::move(inspection.ring));
        rings.push_back(summary_json(view));
        table.add({name, std::string(view.kind), std::string(view.engine), capacity_text(view), used_text(view),
                   std::to_string(view.used_messages), percent(view.fill_percent), std::to_string(view.alive),
                   std::to_string(view.dead), std::string(view.state)});
    }
    if (options.json) {
        std::puts(Json{{"rings", std::move(rings)}}.dump(2).c_str());
    } else if (!rings.empty()) {
        std::fputs(table.render().c_str(), stdout);
    }
    return kExitSuccess;
}

}  // namespace shmring::cli
