// /dev/cpu_dma_latency: while a process keeps it open with a value written, the kernel keeps every
// CPU out of idle states slower to leave than that many microseconds. Held at 0 only on request
// (--cpu-dma-latency), released when the holder is destroyed, and always reported.
#pragma once

#include <string>

#include "shmring/error.hpp"
#include "transports/unique_fd.hpp"

namespace shmring::bench {

class DmaLatencyHold {
public:
    static Result<DmaLatencyHold> hold_zero();

private:
    explicit DmaLatencyHold(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;
};

// The limit in force now, for the report: "2000000000 us" or "unreadable (<reason>)".
std::string current_dma_latency();

}  // namespace shmring::bench
