// shmring gc: removes the rings nobody can use any more.
//
// A ring is garbage when nothing alive stands behind it:
//   - stale: it had endpoints, every one of them is dead, and its creator is dead too; or
//   - initialising: its creator died before publishing it (or never wrote its identity);
// and in both cases no live process has the object open or mapped (process_usage.hpp), which also
// covers a process that opened the ring and has not attached yet. Rings that never had an endpoint
// are kept: they wait for their first user, as a FIFO waits for its first open. Corrupt rings
// are kept for a person to look at. Only rings this user owns are considered.
#include <cstdio>
#include <set>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "inspector.hpp"
#include "process_usage.hpp"
#include "ring_directory.hpp"
#include "ring_json.hpp"
#include "ring_report.hpp"
#include "shmring/segment.hpp"

namespace shmring::cli {

namespace {

// Why the ring is garbage, or empty when it is not (before the /proc check).
std::string garbage_reason(const std::string& name, Inspection& inspection) {
    if (inspection.owner_uid != ::geteuid()) return {};
    if (inspection.verdict == Verdict::initialising) {
        const ProcessIdentity creator = inspection.creator;
        if (creator.pid != 0 && liveness(creator) == Liveness::alive) return {};
        return "never finished initialising, creator " + (creator.pid != 0 ? "pid " + std::to_string(creator.pid) + " " : "") + "dead";
    }
    if (inspection.verdict != Verdict::ok) return {};
    const RingReport view = report_of(name, std::move(inspection.ring));
    if (view.state != "stale") return {};
    return "stale: " + std::to_string(view.dead) + " dead endpoint" + (view.dead == 1 ? "" : "s") + ", creator pid " +
           std::to_string(view.ring.header.creator_pid) + " dead";
}

}  // namespace

int run_gc(const GcOptions& options) {
    std::vector<std::pair<std::string, std::string>> candidates;
    for (const std::string& name : options.names.empty() ? ring_names() : options.names) {
        Inspection inspection = inspect_ring(name);
        if (std::string why = garbage_reason(name, inspection); !why.empty()) candidates.emplace_back(name, std::move(why));
    }
    Json removed_json = Json::array();
    const auto finish = [&](int status) {
        if (options.json) std::puts(Json{{"dry_run", options.dry_run}, {"removed", std::move(removed_json)}}.dump(2).c_str());
        return status;
    };
    if (candidates.empty()) return finish(kExitSuccess);
    // Read after the inspections: a process that had a candidate open then still has it now.
    const std::set<std::string> in_use = shm_objects_in_use();
    int status = kExitSuccess;
    for (const auto& [name, why] : candidates) {
        if (in_use.contains(ring_path(name))) continue;
        if (!options.dry_run) {
            auto removed = Segment::unlink(name);
            if (!removed && removed.error().code() == Errc::not_found) continue;  // someone else was quicker
            if (!removed) {
                status = fail(name, reason_of(removed.error(), name));
                continue;
            }
        }
        removed_json.push_back(Json{{"name", name}, {"path", ring_path(name)}, {"reason", why}});
        if (!options.json) std::printf("%s %s (%s)\n", options.dry_run ? "would remove" : "removed", name.c_str(), why.c_str());
    }
    return finish(status);
}

}  // namespace shmring::cli
