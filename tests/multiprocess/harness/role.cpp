#include "harness/role.hpp"

#include <charconv>
#include <exception>

namespace shmring::multiprocess {

namespace {

// A function-local static: registrations run during static initialisation, in any order.
std::map<std::string, RoleMain, std::less<>>& registry() {
    static std::map<std::string, RoleMain, std::less<>> roles;
    return roles;
}

}  // namespace

RoleArgs::RoleArgs(int argc, char** argv) {
    for (int i = 0; i < argc; ++i) {
        const std::string_view argument(argv[i]);
        const auto equals = argument.find('=');
        if (equals == std::string_view::npos) throw BadArgument("argument '" + std::string(argument) + "' is not key=value");
        values_.emplace(std::string(argument.substr(0, equals)), std::string(argument.substr(equals + 1)));
    }
}

const std::string& RoleArgs::text(const std::string& key) const {
    const auto found = values_.find(key);
    if (found == values_.end()) throw BadArgument("missing argument '" + key + "'");
    return found->second;
}

std::uint64_t RoleArgs::number(const std::string& key) const {
    const std::string& value = text(key);
    std::uint64_t number = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (error != std::errc{} || end != value.data() + value.size())
        throw BadArgument("argument '" + key + "' is not a number: '" + value + "'");
    return number;
}

WaitStrategy RoleArgs::wait_strategy(const std::string& key) const {
    const std::string& value = text(key);
    for (const WaitStrategy strategy : {WaitStrategy::adaptive, WaitStrategy::spin, WaitStrategy::block})
        if (value == wait_strategy_name(strategy)) return strategy;
    throw BadArgument("argument '" + key + "' is not a wait strategy: '" + value + "'");
}

const char* wait_strategy_name(WaitStrategy strategy) noexcept {
    switch (strategy) {
        case WaitStrategy::adaptive: return "adaptive";
        case WaitStrategy::spin: return "spin";
        case WaitStrategy::block: return "block";
    }
    return "unknown";
}

RoleRegistration::RoleRegistration(std::string_view name, RoleMain main) { registry().emplace(std::string(name), main); }

int run_role(int argc, char** argv) {
    Report report(kReportFd);
    if (argc < 1) {
        (void)report.fail("no role named after --role");
        return kExitBadArguments;
    }
    const auto found = registry().find(std::string_view(argv[0]));
    if (found == registry().end()) {
        (void)report.fail("unknown role '" + std::string(argv[0]) + "'");
        return kExitBadArguments;
    }
    try {
        const RoleArgs args(argc - 1, argv + 1);
        return found->second(args, report);
    } catch (const BadArgument& bad) {
        (void)report.fail(bad.what());
        return kExitBadArguments;
    } catch (const std::exception& error) {
        return report.fail(std::string("exception: ") + error.what());
    }
}

}  // namespace shmring::multiprocess
