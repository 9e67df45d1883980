#include "option_checks.hpp"

#include <algorithm>
#include <charconv>

#include "shmring/segment.hpp"

namespace shmring::cli {

namespace {

std::string number_words(double value) {
    std::string text = std::to_string(value);
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') text.pop_back();
    return text;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string command_list(const CLI::App& app) {
    std::string list;
    for (const CLI::App* sub : app.get_subcommands({})) list += (list.empty() ? "" : ", ") + sub->get_name();
    return list;
}

}  // namespace

CLI::Validator listen_address() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            if (!parse_listen(text)) return "must be HOST:PORT (127.0.0.1:9464, [::1]:9464, :9464), not '" + text + "'";
            return {};
        },
        "HOST:PORT");
}

CLI::Validator size_in(std::uint64_t lo, std::uint64_t hi) {
    const std::string range = "must be " + size_words(lo) + " to " + size_words(hi) + " (bytes, or with a K, M or G suffix)";
    return CLI::Validator(
        [=](std::string& text) -> std::string {
            const auto size = parse_size(text);
            if (!size || *size < lo || *size > hi) return range + ", not '" + text + "'";
            text = std::to_string(*size);
            return {};
        },
        "SIZE");
}

CLI::Validator count_in(std::uint64_t lo, std::uint64_t hi) {
    return CLI::Validator(
        [=](std::string& text) -> std::string {
            std::uint64_t value = 0;
            const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (error != std::errc{} || end != text.data() + text.size() || value < lo || value > hi)
                return "must be " + std::to_string(lo) + " to " + std::to_string(hi) + ", not '" + text + "'";
            return {};
        },
        "N");
}

CLI::Validator seconds_in(double lo, double hi) {
    return CLI::Validator(
        [=](std::string& text) -> std::string {
            double value = 0;
            const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (error != std::errc{} || end != text.data() + text.size() || !(value >= lo && value <= hi))
                return "must be " + number_words(lo) + " to " + number_words(hi) + " seconds, not '" + text + "'";
            return {};
        },
        "SECONDS");
}

CLI::Validator mode_value() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            const auto mode = parse_mode(text);
            if (!mode) return "must be an octal mode from 0000 to 0777, not '" + text + "'";
            text = std::to_string(*mode);
            return {};
        },
        "MODE");
}

CLI::Validator ring_name() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            if (!Segment::validate_name(text)) return "'" + text + "' is not a ring name (1 to 200 of A-Z a-z 0-9 . _ -)";
            return {};
        },
        "");
}

std::string command_word_error(const CLI::App& app, int argc, const char* const* argv) {
    const CLI::App* current = &app;
    std::string path = app.get_name();
    for (int i = 1; i < argc; ++i) {
        const std::string_view word = argv[i];
        // Options come after their command's word: from the first one on, the parser judges.
        if (word.starts_with("-") || current->get_subcommands({}).empty()) return {};
        const CLI::App* next = nullptr;
        for (const CLI::App* sub : current->get_subcommands({}))
            if (sub->get_name() == word) next = sub;
        if (next == nullptr) {
            std::string best;
            // A suggestion further off than 2 edits is noise; for a word of 1 to 3 letters, further than 1.
            std::size_t best_distance = word.size() <= 3 ? 2 : 3;
            for (const CLI::App* sub : current->get_subcommands({})) {
                const std::size_t distance = edit_distance(word, sub->get_name());
                if (distance < best_distance || (sub->get_name().starts_with(word) && best.empty())) {
                    best_distance = std::min(distance, best_distance);
                    best = sub->get_name();
                }
            }
            return "unknown command '" + (path == app.get_name() ? "" : path.substr(app.get_name().size() + 1) + " ") +
                   std::string(word) + "'" + (best.empty() ? " (commands: " + command_list(*current) + ")" : " (did you mean '" + best + "'?)") +
                   " (see '" + path + " --help')";
        }
        current = next;
        path += " " + next->get_name();
    }
    if (current->get_subcommands({}).empty() || current->get_require_subcommand_min() == 0) return {};
    return (current == &app ? std::string("a command is required") : "'" + path.substr(app.get_name().size() + 1) + "' needs one of") + ": " +
           command_list(*current) + " (see '" + path + " --help')";
}

}  // namespace shmring::cli
