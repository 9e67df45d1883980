// JSON and CSV share one list of fields, so that both carry exactly the same columns.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <variant>

#include "harness/report.hpp"

namespace shmring::bench {

namespace {

using Value = std::variant<std::string, double>;  // NaN: not applicable to the row

struct Field {
    const char* name;
    std::function<Value(const Row&, const RunInfo&)> get;
};

const std::vector<Field>& fields() {
    static const std::vector<Field> list{
        {"transport", [](const Row& r, const RunInfo&) { return Value(r.job->transport->name); }},
        {"mode", [](const Row& r, const RunInfo&) { return Value(std::string(to_string(r.job->mode))); }},
        {"pattern", [](const Row& r, const RunInfo&) { return Value(std::string(to_string(r.job->pattern))); }},
        {"size_bytes", [](const Row& r, const RunInfo&) { return Value(double(r.job->size)); }},
        {"status", [](const Row& r, const RunInfo&) { return Value(std::string(to_string(r.verdict))); }},
        {"detail", [](const Row& r, const RunInfo&) { return Value(r.detail); }},
        {"reps", [](const Row& r, const RunInfo&) { return Value(double(r.reps)); }},
        {"messages_per_rep", [](const Row& r, const RunInfo&) { return Value(double(r.job->count)); }},
        {"warmup_messages", [](const Row& r, const RunInfo&) { return Value(double(r.job->warmup)); }},
        {"buffer_bytes", [](const Row& r, const RunInfo&) { return Value(double(r.job->buffer_bytes)); }},
        {"p50_ns", [](const Row& r, const RunInfo&) { return Value(r.latency.p50); }},
        {"p90_ns", [](const Row& r, const RunInfo&) { return Value(r.latency.p90); }},
        {"p99_ns", [](const Row& r, const RunInfo&) { return Value(r.latency.p99); }},
        {"p999_ns", [](const Row& r, const RunInfo&) { return Value(r.latency.p999); }},
        {"max_ns", [](const Row& r, const RunInfo&) { return Value(r.latency.max); }},
        {"p50_min_ns", [](const Row& r, const RunInfo&) { return Value(r.p50.min); }},
        {"p50_max_ns", [](const Row& r, const RunInfo&) { return Value(r.p50.max); }},
        {"msgs_per_s", [](const Row& r, const RunInfo&) { return Value(r.rate.median); }},
        {"msgs_per_s_min", [](const Row& r, const RunInfo&) { return Value(r.rate.min); }},
        {"msgs_per_s_max", [](const Row& r, const RunInfo&) { return Value(r.rate.max); }},
        {"bytes_per_s", [](const Row& r, const RunInfo&) { return Value(r.bytes_per_s); }},
        {"cpu_parent_ns_per_msg", [](const Row& r, const RunInfo&) { return Value(r.parent_cpu_ns); }},
        {"cpu_child_ns_per_msg", [](const Row& r, const RunInfo&) { return Value(r.child_cpu_ns); }},
        {"x_pipe", [](const Row& r, const RunInfo&) { return Value(r.x_pipe); }},
        {"x_floor", [](const Row& r, const RunInfo&) { return Value(r.x_floor); }},
        {"floor", [](const Row& r, const RunInfo&) { return Value(r.floor); }},
        {"cpu_dma_latency", [](const Row&, const RunInfo& i) { return Value(i.cpu_dma_latency); }},
        {"parent_cpu", [](const Row&, const RunInfo& i) { return Value(double(i.parent_cpu)); }},
        {"child_cpu", [](const Row&, const RunInfo& i) { return Value(double(i.child_cpu)); }},
        {"profile", [](const Row&, const RunInfo& i) { return Value(i.profile); }},
        {"load_before", [](const Row&, const RunInfo& i) { return Value(i.load_before); }},
    };
    return list;
}

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (const char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
                    out += escaped;
                } else {
                    out += c;
                }
        }
    }
    return out + "\"";
}

std::string number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", value);
    return text;
}

std::string as_json(const Value& value) {
    if (const auto* s = std::get_if<std::string>(&value)) return json_string(*s);
    const double d = std::get<double>(value);
    return std::isfinite(d) ? number(d) : "null";
}

std::string csv_cell(const Value& value) {
    if (const auto* s = std::get_if<std::string>(&value)) {
        if (s->find_first_of(",\"\n") == std::string::npos) return *s;
        std::string quoted = "\"";
        for (const char c : *s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        return quoted + "\"";
    }
    const double d = std::get<double>(value);
    return std::isfinite(d) ? number(d) : "";
}

bool open_for_writing(const std::string& path, std::ofstream& out, std::string& error) {
    out.open(path, std::ios::trunc);
    if (!out) error = "cannot write " + path;
    return static_cast<bool>(out);
}

}  // namespace

bool write_json(const std::string& path, const std::vector<Row>& rows, const std::vector<FanoutRow>& fanout,
                const std::vector<RpcPoolRow>& rpc_pool, const RunInfo& info, std::string& error) {
    std::ofstream out;
    if (!open_for_writing(path, out, error)) return false;
    out << "{\n  \"run\": {"
        << "\"profile\": " << json_string(info.profile) << ", \"started_utc\": " << json_string(info.started_utc)
        << ", \"wall_seconds\": " << number(info.wall_seconds) << ", \"load_before\": " << json_string(info.load_before)
        << ", \"load_after\": " << json_string(info.load_after) << ", \"hostname\": " << json_string(info.hostname)
        << ", \"kernel\": " << json_string(info.kernel)
        << ", \"cpu_model\": " << json_string(info.cpu_model) << ", \"usable_cpus\": " << info.usable_cpus
        << ", \"parent_cpu\": " << info.parent_cpu << ", \"child_cpu\": " << info.child_cpu
        << ", \"cpu_dma_latency\": " << json_string(info.cpu_dma_latency) << ", \"reps\": " << info.reps << "},\n"
        << "  \"results\": [";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        out << (i == 0 ? "\n    {" : ",\n    {");
        bool first = true;
        for (const auto& field : fields()) {
            out << (first ? "" : ", ") << json_string(field.name) << ": " << as_json(field.get(rows[i], info));
            first = false;
        }
        out << "}";
    }
    out << "\n  ],\n  \"fanout\": [";
    for (std::size_t i = 0; i < fanout.size(); ++i) {
        const FanoutRow& f = fanout[i];
        out << (i == 0 ? "\n    {" : ",\n    {") << "\"transport\": " << json_string(f.transport) << ", \"mode\": " << json_string(f.mode)
            << ", \"receivers\": " << f.receivers << ", \"oversubscribed\": " << (f.oversubscribed ? "true" : "false")
            << ", \"messages_per_s\": " << as_json(f.rate.median) << ", \"messages_per_s_min\": " << as_json(f.rate.min)
            << ", \"messages_per_s_max\": " << as_json(f.rate.max) << ", \"error\": " << json_string(f.error) << "}";
    }
    out << "\n  ],\n  \"rpc_pool\": [";
    for (std::size_t i = 0; i < rpc_pool.size(); ++i) {
        const RpcPoolRow& r = rpc_pool[i];
        out << (i == 0 ? "\n    {" : ",\n    {") << "\"transport\": " << json_string(r.transport) << ", \"mode\": " << json_string(r.mode)
            << ", \"servers\": " << kRpcServers << ", \"clients\": " << kRpcClients << ", \"in_flight_per_client\": " << kRpcInFlight
            << ", \"oversubscribed\": " << (r.oversubscribed ? "true" : "false") << ", \"calls_per_s\": " << as_json(r.rate.median)
            << ", \"calls_per_s_min\": " << as_json(r.rate.min) << ", \"calls_per_s_max\": " << as_json(r.rate.max)
            << ", \"error\": " << json_string(r.error) << "}";
    }
    out << "\n  ]\n}\n";
    if (!out) error = "cannot write " + path;
    return static_cast<bool>(out);
}

bool write_csv(const std::string& path, const std::vector<Row>& rows, const RunInfo& info, std::string& error) {
    std::ofstream out;
    if (!open_for_writing(path, out, error)) return false;
    bool first = true;
    for (const auto& field : fields()) {
        out << (first ? "" : ",") << field.name;
        first = false;
    }
    out << "\n";
    for (const auto& row : rows) {
        first = true;
        for (const auto& field : fields()) {
            out << (first ? "" : ",") << csv_cell(field.get(row, info));
            first = false;
        }
        out << "\n";
    }
    if (!out) error = "cannot write " + path;
    return static_cast<bool>(out);
}

}  // namespace shmring::bench
