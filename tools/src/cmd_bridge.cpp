// shmring bridge send|recv|keygen|status: a ring continued on another host over ZeroMQ
// (shmring/bridge.hpp), from the shell.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "shmring/bridge.hpp"
#include "stop_signal.hpp"
#include "text_format.hpp"

namespace shmring::cli {

namespace {

// CURVE unless plain TCP was asked for; never neither, never both.
std::optional<std::string> security_conflict(const BridgeOptions& options, bool sender) {
    if (options.plain && !options.key_file.empty()) return "--plain and --curve-key exclude each other";
    if (!options.plain && options.key_file.empty())
        return "give --curve-key FILE (see 'shmring bridge keygen') or, for unencrypted TCP, --plain";
    if (sender && !options.key_file.empty() && options.server_key_file.empty()) return "CURVE needs the receiver's public key: --server-key FILE.pub";
    return std::nullopt;
}

template <class Settings>
Settings settings_of(const BridgeOptions& options) {
    Settings settings;
    settings.ring = options.name;
    settings.endpoint = options.endpoint;
    settings.security.key_file = options.key_file;
    settings.security.server_key_file = options.server_key_file;
    settings.security.client_key_files = options.allow;
    settings.heartbeat = std::chrono::milliseconds(options.heartbeat_ms);
    settings.should_stop = [] { return stop_requested(); };
    settings.log = [](std::string_view line) {
        std::fprintf(stderr, "shmring: %.*s\n", static_cast<int>(line.size()), line.data());
        std::fflush(stderr);
    };
    return settings;
}

int finish(const BridgeOptions& options, const Outcome& outcome) {
    if (!outcome) return fail(options.name, reason_of(outcome.error(), options.name));
    return kExitSuccess;
}

nlohmann::json statistics_json(const bridge::Statistics& s) {
    return {{"running", s.running},   {"pid", s.pid},           {"connected", s.connected},
            {"messages", s.messages}, {"bytes", s.bytes},       {"reconnects", s.reconnects},
            {"in_flight", s.in_flight}, {"in_flight_bytes", s.in_flight_bytes}, {"acknowledged", s.acknowledged},
            {"refused", s.refused},   {"lost", s.lost},         {"updated_realtime_ns", s.updated_realtime_ns}};
}

void print_statistics(const char* side, const bridge::Statistics& s) {
    std::printf("%s: %s", side, s.running ? "running" : "not running");
    if (s.running) std::printf(" (pid %u), %s", s.pid, s.connected ? "connected" : "not connected");
    std::printf("\n  messages %llu (%s), reconnects %llu, position %llu\n", static_cast<unsigned long long>(s.messages),
                human_bytes(static_cast<double>(s.bytes)).c_str(), static_cast<unsigned long long>(s.reconnects),
                static_cast<unsigned long long>(s.acknowledged));
    if (s.side == bridge::Side::sender)
        std::printf("  in flight %llu (%s), lost %llu\n", static_cast<unsigned long long>(s.in_flight),
                    human_bytes(static_cast<double>(s.in_flight_bytes)).c_str(), static_cast<unsigned long long>(s.lost));
    else
        std::printf("  refused %llu\n", static_cast<unsigned long long>(s.refused));
}

}  // namespace

int run_bridge_send(const BridgeOptions& options) {
    if (const auto conflict = security_conflict(options, true)) return fail(options.name, *conflict);
    install_stop_handlers();
    auto settings = settings_of<bridge::SenderSettings>(options);
    settings.window_bytes = options.window;
    return finish(options, bridge::run_sender(settings));
}

int run_bridge_recv(const BridgeOptions& options) {
    if (const auto conflict = security_conflict(options, false)) return fail(options.name, *conflict);
    install_stop_handlers();
    auto settings = settings_of<bridge::ReceiverSettings>(options);
    settings.mode = options.mode;
    return finish(options, bridge::run_receiver(settings));
}

int run_bridge_keygen(const KeygenOptions& options) {
    if (auto written = bridge::write_key_pair(options.path); !written) return fail(options.path, written.error().message());
    std::printf("wrote %s (key pair, keep it secret) and %s.pub (public key, for the other side)\n", options.path.c_str(), options.path.c_str());
    return kExitSuccess;
}

int run_bridge_status(const BridgeStatusOptions& options) {
    auto sender = bridge::read_statistics(options.name, bridge::Side::sender);
    if (!sender) return fail(options.name, reason_of(sender.error(), options.name));
    auto receiver = bridge::read_statistics(options.name, bridge::Side::receiver);
    if (!receiver) return fail(options.name, reason_of(receiver.error(), options.name));
    if (!*sender && !*receiver) return fail(options.name, "no bridge has run for this ring on this host");
    if (options.json) {
        nlohmann::json out = {{"name", options.name}};
        out["sender"] = *sender ? statistics_json(**sender) : nlohmann::json(nullptr);
        out["receiver"] = *receiver ? statistics_json(**receiver) : nlohmann::json(nullptr);
        std::puts(out.dump(2).c_str());
        return kExitSuccess;
    }
    if (*sender) print_statistics("sender", **sender);
    if (*receiver) print_statistics("receiver", **receiver);
    return kExitSuccess;
}

}  // namespace shmring::cli
