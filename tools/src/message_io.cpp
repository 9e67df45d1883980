#include "message_io.hpp"

#include "commands.hpp"

namespace shmring::cli {

namespace {

std::string base64(std::span<const std::byte> data) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < data.size(); i += 3) {
        const std::size_t n = std::min<std::size_t>(3, data.size() - i);
        std::uint32_t group = 0;
        for (std::size_t j = 0; j < 3; ++j) group = (group << 8) | (j < n ? std::to_integer<std::uint32_t>(data[i + j]) : 0U);
        for (std::size_t j = 0; j < 4; ++j) out += j <= n ? kAlphabet[(group >> (18 - 6 * j)) & 63U] : '=';
    }
    return out;
}

}  // namespace

MessageFormat message_format(const ReceiveOptions& options) {
    return options.json ? MessageFormat::json : options.null_separated ? MessageFormat::null_separated : MessageFormat::lines;
}

Json message_json(std::span<const std::byte> message, std::uint64_t sequence) {
    Json line;
    if (sequence != 0) line["sequence"] = sequence;
    line["bytes"] = message.size();
    line["text"] = std::string(reinterpret_cast<const char*>(message.data()), message.size());
    try {
        (void)line.dump();  // throws on text that is not UTF-8
    } catch (const Json::type_error&) {  // then the bytes as they are, in base64
        line.erase("text");
        line["base64"] = base64(message);
    }
    return line;
}

}  // namespace shmring::cli
