// The shmring command: its grammar (CLI11), and the mapping of outcomes onto exit codes.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <string>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "shmring/layout.hpp"
#include "shmring/shmring.h"
#include "option_checks.hpp"

namespace {

using namespace shmring::cli;
namespace layout = shmring::layout;

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
    "request_bytes,response_bytes}};\n"
    "cells: cell{version,value_bytes,max_size,writer,consistency,owner_deaths,waiters[]};\n"
    "locks: lock{held,holder{endpoint,pid,command,alive,since,since_realtime_ns,held_seconds},consistency,owner_deaths,\n"
    "waiters[]{endpoint,pid,command}}; semaphores: semaphore{count,maximum,waiters[]}.\n"
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
    // A closed stdout is EPIPE from write(2), for every command: each ends quietly (flush_stdout).
    std::signal(SIGPIPE, SIG_IGN);
    CLI::App app{"Inspect, create and use shmring rings: the shared-memory objects /dev/shm/shmring.<name>.", "shmring"};
    app.require_subcommand(1);
    app.set_version_flag("-V,--version", std::string("shmring ") + shmring_version(), "Print the library's version and exit");
    app.footer("Exit status: 0 success, 1 failure, 2 usage error, 128+N stopped by signal N while moving data (130: Ctrl-C).\n"
               "A reader whose stdout closes (| head) ends quietly with 0. Errors are one line on stderr: 'shmring: RING: REASON'.\n"
               "Run 'shmring COMMAND --help' for a command's options, 'man shmring' for the manual.");
    std::function<int()> run;

    LsOptions ls;
    auto* ls_command = app.add_subcommand("ls", "List every ring: kind, engine, capacity, fill level, endpoints, state");
    ls_command->add_flag("--json", ls.json, "Print {\"rings\": [...]} instead of a table");
    ls_command->add_option("--interval", ls.interval_seconds, "Seconds between the two looks that give the rates (0: no rates)")
        ->check(seconds_in(0, 60))
        ->capture_default_str();
    ls_command->footer("STATE is ok, stale (it had endpoints; they and its creator are all dead), corrupt, initialising\n"
                       "(never published by its creator) or unreadable. Reasons for the last three go to stderr.\n"
                       "JSON fields per ring: name, path, state, kind, engine, capacity, capacity_unit, max_messages,\n"
                       "max_message, used, used_messages, fill_percent, endpoints_alive, endpoints_dead, rates{in,out}{messages_per_second,\n"
                       "bytes_per_second} (null with --interval 0), processes[]{pid,command,role,alive}; or name, path, state, reason.\n"
                       "PROCESSES shows PID/COMMAND of each live endpoint, then '+N dead'.");
    ls_command->callback([&] { run = [&] { return run_ls(ls); }; });

    StatOptions stat;
    auto* stat_command = app.add_subcommand("stat", "Show everything a ring's header, counters and endpoint registry tell");
    stat_command->add_option("NAME", stat.name, "Ring name")->required()->check(ring_name());
    stat_command->add_flag("--json", stat.json, "Print one JSON object");
    stat_command->footer(kStatFields);
    stat_command->callback([&] { run = [&] { return run_stat(stat); }; });

    WatchOptions watch;
    auto* watch_command = app.add_subcommand("watch", "Live view of a ring: message and byte rates, fill level, endpoints");
    watch_command->add_option("NAME", watch.name, "Ring name")->required()->check(ring_name());
    const auto add_live_options = [](CLI::App* command, WatchOptions& options) {
        command->add_option("--interval", options.interval_seconds, "Seconds between refreshes")->check(seconds_in(0.05, 3600))->capture_default_str();
        command->add_option("--count", options.count, "Stop after this many refreshes")->check(count_in(1, UINT64_MAX));
        command->add_flag("--json", options.json, "One JSON object per line per refresh (the fields of 'ls --json', and time)");
    };
    add_live_options(watch_command, watch);
    watch_command->footer("On a terminal the view is redrawn in place; otherwise one line of rates is printed per interval,\n"
                          "from the second look on. Ctrl-C, or the reader of its output closing, ends it with status 0.");
    watch_command->callback([&] { run = [&] { return run_watch(watch); }; });

    WatchOptions top;
    auto* top_command = app.add_subcommand("top", "Every ring live, the busiest first: message and byte rates, fill, processes");
    add_live_options(top_command, top);
    top_command->footer("Sorted by messages per second in and out. On a terminal the table is redrawn in place; otherwise\n"
                        "a table (or with --json a JSON object) is appended per interval.");
    top_command->callback([&] { run = [&] { return run_top(top); }; });

    MetricsOptions metrics;
    auto* metrics_command = app.add_subcommand("metrics", "Print every ring's metrics in Prometheus' text format (or OpenMetrics)");
    metrics_command->add_option("NAME", metrics.names, "Only these rings (default: every ring)")->check(ring_name());
    metrics_command->add_flag("--openmetrics", metrics.openmetrics, "OpenMetrics 1.0 text instead of Prometheus' format 0.0.4");
    metrics_command->footer("Read-only, like stat. Metric names and labels are listed in tools/README.md and shmring(1). Status 1\n"
                            "when a ring named on the command line cannot be read (the others are printed).");
    metrics_command->callback([&] { run = [&] { return run_metrics(metrics); }; });

    ExporterOptions exporter;
    auto* exporter_command = app.add_subcommand("exporter", "Serve the rings' metrics over HTTP for Prometheus, or write them for node_exporter");
    auto* listen_option = exporter_command->add_option("--listen", exporter.listen, "HOST:PORT to serve GET /metrics on (:PORT: every interface; port 0: any free port)")
                              ->check(listen_address());
    auto* textfile_option =
        exporter_command->add_option("--textfile", exporter.textfile, "Directory of node_exporter's textfile collector: write shmring.prom there")
            ->check(CLI::ExistingDirectory);
    listen_option->excludes(textfile_option);
    exporter_command->add_option("NAME", exporter.names, "Only these rings (default: every ring)")->check(ring_name());
    exporter_command->add_option("--interval", exporter.interval_seconds, "--textfile: seconds between writes")
        ->check(seconds_in(0.1, 86400))
        ->capture_default_str()
        ->needs(textfile_option);
    exporter_command->add_flag("--once", exporter.once, "--textfile: write once and exit")->needs(textfile_option);
    exporter_command->footer("--listen reads the rings afresh at each scrape and answers in OpenMetrics when the scraper asks for it\n"
                             "(Accept header), else in Prometheus' text format. --textfile replaces DIR/shmring.prom atomically\n"
                             "(a temporary file renamed over it). Runs until Ctrl-C or SIGTERM, then ends with status 0.");
    exporter_command->callback([&] {
        if (exporter.listen.empty() && exporter.textfile.empty()) throw CLI::ValidationError("exporter", "needs --listen HOST:PORT or --textfile DIR");
        run = [&] { return run_exporter(exporter); };
    });

    auto* create_command = app.add_subcommand("create", "Create a pipe, a queue, a topic, a service, a cell, a lock or a semaphore");
    create_command->require_subcommand(1);

    CreatePipeOptions pipe;
    auto* pipe_command = create_command->add_subcommand("pipe", "Create a pipe: a byte stream for one writer and one reader");
    pipe_command->add_option("NAME", pipe.name, "Ring name: 1 to 200 of A-Z a-z 0-9 . _ -")->required()->check(ring_name());
    pipe_command->add_option("--capacity", pipe.capacity, "Bytes, " + size_words(layout::kMinSpscCapacity) + " to " + size_words(layout::kMaxSpscCapacity) +
                                                            ", rounded up to a power of two (K, M, G suffixes)")
        ->transform(size_in(layout::kMinSpscCapacity, layout::kMaxSpscCapacity))
        ->required();
    pipe_command->add_option("--mode", pipe.mode, "Permission bits, octal")->transform(mode_value())->default_str("0600");
    pipe_command->add_flag("--json", pipe.json, "Print the new ring as 'stat --json' does");
    pipe_command->callback([&] { run = [&] { return run_create_pipe(pipe); }; });

    CreateQueueOptions queue;
    auto* queue_command = create_command->add_subcommand("queue", "Create a message queue");
    queue_command->add_option("NAME", queue.name, "Ring name: 1 to 200 of A-Z a-z 0-9 . _ -")->required()->check(ring_name());
    queue_command->add_option("--messages", queue.messages, "Messages it holds at least, 1 to " + std::to_string(layout::kMaxMpmcSlots))
        ->check(count_in(1, layout::kMaxMpmcSlots))
        ->required();
    queue_command->add_option("--message-size", queue.message_size, "Largest message, 1 byte to " + size_words(layout::kMaxSlotSize) + " (K, M suffixes)")
        ->transform(size_in(1, layout::kMaxSlotSize))
        ->required();
    queue_command->add_option("--engine", queue.engine, "spsc: one sender and one receiver; mpmc: any number of each")
        ->check(CLI::IsMember({"spsc", "mpmc"}))
        ->capture_default_str();
    queue_command->add_option("--mode", queue.mode, "Permission bits, octal")->transform(mode_value())->default_str("0600");
    queue_command->add_flag("--json", queue.json, "Print the new ring as 'stat --json' does");
    queue_command->callback([&] { run = [&] { return run_create_queue(queue); }; });

    CreateTopicOptions topic;
    auto* topic_command = create_command->add_subcommand("topic", "Create a topic: one publisher, many subscribers, each gets every message");
    topic_command->add_option("NAME", topic.name, "Ring name: 1 to 200 of A-Z a-z 0-9 . _ -")->required()->check(ring_name());
    topic_command->add_option("--messages", topic.messages, "Capacity in messages, 1 to " + std::to_string(layout::kMaxMpmcSlots))
        ->check(count_in(1, layout::kMaxMpmcSlots))
        ->required();
    topic_command->add_option("--message-size", topic.message_size, "Largest message, 1 byte to " + size_words(layout::kMaxSlotSize) + " (K, M suffixes)")
        ->transform(size_in(1, layout::kMaxSlotSize))
        ->required();
    topic_command->add_option("--policy", topic.policy,
                              "lossless: the publisher waits for a subscriber CAPACITY behind; lossy: it overwrites, and the subscriber counts what it lost")
        ->check(CLI::IsMember({"lossless", "lossy"}))
        ->capture_default_str();
    topic_command->add_option("--mode", topic.mode, "Permission bits, octal")->transform(mode_value())->default_str("0600");
    topic_command->add_flag("--json", topic.json, "Print the new ring as 'stat --json' does");
    topic_command->callback([&] { run = [&] { return run_create_topic(topic); }; });

    CreateServiceOptions service;
    auto* service_command =
        create_command->add_subcommand("service", "Create a service: clients call, servers answer, each request is served once");
    service_command->add_option("NAME", service.name, "Ring name: 1 to 200 of A-Z a-z 0-9 . _ -")->required()->check(ring_name());
    service_command->add_option("--pending", service.pending, "Calls that may be pending at once, 1 to " + std::to_string(layout::kMaxServiceCalls))
        ->check(count_in(1, layout::kMaxServiceCalls))
        ->required();
    service_command->add_option("--request-size", service.request_size, "Largest request, 1 byte to " + size_words(layout::kMaxSlotSize) + " (K, M suffixes)")
        ->transform(size_in(1, layout::kMaxSlotSize))
        ->required();
    service_command->add_option("--response-size", service.response_size, "Largest response, 1 byte to " + size_words(layout::kMaxSlotSize) + " (K, M suffixes)")
        ->transform(size_in(1, layout::kMaxSlotSize))
        ->required();
    service_command->add_option("--mode", service.mode, "Permission bits, octal")->transform(mode_value())->default_str("0600");
    service_command->add_flag("--json", service.json, "Print the new ring as 'stat --json' does");
    service_command->callback([&] { run = [&] { return run_create_service(service); }; });

    CreateCellOptions cell;
    auto* create_cell_command = create_command->add_subcommand("cell", "Create a cell: the latest value of some shared state, never torn");
    create_cell_command->add_option("NAME", cell.name, "Cell name: 1 to 200 of A-Z a-z 0-9 . _ -")->required()->check(ring_name());
    create_cell_command->add_option("--max-size", cell.max_size, "Largest value, 1 byte to " + size_words(layout::kMaxCellValue) + " (K, M suffixes)")
        ->transform(size_in(1, layout::kMaxCellValue))
        ->required();
    create_cell_command->add_option("--mode", cell.mode, "Permission bits, octal")->transform(mode_value())->default_str("0600");
    create_cell_command->add_flag("--json", cell.json, "Print the new cell as 'stat --json' does");
    create_cell_command->callback([&] { run = [&] { return run_create_cell(cell); }; });

    CreateLockOptions lock;
    auto* create_lock_command = create_command->add_subcommand("lock", "Create a lock: mutual exclusion that survives its holder's death");
    create_lock_command->add_option("NAME", lock.name, "Lock name: 1 to 200 of A-Z a-z 0-9 . _ -")->required()->check(ring_name());
    create_lock_command->add_option("--mode", lock.mode, "Permission bits, octal")->transform(mode_value())->default_str("0600");
    create_lock_command->add_flag("--json", lock.json, "Print the new lock as 'stat --json' does");
    create_lock_command->callback([&] { run = [&] { return run_create_lock(lock); }; });

    CreateSemaphoreOptions semaphore;
    auto* create_semaphore_command = create_command->add_subcommand("semaphore", "Create a counting semaphore");
    create_semaphore_command->add_option("NAME", semaphore.name, "Semaphore name: 1 to 200 of A-Z a-z 0-9 . _ -")->required()->check(ring_name());
    create_semaphore_command->add_option("--initial", semaphore.initial, "The count to start with, 0 to the maximum")
        ->check(count_in(0, layout::kMaxSemaphoreCount))
        ->capture_default_str();
    create_semaphore_command->add_option("--maximum", semaphore.maximum, "The largest count, 1 to " + std::to_string(layout::kMaxSemaphoreCount))
        ->check(count_in(1, layout::kMaxSemaphoreCount))
        ->capture_default_str();
    create_semaphore_command->add_option("--mode", semaphore.mode, "Permission bits, octal")->transform(mode_value())->default_str("0600");
    create_semaphore_command->add_flag("--json", semaphore.json, "Print the new semaphore as 'stat --json' does");
    create_semaphore_command->callback([&] {
        if (semaphore.initial > semaphore.maximum)
            throw CLI::ValidationError("--initial", "must be 0 to the maximum " + std::to_string(semaphore.maximum) + ", not '" +
                                                                       std::to_string(semaphore.initial) + "'");
        run = [&] { return run_create_semaphore(semaphore); };
    });

    RmOptions rm;
    auto* rm_command = app.add_subcommand("rm", "Remove rings (processes that have one mapped keep it until they let go)");
    rm_command->add_option("NAME", rm.names, "Ring names")->required()->check(ring_name());
    rm_command->add_flag("--json", rm.json, "Print {\"removed\": [{name, path}...]}");
    rm_command->callback([&] { run = [&] { return run_rm(rm); }; });

    GcOptions gc;
    auto* gc_command = app.add_subcommand("gc", "Remove the rings nothing alive uses any more, and say which");
    gc_command->add_flag("--dry-run", gc.dry_run, "Only say what would be removed");
    gc_command->add_option("NAME", gc.names, "Consider only these rings (default: every ring)")->check(ring_name());
    gc_command->add_flag("--json", gc.json, "Print {\"dry_run\": BOOL, \"removed\": [{name, path, reason}...]}");
    gc_command->footer("Removes this user's rings that are stale (they had endpoints; all are dead, and so is the creator)\n"
                       "or stuck initialising with a dead creator, when no live process has them open or mapped.\n"
                       "Rings that never had an endpoint, and corrupt rings, are kept.");
    gc_command->callback([&] { run = [&] { return run_gc(gc); }; });

    StreamOptions write;
    auto* write_command = app.add_subcommand("write", "Copy stdin into a pipe, as its writer (end of stdin closes the pipe)");
    write_command->add_option("NAME", write.name, "Pipe name")->required()->check(ring_name());
    write_command->footer("Fails with EPIPE, status 1, once the reader has left. Ctrl-C ends it with 130 (SIGTERM: 143).");
    write_command->callback([&] { run = [&] { return run_write(write); }; });

    StreamOptions read;
    auto* read_command = app.add_subcommand("read", "Copy a pipe to stdout, as its reader, until the writer closes it");
    read_command->add_option("NAME", read.name, "Pipe name")->required()->check(ring_name());
    read_command->footer("Status 0 at end of file, and when the reader of its stdout leaves (| head): it then detaches quietly,\n"
                         "and the writer gets EPIPE. Ctrl-C ends it with 130 (SIGTERM: 143).");
    read_command->callback([&] { run = [&] { return run_read(read); }; });

    const auto add_send_options = [](CLI::App* command, SendOptions& options, const char* ring) {
        command->add_option("NAME", options.name, ring)->required()->check(ring_name());
        command->add_option("MESSAGE", options.messages, "Messages; without any, each line of stdin is one");
        auto* timeout = command->add_option("--timeout", options.timeout_seconds, "Seconds to wait for room for each message (ETIMEDOUT, status 1)")
                            ->check(seconds_in(0, 1e9));
        command->add_flag("--nonblock", options.nonblock, "Fail at once (EAGAIN, status 1) when the ring is full")->excludes(timeout);
        command->add_flag("-0,--null", options.null_separated, "Messages on stdin end with NUL, not newline (for find -print0, xargs -0)");
    };
    const auto add_receive_options = [](CLI::App* command, ReceiveOptions& options, const char* ring) {
        command->add_option("NAME", options.name, ring)->required()->check(ring_name());
        command->add_option("--count", options.count, "Stop after this many messages")->check(count_in(1, UINT64_MAX));
        command->add_option("--timeout", options.timeout_seconds, "Seconds to wait for each message before giving up")->check(seconds_in(0, 1e9));
        auto* null = command->add_flag("-0,--null", options.null_separated, "End each message with NUL instead of newline");
        command->add_flag("--json", options.json, "One JSON object per message: {bytes, text} or {bytes, base64} for non-UTF-8")->excludes(null);
    };

    SendOptions send;
    auto* send_command = app.add_subcommand("send", "Send messages to a queue: one per argument, or one per line of stdin");
    add_send_options(send_command, send, "Queue name");
    send_command->footer("Waits while the queue is full: for ever, up to --timeout for each message, or not at all with --nonblock.\n"
                         "Ctrl-C ends it with 130 (SIGTERM: 143).");
    send_command->callback([&] { run = [&] { return run_send(send); }; });

    ReceiveOptions recv;
    auto* recv_command = app.add_subcommand("recv", "Receive messages from a queue and print one per line");
    add_receive_options(recv_command, recv, "Queue name");
    recv_command->footer("When --timeout passes, recv ends with status 0, or 1 if --count asked for more messages. A reader of its\n"
                         "stdout that leaves ends it with 0. Ctrl-C ends it with 130 (SIGTERM: 143).");
    recv_command->callback([&] { run = [&] { return run_recv(recv); }; });

    SendOptions publish;
    auto* publish_command = app.add_subcommand("publish", "Publish messages on a topic: one per argument, or one per line of stdin");
    add_send_options(publish_command, publish, "Topic name");
    publish_command->footer("Takes the publisher role (status 1 while another live publisher holds it). A lossless topic makes it\n"
                            "wait while its slowest subscriber is a capacity behind.");
    publish_command->callback([&] { run = [&] { return run_publish(publish); }; });

    ReceiveOptions subscribe;
    auto* subscribe_command = app.add_subcommand("subscribe", "Subscribe to a topic and print each message on its own line");
    add_receive_options(subscribe_command, subscribe, "Topic name");
    subscribe_command->add_flag("--from-oldest", subscribe.from_oldest, "Start with the oldest message the topic still keeps");
    subscribe_command->footer("Without --from-oldest it starts with the next message published. When --timeout passes, it ends\n"
                              "with status 0, or 1 if --count asked for more messages. --json adds each message's sequence number.");
    subscribe_command->callback([&] { run = [&] { return run_subscribe(subscribe); }; });

    CallOptions call;
    auto* call_command = app.add_subcommand("call", "Call a service: send one request, print its response");
    call_command->add_option("NAME", call.name, "Service name")->required()->check(ring_name());
    auto* request_option = call_command->add_option("REQUEST", call.request, "The request; without it, all of stdin is");
    call_command->add_option("--timeout", call.timeout_seconds, "Seconds to wait for a free call slot and the response, in all")
        ->check(seconds_in(0, 1e9));
    call_command->add_flag("--json", call.json, "Print {id, response: {bytes, text or base64}} and a newline");
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
    serve_command->add_option("NAME", serve.name, "Service name")->required()->check(ring_name());
    serve_command->add_option("--count", serve.count, "Stop after answering this many requests")->check(count_in(1, UINT64_MAX));
    serve_command->add_option("COMMAND", serve.command, "After --: the program and its arguments (run without a shell)")->required();
    serve_command->footer("Runs COMMAND once per request, one request at a time, with the request on its stdin; what it writes to\n"
                          "stdout, up to the service's response size, is the response. A command that fails or writes too much\n"
                          "still answers (with its output, cut at the limit), and a line on stderr says what went wrong. One\n"
                          "that cannot be started ends serve with status 1. Ctrl-C or SIGTERM ends serve with status 0; a\n"
                          "command still running is killed, and its caller gets ECONNRESET.");
    serve_command->callback([&] { run = [&] { return run_serve(serve); }; });

    CellOptions cell_read;
    CellOptions cell_write;
    CellOptions cell_watch;
    auto* cell_command = app.add_subcommand("cell", "Read, write or watch a cell's value");
    cell_command->require_subcommand(1);
    auto* cell_read_command = cell_command->add_subcommand("read", "Print a cell's latest value on a line of its own");
    cell_read_command->add_option("NAME", cell_read.name, "Cell name")->required()->check(ring_name());
    cell_read_command->add_flag("--json", cell_read.json, "Print {version, bytes, text} (or base64 for bytes that are not UTF-8)");
    cell_read_command->footer("Status 1 when nothing was written yet (version 0).");
    cell_read_command->callback([&] { run = [&] { return run_cell_read(cell_read); }; });
    auto* cell_write_command = cell_command->add_subcommand("write", "Write a cell's value: a new version, read by everyone after");
    cell_write_command->add_option("NAME", cell_write.name, "Cell name")->required()->check(ring_name());
    auto* value_option = cell_write_command->add_option("VALUE", cell_write.value, "The value; without it, all of stdin without one final newline");
    cell_write_command->footer("A value above the cell's size fails with EMSGSIZE, status 1. The last writer wins; a writer that died\n"
                               "writing left the value before it whole.");
    cell_write_command->callback([&] {
        cell_write.from_stdin = value_option->count() == 0;
        run = [&] { return run_cell_write(cell_write); };
    });
    auto* cell_watch_command = cell_command->add_subcommand("watch", "Print a cell's latest value, then each newer one as it comes");
    cell_watch_command->add_option("NAME", cell_watch.name, "Cell name")->required()->check(ring_name());
    cell_watch_command->add_option("--count", cell_watch.count, "Stop after printing this many values")->check(count_in(1, UINT64_MAX));
    cell_watch_command->add_flag("--json", cell_watch.json, "One JSON object per value: {version, bytes, text or base64}");
    cell_watch_command->footer("A cell keeps only its latest value: a watcher slower than the writers sees the newest one, not each\n"
                               "(the versions tell what it skipped). A reader of its stdout that leaves ends it with 0. Ctrl-C ends\n"
                               "it with 130 (SIGTERM: 143).");
    cell_watch_command->callback([&] { run = [&] { return run_cell_watch(cell_watch); }; });

    LockOptions lock_run;
    auto* lock_command = app.add_subcommand("lock", "Run a command while holding a lock, as flock(1) does");
    lock_command->add_option("NAME", lock_run.name, "Lock name")->required()->check(ring_name());
    auto* lock_timeout = lock_command->add_option("--timeout", lock_run.timeout_seconds, "Seconds to wait for the lock (ETIMEDOUT, status 1)")
                             ->check(seconds_in(0, 1e9));
    lock_command->add_flag("--nonblock", lock_run.nonblock, "Fail at once (EAGAIN, status 1) when the lock is held")->excludes(lock_timeout);
    lock_command->add_option("COMMAND", lock_run.command, "After --: the program and its arguments (run without a shell)")->required();
    lock_command->footer("Ends with the command's status (128+N when signal N killed it; 127: not found, 126: not runnable),\n"
                         "or 1 when the lock could not be taken. SIGINT and SIGTERM sent to shmring go to the command. A\n"
                         "lock whose holder died is taken with a warning (EOWNERDEAD) and marked consistent again if the\n"
                         "command exits with 0; otherwise its next taker is warned too. Ctrl-C while waiting ends it with 130.");
    lock_command->callback([&] { run = [&] { return run_lock(lock_run); }; });

    SemaphoreOptions sem_post;
    SemaphoreOptions sem_wait;
    SemaphoreOptions sem_value;
    auto* sem_command = app.add_subcommand("sem", "Post to a semaphore, wait on it, or print its count");
    sem_command->require_subcommand(1);
    auto* sem_post_command = sem_command->add_subcommand("post", "Add one to a semaphore's count, waking a waiter");
    sem_post_command->add_option("NAME", sem_post.name, "Semaphore name")->required()->check(ring_name());
    sem_post_command->add_option("--count", sem_post.count, "Add this many, one at a time")->check(count_in(1, layout::kMaxSemaphoreCount));
    sem_post_command->footer("At the maximum it fails with EOVERFLOW, status 1 (what was added before stays added).");
    sem_post_command->callback([&] { run = [&] { return run_sem_post(sem_post); }; });
    auto* sem_wait_command = sem_command->add_subcommand("wait", "Take one from a semaphore's count, waiting while it is 0");
    sem_wait_command->add_option("NAME", sem_wait.name, "Semaphore name")->required()->check(ring_name());
    auto* sem_timeout = sem_wait_command->add_option("--timeout", sem_wait.timeout_seconds, "Seconds to wait (ETIMEDOUT, status 1)")
                            ->check(seconds_in(0, 1e9));
    sem_wait_command->add_flag("--nonblock", sem_wait.nonblock, "Fail at once (EAGAIN, status 1) when the count is 0")->excludes(sem_timeout);
    sem_wait_command->footer("Ctrl-C ends it with 130 (SIGTERM: 143), having taken nothing.");
    sem_wait_command->callback([&] { run = [&] { return run_sem_wait(sem_wait); }; });
    auto* sem_value_command = sem_command->add_subcommand("value", "Print a semaphore's count (read-only, as stat reads it)");
    sem_value_command->add_option("NAME", sem_value.name, "Semaphore name")->required()->check(ring_name());
    sem_value_command->add_flag("--json", sem_value.json, "Print {count, maximum, waiters}");
    sem_value_command->callback([&] { run = [&] { return run_sem_value(sem_value); }; });

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
            ->check(count_in(10, 60000))
            ->default_str("250");
    };
    auto* send_side = bridge_command->add_subcommand("send", "Forward a local pipe, queue or topic to a receiving bridge");
    send_side->add_option("NAME", bridge_send.name, "The local ring: a pipe, a queue (the bridge its only consumer on the MPMC engine), or a topic")
        ->required()
        ->check(ring_name());
    send_side->add_option("--to", bridge_send.endpoint, "The receiver: tcp://HOST:PORT")->required();
    add_security(send_side, bridge_send);
    send_side->add_option("--server-key", bridge_send.server_key_file, "CURVE: the receiver's public key file (its .pub)");
    send_side->add_option("--window", bridge_send.window, "Most bytes sent and not yet confirmed (K, M, G suffixes)")
        ->transform(size_in(64 * 1024, std::uint64_t{1} << 30))
        ->default_str("8M");
    send_side->footer("Reads the ring as its consumer (a topic: as one subscriber). A record leaves the ring only once the receiver\n"
                      "confirms its ring holds it, so a sender killed and started again, or a link cut and restored, loses and\n"
                      "repeats nothing (a lossy topic's publisher waits for nobody: what it overwrites first is lost, and counted).\n"
                      "Runs until Ctrl-C or SIGTERM; status 1 on an error that retrying cannot mend.");
    send_side->callback([&] { run = [&] { return run_bridge_send(bridge_send); }; });
    auto* recv_side = bridge_command->add_subcommand("recv", "Receive a sending bridge's records into a local ring (its only writer)");
    recv_side->add_option("NAME", bridge_recv.name, "The local ring: created like the sender's when missing")->required()->check(ring_name());
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
    status_command->add_option("NAME", bridge_status.name, "Ring name")->required()->check(ring_name());
    status_command->add_flag("--json", bridge_status.json, "Print JSON");
    status_command->callback([&] { run = [&] { return run_bridge_status(bridge_status); }; });

    CompletionOptions completion;
    auto* completion_command = app.add_subcommand("completion", "Print the completion script of a shell: bash or zsh");
    completion_command->add_option("SHELL", completion.shell, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));
    completion_command->footer("bash: source <(shmring completion bash), or save it as ~/.local/share/bash-completion/completions/shmring.\n"
                               "zsh: save it as _shmring in a directory of $fpath. 'cmake --install' installs both\n"
                               "(PREFIX/share/bash-completion/completions, PREFIX/share/zsh/site-functions).");
    completion_command->callback([&] { run = [&] { return run_completion(completion); }; });

    if (const std::string wrong = command_word_error(app, argc, argv); !wrong.empty()) {
        std::fprintf(stderr, "shmring: %s\n", wrong.c_str());
        return kExitUsage;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForVersion& version) {
        return app.exit(version);
    } catch (const CLI::ParseError& error) {
        std::string what = error.what();
        std::replace(what.begin(), what.end(), '\n', ' ');
        // "--messages: must be 1 to 16777216" reads as "--messages must be 1 to 16777216".
        if (const auto colon = what.find(": must be "); dynamic_cast<const CLI::ValidationError*>(&error) != nullptr && colon != std::string::npos)
            what.erase(colon, 1);
        // The parser's sentences start with a capital ("The following argument..."); a NAME does not change.
        if (what.size() > 1 && std::islower(static_cast<unsigned char>(what[1])) != 0)
            what[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(what[0])));
        const std::string path = command_path(app);
        std::fprintf(stderr, "%s: %s (see '%s --help')\n", app.get_name().c_str(), what.c_str(), path.c_str());
        return kExitUsage;
    }
    try {
        return flush_stdout(run());
    } catch (const std::exception& error) {
        std::fprintf(stderr, "shmring: %s\n", error.what());
        return kExitFailure;
    }
}
