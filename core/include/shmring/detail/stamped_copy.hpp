// Internal. The copy of a seqlock reader: bytes that a writer may be rewriting meanwhile, copied
// before the reader checks the stamp that guards them again and drops the copy if it changed
// (lossy topics, [S5] in topic_protocol.hpp; cells, [R4] in cell_protocol.hpp).
#pragma once

#include <cstddef>
#include <cstring>

#if defined(__SANITIZE_THREAD__)
extern "C" void AnnotateIgnoreReadsBegin(const char* file, int line);
extern "C" void AnnotateIgnoreReadsEnd(const char* file, int line);
#endif

namespace shmring::detail {

// TSan would report the race that the stamp detects, so its reads are not tracked here.
inline void copy_payload(void* to, const void* from, std::size_t length) noexcept {
#if defined(__SANITIZE_THREAD__)
    AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
#endif
    std::memcpy(to, from, length);
#if defined(__SANITIZE_THREAD__)
    AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
#endif
}

}  // namespace shmring::detail
