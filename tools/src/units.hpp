// Parsing of the values a user types: sizes with K/M/G suffixes, octal permission modes and
// addresses to listen on; and sizes written as a user would type them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shmring::cli {

// "4096", "64K", "1M", "2G" (binary multiples, upper or lower case). nullopt when it is not a
// size or does not fit in 64 bits.
std::optional<std::uint64_t> parse_size(std::string_view text);

// "0600", "644": octal permission bits, at most 0777.
std::optional<unsigned> parse_mode(std::string_view text);

// An address to listen on: "127.0.0.1:9464", "[::1]:9464", ":9464" (every interface), port 0 for
// any free port.
struct ListenAddress {
    std::string host;
    int port = 0;
};
std::optional<ListenAddress> parse_listen(std::string_view text);

// 65536 -> "64K", 1073741824 -> "1G".
std::string size_words(std::uint64_t bytes);

}  // namespace shmring::cli
