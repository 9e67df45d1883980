// Roles: the processes of a multi-process test. The parent runs the test binary again as
//   <binary> --role <name> key=value ...
// with its report pipe on kReportFd and any descriptors it passes on from kFirstPassedFd upwards;
// main() sees the flag and hands over to the role registered under that name. A fresh exec, not a
// bare fork, so that each role starts like a separate program: no state inherited from the test
// runner, and sanitizer runtimes initialise in every process.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

#include "harness/report.hpp"
#include "shmring/wait.hpp"

namespace shmring::multiprocess {

inline constexpr std::string_view kRoleFlag = "--role";
inline constexpr int kReportFd = 3;
inline constexpr int kFirstPassedFd = 4;

// A role's arguments, given as key=value. A missing or malformed one throws BadArgument, which
// run_role turns into a report and kExitBadArguments.
class RoleArgs {
public:
    RoleArgs(int argc, char** argv);

    const std::string& text(const std::string& key) const;
    std::uint64_t number(const std::string& key) const;
    WaitStrategy wait_strategy(const std::string& key) const;

private:
    std::map<std::string, std::string> values_;
};

struct BadArgument : std::runtime_error {
    using std::runtime_error::runtime_error;
};

const char* wait_strategy_name(WaitStrategy strategy) noexcept;

// A role's body. It returns the process's exit status: 0, or the status Report::fail returned.
using RoleMain = int (*)(const RoleArgs& args, Report& report);

// Registers a role at static initialisation: `const RoleRegistration r("name", &body);`.
struct RoleRegistration {
    RoleRegistration(std::string_view name, RoleMain main);
};

// Runs the role named by argv[0] with the arguments that follow; returns its exit status.
int run_role(int argc, char** argv);

}  // namespace shmring::multiprocess
