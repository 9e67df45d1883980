// shmring metrics and shmring exporter: the rings' state in the formats monitoring systems scrape,
// checked by Prometheus' own promtool, and served over HTTP or into node_exporter's textfile
// directory.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <netinet/in.h>
#include <span>  // before support/test_ring.hpp, which uses std::span without including it
#include <sys/socket.h>
#include <unistd.h>

#include "support/test_ring.hpp"
#include "tool_process.hpp"

namespace shmring::testing {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A port on loopback that nothing listens on now (bound, read, released).
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                       ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
    ::close(fd);
    return bound ? ntohs(address.sin_port) : -1;
}

// One HTTP/1.0 GET on loopback: the whole response (status line, headers, body), or "" when the
// connection is refused.
std::string http_get(int port, const std::string& path, const std::string& accept = "*/*") {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string response;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
        const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: " + accept + "\r\n\r\n";
        if (::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
            char chunk[4096];
            for (ssize_t n; (n = ::read(fd, chunk, sizeof chunk)) > 0;) response.append(chunk, static_cast<std::size_t>(n));
        }
    }
    ::close(fd);
    return response;
}

TEST(ToolMetrics, shouldCountWhatMovedInAFormatPromtoolAccepts) {
    RingName ring("metrics.queue");
    ASSERT_EQ(run_tool({"create", "queue", ring.str(), "--messages", "8", "--message-size", "64"}).code, 0);
    ASSERT_EQ(run_tool({"send", ring.str(), "one", "two", "three"}).code, 0);
    ASSERT_EQ(run_tool({"recv", ring.str(), "--count", "1"}).code, 0);
    const Finished metrics = run_tool({"metrics", ring.str()});
    ASSERT_EQ(metrics.code, 0) << metrics.err;
    const std::string r = "ring=\"" + ring.str() + "\"";
    EXPECT_TRUE(contains(metrics.out, "shmring_ring_info{" + r + ",kind=\"queue\",engine=\"spsc\",policy=\"\",state=\"ok\"} 1\n"));
    EXPECT_TRUE(contains(metrics.out, "shmring_ring_messages_total{" + r + ",side=\"producer\"} 3\n")) << metrics.out;
    EXPECT_TRUE(contains(metrics.out, "shmring_ring_messages_total{" + r + ",side=\"consumer\"} 1\n"));
    EXPECT_TRUE(contains(metrics.out, "shmring_ring_bytes_total{" + r + ",side=\"producer\"} 11\n"));
    EXPECT_TRUE(contains(metrics.out, "shmring_ring_used_messages{" + r + "} 2\n"));
    EXPECT_TRUE(contains(metrics.out, "shmring_ring_fill_ratio{" + r + "} 0.25\n"));
    EXPECT_TRUE(contains(metrics.out, "# TYPE shmring_ring_messages_total counter\n"));
    const Finished checked = run_shell("\"$SHMRING\" metrics | promtool check metrics");
    EXPECT_EQ(checked.code, 0) << checked.out << checked.err;
}

TEST(ToolMetrics, shouldSpeakOpenMetricsWhenAsked) {
    RingName ring("metrics.openmetrics");
    ASSERT_EQ(run_tool({"create", "topic", ring.str(), "--messages", "8", "--message-size", "64", "--policy", "lossy"}).code, 0);
    const Finished metrics = run_tool({"metrics", "--openmetrics", ring.str()});
    ASSERT_EQ(metrics.code, 0) << metrics.err;
    EXPECT_TRUE(metrics.out.ends_with("# EOF\n"));
    EXPECT_TRUE(contains(metrics.out, "# TYPE shmring_ring_messages counter\n"));
    EXPECT_TRUE(contains(metrics.out, "# TYPE shmring_ring info\n"));
    EXPECT_TRUE(contains(metrics.out, "shmring_ring_info{ring=\"" + ring.str() + "\",kind=\"topic\",engine=\"topic\",policy=\"lossy\",state=\"ok\"} 1\n"));
    EXPECT_TRUE(contains(metrics.out, "shmring_ring_lost_messages_total{ring=\"" + ring.str() + "\"} 0\n"));
}

TEST(ToolMetrics, shouldShowEachEndpointWithItsProcessAndEachSubscribersLag) {
    RingName ring("metrics.topic");
    ASSERT_EQ(run_tool({"create", "topic", ring.str(), "--messages", "8", "--message-size", "64"}).code, 0);
    Running subscriber({"subscribe", ring.str()});
    ASSERT_TRUE(eventually([&] { return contains(run_tool({"metrics", ring.str()}).out, "shmring_subscriber_lag_messages{"); }));
    ASSERT_EQ(run_tool({"publish", ring.str(), "a"}).code, 0);
    const std::string who = "ring=\"" + ring.str() + "\",endpoint=\"0\",role=\"subscriber\",pid=\"" + std::to_string(subscriber.pid()) + "\"";
    EXPECT_TRUE(eventually([&] {
        const std::string out = run_tool({"metrics", ring.str()}).out;
        return contains(out, "shmring_endpoint_info{" + who + ",command=\"shmring\",wait_strategy=\"adaptive\"} 1\n") &&
               contains(out, "shmring_endpoint_alive{" + who + "} 1\n") && contains(out, "shmring_endpoint_messages_total{" + who + "} 1\n");
    })) << run_tool({"metrics", ring.str()}).out;
}

TEST(ToolMetrics, shouldReportADamagedRingWithoutFailingAndAMissingNamedOneAsAFailure) {
    RingName damaged("metrics.damaged");
    {
        std::ofstream garbage(ring_file(damaged.str()));
        garbage << std::string(4096, '\xab');
    }
    const Finished all = run_tool({"metrics"});
    EXPECT_EQ(all.code, 0) << all.err;
    EXPECT_TRUE(contains(all.out, "shmring_ring_info{ring=\"" + damaged.str() + "\",kind=\"\",engine=\"\",policy=\"\",state=\"corrupt\"} 1\n"));
    EXPECT_TRUE(contains(all.out, "shmring_ring_corrupt{ring=\"" + damaged.str() + "\"} 1\n")) << "a broken header is corrupt too";
    RingName missing("metrics.missing");
    const Finished named = run_tool({"metrics", missing.str()});
    EXPECT_EQ(named.code, 1);
    EXPECT_TRUE(contains(named.err, missing.str())) << named.err;
}

TEST(ToolMetrics, shouldShowRingsItMayNotReadAsUnreadable) {
    RingName ring("metrics.unreadable");
    ASSERT_EQ(run_tool({"create", "pipe", ring.str(), "--capacity", "4K", "--mode", "0600"}).code, 0);
    const Finished nobody = run_shell("setpriv --reuid=65534 --regid=65534 --clear-groups \"$SHMRING\" metrics");
    ASSERT_EQ(nobody.code, 0) << nobody.err;
    EXPECT_TRUE(contains(nobody.out, "shmring_ring_info{ring=\"" + ring.str() + "\",kind=\"\",engine=\"\",policy=\"\",state=\"unreadable\"} 1\n"))
        << nobody.out;
}

TEST(ToolMetrics, shouldPrintEachSeriesOnceForARingNamedTwice) {
    RingName ring("metrics.twice");
    ASSERT_EQ(run_tool({"create", "pipe", ring.str(), "--capacity", "4K"}).code, 0);
    const std::string out = run_tool({"metrics", ring.str(), ring.str()}).out;
    const std::string info = "shmring_ring_info{ring=\"" + ring.str() + "\"";
    EXPECT_EQ(out.find(info), out.rfind(info)) << out;
}

TEST(ToolMetrics, shouldKeepLabelsValidWhateverAProcessIsCalled) {
    RingName ring("metrics.comm");
    ASSERT_EQ(run_tool({"create", "topic", ring.str(), "--messages", "8", "--message-size", "64"}).code, 0);
    // Nine two-byte characters: the kernel keeps 15 bytes of the name, cutting the last one in half.
    const std::filesystem::path directory = std::filesystem::temp_directory_path() / ("shmring-comm-" + ring.str());
    std::filesystem::create_directories(directory);
    const std::filesystem::path odd = directory / "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
    std::filesystem::create_symlink(kTool, odd);
    Running subscriber(Script{"exec '" + odd.string() + "' subscribe " + ring.str()});
    ASSERT_TRUE(eventually([&] { return contains(run_tool({"metrics", ring.str()}).out, "shmring_endpoint_info{"); }));
    const Finished checked = run_shell("\"$SHMRING\" metrics " + ring.str() + " | promtool check metrics");
    EXPECT_EQ(checked.code, 0) << checked.out << checked.err;
    EXPECT_TRUE(contains(run_tool({"metrics", ring.str()}).out, "command=\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9?\""));
    const Finished ls = run_tool({"ls", "--json", "--interval", "0"});
    EXPECT_EQ(ls.code, 0) << ls.err;
    EXPECT_FALSE(nlohmann::json::parse(ls.out, nullptr, false).is_discarded());
    std::filesystem::remove_all(directory);
}

TEST(ToolExporter, shouldServeFreshMetricsOverHttpInTheFormatAsked) {
    RingName ring("exporter.http");
    ASSERT_EQ(run_tool({"create", "queue", ring.str(), "--messages", "8", "--message-size", "64"}).code, 0);
    const int port = free_port();
    Running exporter({"exporter", "--listen", "127.0.0.1:" + std::to_string(port), ring.str()});
    ASSERT_TRUE(eventually([&] { return !http_get(port, "/metrics").empty(); }));
    const std::string counter = "shmring_ring_messages_total{ring=\"" + ring.str() + "\",side=\"producer\"} ";
    EXPECT_TRUE(contains(http_get(port, "/metrics"), counter + "0\n"));
    ASSERT_EQ(run_tool({"send", ring.str(), "x", "y"}).code, 0);
    const std::string plain = http_get(port, "/metrics");
    EXPECT_TRUE(contains(plain, counter + "2\n")) << plain;
    EXPECT_TRUE(contains(plain, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n")) << plain;
    const std::string open = http_get(port, "/metrics", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");
    EXPECT_TRUE(contains(open, "Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\n")) << open;
    EXPECT_TRUE(open.ends_with("# EOF\n"));
    const std::string refused = http_get(port, "/metrics", "application/openmetrics-text;q=0, text/plain");
    EXPECT_TRUE(contains(refused, "Content-Type: text/plain; version=0.0.4")) << "q=0 refuses OpenMetrics";
    EXPECT_TRUE(http_get(port, "/nothing").starts_with("HTTP/1.1 404")) << http_get(port, "/nothing");
    exporter.signal(SIGTERM);
    const Finished stopped = exporter.wait();
    EXPECT_EQ(stopped.code, 0) << stopped.err;
    EXPECT_EQ(http_get(port, "/metrics"), "") << "it let go of its port";
}

TEST(ToolExporter, shouldSayWhyItCannotListen) {
    const int port = free_port();
    Running first({"exporter", "--listen", "127.0.0.1:" + std::to_string(port)});
    ASSERT_TRUE(eventually([&] { return !http_get(port, "/").empty(); }));
    const Finished second = run_tool({"exporter", "--listen", "127.0.0.1:" + std::to_string(port)});
    EXPECT_EQ(second.code, 1);
    EXPECT_EQ(second.err, "shmring: exporter: cannot listen on 127.0.0.1:" + std::to_string(port) + ": Address already in use\n");
    EXPECT_EQ(run_tool({"exporter", "--listen", "nowhere"}).code, 2);
    EXPECT_EQ(run_tool({"exporter"}).code, 2);
}

TEST(ToolExporter, shouldStopAtOnceWhileAClientSendsNothing) {
    const int port = free_port();
    Running exporter({"exporter", "--listen", "127.0.0.1:" + std::to_string(port)});
    ASSERT_TRUE(eventually([&] { return !http_get(port, "/").empty(); }));
    const int slow = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(slow, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::write(slow, "GET /met", 8), 8);
    const auto started = std::chrono::steady_clock::now();
    exporter.signal(SIGTERM);
    const Finished stopped = exporter.wait(10s);
    EXPECT_EQ(stopped.code, 0) << stopped.err;
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
    ::close(slow);
}

TEST(ToolExporter, shouldReplaceTheTextfileWhole) {
    RingName ring("exporter.textfile");
    ASSERT_EQ(run_tool({"create", "pipe", ring.str(), "--capacity", "4K"}).code, 0);
    const std::filesystem::path directory = std::filesystem::temp_directory_path() / ("shmring-textfile-" + ring.str());
    std::filesystem::create_directories(directory);
    const Finished written = run_tool({"exporter", "--textfile", directory.string(), "--once", ring.str()});
    EXPECT_EQ(written.code, 0) << written.err;
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(directory)) files.push_back(entry.path().filename().string());
    EXPECT_EQ(files, std::vector<std::string>{"shmring.prom"}) << "no temporary file left";
    std::ifstream prom(directory / "shmring.prom");
    const std::string text((std::istreambuf_iterator<char>(prom)), std::istreambuf_iterator<char>());
    EXPECT_TRUE(contains(text, "shmring_ring_info{ring=\"" + ring.str() + "\",kind=\"pipe\""));
    const Finished checked = run_shell("promtool check metrics < '" + (directory / "shmring.prom").string() + "'");
    EXPECT_EQ(checked.code, 0) << checked.out << checked.err;
    std::filesystem::remove_all(directory);
    EXPECT_EQ(run_tool({"exporter", "--textfile", directory.string(), "--once"}).code, 2) << "a directory that is not there";
}

}  // namespace
}  // namespace shmring::testing
