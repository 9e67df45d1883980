#include "bridge_fixture.hpp"

#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shmring/queue.hpp"

namespace shmring::testing {

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
        return -1;
    ::close(fd);
    return ntohs(address.sin_port);
}

std::string loopback_endpoint(int port) { return "tcp://127.0.0.1:" + std::to_string(port); }

std::unique_ptr<Running> start_sender(const std::string& ring, int port, const std::vector<std::string>& extra) {
    std::vector<std::string> args{"bridge", "send", ring, "--to", loopback_endpoint(port)};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<Running>(args);
}

std::unique_ptr<Running> start_receiver(const std::string& ring, int port, const std::vector<std::string>& extra) {
    std::vector<std::string> args{"bridge", "recv", ring, "--listen", loopback_endpoint(port)};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<Running>(args);
}

BridgeStateGuard::~BridgeStateGuard() {
    for (const std::string& ring : rings_) {
        ::shm_unlink(("/shmring-bridge-send." + ring).c_str());
        ::shm_unlink(("/shmring-bridge-recv." + ring).c_str());
    }
}

namespace {

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

}  // namespace

void fill_message(std::uint64_t sequence, std::byte* data, std::size_t size) {
    std::memcpy(data, &sequence, sizeof sequence);
    for (std::size_t i = sizeof sequence; i < size; ++i) data[i] = static_cast<std::byte>(mix(sequence * 131 + i));
}

bool is_message(std::uint64_t sequence, const std::byte* data, std::size_t size) {
    std::vector<std::byte> expected(size);
    fill_message(sequence, expected.data(), size);
    return std::memcmp(expected.data(), data, size) == 0;
}

std::byte stream_byte(std::uint64_t offset) { return static_cast<std::byte>(mix(offset >> 3) >> ((offset & 7) * 8)); }

QueueTraffic::QueueTraffic(const std::string& source, const std::string& destination, std::size_t message_size, std::uint64_t limit)
    : size_(message_size), limit_(limit) {
    writer_ = std::thread([this, source] { write(source); });
    reader_ = std::thread([this, destination] { read(destination); });
}

QueueTraffic::~QueueTraffic() {
    stop_writing_ = true;
    stop_reading_ = true;
    writer_.join();
    reader_.join();
}

void QueueTraffic::stop_writing() { stop_writing_ = true; }

void QueueTraffic::write(const std::string& source) {
    struct Done {
        std::atomic<bool>& flag;
        ~Done() { flag = true; }
    } done{writer_done_};
    auto sender = QueueSender::open(source);
    if (!sender) {
        failure_ = "open " + source + ": " + sender.error().message();
        failed_ = true;
        return;
    }
    std::vector<std::byte> message(size_);
    for (std::uint64_t sequence = 0; sequence < limit_ && !stop_writing_; ++sequence) {
        fill_message(sequence, message.data(), size_);
        for (;;) {  // in slices, to look at the stop flag while the ring is full
            const Status status = sender->send(message, std::chrono::milliseconds(50));
            if (status == Status::ok) break;
            if (status != Status::timed_out || stop_reading_) {
                if (status != Status::timed_out) {
                    failure_ = std::string("send: ") + describe(status);
                    failed_ = true;
                }
                return;
            }
        }
        sent_ = sequence + 1;
    }
}

void QueueTraffic::read(const std::string& destination) {
    std::optional<QueueReceiver> receiver;
    // The receiving bridge creates the queue when its sender first says hello.
    while (!stop_reading_ && !receiver) {
        auto opened = QueueReceiver::open(destination);
        if (opened) receiver.emplace(std::move(*opened));
        else std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::vector<std::byte> buffer(size_ + 64);
    while (!stop_reading_) {
        std::size_t length = 0;
        const Status status = receiver->receive(buffer, length, std::chrono::milliseconds(50));
        if (status == Status::timed_out) continue;
        const std::uint64_t expected = received_.load();
        if (status != Status::ok || length != size_ || !is_message(expected, buffer.data(), length)) {
            std::uint64_t got = 0;
            if (length >= sizeof got) std::memcpy(&got, buffer.data(), sizeof got);
            failure_ = "message " + std::to_string(expected) + ": status " + describe(status) + ", " + std::to_string(length) +
                       " bytes, sequence " + std::to_string(got);
            failed_ = true;
            return;
        }
        received_ = expected + 1;
    }
}

bool QueueTraffic::wait_delivered(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline && !failed_) {
        if (writer_done_ && received_ == sent_) {
            // Nothing more may come: a duplicate would show up as a failure here.
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            return !failed_ && received_ == sent_;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

std::string QueueTraffic::failure() const { return failed_ ? failure_ : std::string(); }

}  // namespace shmring::testing
