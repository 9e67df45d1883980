// shmring-bridge-bench: a ring carried by two bridges beside raw ZeroMQ on the same link, in the
// same run. The writing side and the reading side are two processes; with --veth each enters its
// own network namespace, the two joined by a veth pair the benchmark makes (and removes).
//
//   throughput  N messages of 64 B and of 64 KiB: the bridge (queue -> sender -> receiver ->
//               queue) against ZeroMQ PUSH/PULL, measured at the reader from the first message
//               to the last. The queues' writer and reader work in place (loans), as PULL's
//               reader does; PUSH copies its writer's buffer once, as the bridge's sender does.
//   latency     messages stamped with CLOCK_MONOTONIC, paced: the one-way time through the
//               bridge and through PUSH/PULL, and ZeroMQ's round trip (PAIR ping-pong)
//
// Each figure is the median over --reps runs; each ratio is the median of the runs' own ratios,
// bridge and ZeroMQ measured side by side in the same run (robust to a noisy machine's drift).
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "shmring/bridge.hpp"
#include "shmring/queue.hpp"
#include "shmring/segment.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::uint64_t now_ns() {
    timespec t{};
    ::clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<std::uint64_t>(t.tv_sec) * 1'000'000'000U + static_cast<std::uint64_t>(t.tv_nsec);
}

struct Options {
    int reps = 3;
    bool quick = false;
    bool smoke = false;  // a few messages of each kind: proves the benchmark runs, measures nothing
    bool veth = false;
    std::string json;
    std::string only;  // messages, chunks or latency: that measurement alone (to profile it)
};

// Where the two sides live: loopback, or two namespaces on a veth pair.
struct Link {
    std::string name;         // "loopback" or "veth"
    std::string near_ns, far_ns;
    std::string far_address;  // where the reading side listens
};

int run(const std::string& command) { return std::system(command.c_str()); }

// The round trip is measured on the writing side, in this process.
double round_trip_p50 = 0;
double round_trip_p99 = 0;

bool make_veth(Link& link) {
    const std::string pid = std::to_string(::getpid());
    link = {"veth", "shmrb-a" + pid, "shmrb-b" + pid, "10.252.0.2"};
    const std::string a = link.near_ns, b = link.far_ns;
    return run("ip netns add " + a + " && ip netns add " + b + " && ip link add " + a + " type veth peer name " + b + " && ip link set " + a +
               " netns " + a + " && ip link set " + b + " netns " + b + " && ip -n " + a + " addr add 10.252.0.1/24 dev " + a +
               " && ip -n " + b + " addr add 10.252.0.2/24 dev " + b + " && ip -n " + a + " link set " + a + " up && ip -n " + b +
               " link set " + b + " up && ip -n " + a + " link set lo up && ip -n " + b + " link set lo up") == 0;
}

void remove_veth(const Link& link) {
    if (link.name == "veth") run("ip netns del " + link.near_ns + " 2>/dev/null; ip netns del " + link.far_ns + " 2>/dev/null");
}

void enter(const std::string& ns) {
    if (ns.empty()) return;
    const int fd = ::open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
        std::perror("setns");
        std::_Exit(3);
    }
    ::close(fd);
}

// What the reading side measured, sent back through a pipe.
struct Measured {
    double seconds = 0;     // first to last message
    std::uint64_t count = 0;
    double p50_us = 0, p99_us = 0;
};

double percentile(std::vector<double>& values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    return values[std::min(values.size() - 1, static_cast<std::size_t>(p * static_cast<double>(values.size())))];
}

constexpr std::uint64_t kWarmUp = 100;

// Reads `count` stamped messages through `receive`, timing first to last and each one's age.
template <class Receive>
Measured read_stream(std::uint64_t count, bool latency, Receive&& receive) {
    Measured m;
    std::vector<double> ages;
    if (latency) ages.reserve(count);
    Clock::time_point first;
    for (std::uint64_t i = 0; i < count; ++i) {
        std::uint64_t stamp = 0;
        if (!receive(stamp)) break;
        if (i == 0) first = Clock::now();
        // The first messages meet a link still settling (ZeroMQ connects in the background): not counted.
        if (latency && i >= kWarmUp) ages.push_back(static_cast<double>(now_ns() - stamp) / 1000.0);
        ++m.count;
    }
    m.seconds = std::chrono::duration<double>(Clock::now() - first).count();
    if (latency) {
        m.p50_us = percentile(ages, 0.50);
        m.p99_us = percentile(ages, 0.99);
    }
    return m;
}

// Sends `count` stamped messages of `size` through `send`, paced at `interval` if not zero.
template <class Send>
void write_stream(std::uint64_t count, std::size_t size, std::chrono::microseconds interval, Send&& send) {
    std::vector<std::byte> message(size);
    auto next = Clock::now();
    for (std::uint64_t i = 0; i < count; ++i) {
        if (interval.count() != 0) {
            next += interval;
            std::this_thread::sleep_until(next);  // not a spin: two cores are shared by every thread here
        }
        const std::uint64_t stamp = now_ns();
        std::memcpy(message.data(), &stamp, sizeof stamp);
        if (!send(std::span<const std::byte>(message))) return;
    }
}

// Forks the reading side into the far namespace; the writing side runs here in the near one.
template <class Reader, class Writer>
Measured side_by_side(const Link& link, Reader&& reader, Writer&& writer) {
    int fds[2];
    if (::pipe(fds) != 0) return {};
    const pid_t child = ::fork();
    if (child == 0) {
        ::close(fds[0]);
        enter(link.far_ns);
        const Measured m = reader();
        (void)!::write(fds[1], &m, sizeof m);
        std::_Exit(0);
    }
    ::close(fds[1]);
    {
        std::thread near([&] {
            enter(link.near_ns);
            writer();
        });
        near.join();
    }
    Measured m;
    if (::read(fds[0], &m, sizeof m) != static_cast<ssize_t>(sizeof m)) m = {};
    ::close(fds[0]);
    ::waitpid(child, nullptr, 0);
    return m;
}

std::string endpoint(const Link& link, int port) { return "tcp://" + link.far_address + ":" + std::to_string(port); }

Measured zmq_push_pull(const Link& link, int port, std::uint64_t count, std::size_t size, std::chrono::microseconds interval) {
    return side_by_side(
        link,
        [&] {
            zmq::context_t context;
            zmq::socket_t pull(context, zmq::socket_type::pull);
            pull.bind(endpoint(link, port));
            return read_stream(count, interval.count() != 0, [&](std::uint64_t& stamp) {
                zmq::message_t message;
                if (!pull.recv(message)) return false;
                std::memcpy(&stamp, message.data(), sizeof stamp);
                return true;
            });
        },
        [&] {
            zmq::context_t context;
            zmq::socket_t push(context, zmq::socket_type::push);
            push.set(zmq::sockopt::linger, -1);
            push.connect(endpoint(link, port));
            std::this_thread::sleep_for(300ms);  // connected (ZeroMQ retries every 100 ms) before the clock runs
            write_stream(count, size, interval, [&](std::span<const std::byte> m) {
                return push.send(zmq::const_buffer(m.data(), m.size()), zmq::send_flags::none).has_value();
            });
        });
}

Measured zmq_round_trip(const Link& link, int port, std::uint64_t count) {
    std::atomic<bool> ready{false};
    return side_by_side(
        link,
        [&] {
            zmq::context_t context;
            zmq::socket_t echo(context, zmq::socket_type::pair);
            echo.bind(endpoint(link, port));
            for (std::uint64_t i = 0; i < count; ++i) {
                zmq::message_t message;
                if (!echo.recv(message)) break;
                echo.send(message, zmq::send_flags::none);
            }
            return Measured{};
        },
        [&] {
            zmq::context_t context;
            zmq::socket_t ping(context, zmq::socket_type::pair);
            ping.connect(endpoint(link, port));
            std::vector<double> trips;
            std::byte payload[64] = {};
            for (std::uint64_t i = 0; i < count; ++i) {
                const std::uint64_t start = now_ns();
                ping.send(zmq::const_buffer(payload, sizeof payload), zmq::send_flags::none);
                zmq::message_t reply;
                if (!ping.recv(reply)) break;
                trips.push_back(static_cast<double>(now_ns() - start) / 1000.0);
            }
            // Reported through the static below: the writer runs in this process.
            round_trip_p50 = percentile(trips, 0.5);
            round_trip_p99 = percentile(trips, 0.99);
        });
}

// A bridge on `ring` that logs nothing and stops when `stop` turns true.
template <class Settings>
Settings quiet_settings(const std::string& ring, const std::string& address, const std::atomic<bool>& stop) {
    Settings settings;
    settings.ring = ring;
    settings.endpoint = address;
    settings.should_stop = [&stop] { return stop.load(); };
    settings.log = [](std::string_view) {};
    return settings;
}

Measured bridge_queue(const Link& link, int port, std::uint64_t count, std::size_t size, std::chrono::microseconds interval, int run_id) {
    const std::string source = "bench.bridge.src." + std::to_string(::getpid()) + "." + std::to_string(run_id);
    const std::string destination = "bench.bridge.dst." + std::to_string(::getpid()) + "." + std::to_string(run_id);
    shmring::QueueConfig config;
    config.max_messages = size > 4096 ? 64 : 4096;
    config.max_message_size = static_cast<std::uint32_t>(size);
    (void)shmring::create_queue(source, config);
    (void)shmring::create_queue(destination, config);
    const Measured m = side_by_side(
        link,
        [&] {
            std::atomic<bool> stop{false};
            const auto settings = quiet_settings<shmring::bridge::ReceiverSettings>(destination, endpoint(link, port), stop);
            std::thread bridge([&] { (void)shmring::bridge::run_receiver(settings); });
            auto queue = shmring::QueueReceiver::open(destination);
            // In place (a loan), as PULL hands over its message without a copy.
            const Measured out = read_stream(count, interval.count() != 0, [&](std::uint64_t& stamp) {
                const shmring::View view = queue->peek(std::chrono::seconds(10));
                if (view.status != shmring::Status::ok || view.data.size() < sizeof stamp) return false;
                std::memcpy(&stamp, view.data.data(), sizeof stamp);
                queue->release();
                return true;
            });
            stop = true;
            bridge.join();
            return out;
        },
        [&] {
            std::atomic<bool> stop{false};
            const auto settings = quiet_settings<shmring::bridge::SenderSettings>(source, endpoint(link, port), stop);
            std::thread bridge([&] { (void)shmring::bridge::run_sender(settings); });
            auto queue = shmring::QueueSender::open(source);
            // Timed from a link that is up: not its setting up.
            for (int i = 0; i < 5000; ++i) {
                auto stats = shmring::bridge::read_statistics(source, shmring::bridge::Side::sender);
                if (stats && *stats && (*stats)->connected) break;
                std::this_thread::sleep_for(1ms);
            }
            // In place (a loan): the message is built where it goes, as a program sending chunks
            // would; PUSH copies the writer's buffer once, as the bridge's sender does.
            write_stream(count, size, interval, [&](std::span<const std::byte> m) {
                const shmring::Loan loan = queue->claim(std::chrono::seconds(10));
                if (loan.status != shmring::Status::ok) return false;
                std::memcpy(loan.data.data(), m.data(), sizeof(std::uint64_t));  // the stamp; the rest is as it lies
                queue->commit(m.size());
                return true;
            });
            // Until the reader has it all: the sender holds the rest in custody.
            while (true) {
                auto stats = shmring::bridge::read_statistics(source, shmring::bridge::Side::sender);
                if (!stats || !*stats || (*stats)->messages >= count) break;
                std::this_thread::sleep_for(1ms);
            }
            stop = true;
            bridge.join();
        });
    for (const std::string& ring : {source, destination}) {
        (void)shmring::Segment::unlink(ring);
        ::shm_unlink(("/shmring-bridge-send." + ring).c_str());
        ::shm_unlink(("/shmring-bridge-recv." + ring).c_str());
    }
    return m;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

namespace {

struct Row {
    std::string link, test, unit;
    double bridge = 0, zeromq = 0, ratio = 0;
};

// The median of the runs' ratios bridge[i] / zeromq[i].
double paired_ratio(const std::vector<double>& bridge, const std::vector<double>& zeromq) {
    std::vector<double> ratios;
    for (std::size_t i = 0; i < bridge.size() && i < zeromq.size(); ++i)
        if (zeromq[i] > 0) ratios.push_back(bridge[i] / zeromq[i]);
    return median(ratios);
}

void print_row(const Row& row) {
    std::printf("%-9s %-26s %12.3f %12.3f %8.2fx  %s\n", row.link.c_str(), row.test.c_str(), row.bridge, row.zeromq,
                row.ratio, row.unit.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string argument = argv[i];
        if (argument == "--quick") options.quick = true;
        else if (argument == "--smoke") options.smoke = options.quick = true;
        else if (argument == "--veth") options.veth = true;
        else if (argument == "--reps" && i + 1 < argc) options.reps = std::max(1, std::atoi(argv[++i]));
        else if (argument == "--json" && i + 1 < argc) options.json = argv[++i];
        else if (argument == "--only" && i + 1 < argc) options.only = argv[++i];
        else {
            std::fprintf(stderr, "usage: shmring-bridge-bench [--quick | --smoke] [--reps N] [--veth] [--json FILE] [--only messages|chunks|latency]\n");
            return 2;
        }
    }
    std::vector<Link> links{{"loopback", "", "", "127.0.0.1"}};
    Link veth;
    if (options.veth) {
        if (make_veth(veth)) links.push_back(veth);
        else std::fprintf(stderr, "shmring-bridge-bench: no veth pair (needs root and iproute2): loopback only\n");
    }
    const std::uint64_t small_count = options.smoke ? 5'000 : options.quick ? 200'000 : 1'000'000;
    const std::uint64_t large_count = options.smoke ? 200 : options.quick ? 4'000 : 16'000;
    const std::uint64_t paced_count = options.smoke ? 300 : options.quick ? 2'000 : 10'000;
    if (options.smoke) options.reps = 1;
    const auto pace = std::chrono::microseconds(200);
    int port = 27100 + static_cast<int>(::getpid() % 2000) * 8;
    int run_id = 0;
    std::vector<Row> rows;
    std::printf("%-9s %-26s %12s %12s %9s\n", "link", "test", "bridge", "zeromq", "ratio");
    for (const Link& link : links) {
        std::vector<double> b64, z64, b64k, z64k, bp50, bp99, zp50, zp99, rt50, rt99;
        for (int rep = 0; rep < options.reps; ++rep) {
            const auto rate = [](const Measured& m) { return m.seconds > 0 ? static_cast<double>(m.count) / m.seconds : 0.0; };
            const auto wanted = [&](const char* part) { return options.only.empty() || options.only == part; };
            if (wanted("messages")) {
                b64.push_back(rate(bridge_queue(link, port++, small_count, 64, {}, run_id++)) / 1e6);
                z64.push_back(rate(zmq_push_pull(link, port++, small_count, 64, {})) / 1e6);
            }
            if (wanted("chunks")) {
                b64k.push_back(rate(bridge_queue(link, port++, large_count, 65536, {}, run_id++)) * 65536 / 1e6);
                z64k.push_back(rate(zmq_push_pull(link, port++, large_count, 65536, {})) * 65536 / 1e6);
            }
            if (!wanted("latency")) continue;
            const Measured bridged = bridge_queue(link, port++, paced_count, 64, pace, run_id++);
            const Measured direct = zmq_push_pull(link, port++, paced_count, 64, pace);
            zmq_round_trip(link, port++, paced_count);
            bp50.push_back(bridged.p50_us);
            bp99.push_back(bridged.p99_us);
            zp50.push_back(direct.p50_us);
            zp99.push_back(direct.p99_us);
            rt50.push_back(round_trip_p50);
            rt99.push_back(round_trip_p99);
        }
        const std::vector<Row> link_rows{
            {link.name, "64 B messages", "M msg/s", median(b64), median(z64), paired_ratio(b64, z64)},
            {link.name, "64 KiB messages", "MB/s", median(b64k), median(z64k), paired_ratio(b64k, z64k)},
            {link.name, "one way p50 (paced)", "us", median(bp50), median(zp50), paired_ratio(bp50, zp50)},
            {link.name, "one way p99 (paced)", "us", median(bp99), median(zp99), paired_ratio(bp99, zp99)},
            {link.name, "vs zmq round trip p50", "us", median(bp50), median(rt50), paired_ratio(bp50, rt50)},
            {link.name, "vs zmq round trip p99", "us", median(bp99), median(rt99), paired_ratio(bp99, rt99)},
        };
        for (const Row& row : link_rows) {
            if (row.bridge == 0 && row.zeromq == 0) continue;  // not measured (--only)
            print_row(row);
            rows.push_back(row);
        }
    }
    remove_veth(veth);
    std::printf("bridge: queue -> shmring bridge send -> recv -> queue; zeromq: PUSH/PULL (one way), PAIR ping-pong (round trip).\n"
                "Medians of %d runs; the ratio is the median of each run's bridge / zeromq (throughput: higher is better; latency: lower is).\n",
                options.reps);
    if (!options.json.empty()) {
        FILE* out = std::fopen(options.json.c_str(), "w");
        if (out == nullptr) return 1;
        std::fprintf(out, "[\n");
        for (std::size_t i = 0; i < rows.size(); ++i)
            std::fprintf(out, "  {\"link\": \"%s\", \"test\": \"%s\", \"unit\": \"%s\", \"bridge\": %.6g, \"zeromq\": %.6g, \"ratio\": %.6g}%s\n",
                         rows[i].link.c_str(), rows[i].test.c_str(), rows[i].unit.c_str(), rows[i].bridge, rows[i].zeromq, rows[i].ratio,
                         i + 1 < rows.size() ? "," : "");
        std::fprintf(out, "]\n");
        std::fclose(out);
    }
    return 0;
}
