// Charts through gnuplot: the data goes to .dat files beside a .gp script, which stays in the
// directory so that a chart can be restyled and redrawn by hand.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/report.hpp"

namespace shmring::bench {

namespace {

bool on_path(const char* program) {
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        const std::size_t end = std::min(dirs.find(':', start), dirs.size());
        const std::string candidate = dirs.substr(start, end - start) + "/" + program;
        if (::access(candidate.c_str(), X_OK) == 0) return true;
        start = end + 1;
    }
    return false;
}

std::string label(const Row& row) { return row.job->transport->name + "/" + to_string(row.job->mode); }

std::string value(double v) { return std::isfinite(v) ? std::to_string(v) : "?"; }

bool plotted(const Row& row, Pattern pattern) { return row.verdict == Verdict::ok && row.job->pattern == pattern; }

// 64-byte rows where there are some, else the smallest size run.
std::size_t featured_size(const std::vector<Row>& rows, Pattern pattern) {
    std::size_t best = 0;
    for (const auto& row : rows) {
        if (!plotted(row, pattern)) continue;
        if (row.job->size == 64) return 64;
        if (best == 0 || row.job->size < best) best = row.job->size;
    }
    return best;
}

void write_latency(const std::string& dir, const std::vector<Row>& rows, std::size_t size) {
    std::ofstream out(dir + "/latency.dat");
    out << "label p50 p90 p99 p99.9\n";
    for (const auto& row : rows)
        if (plotted(row, Pattern::latency) && row.job->size == size)
            out << '"' << label(row) << "\" " << value(row.latency.p50 / 1e3) << ' ' << value(row.latency.p90 / 1e3) << ' '
                << value(row.latency.p99 / 1e3) << ' ' << value(row.latency.p999 / 1e3) << '\n';
}

// One row per size, one column per transport/mode: gnuplot draws a line per column.
int write_throughput(const std::string& dir, const std::vector<Row>& rows) {
    std::vector<std::string> series;
    std::map<std::size_t, std::map<std::string, double>> table;
    for (const auto& row : rows) {
        if (!plotted(row, Pattern::throughput)) continue;
        if (std::find(series.begin(), series.end(), label(row)) == series.end()) series.push_back(label(row));
        table[row.job->size][label(row)] = row.rate.median;
    }
    std::ofstream out(dir + "/throughput.dat");
    out << "size";
    for (const auto& s : series) out << " \"" << s << '"';
    out << '\n';
    for (const auto& [size, by_series] : table) {
        out << size;
        for (const auto& s : series) {
            const auto it = by_series.find(s);
            out << ' ' << (it == by_series.end() ? "?" : value(it->second));
        }
        out << '\n';
    }
    return static_cast<int>(series.size());
}

void write_cpu(const std::string& dir, const std::vector<Row>& rows, std::size_t size) {
    std::ofstream out(dir + "/cpu.dat");
    out << "label sender receiver\n";
    for (const auto& row : rows)
        if (plotted(row, Pattern::throughput) && row.job->size == size)
            out << '"' << label(row) << "\" " << value(row.parent_cpu_ns) << ' ' << value(row.child_cpu_ns) << '\n';
}

// Single-quoted for gnuplot, where only the quote itself needs escaping (by doubling it).
std::string gnuplot_string(const std::string& text) {
    std::string quoted = "'";
    for (const char c : text) quoted += c == '\'' ? std::string("''") : std::string(1, c);
    return quoted + "'";
}

// gnuplot's default linetypes repeat their 8 colours, and a chart of 30-odd series would show some
// alike. Here the colour changes with every series, and the shape and dash pattern with every
// round of the colours: no two of the first 100 series look alike.
constexpr std::array kColours{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                              "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
constexpr std::array kPoints{7, 5, 9, 13, 11, 6, 4, 8, 12, 10};  // filled, then open shapes
constexpr std::array kDashes{1, 2, 4, 3};

void write_linetypes(std::ostream& gp, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t round = i / kColours.size();
        gp << "set linetype " << i + 1 << " linecolor rgb '" << kColours[i % kColours.size()] << "' linewidth 1.5 pointtype "
           << kPoints[round % kPoints.size()] << " pointsize 1.2 dashtype " << kDashes[round % kDashes.size()] << '\n';
    }
}

void write_script(const std::string& dir, std::size_t latency_size, int series, std::size_t cpu_size, const RunInfo& info) {
    const std::string run = info.profile + " profile, " + std::to_string(info.reps) + (info.reps == 1 ? " repetition" : " repetitions") +
                            ", started " + info.started_utc + " on " + describe_machine(info);
    std::ofstream gp(dir + "/plots.gp");
    gp << "set terminal pngcairo size 1400,750 noenhanced\n"
          "# The second line of every title: which run and machine the figures come from.\n"
          "run = "
       << gnuplot_string(run) << "\n";
    // Latency clusters four bars, one per percentile.
    write_linetypes(gp, static_cast<std::size_t>(std::max(series, 4)));
    gp << "set datafile missing '?'\n"
          "set key outside right top\n"
          "set grid ytics\n"
          "set style data histograms\n"
          "set style histogram clustered gap 1\n"
          "set style fill solid 0.8 border -1\n"
          "set xtics rotate by -45\n"
          "set output 'latency.png'\n"
          "set title \"Round-trip latency, "
       << latency_size
       << "-byte messages (median of repetitions)\\n\".run\n"
          "set ylabel 'microseconds (log scale)'\n"
          "set logscale y\n"
          "plot 'latency.dat' using 2:xtic(1) title columnheader(2) linetype 1, '' using 3 title columnheader(3) linetype 2, \\\n"
          "     '' using 4 title columnheader(4) linetype 3, '' using 5 title columnheader(5) linetype 4\n"
          "set output 'cpu.png'\n"
          "set title \"CPU time per message, one-way throughput, "
       << cpu_size
       << "-byte messages\\n\".run\n"
          "set ylabel 'nanoseconds of CPU per message (log scale)'\n"
          "plot 'cpu.dat' using 2:xtic(1) title columnheader(2) linetype 1, '' using 3 title columnheader(3) linetype 2\n"
          "set output 'throughput.png'\n"
          "set style data linespoints\n"
          "set xtics norotate\n"
          "set title \"One-way throughput by message size\\n\".run\n"
          "set xlabel 'message size, bytes (log scale)'\n"
          "set ylabel 'messages per second (log scale)'\n"
          "set logscale xy\n"
          "plot for [c=2:"
       << series + 1 << "] 'throughput.dat' using 1:c title columnheader(c) linetype c-1\n";
}

}  // namespace

std::string write_plots(const std::string& dir, const std::vector<Row>& rows, const RunInfo& info) {
    if (!on_path("gnuplot")) return "plots skipped: gnuplot is not installed (Debian: apt-get install gnuplot-nox)";
    ::mkdir(dir.c_str(), 0755);
    const std::size_t latency_size = featured_size(rows, Pattern::latency);
    const std::size_t cpu_size = featured_size(rows, Pattern::throughput);
    write_latency(dir, rows, latency_size);
    const int series = write_throughput(dir, rows);
    write_cpu(dir, rows, cpu_size);
    write_script(dir, latency_size, series, cpu_size, info);
    if (latency_size == 0 || cpu_size == 0 || series == 0) return "plots skipped: they need latency and throughput results";
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (::chdir(dir.c_str()) == 0) ::execlp("gnuplot", "gnuplot", "plots.gp", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return "plots failed: gnuplot " + dir + "/plots.gp did not succeed";
    return "plots written: " + dir + "/latency.png, throughput.png, cpu.png";
}

}  // namespace shmring::bench
