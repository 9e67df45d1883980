// shmring rm NAME...: unlinks rings. Processes that have one mapped keep using it until they let
// go, as with any unlinked file; new openers no longer find it.
#include "commands.hpp"
#include "diagnostics.hpp"
#include "shmring/segment.hpp"

namespace shmring::cli {

int run_rm(const RmOptions& options) {
    int status = kExitSuccess;
    for (const std::string& name : options.names) {
        if (auto removed = Segment::unlink(name); !removed) status = fail(name, reason_of(removed.error(), name));
    }
    return status;
}

}  // namespace shmring::cli
