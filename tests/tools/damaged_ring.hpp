// Test support: a real ring, created by the tool, then damaged on purpose through its file.
#pragma once

#include <cstdint>
#include <fcntl.h>
#include <string>
#include <unistd.h>
#include <vector>

#include "tool_process.hpp"

namespace shmring::testing {

class DamagedRing {
public:
    // Opens the ring's file for writing; the ring must exist.
    explicit DamagedRing(const std::string& name) : fd_(::open(ring_file(name).c_str(), O_RDWR)) {}
    ~DamagedRing() {
        if (fd_ >= 0) ::close(fd_);
    }
    DamagedRing(const DamagedRing&) = delete;
    DamagedRing& operator=(const DamagedRing&) = delete;

    bool is_open() const { return fd_ >= 0; }

    template <class T>
    void put(std::size_t offset, T value) {
        write_bytes(offset, &value, sizeof value);
    }
    void write_bytes(std::size_t offset, const void* data, std::size_t size) {
        if (::pwrite(fd_, data, size, static_cast<off_t>(offset)) != static_cast<ssize_t>(size)) throw std::runtime_error("pwrite");
    }
    void truncate(std::size_t size) {
        if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) throw std::runtime_error("ftruncate");
    }
    std::vector<unsigned char> bytes() const {
        std::vector<unsigned char> content(static_cast<std::size_t>(::lseek(fd_, 0, SEEK_END)));
        if (::pread(fd_, content.data(), content.size(), 0) != static_cast<ssize_t>(content.size())) throw std::runtime_error("pread");
        return content;
    }
    // Puts back an image taken with bytes(), size included.
    void restore(const std::vector<unsigned char>& content) {
        truncate(content.size());
        write_bytes(0, content.data(), content.size());
    }

private:
    int fd_;
};

}  // namespace shmring::testing
