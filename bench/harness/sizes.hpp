// The message sizes of the shoot-out.
#pragma once

#include <array>
#include <cstddef>

namespace shmring::bench {

inline constexpr std::array<std::size_t, 5> kMessageSizes{8, 64, 512, 4096, 65536};
inline constexpr std::size_t kLargestMessage = 65536;
inline constexpr std::size_t kBulkChunk = 65536;   // the bulk stream moves its bytes in chunks of this size
inline constexpr std::size_t kPacedSize = 64;

}  // namespace shmring::bench
