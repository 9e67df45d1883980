// Internal. CURVE keys and the receiver's gatekeeper.
//
// A key file holds lines "public-key = <40 Z85 characters>" and, in the secret file only,
// "secret-key = ...". The receiver's gatekeeper answers ZeroMQ's authentication requests (ZAP,
// RFC 27) on inproc://zeromq.zap.01: a sender whose public key is not among those allowed is
// refused, and the refusal is logged and counted.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "shmring/error.hpp"

namespace shmring::bridge::detail {

struct KeyPair {
    std::string public_key;  // Z85, 40 characters
    std::string secret_key;  // empty in a public key file
};

// Reads a key file; `need_secret`: it must hold the secret key too.
Result<KeyPair> read_key_file(const std::string& path, bool need_secret);

class Gatekeeper {
public:
    // Binds the ZAP socket in `context`: call before binding any CURVE server socket there.
    // `allowed` empty: any client that completes the handshake (it knows the server's key) is let in.
    Gatekeeper(zmq::context_t& context, std::set<std::string> allowed, std::function<void(const std::string&)> on_refusal);
    zmq::socket_t& socket() noexcept { return socket_; }
    // Answers every pending request.
    void answer_all() {
        while (answer_one()) {}
    }

private:
    bool answer_one();
    zmq::socket_t socket_;
    std::set<std::string> allowed_;
    std::function<void(const std::string&)> on_refusal_;
};

}  // namespace shmring::bridge::detail
