/* The cell, lock and semaphore functions of the C API used from C: every call and every error code
 * the header documents for them, between forked processes where a peer matters (a lock holder
 * killed while holding, a writer in another process, a poster waking a waiter). Prints one line
 * per failed check and a final "N passed, M failed"; exits non-zero on any failure. */
#define _GNU_SOURCE /* fork, kill, prctl, pipe2 */

#include "c_test_support.h"

/* ---- cells ------------------------------------------------------------------------------------- */

static void write_hello(const char *name, gate *ready, gate *go) {
    shmring_cell *c = NULL;
    CHECK_EQ(shmring_cell_open(name, &c), 0);
    gate_open(ready);
    CHECK(gate_wait(go));
    CHECK_EQ(shmring_cell_write(c, "hello", 5), 0);
    shmring_cell_close(c);
}

static void test_cells(void) {
    char name[128], other[128];
    ring_name(name, sizeof name, "cell");
    ring_name(other, sizeof other, "cell-lock");
    shmring_cell *c = NULL;
    CHECK_EQ(shmring_cell_create(name, 0, 0), -EINVAL);
    CHECK_EQ(shmring_cell_create(name, ((size_t)64 << 20) + 1, 0), -EINVAL);
    CHECK_EQ(shmring_cell_create(NULL, 16, 0), -EINVAL);
    CHECK_EQ(shmring_cell_create("bad/name", 16, 0), -EINVAL);
    CHECK_EQ(shmring_cell_open(name, &c), -ENOENT);
    CHECK_EQ(shmring_cell_create(name, 16, 0), 0);
    CHECK_EQ(shmring_cell_create(name, 16, 0), -EEXIST);
    CHECK_EQ(shmring_lock_create(other, 0), 0);
    CHECK_EQ(shmring_cell_open(other, &c), -EPROTO);
    CHECK_EQ(shmring_cell_open(name, NULL), -EINVAL);
    CHECK_EQ(shmring_cell_open(name, &c), 0);
    if (c == NULL) return;
    CHECK_EQ(shmring_cell_max_size(c), 16);

    char buf[16];
    uint64_t version = 99;
    CHECK_EQ(shmring_cell_read(c, buf, sizeof buf, &version), 0);
    CHECK_EQ(version, 0);
    CHECK_EQ(shmring_cell_wait(c, 0, 0), -EAGAIN);
    CHECK_EQ(shmring_cell_wait(c, 0, 20000000), -ETIMEDOUT);
    CHECK_EQ(shmring_cell_write(c, "0123456789abcdefX", 17), -EMSGSIZE);
    CHECK_EQ(shmring_cell_write(c, "first", 5), 0);
    CHECK_EQ(shmring_cell_read(c, buf, sizeof buf, NULL), 5);
    CHECK(memcmp(buf, "first", 5) == 0);
    CHECK_EQ(shmring_cell_read(c, buf, 2, &version), -EMSGSIZE);
    CHECK_EQ(version, 1);
    CHECK_EQ(shmring_cell_wait(c, 0, 0), 1);

    /* A write in another process wakes a waiter and makes the descriptor readable. */
    const int fd = shmring_cell_fd(c);
    CHECK(fd >= 0);
    struct pollfd p = {fd, POLLIN, 0};
    CHECK_EQ(poll(&p, 1, 0), 0); /* this handle has read version 1 */
    gate ready, go;
    gate_make(&ready);
    gate_make(&go);
    const pid_t writer = start_child(write_hello, name, &ready, &go);
    CHECK(gate_wait(&ready));
    gate_open(&go);
    CHECK_EQ(poll(&p, 1, 5000), 1);
    CHECK_EQ(shmring_cell_wait(c, 1, 5000000000LL), 2); /* seen: the descriptor quietens */
    CHECK_EQ(shmring_cell_read(c, buf, sizeof buf, &version), 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    CHECK_EQ(version, 2);
    CHECK(child_succeeded(writer));
    for (int i = 0; i < 100 && poll(&p, 1, 0) != 0; ++i) sleep_ms(1); /* the helper rearms */
    CHECK_EQ(poll(&p, 1, 0), 0);
    gate_close(&ready);
    gate_close(&go);
    shmring_cell_close(c);
    CHECK_EQ(shmring_unlink(name), 0);
    CHECK_EQ(shmring_unlink(other), 0);
    CHECK_EQ(shmring_cell_open(name, &c), -ENOENT);
}

/* ---- locks ------------------------------------------------------------------------------------- */

static void hold_for_ever(const char *name, gate *held, gate *unused) {
    (void)unused;
    shmring_lock *l = NULL;
    CHECK_EQ(shmring_lock_open(name, &l), 0);
    CHECK_EQ(shmring_lock_acquire(l, -1), 0);
    gate_open(held);
    for (;;) pause();
}

static void test_locks(void) {
    char name[128], other[128];
    ring_name(name, sizeof name, "lock");
    ring_name(other, sizeof other, "lock-sem");
    shmring_lock *a = NULL, *b = NULL;
    CHECK_EQ(shmring_lock_create(NULL, 0), -EINVAL);
    CHECK_EQ(shmring_lock_open(name, &a), -ENOENT);
    CHECK_EQ(shmring_lock_create(name, 0), 0);
    CHECK_EQ(shmring_lock_create(name, 0), -EEXIST);
    CHECK_EQ(shmring_sem_create(other, 0, 1, 0), 0);
    CHECK_EQ(shmring_lock_open(other, &a), -EPROTO);
    CHECK_EQ(shmring_lock_open(name, &a), 0);
    CHECK_EQ(shmring_lock_open(name, &b), 0);
    if (a == NULL || b == NULL) return;

    CHECK_EQ(shmring_lock_release(a), -EPERM);
    CHECK_EQ(shmring_lock_acquire(a, 0), 0);
    CHECK_EQ(shmring_lock_acquire(a, 0), -EDEADLK);
    CHECK_EQ(shmring_lock_acquire(b, 0), -EAGAIN);
    CHECK_EQ(shmring_lock_acquire(b, 20000000), -ETIMEDOUT);
    CHECK_EQ(shmring_lock_release(b), -EPERM);
    CHECK_EQ(shmring_lock_release(a), 0);
    CHECK_EQ(shmring_lock_acquire(b, -1), 0);
    CHECK_EQ(shmring_lock_release(b), 0);

    /* A holder killed while holding: the next acquirer learns it, repairs, and goes on. */
    gate held;
    gate_make(&held);
    const pid_t holder = start_child(hold_for_ever, name, &held, NULL);
    CHECK(gate_wait(&held));
    const int64_t killed = now_ns();
    kill(holder, SIGKILL);
    CHECK_EQ(shmring_lock_acquire(a, 5000000000LL), -EOWNERDEAD);
    CHECK(now_ns() - killed < 250000000LL);
    waitpid(holder, NULL, 0);
    CHECK_EQ(shmring_lock_consistent(b), -EPERM);
    CHECK_EQ(shmring_lock_consistent(a), 0);
    CHECK_EQ(shmring_lock_release(a), 0);
    CHECK_EQ(shmring_lock_acquire(b, 0), 0);

    /* Closed while held: as a death. Released unrepaired: not recoverable, for everyone. */
    shmring_lock_close(b);
    CHECK_EQ(shmring_lock_acquire(a, 1000000000LL), -EOWNERDEAD);
    CHECK_EQ(shmring_lock_release(a), 0);
    CHECK_EQ(shmring_lock_acquire(a, 0), -ENOTRECOVERABLE);
    CHECK_EQ(shmring_lock_open(name, &b), 0);
    CHECK_EQ(shmring_lock_acquire(b, -1), -ENOTRECOVERABLE);
    CHECK_EQ(shmring_lock_release(b), -EPERM);
    shmring_lock_close(a);
    shmring_lock_close(b);
    gate_close(&held);
    CHECK_EQ(shmring_unlink(name), 0);
    CHECK_EQ(shmring_unlink(other), 0);
}

/* ---- semaphores -------------------------------------------------------------------------------- */

static void post_once(const char *name, gate *ready, gate *go) {
    shmring_sem *s = NULL;
    CHECK_EQ(shmring_sem_open(name, &s), 0);
    gate_open(ready);
    CHECK(gate_wait(go));
    sleep_ms(20);
    CHECK_EQ(shmring_sem_post(s), 0);
    shmring_sem_close(s);
}

static void test_semaphores(void) {
    char name[128], other[128];
    ring_name(name, sizeof name, "sem");
    ring_name(other, sizeof other, "sem-cell");
    shmring_sem *s = NULL;
    CHECK_EQ(shmring_sem_create(name, 0, 0, 0), -EINVAL);
    CHECK_EQ(shmring_sem_create(name, 3, 2, 0), -EINVAL);
    CHECK_EQ(shmring_sem_create(name, 0, 0x80000000U, 0), -EINVAL);
    CHECK_EQ(shmring_sem_open(name, &s), -ENOENT);
    CHECK_EQ(shmring_sem_create(name, 1, 2, 0), 0);
    CHECK_EQ(shmring_sem_create(name, 1, 2, 0), -EEXIST);
    CHECK_EQ(shmring_cell_create(other, 8, 0), 0);
    CHECK_EQ(shmring_sem_open(other, &s), -EPROTO);
    CHECK_EQ(shmring_sem_open(name, &s), 0);
    if (s == NULL) return;
    CHECK_EQ(shmring_sem_value(s), 1);
    CHECK_EQ(shmring_sem_post(s), 0);
    CHECK_EQ(shmring_sem_post(s), -EOVERFLOW);
    CHECK_EQ(shmring_sem_value(s), 2);
    const int fd = shmring_sem_fd(s);
    CHECK(fd >= 0);
    struct pollfd p = {fd, POLLIN, 0};
    CHECK_EQ(poll(&p, 1, 5000), 1);
    CHECK_EQ(shmring_sem_wait(s, 0), 0);
    CHECK_EQ(shmring_sem_wait(s, -1), 0);
    CHECK_EQ(shmring_sem_wait(s, 0), -EAGAIN); /* rearms the descriptor */
    CHECK_EQ(shmring_sem_wait(s, 20000000), -ETIMEDOUT);
    CHECK_EQ(poll(&p, 1, 0), 0);

    /* A post in another process wakes a waiter, and the descriptor. */
    gate ready, go;
    gate_make(&ready);
    gate_make(&go);
    const pid_t poster = start_child(post_once, name, &ready, &go);
    CHECK(gate_wait(&ready));
    gate_open(&go);
    CHECK_EQ(poll(&p, 1, 5000), 1);
    CHECK_EQ(shmring_sem_wait(s, 5000000000LL), 0);
    CHECK_EQ(shmring_sem_value(s), 0);
    CHECK(child_succeeded(poster));
    gate_close(&ready);
    gate_close(&go);
    shmring_sem_close(s);
    CHECK_EQ(shmring_unlink(name), 0);
    CHECK_EQ(shmring_unlink(other), 0);
}

int main(void) {
    test_cells();
    test_locks();
    test_semaphores();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
