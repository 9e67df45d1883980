// The plain-text renderings of a ring that `ls`, `stat` and `watch` share.
#pragma once

#include <string>

#include "ring_report.hpp"

namespace shmring::cli {

// "1 MiB" for an SPSC ring, "1024 x 256 B" (slots x slot size) for an MPMC ring, "16 x 1 KiB/4 KiB"
// (pending calls x request/response size) for a service; a cell's value size, "max 10" for a
// semaphore, "-" for a lock.
std::string capacity_text(const RingReport& view);
// How much is in the ring, in its capacity's unit: "4 KiB", "3 msgs" or "2 calls"; a cell's version
// and value size ("v3, 5 B"), a lock's "free", "held" or "held (dead)", a semaphore's "count 2".
std::string used_text(const RingReport& view);
// The endpoint registry as a table, one line per entry that is not free.
std::string endpoints_text(const RingReport& view, const std::string& indent);
// Services: "calls: 2 pending", then a table of the calls listed, one line each.
std::string calls_text(const RingReport& view, const std::string& indent);
// Locks and cells' writer locks: "free", or "held by pid 4711/shmring, endpoint 0, alive, since
// 2026-11-26T18:20:10.705Z (3.20 s)".
std::string holder_text(const RingReport& view);
// The endpoints asleep waiting: "none", or "2: endpoint 1 (4711/shmring), endpoint 2 (4712/sh)".
std::string waiters_text(const RingReport& view);
// Cells, locks and semaphores in one line: "version 3, 5 B of 64 B, waiters 0", the lock's holder,
// "count 2 of 10, waiters 1"; empty for rings.
std::string state_text(const RingReport& view);
// Everything `stat` shows.
std::string stat_text(const RingReport& view);

}  // namespace shmring::cli
