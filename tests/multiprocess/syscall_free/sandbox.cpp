#include "syscall_free/sandbox.hpp"

#include <cstddef>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace shmring::multiprocess {

namespace {

#if defined(__x86_64__)
constexpr unsigned kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr unsigned kAuditArch = AUDIT_ARCH_AARCH64;
#else
#error "the system-call filter needs this architecture's AUDIT_ARCH value"
#endif

bool enter_system_call_filter() noexcept {
    sock_filter program[] = {
        // A system call of another ABI has other numbers: refuse it before comparing any.
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_write, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigreturn, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    const sock_fprog filter{static_cast<unsigned short>(sizeof program / sizeof program[0]), program};
    // Without this, installing a filter needs CAP_SYS_ADMIN.
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
    return ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) == 0;
}

}  // namespace

bool enter(Sandbox sandbox) noexcept {
    switch (sandbox) {
        case Sandbox::strict: return ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) == 0;
        case Sandbox::system_call_filter: return enter_system_call_filter();
    }
    return false;
}

void exit_thread(int status) noexcept {
    ::syscall(SYS_exit, status);
    __builtin_unreachable();
}

const char* sandbox_name(Sandbox sandbox) noexcept {
    return sandbox == Sandbox::strict ? "seccomp strict mode" : "the seccomp system-call filter";
}

}  // namespace shmring::multiprocess
