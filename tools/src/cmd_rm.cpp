// shmring rm NAME...: unlinks rings. Processes that have one mapped keep using it until they let
// go, as with any unlinked file; new openers no longer find it.
#include <cstdio>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "ring_directory.hpp"
#include "ring_json.hpp"
#include "shmring/segment.hpp"

namespace shmring::cli {

int run_rm(const RmOptions& options) {
    int status = kExitSuccess;
    Json removed = Json::array();
    for (const std::string& name : options.names) {
        if (auto unlinked = Segment::unlink(name); !unlinked) {
            status = fail(name, reason_of(unlinked.error(), name));
        } else {
            removed.push_back(Json{{"name", name}, {"path", ring_path(name)}});
        }
    }
    if (options.json) std::puts(Json{{"removed", std::move(removed)}}.dump(2).c_str());
    return status;
}

}  // namespace shmring::cli
