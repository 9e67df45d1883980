#include "harness/dma_latency.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>

namespace shmring::bench {

namespace {
constexpr const char kDevice[] = "/dev/cpu_dma_latency";
}

Result<DmaLatencyHold> DmaLatencyHold::hold_zero() {
    UniqueFd fd(::open(kDevice, O_WRONLY | O_CLOEXEC));
    if (!fd) return system_error(std::string("open(") + kDevice + ")", errno);
    const std::int32_t zero = 0;
    if (::write(fd.get(), &zero, sizeof zero) != sizeof zero) return system_error(std::string("write(") + kDevice + ")", errno);
    return DmaLatencyHold(std::move(fd));
}

std::string current_dma_latency() {
    UniqueFd fd(::open(kDevice, O_RDONLY | O_CLOEXEC));
    std::int32_t value = 0;
    if (!fd) return std::string("unreadable (") + std::strerror(errno) + ")";
    if (::read(fd.get(), &value, sizeof value) != sizeof value) return "unreadable";
    return std::to_string(value) + " us";
}

}  // namespace shmring::bench
