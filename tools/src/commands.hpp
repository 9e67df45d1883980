// The subcommands: one options struct and one entry point each. main.cpp maps the command line
// onto the options; each run_* returns the exit code (diagnostics.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shmring::cli {

struct LsOptions {
    bool json = false;
};
int run_ls(const LsOptions& options);

struct StatOptions {
    std::string name;
    bool json = false;
};
int run_stat(const StatOptions& options);

struct WatchOptions {
    std::string name;
    double interval_seconds = 1.0;
};
int run_watch(const WatchOptions& options);

struct CreatePipeOptions {
    std::string name;
    std::uint64_t capacity = 0;
    unsigned mode = 0600;
};
int run_create_pipe(const CreatePipeOptions& options);

struct CreateQueueOptions {
    std::string name;
    std::uint64_t messages = 0;
    std::uint64_t message_size = 0;
    std::string engine = "spsc";
    unsigned mode = 0600;
};
int run_create_queue(const CreateQueueOptions& options);

struct CreateTopicOptions {
    std::string name;
    std::uint64_t messages = 0;
    std::uint64_t message_size = 0;
    std::string policy = "lossless";
    unsigned mode = 0600;
};
int run_create_topic(const CreateTopicOptions& options);

struct CreateServiceOptions {
    std::string name;
    std::uint64_t pending = 0;
    std::uint64_t request_size = 0;
    std::uint64_t response_size = 0;
    unsigned mode = 0600;
};
int run_create_service(const CreateServiceOptions& options);

struct RmOptions {
    std::vector<std::string> names;
};
int run_rm(const RmOptions& options);

struct GcOptions {
    bool dry_run = false;
    std::vector<std::string> names;  // none: every ring
};
int run_gc(const GcOptions& options);

struct StreamOptions {
    std::string name;
};
int run_write(const StreamOptions& options);
int run_read(const StreamOptions& options);

struct SendOptions {
    std::string name;
    std::vector<std::string> messages;  // none: one message per line of stdin
};
int run_send(const SendOptions& options);

struct RecvOptions {
    std::string name;
    std::uint64_t count = 0;       // 0: no limit
    double timeout_seconds = -1;   // below 0: wait for ever
};
int run_recv(const RecvOptions& options);

struct PublishOptions {
    std::string name;
    std::vector<std::string> messages;  // none: one message per line of stdin
};
int run_publish(const PublishOptions& options);

struct SubscribeOptions {
    std::string name;
    bool from_oldest = false;      // start with the oldest message the topic keeps
    std::uint64_t count = 0;       // 0: no limit
    double timeout_seconds = -1;   // below 0: wait for ever
};
int run_subscribe(const SubscribeOptions& options);

struct CallOptions {
    std::string name;
    std::string request;
    bool from_stdin = false;      // no REQUEST argument: all of stdin is the request
    double timeout_seconds = -1;  // below 0: wait for ever
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

}  // namespace shmring::cli
