// shmring exporter: the metrics of `shmring metrics`, for a monitoring system.
//
// --listen HOST:PORT serves them over HTTP at /metrics (cpp-httplib), reading the rings afresh at
// each scrape, in OpenMetrics when the scraper's Accept header prefers it and in Prometheus' text
// format otherwise. --textfile DIR writes them into DIR/shmring.prom every interval for
// node_exporter's textfile collector, through a temporary file renamed over it, so that the
// collector never reads half a file.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <httplib.h>
#include <mutex>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "fd_io.hpp"
#include "ring_metrics.hpp"
#include "stop_signal.hpp"
#include "units.hpp"

namespace shmring::cli {

namespace {

// Scrapes are small and rare; the workers are for clients that are slow to send a request, each
// held at most this long per read or write, so that a few of them cannot make a scrape wait
// longer than Prometheus' scrape timeout.
constexpr int kWorkers = 8;
constexpr std::chrono::seconds kClientTimeout{2};
// After a stop request, how long clients still connected may keep the server from ending.
constexpr std::chrono::seconds kStopGrace{3};

std::string url_host(const std::string& host) { return host.find(':') != std::string::npos ? "[" + host + "]" : host; }

int serve_http(const ExporterOptions& options) {
    const ListenAddress address = *parse_listen(options.listen);  // checked by the command line
    // The inspector's SIGBUS guard is one process-wide handler: one scrape reads rings at a time.
    std::mutex scraping;
    httplib::Server server;
    server.new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
    server.set_read_timeout(kClientTimeout);
    server.set_write_timeout(kClientTimeout);
    server.set_keep_alive_timeout(kClientTimeout.count());
    // The library's default adds SO_REUSEPORT, with which a second exporter on the same port would
    // share the scrapes silently: a port in use is an error instead.
    server.set_socket_options([](int socket) {
        const int yes = 1;
        ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    server.Get("/metrics", [&](const httplib::Request& request, httplib::Response& response) {
        const ExpositionFormat format = format_for_accept(request.get_header_value("Accept"));
        const std::lock_guard lock(scraping);
        response.set_content(ring_metrics(options.names).exposition.render(format), std::string(content_type(format)).c_str());
    });
    server.Get("/", [](const httplib::Request&, httplib::Response& response) {
        response.set_content("shmring exporter: the rings' metrics are at /metrics\n", "text/plain; charset=utf-8");
    });
    errno = 0;
    const int port = address.port == 0 ? server.bind_to_any_port(address.host)
                                       : (server.bind_to_port(address.host, address.port) ? address.port : -1);
    if (port < 0) {
        const int error = errno;
        return fail("exporter", "cannot listen on " + options.listen + ": " + (error != 0 ? std::strerror(error) : "no such address"));
    }
    std::fprintf(stderr, "shmring: exporter: serving http://%s:%d/metrics\n", url_host(address.host).c_str(), port);

    std::atomic<bool> ended{false};
    bool served = false;
    std::thread listener([&] {
        served = server.listen_after_bind();
        ended.store(true);
    });
    // The accept loop does not look at signals. stop() is repeated: before the loop has started it
    // does nothing.
    while (!ended.load() && !stop_requested()) std::this_thread::sleep_for(kStopCheckInterval);
    const auto give_up = std::chrono::steady_clock::now() + kStopGrace;
    while (!ended.load() && std::chrono::steady_clock::now() < give_up) {
        server.stop();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!ended.load()) {
        // Clients still connected hold workers the server would wait for. The exporter holds no
        // ring (each scrape maps and unmaps read-only), so ending without them loses nothing.
        std::fflush(stderr);
        std::_Exit(kExitSuccess);
    }
    listener.join();
    return served || stop_requested() ? kExitSuccess : fail("exporter", "the HTTP server stopped");
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
            return stop_requested() ? kExitSuccess : fail("exporter", error);
        if (options.once) return kExitSuccess;
        sleep_unless_stopped(options.interval_seconds);
        if (stop_requested()) return kExitSuccess;
    }
}

}  // namespace

int run_exporter(const ExporterOptions& options) {
    install_stop_handlers();
    return options.textfile.empty() ? serve_http(options) : write_textfiles(options);
}

}  // namespace shmring::cli
