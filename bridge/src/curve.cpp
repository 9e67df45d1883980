#include "curve.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "link.hpp"
#include "shmring/bridge.hpp"

namespace shmring::bridge {

namespace {

constexpr std::size_t kZ85KeyLength = 40;

bool is_z85_key(std::string_view key) {
    if (key.size() != kZ85KeyLength) return false;
    std::uint8_t binary[32];
    return zmq_z85_decode(binary, std::string(key).c_str()) != nullptr;
}

std::string trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(" \t\r");
    return std::string(text.substr(first, last - first + 1));
}

Outcome write_file(const std::string& path, const std::string& text, mode_t mode) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        if (errno == EEXIST) return Error(Errc::exists, "key file " + path + " exists already: remove it first to replace the key", EEXIST);
        return system_error("open(" + path + ")", errno);
    }
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fchmod(fd, mode) == 0;
    const int error = errno;
    ::close(fd);
    if (!written) {
        ::unlink(path.c_str());
        return system_error("write(" + path + ")", error);
    }
    return Ok{};
}

}  // namespace

Outcome write_key_pair(const std::string& path) {
    if (zmq_has("curve") == 0) return Error(Errc::unsupported, "this libzmq has no CURVE support");
    char public_key[kZ85KeyLength + 1];
    char secret_key[kZ85KeyLength + 1];
    if (zmq_curve_keypair(public_key, secret_key) != 0) return system_error("zmq_curve_keypair", zmq_errno());
    const std::string header = "# shmring bridge CURVE key\n";
    if (auto written = write_file(path, header + "public-key = " + public_key + "\nsecret-key = " + secret_key + "\n", 0600); !written)
        return written;
    if (auto written = write_file(path + ".pub", header + "public-key = " + public_key + "\n", 0644); !written) {
        ::unlink(path.c_str());
        return written;
    }
    return Ok{};
}

namespace detail {

Result<KeyPair> read_key_file(const std::string& path, bool need_secret) {
    std::ifstream file(path);
    if (!file) return system_error("open(" + path + ")", errno != 0 ? errno : ENOENT);
    KeyPair keys;
    std::string line;
    while (std::getline(file, line)) {
        const std::string text = trimmed(line);
        if (text.empty() || text[0] == '#') continue;
        const auto equals = text.find('=');
        if (equals == std::string::npos) return Error(Errc::invalid_argument, "key file " + path + ": a line without '='");
        const std::string name = trimmed(std::string_view(text).substr(0, equals));
        const std::string value = trimmed(std::string_view(text).substr(equals + 1));
        if (!is_z85_key(value)) return Error(Errc::invalid_argument, "key file " + path + ": " + name + " is not a 40-character Z85 key");
        if (name == "public-key") keys.public_key = value;
        else if (name == "secret-key") keys.secret_key = value;
        else return Error(Errc::invalid_argument, "key file " + path + ": unknown entry '" + name + "'");
    }
    if (keys.public_key.empty()) return Error(Errc::invalid_argument, "key file " + path + ": no public-key");
    if (need_secret && keys.secret_key.empty())
        return Error(Errc::invalid_argument, "key file " + path + ": no secret-key (give the key pair file, not its .pub)");
    return keys;
}

Gatekeeper::Gatekeeper(zmq::context_t& context, std::set<std::string> allowed, std::function<void(const std::string&)> on_refusal)
    : socket_(context, zmq::socket_type::rep), allowed_(std::move(allowed)), on_refusal_(std::move(on_refusal)) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.bind("inproc://zeromq.zap.01");
}

bool Gatekeeper::answer_one() {
    // Request: version, request id, domain, address, identity, mechanism, credentials...
    std::vector<zmq::message_t> request;
    for (;;) {
        zmq::message_t part;
        if (!receive_now(socket_, part)) break;
        const bool more = part.more();
        request.push_back(std::move(part));
        if (!more) break;
    }
    if (request.empty()) return false;
    // A REP socket must answer before it reads again: a request too short to judge is refused.
    request.resize(std::max<std::size_t>(request.size(), 6));
    const std::string address = request[3].to_string();
    const std::string mechanism = request[5].to_string();
    std::string client;
    bool allowed = false;
    if (mechanism == "CURVE" && request.size() >= 7 && request[6].size() == 32) {
        char z85[kZ85KeyLength + 1];
        zmq_z85_encode(z85, static_cast<const std::uint8_t*>(request[6].data()), 32);
        client = z85;
        allowed = allowed_.empty() || allowed_.count(client) != 0;
    }
    if (!allowed) on_refusal_("refused a sender at " + address + ": its key " + (client.empty() ? mechanism : client) + " is not allowed");
    const std::string status = allowed ? "200" : "400";
    const std::string text = allowed ? "OK" : "key not allowed";
    socket_.send(zmq::buffer(std::string("1.0")), zmq::send_flags::sndmore);
    socket_.send(request[1], zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(status), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(text), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(client), zmq::send_flags::sndmore);
    socket_.send(zmq::message_t(), zmq::send_flags::none);
    return true;
}

}  // namespace detail

}  // namespace shmring::bridge
