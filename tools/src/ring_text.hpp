// The plain-text renderings of a ring that `ls`, `stat` and `watch` share.
#pragma once

#include <string>

#include "ring_report.hpp"

namespace shmring::cli {

// "1 MiB" for an SPSC ring, "1024 x 256 B" (slots x slot size) for an MPMC ring, "16 x 1 KiB/4 KiB"
// (pending calls x request/response size) for a service.
std::string capacity_text(const RingReport& view);
// How much is in the ring, in its capacity's unit: "4 KiB", "3 msgs" or "2 calls".
std::string used_text(const RingReport& view);
// The endpoint registry as a table, one line per entry that is not free.
std::string endpoints_text(const RingReport& view, const std::string& indent);
// Services: "calls: 2 pending", then a table of the calls listed, one line each.
std::string calls_text(const RingReport& view, const std::string& indent);
// Everything `stat` shows.
std::string stat_text(const RingReport& view);

}  // namespace shmring::cli
