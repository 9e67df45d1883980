// The JSON documents of `stat --json` and `ls --json`. Field names are an interface: they are
// listed in tools/README.md, and a change there is a change here.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "inspector.hpp"
#include "ring_report.hpp"

namespace shmring::cli {

using Json = nlohmann::ordered_json;  // keeps fields in the documented order

// Everything `stat` knows of a ring.
Json stat_json(const RingReport& view);
// One ring's line of `ls`.
Json summary_json(const RingReport& view);
// One ring of `ls` that could not be inspected: name, path, state and reason.
Json problem_json(std::string_view name, std::string_view state, const Inspection& inspection);

}  // namespace shmring::cli
