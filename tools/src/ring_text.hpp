// The plain-text renderings of a ring that `ls`, `stat` and `watch` share.
#pragma once

#include <string>

#include "ring_report.hpp"

namespace shmring::cli {

// "1 MiB" for an SPSC ring, "1024 x 256 B" (slots x slot size) for an MPMC ring.
std::string capacity_text(const RingReport& view);
// How much is in the ring, in its capacity's unit: "4 KiB" or "3 msgs".
std::string used_text(const RingReport& view);
// The endpoint registry as a table, one line per entry that is not free.
std::string endpoints_text(const RingReport& view, const std::string& indent);
// Everything `stat` shows.
std::string stat_text(const RingReport& view);

}  // namespace shmring::cli
