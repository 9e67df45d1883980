// The subcommands: one options struct and one entry point each. main.cpp maps the command line
// onto the options; each run_* returns the exit code (diagnostics.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shmring::cli {

struct LsOptions {
    bool json = false;
    double interval_seconds = 0.2;  // between the two looks that give the rates; 0: no rates
};
int run_ls(const LsOptions& options);

struct StatOptions {
    std::string name;
    bool json = false;
};
int run_stat(const StatOptions& options);

struct WatchOptions {
    std::string name;  // top: none
    double interval_seconds = 1.0;
    std::uint64_t count = 0;  // refreshes before it ends; 0: until stopped
    bool json = false;        // one JSON object per line per refresh
};
int run_watch(const WatchOptions& options);
int run_top(const WatchOptions& options);

struct MetricsOptions {
    std::vector<std::string> names;  // none: every ring
    bool openmetrics = false;
};
int run_metrics(const MetricsOptions& options);

struct ExporterOptions {
    std::string listen;              // HOST:PORT of the HTTP server, or
    std::string textfile;            // the directory of node_exporter's textfile collector
    std::vector<std::string> names;  // none: every ring
    double interval_seconds = 15;    // textfile: between writes
    bool once = false;               // textfile: write once and end
};
int run_exporter(const ExporterOptions& options);

struct CreatePipeOptions {
    std::string name;
    std::uint64_t capacity = 0;
    unsigned mode = 0600;
    bool json = false;
};
int run_create_pipe(const CreatePipeOptions& options);

struct CreateQueueOptions {
    std::string name;
    std::uint64_t messages = 0;
    std::uint64_t message_size = 0;
    std::string engine = "spsc";
    unsigned mode = 0600;
    bool json = false;
};
int run_create_queue(const CreateQueueOptions& options);

struct CreateTopicOptions {
    std::string name;
    std::uint64_t messages = 0;
    std::uint64_t message_size = 0;
    std::string policy = "lossless";
    unsigned mode = 0600;
    bool json = false;
};
int run_create_topic(const CreateTopicOptions& options);

struct CreateServiceOptions {
    std::string name;
    std::uint64_t pending = 0;
    std::uint64_t request_size = 0;
    std::uint64_t response_size = 0;
    unsigned mode = 0600;
    bool json = false;
};
int run_create_service(const CreateServiceOptions& options);

struct CreateCellOptions {
    std::string name;
    std::uint64_t max_size = 0;
    unsigned mode = 0600;
    bool json = false;
};
int run_create_cell(const CreateCellOptions& options);

// create lock (no limits of its own).
struct CreateLockOptions {
    std::string name;
    unsigned mode = 0600;
    bool json = false;
};
int run_create_lock(const CreateLockOptions& options);

struct CreateSemaphoreOptions {
    std::string name;
    std::uint64_t initial = 0;
    std::uint64_t maximum = 0x7FFFFFFF;  // layout::kMaxSemaphoreCount
    unsigned mode = 0600;
    bool json = false;
};
int run_create_semaphore(const CreateSemaphoreOptions& options);

// cell read, cell write and cell watch.
struct CellOptions {
    std::string name;
    std::string value;        // write: the value, unless
    bool from_stdin = false;  // there is no VALUE argument: all of stdin (without one final newline) is
    std::uint64_t count = 0;  // watch: values before it ends; 0: until stopped
    bool json = false;        // read, watch: one JSON object per value
};
int run_cell_read(const CellOptions& options);
int run_cell_write(const CellOptions& options);
int run_cell_watch(const CellOptions& options);

struct LockOptions {
    std::string name;
    double timeout_seconds = -1;       // below 0: wait for the lock for ever
    bool nonblock = false;             // a lock held is a failure (EAGAIN) at once
    std::vector<std::string> command;  // the program and its arguments
};
int run_lock(const LockOptions& options);

// sem post, sem wait and sem value.
struct SemaphoreOptions {
    std::string name;
    std::uint64_t count = 1;      // post: how many times
    double timeout_seconds = -1;  // wait: below 0, for ever
    bool nonblock = false;        // wait: a count of 0 is a failure (EAGAIN) at once
    bool json = false;            // value: {count, maximum, waiters}
};
int run_sem_post(const SemaphoreOptions& options);
int run_sem_wait(const SemaphoreOptions& options);
int run_sem_value(const SemaphoreOptions& options);

struct RmOptions {
    std::vector<std::string> names;
    bool json = false;
};
int run_rm(const RmOptions& options);

struct GcOptions {
    bool dry_run = false;
    std::vector<std::string> names;  // none: every ring
    bool json = false;
};
int run_gc(const GcOptions& options);

struct StreamOptions {
    std::string name;
};
int run_write(const StreamOptions& options);
int run_read(const StreamOptions& options);

// send (queues) and publish (topics).
struct SendOptions {
    std::string name;
    std::vector<std::string> messages;  // none: one message per line (or NUL-terminated record) of stdin
    double timeout_seconds = -1;        // below 0: wait for room for ever
    bool nonblock = false;
    bool null_separated = false;
};
int run_send(const SendOptions& options);
int run_publish(const SendOptions& options);

// recv (queues) and subscribe (topics).
struct ReceiveOptions {
    std::string name;
    bool from_oldest = false;      // subscribe: start with the oldest message the topic keeps
    std::uint64_t count = 0;       // 0: no limit
    double timeout_seconds = -1;   // below 0: wait for ever
    bool null_separated = false;   // each message ends with NUL, not newline
    bool json = false;             // one JSON object per message
};
int run_recv(const ReceiveOptions& options);
int run_subscribe(const ReceiveOptions& options);

struct CallOptions {
    std::string name;
    std::string request;
    bool from_stdin = false;      // no REQUEST argument: all of stdin is the request
    double timeout_seconds = -1;  // below 0: wait for ever
    bool json = false;            // the response as one JSON object
};
int run_call(const CallOptions& options);

struct ServeOptions {
    std::string name;
    std::uint64_t count = 0;            // 0: until stopped
    std::vector<std::string> command;  // the program and its arguments
};
int run_serve(const ServeOptions& options);

struct BridgeOptions {
    std::string name;
    std::string endpoint;           // send: --to; recv: --listen
    bool plain = false;             // plain TCP, asked for
    std::string key_file;           // CURVE: this side's key pair
    std::string server_key_file;    // send: the receiver's public key
    std::vector<std::string> allow;  // recv: the senders' public keys
    std::uint64_t window = 8U << 20;
    std::uint64_t heartbeat_ms = 250;
    unsigned mode = 0600;
};
int run_bridge_send(const BridgeOptions& options);
int run_bridge_recv(const BridgeOptions& options);

struct KeygenOptions {
    std::string path;
};
int run_bridge_keygen(const KeygenOptions& options);

struct BridgeStatusOptions {
    std::string name;
    bool json = false;
};
int run_bridge_status(const BridgeStatusOptions& options);

struct CompletionOptions {
    std::string shell;  // bash or zsh
};
int run_completion(const CompletionOptions& options);

}  // namespace shmring::cli
