// The shmring command: its grammar (CLI11), and the mapping of outcomes onto exit codes.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <functional>
#include <string>

#include "commands.hpp"
#include "shmring/shmring.h"
#include "diagnostics.hpp"
#include "units.hpp"

namespace {

using namespace shmring::cli;

// Turns "64K" into "65536" before CLI11 converts it to a number.
CLI::Validator size_value() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            const auto size = parse_size(text);
            if (!size) return "'" + text + "' is not a size (a number, optionally with K, M or G)";
            text = std::to_string(*size);
            return {};
        },
        "SIZE");
}

// Turns the octal "0640" into its decimal value before CLI11 converts it to a number.
CLI::Validator mode_value() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            const auto mode = parse_mode(text);
            if (!mode) return "'" + text + "' is not an octal mode between 0000 and 0777";
            text = std::to_string(*mode);
            return {};
        },
        "MODE");
}

constexpr const char* kStatFields =
    "JSON (--json) fields: name, path, state, kind, engine, layout_version, capacity, capacity_unit, slot_size,\n"
    "slot_stride, max_message, max_messages, header_size, total_size, object_size, used, used_messages, fill_percent,\n"
    "positions{producer,consumer,read_position}, roles{producer,consumer}{endpoint,ever_taken}, repair_lock, sleepers{data,space},\n"
    "counters{producers,consumers,retired_producers,retired_consumers}{messages,bytes,full,empty,sleeps,wakes},\n"
    "counters.lost_messages, counters.corrupt, endpoints_alive, endpoints_dead,\n"
    "endpoints[]{index,role,pid,alive,status,attached_since,attached_realtime_ns,wait_strategy,claim,counters},\n"
    "owner_uid, mode, created, created_realtime_ns, creator{pid,uid,alive}, creation_mode, options;\n"
    "topics: topic{policy,published,next_sequence,announced_limit,slowest_lag,\n"
    "subscribers[]{index,pid,alive,next_sequence,lag,lost,gating,counters}};\n"
    "services: service{max_pending,max_request,max_response,call_stride,clients,servers,attached_servers,pending,\n"
    "calls_listed,calls[]{index,id,phase,client,client_pid,server,server_pid,sent,sent_realtime_ns,age_seconds,\n"
    "request_bytes,response_bytes}}.\n"
    "A damaged or half-initialised ring gives 'shmring: NAME: corrupt: REASON' and status 1.";

// "shmring create pipe": the words of the deepest subcommand the parser reached.
std::string command_path(const CLI::App& app) {
    std::string path = app.get_name();
    const CLI::App* current = &app;
    while (!current->get_subcommands().empty()) {
        current = current->get_subcommands().front();
        path += " " + current->get_name();
    }
    return path;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Inspect, create and use shmring rings: the shared-memory objects /dev/shm/shmring.<name>.", "shmring"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("shmring ") + shmring_version(), "Print the library's version and exit");
    app.footer("Exit status: 0 success, 1 failure, 2 usage error. Errors are one line on stderr: 'shmring: RING: REASON'.\n"
               "Run 'shmring COMMAND --help' for a command's options.");
    std::function<int()> run;

    LsOptions ls;
    auto* ls_command = app.add_subcommand("ls", "List every ring: kind, engine, capacity, fill level, endpoints, state");
    ls_command->add_flag("--json", ls.json, "Print {\"rings\": [...]} instead of a table");
    ls_command->footer("STATE is ok, stale (it had endpoints; they and its creator are all dead), corrupt, initialising\n"
                       "(never published by its creator) or unreadable. Reasons for the last three go to stderr.\n"
                       "JSON fields per ring: name, path, state, kind, engine, capacity, capacity_unit, max_messages,\n"
                       "max_message, used, used_messages, fill_percent, endpoints_alive, endpoints_dead; or name, path, state, reason.");
    ls_command->callback([&] { run = [&] { return run_ls(ls); }; });

    StatOptions stat;
    auto* stat_command = app.add_subcommand("stat", "Show everything a ring's header, counters and endpoint registry tell");
    stat_command->add_option("NAME", stat.name, "Ring name")->required();
    stat_command->add_flag("--json", stat.json, "Print one JSON object");
    stat_command->footer(kStatFields);
    stat_command->callback([&] { run = [&] { return run_stat(stat); }; });

    WatchOptions watch;
    auto* watch_command = app.add_subcommand("watch", "Live view of a ring: message and byte rates, fill level, endpoints");
    watch_command->add_option("NAME", watch.name, "Ring name")->required();
    watch_command->add_option("--interval", watch.interval_seconds, "Seconds between refreshes")
        ->check(CLI::Range(0.05, 3600.0))
        ->capture_default_str();
    watch_command->footer("On a terminal the view is redrawn in place; otherwise one line of rates is printed per interval.\n"
                          "Ctrl-C, or the reader of its output closing, ends it with status 0.");
    watch_command->callback([&] { run = [&] { return run_watch(watch); }; });

    auto* create_command = app.add_subcommand("create", "Create a pipe, a queue, a topic or a service");
    create_command->require_subcommand(1);

    CreatePipeOptions pipe;
    auto* pipe_command = create_command->add_subcommand("pipe", "Create a pipe: a byte stream for one writer and one reader");
    pipe_command->add_option("NAME", pipe.name, "Ring name: 1 to 200 of A-Z a-z 0-9 . _ -")->required();
    pipe_command->add_option("--capacity", pipe.capacity, "Bytes, 64 to 1G, rounded up to a power of two (K, M, G suffixes)")
        ->transform(size_value())
        ->required();
    pipe_command->add_option("--mode", pipe.mode, "Permission bits, octal")->transform(mode_value())->default_str("0600");
    pipe_command->callback([&] { run = [&] { return run_create_pipe(pipe); }; });

    CreateQueueOptions queue;
    auto* queue_command = create_command->add_subcommand("queue", "Create a message queue");
    queue_command->add_option("NAME", queue.name, "Ring name: 1 to 200 of A-Z a-z 0-9 . _ -")->required();
    queue_command->add_option("--messages", queue.messages, "Messages it holds at least, 1 to 16777216")
        ->check(CLI::PositiveNumber)
        ->required();
    queue_command->add_option("--message-size", queue.message_size, "Largest message, 1 byte to 1M (K, M suffixes)")
        ->transform(size_value())
        ->required();
    queue_command->add_option("--engine", queue.engine, "spsc: one sender and one receiver; mpmc: any number of each")
        ->check(CLI::IsMember({"spsc", "mpmc"}))
        ->capture_default_str();
    queue_command->add_option("--mode", queue.mode, "Permission bits, octal")->transform(mode_value())->default_str("0600");
    queue_command->callback([&] { run = [&] { return run_create_queue(queue); }; });

    CreateTopicOptions topic;
    auto* topic_command = create_command->add_subcommand("topic", "Create a topic: one publisher, many subscribers, each gets every message");
    topic_command->add_option("NAME", topic.name, "Ring name: 1 to 200 of A-Z a-z 0-9 . _ -")->required();
    topic_command->add_option("--messages", topic.messages, "Capacity in messages, 1 to 16777216")->check(CLI::PositiveNumber)->required();
    topic_command->add_option("--message-size", topic.message_size, "Largest message, 1 byte to 1M (K, M suffixes)")
        ->transform(size_value())
        ->check(CLI::PositiveNumber)
        ->required();
    topic_command->add_option("--policy", topic.policy,
                              "lossless: the publisher waits for a subscriber CAPACITY behind; lossy: it overwrites, and the subscriber counts what it lost")
        ->check(CLI::IsMember({"lossless", "lossy"}))
        ->capture_default_str();
    topic_command->add_option("--mode", topic.mode, "Permission bits, octal")->transform(mode_value())->default_str("0600");
    topic_command->callback([&] { run = [&] { return run_create_topic(topic); }; });

    CreateServiceOptions service;
    auto* service_command =
        create_command->add_subcommand("service", "Create a service: clients call, servers answer, each request is served once");
    service_command->add_option("NAME", service.name, "Ring name: 1 to 200 of A-Z a-z 0-9 . _ -")->required();
    service_command->add_option("--pending", service.pending, "Calls that may be pending at once, 1 to 8388608")
        ->check(CLI::PositiveNumber)
        ->required();
    service_command->add_option("--request-size", service.request_size, "Largest request, 1 byte to 1M (K, M suffixes)")
        ->transform(size_value())
        ->check(CLI::PositiveNumber)
        ->required();
    service_command->add_option("--response-size", service.response_size, "Largest response, 1 byte to 1M (K, M suffixes)")
        ->transform(size_value())
        ->check(CLI::PositiveNumber)
        ->required();
    service_command->add_option("--mode", service.mode, "Permission bits, octal")->transform(mode_value())->default_str("0600");
    service_command->callback([&] { run = [&] { return run_create_service(service); }; });

    RmOptions rm;
    auto* rm_command = app.add_subcommand("rm", "Remove rings (processes that have one mapped keep it until they let go)");
    rm_command->add_option("NAME", rm.names, "Ring names")->required();
    rm_command->callback([&] { run = [&] { return run_rm(rm); }; });

    GcOptions gc;
    auto* gc_command = app.add_subcommand("gc", "Remove the rings nothing alive uses any more, and say which");
    gc_command->add_flag("--dry-run", gc.dry_run, "Only say what would be removed");
    gc_command->add_option("NAME", gc.names, "Consider only these rings (default: every ring)");
    gc_command->footer("Removes this user's rings that are stale (they had endpoints; all are dead, and so is the creator)\n"
                       "or stuck initialising with a dead creator, when no live process has them open or mapped.\n"
                       "Rings that never had an endpoint, and corrupt rings, are kept.");
    gc_command->callback([&] { run = [&] { return run_gc(gc); }; });

    StreamOptions write;
    auto* write_command = app.add_subcommand("write", "Copy stdin into a pipe, as its writer (end of stdin closes the pipe)");
    write_command->add_option("NAME", write.name, "Pipe name")->required();
    write_command->footer("Fails with EPIPE, status 1, once the reader has left.");
    write_command->callback([&] { run = [&] { return run_write(write); }; });

    StreamOptions read;
    auto* read_command = app.add_subcommand("read", "Copy a pipe to stdout, as its reader, until the writer closes it");
    read_command->add_option("NAME", read.name, "Pipe name")->required();
    read_command->callback([&] { run = [&] { return run_read(read); }; });

    SendOptions send;
    auto* send_command = app.add_subcommand("send", "Send messages to a queue: one per argument, or one per line of stdin");
    send_command->add_option("NAME", send.name, "Queue name")->required();
    send_command->add_option("MESSAGE", send.messages, "Messages; without any, each line of stdin is one");
    send_command->callback([&] { run = [&] { return run_send(send); }; });

    RecvOptions recv;
    auto* recv_command = app.add_subcommand("recv", "Receive messages from a queue and print one per line");
    recv_command->add_option("NAME", recv.name, "Queue name")->required();
    recv_command->add_option("--count", recv.count, "Stop after this many messages")->check(CLI::PositiveNumber);
    recv_command->add_option("--timeout", recv.timeout_seconds, "Seconds to wait for each message before giving up")
        ->check(CLI::NonNegativeNumber);
    recv_command->footer("When --timeout passes, recv ends with status 0, or 1 if --count asked for more messages.");
    recv_command->callback([&] { run = [&] { return run_recv(recv); }; });

    PublishOptions publish;
    auto* publish_command = app.add_subcommand("publish", "Publish messages on a topic: one per argument, or one per line of stdin");
    publish_command->add_option("NAME", publish.name, "Topic name")->required();
    publish_command->add_option("MESSAGE", publish.messages, "Messages; without any, each line of stdin is one");
    publish_command->footer("Takes the publisher role (status 1 while another live publisher holds it). A lossless topic makes it\n"
                            "wait while its slowest subscriber is a capacity behind.");
    publish_command->callback([&] { run = [&] { return run_publish(publish); }; });

    SubscribeOptions subscribe;
    auto* subscribe_command = app.add_subcommand("subscribe", "Subscribe to a topic and print each message on its own line");
    subscribe_command->add_option("NAME", subscribe.name, "Topic name")->required();
    subscribe_command->add_flag("--from-oldest", subscribe.from_oldest, "Start with the oldest message the topic still keeps");
    subscribe_command->add_option("--count", subscribe.count, "Stop after this many messages")->check(CLI::PositiveNumber);
    subscribe_command->add_option("--timeout", subscribe.timeout_seconds, "Seconds to wait for each message before giving up")
        ->check(CLI::NonNegativeNumber);
    subscribe_command->footer("Without --from-oldest it starts with the next message published. When --timeout passes, it ends\n"
                              "with status 0, or 1 if --count asked for more messages.");
    subscribe_command->callback([&] { run = [&] { return run_subscribe(subscribe); }; });

    CallOptions call;
    auto* call_command = app.add_subcommand("call", "Call a service: send one request, print its response");
    call_command->add_option("NAME", call.name, "Service name")->required();
    auto* request_option = call_command->add_option("REQUEST", call.request, "The request; without it, all of stdin is");
    call_command->add_option("--timeout", call.timeout_seconds, "Seconds to wait for a free call slot and the response, in all")
        ->check(CLI::NonNegativeNumber);
    call_command->footer("Prints the response as the server wrote it, with no newline added. Status 1, with the reason on stderr,\n"
                         "when no server is attached (ECONNREFUSED), when the server serving the call died or left before\n"
                         "answering (ECONNRESET), when --timeout passes (ETIMEDOUT; the call is given up: a late response is\n"
                         "dropped), or when the request is above the service's limit (EMSGSIZE).");
    call_command->callback([&] {
        call.from_stdin = request_option->count() == 0;
        run = [&] { return run_call(call); };
    });

    ServeOptions serve;
    auto* serve_command = app.add_subcommand("serve", "Serve a service: answer each request with what a command prints, as inetd does");
    serve_command->add_option("NAME", serve.name, "Service name")->required();
    serve_command->add_option("--count", serve.count, "Stop after answering this many requests")->check(CLI::PositiveNumber);
    serve_command->add_option("COMMAND", serve.command, "After --: the program and its arguments (run without a shell)")->required();
    serve_command->footer("Runs COMMAND once per request, one request at a time, with the request on its stdin; what it writes to\n"
                          "stdout, up to the service's response size, is the response. A command that fails or writes too much\n"
                          "still answers (with its output, cut at the limit), and a line on stderr says what went wrong. One\n"
                          "that cannot be started ends serve with status 1. Ctrl-C or SIGTERM ends serve with status 0; a\n"
                          "command still running is killed, and its caller gets ECONNRESET.");
    serve_command->callback([&] { run = [&] { return run_serve(serve); }; });

    BridgeOptions bridge_send;
    BridgeOptions bridge_recv;
    KeygenOptions keygen;
    BridgeStatusOptions bridge_status;
    auto* bridge_command = app.add_subcommand("bridge", "Continue a ring on another host over ZeroMQ: exactly once, in order");
    bridge_command->require_subcommand(1);
    const auto add_security = [](CLI::App* command, BridgeOptions& options) {
        command->add_flag("--plain", options.plain, "Unencrypted, unauthenticated TCP (only on a network you trust)");
        command->add_option("--curve-key", options.key_file, "CURVE: this side's key pair file (shmring bridge keygen)");
        command->add_option("--heartbeat", options.heartbeat_ms, "Milliseconds of silence before a heartbeat; 4 of them lose the link")
            ->check(CLI::Range(10, 60000))
            ->default_str("250");
    };
    auto* send_side = bridge_command->add_subcommand("send", "Forward a local pipe, queue or topic to a receiving bridge");
    send_side->add_option("NAME", bridge_send.name, "The local ring: a pipe, a queue (the bridge its only consumer on the MPMC engine), or a topic")->required();
    send_side->add_option("--to", bridge_send.endpoint, "The receiver: tcp://HOST:PORT")->required();
    add_security(send_side, bridge_send);
    send_side->add_option("--server-key", bridge_send.server_key_file, "CURVE: the receiver's public key file (its .pub)");
    send_side->add_option("--window", bridge_send.window, "Most bytes sent and not yet confirmed (K, M, G suffixes)")
        ->transform(size_value())
        ->default_str("8M");
    send_side->footer("Reads the ring as its consumer (a topic: as one subscriber). A record leaves the ring only once the receiver\n"
                      "confirms its ring holds it, so a sender killed and started again, or a link cut and restored, loses and\n"
                      "repeats nothing (a lossy topic's publisher waits for nobody: what it overwrites first is lost, and counted).\n"
                      "Runs until Ctrl-C or SIGTERM; status 1 on an error that retrying cannot mend.");
    send_side->callback([&] { run = [&] { return run_bridge_send(bridge_send); }; });
    auto* recv_side = bridge_command->add_subcommand("recv", "Receive a sending bridge's records into a local ring (its only writer)");
    recv_side->add_option("NAME", bridge_recv.name, "The local ring: created like the sender's when missing")->required();
    recv_side->add_option("--listen", bridge_recv.endpoint, "Where to listen: tcp://ADDR:PORT")->required();
    add_security(recv_side, bridge_recv);
    recv_side->add_option("--allow", bridge_recv.allow, "CURVE: a sender's public key file it lets in (repeat; none: any sender that knows our key)");
    recv_side->add_option("--mode", bridge_recv.mode, "Permission bits of a ring it creates, octal")->transform(mode_value())->default_str("0600");
    recv_side->footer("Must be its ring's only writer. Its delivery journal (/dev/shm/shmring-bridge-recv.NAME) lets a receiver\n"
                      "killed and started again know exactly what the ring already holds.");
    recv_side->callback([&] { run = [&] { return run_bridge_recv(bridge_recv); }; });
    auto* keygen_command = bridge_command->add_subcommand("keygen", "Write a CURVE key pair: PATH (secret, 0600) and PATH.pub");
    keygen_command->add_option("PATH", keygen.path, "The key pair file to write")->required();
    keygen_command->callback([&] { run = [&] { return run_bridge_keygen(keygen); }; });
    auto* status_command = bridge_command->add_subcommand("status", "Show the bridges of a ring on this host: messages, bytes, in flight");
    status_command->add_option("NAME", bridge_status.name, "Ring name")->required();
    status_command->add_flag("--json", bridge_status.json, "Print JSON");
    status_command->callback([&] { run = [&] { return run_bridge_status(bridge_status); }; });

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForVersion& version) {
        return app.exit(version);
    } catch (const CLI::ParseError& error) {
        std::string what = error.what();
        std::replace(what.begin(), what.end(), '\n', ' ');
        const std::string path = command_path(app);
        std::fprintf(stderr, "%s: %s (see '%s --help')\n", app.get_name().c_str(), what.c_str(), path.c_str());
        return kExitUsage;
    }
    try {
        return run();
    } catch (const std::exception& error) {
        std::fprintf(stderr, "shmring: %s\n", error.what());
        return kExitFailure;
    }
}
