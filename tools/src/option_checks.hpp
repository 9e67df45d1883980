// The checks of the command line's values, with the messages a user reads when one is wrong:
// "must be 1 to 16777216", not the parser's own wording. A value out of range is a usage error
// (status 2) before anything is touched, not a runtime failure.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "units.hpp"

namespace shmring::cli {

// A size with K, M or G suffixes, lo to hi bytes; turned into its decimal value.
CLI::Validator size_in(std::uint64_t lo, std::uint64_t hi);
// A whole number, lo to hi.
CLI::Validator count_in(std::uint64_t lo, std::uint64_t hi);
// Seconds, lo to hi (fractions allowed).
CLI::Validator seconds_in(double lo, double hi);
// An octal permission mode, turned into its decimal value.
CLI::Validator mode_value();
// A ring name: 1 to 200 of A-Z a-z 0-9 . _ -.
CLI::Validator ring_name();

// HOST:PORT (parse_listen).
CLI::Validator listen_address();

// Checks the command words of argv before the parser sees them, so that a misspelt command gets
// "unknown command 'lss' (did you mean 'ls'?)" instead of the parser's "A subcommand is required".
// Returns the message for the first wrong or missing command word, with the help to see, or ""
// when they are right.
std::string command_word_error(const CLI::App& app, int argc, const char* const* argv);

}  // namespace shmring::cli
