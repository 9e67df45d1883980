// shmring exporter: the metrics of `shmring metrics`, for a monitoring system.
//
// --listen ADDR:PORT serves them over HTTP at /metrics (cpp-httplib), reading the rings afresh at
// each scrape, in OpenMetrics when the scraper's Accept header asks for it and in Prometheus' text
// format otherwise. --textfile DIR writes them into DIR/shmring.prom every interval for
// node_exporter's textfile collector, through a temporary file renamed over it, so that the
// collector never reads half a file.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <httplib.h>
#include <mutex>
#include <sys/socket.h>
#include <optional>
#include <thread>
#include <unistd.h>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "fd_io.hpp"
#include "ring_metrics.hpp"
#include "stop_signal.hpp"

namespace shmring::cli {

namespace {

struct ListenAddress {
    std::string host;
    int port = 0;
};

// "127.0.0.1:9464", "[::1]:9464", "localhost:0" (0: any free port, printed once bound).
std::optional<ListenAddress> parse_listen(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return std::nullopt;
    std::string host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    int port = 0;
    for (const char c : text.substr(colon + 1)) {
        if (c < '0' || c > '9' || port > 65535) return std::nullopt;
        port = port * 10 + (c - '0');
    }
    if (port > 65535 || host.empty()) return std::nullopt;
    return ListenAddress{host, port};
}

int serve_http(const ExporterOptions& options) {
    const auto address = parse_listen(options.listen);
    if (!address) {
        std::fprintf(stderr, "shmring: exporter: --listen '%s' is not HOST:PORT (for example 127.0.0.1:9464)\n", options.listen.c_str());
        return kExitUsage;
    }
    // The inspector's SIGBUS guard is one process-wide handler: one scrape reads rings at a time.
    std::mutex scraping;
    httplib::Server server;
    server.new_task_queue = [] { return new httplib::ThreadPool(4); };
    // The library's default adds SO_REUSEPORT, with which a second exporter on the same port would
    // share the scrapes silently: a port in use is an error instead.
    server.set_socket_options([](int socket) {
        const int yes = 1;
        ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    server.Get("/metrics", [&](const httplib::Request& request, httplib::Response& response) {
        const bool openmetrics = request.get_header_value("Accept").find("application/openmetrics-text") != std::string::npos;
        const auto format = openmetrics ? ExpositionFormat::openmetrics : ExpositionFormat::prometheus;
        const std::lock_guard lock(scraping);
        response.set_content(ring_metrics(options.names).exposition.render(format), std::string(content_type(format)).c_str());
    });
    server.Get("/", [](const httplib::Request&, httplib::Response& response) {
        response.set_content("shmring exporter: the rings' metrics are at /metrics\n", "text/plain; charset=utf-8");
    });
    const int port = address->port == 0 ? server.bind_to_any_port(address->host) : (server.bind_to_port(address->host, address->port) ? address->port : -1);
    if (port < 0) {
        const int error = errno;
        return fail("exporter", "cannot listen on " + options.listen + ": " + (error != 0 ? std::strerror(error) : "bind failed"));
    }
    std::fprintf(stderr, "shmring: exporter: serving http://%s:%d/metrics\n",
                 address->host.find(':') != std::string::npos ? ("[" + address->host + "]").c_str() : address->host.c_str(), port);
    // The server's accept loop does not look at signals: a second thread stops it on request.
    std::atomic<bool> ended{false};
    std::thread stopper([&] {
        while (!stop_requested() && !ended.load()) std::this_thread::sleep_for(kStopCheckInterval);
        server.stop();
    });
    const bool served = server.listen_after_bind();
    ended.store(true);
    stopper.join();
    return served ? kExitSuccess : fail("exporter", "the HTTP server stopped");
}

// Writes `text` to DIR/shmring.prom through DIR/.shmring.prom.PID (no .prom suffix: the collector
// ignores it), renamed over the old file once complete.
bool write_textfile(const std::string& directory, const std::string& text, std::string& error) {
    const std::string target = directory + "/shmring.prom";
    const std::string temporary = directory + "/.shmring.prom." + std::to_string(::getpid());
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        error = temporary + ": " + std::strerror(errno);
        return false;
    }
    const bool written = write_all(fd, std::as_bytes(std::span(text.data(), text.size())));
    const int write_error = errno;
    ::close(fd);
    if (!written || ::rename(temporary.c_str(), target.c_str()) != 0) {
        error = (written ? target : temporary) + ": " + std::strerror(written ? errno : write_error);
        ::unlink(temporary.c_str());
        return false;
    }
    return true;
}

int write_textfiles(const ExporterOptions& options) {
    for (;;) {
        std::string error;
        if (!write_textfile(options.textfile, ring_metrics(options.names).exposition.render(ExpositionFormat::prometheus), error))
            return fail("exporter", error);
        if (options.once) return kExitSuccess;
        const auto next = std::chrono::steady_clock::now() + std::chrono::duration<double>(options.interval_seconds);
        while (std::chrono::steady_clock::now() < next) {
            if (stop_requested()) return kExitSuccess;
            std::this_thread::sleep_for(kStopCheckInterval);
        }
    }
}

}  // namespace

int run_exporter(const ExporterOptions& options) {
    install_stop_handlers();
    return options.textfile.empty() ? serve_http(options) : write_textfiles(options);
}

}  // namespace shmring::cli
