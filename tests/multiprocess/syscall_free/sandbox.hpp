// Seccomp sandboxes for a forked child that must prove it makes no system call.
//
// Strict mode allows only read, write, exit and sigreturn, and kills the process with SIGKILL at any
// other system call. On x86 it also disables RDTSC, so reading the clock through the vDSO, which
// is not a system call, dies with SIGSEGV there. The system-call filter allows write, exit and
// sigreturn and kills with SIGSYS at anything else, but leaves the clock readable: for code that
// may look at the time, it isolates the question "does it enter the kernel?".
#pragma once

namespace shmring::multiprocess {

enum class Sandbox { strict, system_call_filter };

// Confines the calling thread; false (with errno) if the kernel refused.
bool enter(Sandbox sandbox) noexcept;

// Ends the process with the exit system call: glibc's _exit calls exit_group, which strict mode
// forbids. Destructors and at-exit work do not run.
[[noreturn]] void exit_thread(int status) noexcept;

const char* sandbox_name(Sandbox sandbox) noexcept;

}  // namespace shmring::multiprocess
