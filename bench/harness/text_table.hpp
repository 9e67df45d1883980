// The plain-text tables of the shoot-out (the report, fan-out, RPC pool, --list): every column as
// wide as its widest cell, so that a long transport name or value moves the whole column instead
// of pushing the rest of its line out of step.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace shmring::bench {

class TextTable {
public:
    enum Align { left, right };  // names and words left, numbers right
    struct Column {
        const char* header;
        Align align;
        const char* gap = "  ";  // before the column; ".." joins the two halves of a min..max spread
    };
    // `omit` for a listing that is read line by line, one entry per line (--list).
    enum class HeaderLine { print, omit };

    explicit TextTable(std::vector<Column> columns, HeaderLine header = HeaderLine::print);

    // One cell per column.
    void add(std::vector<std::string> cells);
    // The lines without trailing blanks, so an empty last cell leaves none.
    void print(std::FILE* out) const;

private:
    std::vector<Column> columns_;
    std::vector<std::vector<std::string>> rows_;  // the headers first, unless omitted
};

}  // namespace shmring::bench
