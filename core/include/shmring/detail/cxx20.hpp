// Internal. Every public C++ header includes this first: a compiler below C++20 gets one plain
// sentence instead of pages of errors about std::atomic_ref or std::span deep inside.
#pragma once

#if __cplusplus < 202002L
#error "shmring needs C++20: compile with -std=c++20 or later (from C, or an older C++, use <shmring/shmring.h>)"
// #error lets the compiler go on; a missing include is fatal, so nothing after this is compiled.
#include "shmring needs C++20, compilation stops here"
#endif
