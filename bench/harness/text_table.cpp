#include "harness/text_table.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace shmring::bench {

TextTable::TextTable(std::vector<Column> columns, HeaderLine header) : columns_(std::move(columns)) {
    if (header == HeaderLine::omit) return;
    std::vector<std::string> headers;
    for (const auto& column : columns_) headers.emplace_back(column.header);
    rows_.push_back(std::move(headers));
}

void TextTable::add(std::vector<std::string> cells) {
    assert(cells.size() == columns_.size());
    rows_.push_back(std::move(cells));
}

void TextTable::print(std::FILE* out) const {
    std::vector<std::size_t> widths(columns_.size());
    for (const auto& cells : rows_)
        for (std::size_t c = 0; c < cells.size(); ++c) widths[c] = std::max(widths[c], cells[c].size());
    for (const auto& cells : rows_) {
        std::string line;
        for (std::size_t c = 0; c < cells.size(); ++c) {
            const std::string pad(widths[c] - cells[c].size(), ' ');
            if (c > 0) line += columns_[c].gap;
            line += columns_[c].align == left ? cells[c] + pad : pad + cells[c];
        }
        line.erase(line.find_last_not_of(' ') + 1);
        std::fprintf(out, "%s\n", line.c_str());
    }
}

}  // namespace shmring::bench
