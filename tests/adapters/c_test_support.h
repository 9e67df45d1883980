/* Test support for the C programs that drive the C API: checks that count and report, a clock,
 * ring names of this run, gates between processes, and children that report through their exit
 * status and die with their parent. Static functions: each test program is one translation unit.
 *
 * A child reports through its exit status (the number of its failed checks, its messages going
 * to stderr). The parent gives each child a deadline and kills it when the deadline passes, and
 * each child dies with the parent, so a hang never leaves a process behind. */
#ifndef SHMRING_TESTS_C_TEST_SUPPORT_H
#define SHMRING_TESTS_C_TEST_SUPPORT_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmring/shmring.h"

static int passed;
static int failed;

static inline void check(int ok, const char *file, int line, const char *what) {
    if (ok) {
        ++passed;
        return;
    }
    ++failed;
    fprintf(stderr, "%s:%d: (pid %d) failed: %s\n", file, line, (int)getpid(), what);
}

static inline void check_eq(long long actual, long long expected, const char *file, int line, const char *what) {
    if (actual == expected) {
        ++passed;
        return;
    }
    ++failed;
    fprintf(stderr, "%s:%d: (pid %d) failed: %s is %lld (%s), expected %lld (%s)\n", file, line, (int)getpid(), what, actual,
            shmring_strerror((int)actual), expected, shmring_strerror((int)expected));
}

#define CHECK(condition) check((condition) != 0, __FILE__, __LINE__, #condition)
#define CHECK_EQ(actual, expected) check_eq((long long)(actual), (long long)(expected), __FILE__, __LINE__, #actual)

/* ---- time, names, processes ---------------------------------------------------------------- */

static inline int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static inline void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

/* A ring name of this run, so that parallel runs never meet; removed at the end of its check. */
static inline const char *ring_name(char *buffer, size_t size, const char *stem) {
    snprintf(buffer, size, "test.c-api.%s.%d", stem, (int)getpid());
    return buffer;
}

/* A one-way signal between processes: a pipe made before fork. */
typedef struct {
    int fds[2];
} gate;

static inline void gate_make(gate *g) {
    if (pipe2(g->fds, O_CLOEXEC) != 0) {
        perror("pipe2");
        exit(2);
    }
}

static inline void gate_open(gate *g) {
    const char one = 1;
    while (write(g->fds[1], &one, 1) < 0 && errno == EINTR) {
    }
}

/* Waits at most 10 s for the gate to open; 1 if it did. */
static inline int gate_wait(gate *g) {
    const int64_t deadline = now_ns() + 10000000000LL;
    for (;;) {
        const int64_t left_ms = (deadline - now_ns()) / 1000000;
        if (left_ms < 0) return 0;
        struct pollfd p = {g->fds[0], POLLIN, 0};
        char byte;
        if (poll(&p, 1, (int)left_ms + 1) > 0 && read(g->fds[0], &byte, 1) == 1) return 1;
    }
}

static inline void gate_close(gate *g) {
    close(g->fds[0]);
    close(g->fds[1]);
}

typedef void (*child_body)(const char *name, gate *a, gate *b);

/* Forks a child that runs `body` and exits with its number of failed checks (at most 100). */
static inline pid_t start_child(child_body body, const char *name, gate *a, gate *b) {
    const pid_t parent = getpid();
    fflush(NULL);
    const pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(2);
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(100);
        passed = 0;
        failed = 0;
        body(name, a, b);
        fflush(NULL);
        _exit(failed > 100 ? 100 : failed);
    }
    return pid;
}

/* Waits up to 20 s for the child; kills it if it is still running then. 1 if it exited with 0. */
static inline int child_succeeded(pid_t pid) {
    const int64_t deadline = now_ns() + 20000000000LL;
    int status = 0;
    for (;;) {
        const pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid) break;
        if (done < 0 && errno != EINTR) return 0;
        if (now_ns() > deadline) {
            fprintf(stderr, "child %d missed its deadline: killed\n", (int)pid);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return 0;
        }
        sleep_ms(1);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 1;
    fprintf(stderr, "child %d ended badly (wait status %d)\n", (int)pid, status);
    return 0;
}

#endif
