/* The C API used from C: every function of shmring.h for pipes and queues, with the peer in a
 * forked process, and every error code the header documents. Prints one line per failed check and
 * a final "N passed, M failed"; exits non-zero on any failure. */
#define _GNU_SOURCE /* fork, kill, prctl, pipe2, chown */

#include "c_test_support.h"

/* ---- names and parameters ------------------------------------------------------------------ */

static void test_names_and_parameters(void) {
    char name[128];
    ring_name(name, sizeof name, "params");
    char long_name[202];
    memset(long_name, 'a', 201);
    long_name[201] = '\0';
    const char *bad_names[] = {"", "has/slash", "has space", "dollar$", long_name};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; ++i) {
        CHECK_EQ(shmring_pipe_create(bad_names[i], 4096, 0), -EINVAL);
        CHECK_EQ(shmring_queue_create(bad_names[i], 4, 16, SHMRING_SPSC, 0), -EINVAL);
        shmring_pipe *p = NULL;
        CHECK_EQ(shmring_pipe_open(bad_names[i], SHMRING_SENDER, &p), -EINVAL);
        shmring_queue *q = NULL;
        CHECK_EQ(shmring_queue_open(bad_names[i], SHMRING_RECEIVER, &q), -EINVAL);
        CHECK_EQ(shmring_unlink(bad_names[i]), -EINVAL);
    }
    CHECK_EQ(shmring_pipe_create(NULL, 4096, 0), -EINVAL);
    CHECK_EQ(shmring_queue_create(NULL, 4, 16, SHMRING_SPSC, 0), -EINVAL);
    CHECK_EQ(shmring_unlink(NULL), -EINVAL);

    /* Sizes, engines and modes out of range; nothing is left behind by a refused creation. */
    CHECK_EQ(shmring_pipe_create(name, 0, 0), -EINVAL);
    CHECK_EQ(shmring_pipe_create(name, 32, 0), -EINVAL);
    CHECK_EQ(shmring_pipe_create(name, ((size_t)1 << 30) + 1, 0), -EINVAL);
    CHECK_EQ(shmring_pipe_create(name, 4096, 0400), -EINVAL);  /* the owner must keep read and write */
    CHECK_EQ(shmring_pipe_create(name, 4096, 01600), -EINVAL); /* permission bits only */
    CHECK_EQ(shmring_queue_create(name, 0, 16, SHMRING_SPSC, 0), -EINVAL);
    CHECK_EQ(shmring_queue_create(name, 4, 0, SHMRING_SPSC, 0), -EINVAL);
    CHECK_EQ(shmring_queue_create(name, 4, ((size_t)1 << 20) + 1, SHMRING_MPMC, 0), -EINVAL);
    CHECK_EQ(shmring_queue_create(name, 4, 16, 2, 0), -EINVAL);
    CHECK_EQ(shmring_unlink(name), -ENOENT);

    /* Opening what does not exist. */
    shmring_pipe *p = NULL;
    shmring_queue *q = NULL;
    CHECK_EQ(shmring_pipe_open(name, SHMRING_RECEIVER, &p), -ENOENT);
    CHECK_EQ(shmring_queue_open(name, SHMRING_SENDER, &q), -ENOENT);

    /* Created, then created again; the mode is applied exactly. */
    CHECK_EQ(shmring_pipe_create(name, 100, 0640), 0);
    CHECK_EQ(shmring_pipe_create(name, 4096, 0), -EEXIST);
    CHECK_EQ(shmring_queue_create(name, 4, 16, SHMRING_MPMC, 0), -EEXIST);
    char path[256];
    snprintf(path, sizeof path, "/dev/shm/shmring.%s", name);
    struct stat st;
    CHECK_EQ(stat(path, &st), 0);
    CHECK_EQ(st.st_mode & 0777, 0640);
    CHECK_EQ(shmring_pipe_open(name, 0, &p), -EINVAL);
    CHECK_EQ(shmring_pipe_open(name, 3, &p), -EINVAL);
    CHECK_EQ(shmring_pipe_open(name, SHMRING_SENDER, NULL), -EINVAL);
    CHECK_EQ(shmring_pipe_open(NULL, SHMRING_SENDER, &p), -EINVAL);
    CHECK_EQ(shmring_unlink(name), 0);
    CHECK_EQ(shmring_unlink(name), -ENOENT);

    /* Calls on no handle; closing no handle is allowed. */
    char byte = 0;
    CHECK_EQ(shmring_pipe_write(NULL, &byte, 1, 0), -EINVAL);
    CHECK_EQ(shmring_pipe_read(NULL, &byte, 1, 0), -EINVAL);
    CHECK_EQ(shmring_pipe_set_wait(NULL, SHMRING_WAIT_BLOCK), -EINVAL);
    CHECK_EQ(shmring_pipe_fd(NULL), -EINVAL);
    CHECK_EQ(shmring_queue_send(NULL, &byte, 1, 0), -EINVAL);
    CHECK_EQ(shmring_queue_receive(NULL, &byte, 1, 0), -EINVAL);
    CHECK_EQ(shmring_queue_set_wait(NULL, SHMRING_WAIT_BLOCK), -EINVAL);
    CHECK_EQ(shmring_queue_fd(NULL), -EINVAL);
    CHECK_EQ(shmring_queue_max_message_size(NULL), -EINVAL);
    shmring_pipe_close(NULL);
    shmring_queue_close(NULL);
}

/* ---- EPROTO: the wrong kind of ring, or no ring at all -------------------------------------- */

static void test_not_what_was_asked_for(void) {
    char pipe_name[128], queue_name[128], junk_name[128];
    ring_name(pipe_name, sizeof pipe_name, "proto-pipe");
    ring_name(queue_name, sizeof queue_name, "proto-queue");
    ring_name(junk_name, sizeof junk_name, "proto-junk");
    CHECK_EQ(shmring_pipe_create(pipe_name, 4096, 0), 0);
    CHECK_EQ(shmring_queue_create(queue_name, 4, 16, SHMRING_SPSC, 0), 0);
    shmring_pipe *p = NULL;
    shmring_queue *q = NULL;
    CHECK_EQ(shmring_pipe_open(queue_name, SHMRING_SENDER, &p), -EPROTO);
    CHECK_EQ(shmring_queue_open(pipe_name, SHMRING_RECEIVER, &q), -EPROTO);

    /* A file in the rings' namespace that no shmring call made. */
    char path[256];
    snprintf(path, sizeof path, "/dev/shm/shmring.%s", junk_name);
    const int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    if (fd >= 0) {
        char junk[8192];
        memset(junk, 0x5a, sizeof junk);
        CHECK_EQ(write(fd, junk, sizeof junk), (long long)sizeof junk);
        close(fd);
    }
    CHECK_EQ(shmring_pipe_open(junk_name, SHMRING_RECEIVER, &p), -EPROTO);
    CHECK_EQ(shmring_queue_open(junk_name, SHMRING_SENDER, &q), -EPROTO);
    CHECK_EQ(shmring_unlink(junk_name), 0);
    CHECK_EQ(shmring_unlink(pipe_name), 0);
    CHECK_EQ(shmring_unlink(queue_name), 0);
}

/* ---- EACCES: a ring this process may not use ----------------------------------------------- */

static void test_permission_denied(void) {
    char name[128];
    ring_name(name, sizeof name, "access");
    CHECK_EQ(shmring_pipe_create(name, 4096, 0), 0);
    char path[256];
    snprintf(path, sizeof path, "/dev/shm/shmring.%s", name);
    /* Root passes every permission check, so it gets a ring owned by someone else (refused by
     * shmring itself); anyone else gets one they have no permission on (refused by the system). */
    if (geteuid() == 0) {
        CHECK_EQ(chown(path, 65534, 65534), 0);
    } else {
        CHECK_EQ(chmod(path, 0), 0);
    }
    shmring_pipe *p = NULL;
    CHECK_EQ(shmring_pipe_open(name, SHMRING_SENDER, &p), -EACCES);
    CHECK(p == NULL);
    CHECK_EQ(shmring_unlink(name), 0);
}

/* ---- pipes across two processes ------------------------------------------------------------ */

/* Writes 0, 1, 2, ... 99999 as bytes mod 251, in writes of 1000, then closes. */
static void pipe_writer(const char *name, gate *attached, gate *unused) {
    (void)unused;
    shmring_pipe *p = NULL;
    CHECK_EQ(shmring_pipe_open(name, SHMRING_SENDER, &p), 0);
    if (p == NULL) return;
    CHECK_EQ(shmring_pipe_set_wait(p, SHMRING_WAIT_BLOCK), 0);
    gate_open(attached);
    unsigned char chunk[1000];
    for (int i = 0; i < 100; ++i) {
        for (int j = 0; j < 1000; ++j) chunk[j] = (unsigned char)((i * 1000 + j) % 251);
        CHECK_EQ(shmring_pipe_write(p, chunk, sizeof chunk, 0), 1000);
    }
    CHECK_EQ(shmring_pipe_read(p, chunk, 1, 0), -EBADF); /* a writer does not read */
    shmring_pipe_close(p);
}

static void test_pipe_stream_and_eof(void) {
    char name[128];
    ring_name(name, sizeof name, "pipe-stream");
    CHECK_EQ(shmring_pipe_create(name, 4096, 0), 0);
    shmring_pipe *reader = NULL;
    CHECK_EQ(shmring_pipe_open(name, SHMRING_RECEIVER, &reader), 0);
    if (reader == NULL) return;
    unsigned char buffer[777];
    CHECK_EQ(shmring_pipe_read(reader, buffer, sizeof buffer, SHMRING_NONBLOCK), -EAGAIN);
    CHECK_EQ(shmring_pipe_read(reader, buffer, sizeof buffer, 2), -EINVAL);
    CHECK_EQ(shmring_pipe_read(reader, NULL, 1, 0), -EINVAL);
    CHECK_EQ(shmring_pipe_write(reader, buffer, 1, 0), -EBADF); /* a reader does not write */
    CHECK_EQ(shmring_pipe_set_wait(reader, SHMRING_WAIT_SPIN), 0);
    CHECK_EQ(shmring_pipe_set_wait(reader, SHMRING_WAIT_ADAPTIVE), 0);
    CHECK_EQ(shmring_pipe_set_wait(reader, 3), -EINVAL);

    gate attached;
    gate_make(&attached);
    const pid_t writer = start_child(pipe_writer, name, &attached, NULL);
    CHECK(gate_wait(&attached));
    /* Asked for after the fork: the descriptor's helper thread is not something to fork with. */
    const int fd = shmring_pipe_fd(reader);
    CHECK(fd >= 0);
    CHECK_EQ(shmring_pipe_fd(reader), fd); /* one descriptor per pipe */
    /* The descriptor fires on data; then read until EAGAIN (or end of file) before polling again. */
    long long total = 0;
    int in_order = 1;
    int at_eof = 0;
    while (!at_eof) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 10000) != 1) break;
        for (;;) {
            const ssize_t n = shmring_pipe_read(reader, buffer, sizeof buffer, SHMRING_NONBLOCK);
            if (n == -EAGAIN) break;
            if (n <= 0) {
                at_eof = n == 0;
                break;
            }
            for (ssize_t i = 0; i < n; ++i) in_order &= buffer[i] == (unsigned char)((total + i) % 251);
            total += n;
        }
    }
    CHECK(at_eof);
    CHECK_EQ(total, 100000);
    CHECK(in_order);
    CHECK_EQ(shmring_pipe_read(reader, buffer, sizeof buffer, 0), 0); /* end of file stays */
    CHECK(child_succeeded(writer));
    gate_close(&attached);
    shmring_pipe_close(reader);
    CHECK_EQ(shmring_unlink(name), 0);
}

/* Holds the writer role until told to let go. */
static void pipe_holder(const char *name, gate *holding, gate *release) {
    shmring_pipe *p = NULL;
    CHECK_EQ(shmring_pipe_open(name, SHMRING_SENDER, &p), 0);
    gate_open(holding);
    CHECK(gate_wait(release));
    shmring_pipe_close(p);
}

static void test_pipe_busy(void) {
    char name[128];
    ring_name(name, sizeof name, "pipe-busy");
    CHECK_EQ(shmring_pipe_create(name, 4096, 0), 0);
    gate holding, release;
    gate_make(&holding);
    gate_make(&release);
    const pid_t holder = start_child(pipe_holder, name, &holding, &release);
    CHECK(gate_wait(&holding));
    shmring_pipe *second = NULL;
    CHECK_EQ(shmring_pipe_open(name, SHMRING_SENDER, &second), -EBUSY);
    CHECK(second == NULL);
    gate_open(&release);
    CHECK(child_succeeded(holder));
    CHECK_EQ(shmring_pipe_open(name, SHMRING_SENDER, &second), 0); /* given back by its holder */
    shmring_pipe_close(second);
    gate_close(&holding);
    gate_close(&release);
    CHECK_EQ(shmring_unlink(name), 0);
}

/* Reads 10 bytes, closes, says so, and stays alive until told to go. */
static void pipe_short_reader(const char *name, gate *closed, gate *go) {
    shmring_pipe *p = NULL;
    CHECK_EQ(shmring_pipe_open(name, SHMRING_RECEIVER, &p), 0);
    if (p == NULL) return;
    char buffer[10];
    size_t got = 0;
    while (got < sizeof buffer) {
        const ssize_t n = shmring_pipe_read(p, buffer + got, sizeof buffer - got, 0);
        CHECK(n > 0);
        if (n <= 0) break;
        got += (size_t)n;
    }
    shmring_pipe_close(p);
    gate_open(closed);
    CHECK(gate_wait(go));
}

static void test_pipe_full_partial_and_epipe(void) {
    char name[128];
    ring_name(name, sizeof name, "pipe-epipe");
    CHECK_EQ(shmring_pipe_create(name, 4096, 0), 0);
    shmring_pipe *writer = NULL;
    CHECK_EQ(shmring_pipe_open(name, SHMRING_SENDER, &writer), 0);
    if (writer == NULL) return;
    gate closed, go;
    gate_make(&closed);
    gate_make(&go);
    const pid_t reader = start_child(pipe_short_reader, name, &closed, &go);

    char data[3000];
    memset(data, 'x', sizeof data);
    CHECK_EQ(shmring_pipe_write(writer, data, sizeof data, 2), -EINVAL);
    CHECK_EQ(shmring_pipe_write(writer, NULL, 1, 0), -EINVAL);
    CHECK_EQ(shmring_pipe_write(writer, data, 0, 0), 0);
    CHECK_EQ(shmring_pipe_write(writer, data, sizeof data, SHMRING_NONBLOCK), 3000);
    const ssize_t partial = shmring_pipe_write(writer, data, sizeof data, SHMRING_NONBLOCK);
    CHECK(partial > 0 && partial < 3000);
    CHECK_EQ(shmring_pipe_write(writer, data, 1, SHMRING_NONBLOCK), -EAGAIN);

    /* The reader takes 10 bytes and closes: the next write is EPIPE, and no SIGPIPE comes. */
    CHECK(gate_wait(&closed));
    CHECK_EQ(shmring_pipe_write(writer, data, 1, 0), -EPIPE);
    CHECK_EQ(shmring_pipe_write(writer, data, 1, SHMRING_NONBLOCK), -EPIPE);
    gate_open(&go);
    CHECK(child_succeeded(reader));
    gate_close(&closed);
    gate_close(&go);
    shmring_pipe_close(writer);
    CHECK_EQ(shmring_unlink(name), 0);
}

/* ---- queues across two processes ----------------------------------------------------------- */

/* Sends messages of 1..16 bytes, each byte its length, then one of the maximum size. */
static void queue_sender(const char *name, gate *attached, gate *unused) {
    (void)unused;
    shmring_queue *q = NULL;
    CHECK_EQ(shmring_queue_open(name, SHMRING_SENDER, &q), 0);
    if (q == NULL) return;
    gate_open(attached);
    CHECK_EQ(shmring_queue_max_message_size(q), 16);
    char message[17];
    memset(message, 0, sizeof message);
    CHECK_EQ(shmring_queue_send(q, message, 17, -1), -EMSGSIZE); /* nothing is sent */
    CHECK_EQ(shmring_queue_send(q, NULL, 1, -1), -EINVAL);
    CHECK_EQ(shmring_queue_receive(q, message, sizeof message, 0), -EBADF); /* a sender does not receive */
    for (int length = 1; length <= 16; ++length) {
        memset(message, length, (size_t)length);
        CHECK_EQ(shmring_queue_send(q, message, (size_t)length, 5000000000LL), 0);
    }
    shmring_queue_close(q);
}

static void test_queue_messages(int engine) {
    char name[128];
    ring_name(name, sizeof name, engine == SHMRING_SPSC ? "queue-spsc" : "queue-mpmc");
    CHECK_EQ(shmring_queue_create(name, 4, 16, engine, 0), 0);
    shmring_queue *receiver = NULL;
    CHECK_EQ(shmring_queue_open(name, SHMRING_RECEIVER, &receiver), 0);
    if (receiver == NULL) return;
    CHECK_EQ(shmring_queue_set_wait(receiver, SHMRING_WAIT_BLOCK), 0);
    CHECK_EQ(shmring_queue_set_wait(receiver, -1), -EINVAL);
    CHECK_EQ(shmring_queue_max_message_size(receiver), 16);
    char buffer[16];
    CHECK_EQ(shmring_queue_receive(receiver, buffer, sizeof buffer, 0), -EAGAIN);
    const int64_t started = now_ns();
    CHECK_EQ(shmring_queue_receive(receiver, buffer, sizeof buffer, 50000000), -ETIMEDOUT);
    CHECK(now_ns() - started >= 50000000);
    CHECK_EQ(shmring_queue_receive(receiver, NULL, 1, 0), -EINVAL);
    CHECK_EQ(shmring_queue_send(receiver, buffer, 1, 0), -EBADF); /* a receiver does not send */

    gate attached;
    gate_make(&attached);
    const pid_t sender = start_child(queue_sender, name, &attached, NULL);
    CHECK(gate_wait(&attached));
    const int fd = shmring_queue_fd(receiver);
    CHECK(fd >= 0);
    int length = 1;
    /* A buffer one byte short of the next message: EMSGSIZE, and the message is still there. */
    struct pollfd p = {fd, POLLIN, 0};
    CHECK_EQ(poll(&p, 1, 10000), 1);
    CHECK_EQ(shmring_queue_receive(receiver, buffer, 0, 5000000000LL), -EMSGSIZE);
    while (length <= 16) {
        const ssize_t n = shmring_queue_receive(receiver, buffer, sizeof buffer, 5000000000LL);
        if (n != length) {
            CHECK_EQ(n, length);
            break;
        }
        int same = 1;
        for (int i = 0; i < length; ++i) same &= buffer[i] == (char)length;
        CHECK(same);
        if (length < 16) CHECK_EQ(shmring_queue_receive(receiver, buffer, (size_t)length, 5000000000LL), -EMSGSIZE);
        ++length;
    }
    CHECK_EQ(length, 17);
    CHECK(child_succeeded(sender));
    CHECK_EQ(shmring_queue_receive(receiver, buffer, sizeof buffer, 0), -EAGAIN);
    gate_close(&attached);
    shmring_queue_close(receiver);
    CHECK_EQ(shmring_unlink(name), 0);
}

/* Holds a queue's receiver role, receiving nothing, until told to go. */
static void queue_idle_receiver(const char *name, gate *attached, gate *go) {
    shmring_queue *q = NULL;
    CHECK_EQ(shmring_queue_open(name, SHMRING_RECEIVER, &q), 0);
    gate_open(attached);
    CHECK(gate_wait(go));
    shmring_queue_close(q);
}

static void test_queue_full_busy_and_timeout(int engine) {
    char name[128];
    ring_name(name, sizeof name, engine == SHMRING_SPSC ? "queue-full-spsc" : "queue-full-mpmc");
    CHECK_EQ(shmring_queue_create(name, 4, 16, engine, 0), 0);
    gate attached, go;
    gate_make(&attached);
    gate_make(&go);
    const pid_t receiver = start_child(queue_idle_receiver, name, &attached, &go);
    CHECK(gate_wait(&attached));
    shmring_queue *sender = NULL;
    CHECK_EQ(shmring_queue_open(name, SHMRING_SENDER, &sender), 0);
    if (sender != NULL) {
        CHECK_EQ(shmring_queue_set_wait(sender, SHMRING_WAIT_ADAPTIVE), 0);
        CHECK(shmring_queue_fd(sender) >= 0);
        /* SPSC: one sender and one receiver; MPMC: any number of each. */
        shmring_queue *second_sender = NULL, *second_receiver = NULL;
        const int expected = engine == SHMRING_SPSC ? -EBUSY : 0;
        CHECK_EQ(shmring_queue_open(name, SHMRING_SENDER, &second_sender), expected);
        CHECK_EQ(shmring_queue_open(name, SHMRING_RECEIVER, &second_receiver), expected);
        shmring_queue_close(second_sender);
        shmring_queue_close(second_receiver);

        const char message[16] = "sixteen bytes...";
        int sent = 0;
        while (sent < 1000 && shmring_queue_send(sender, message, sizeof message, 0) == 0) ++sent;
        CHECK_EQ(sent, 4); /* the queue holds what it was created for, with either engine */
        CHECK_EQ(shmring_queue_send(sender, message, sizeof message, 0), -EAGAIN);
        const int64_t started = now_ns();
        CHECK_EQ(shmring_queue_send(sender, message, sizeof message, 50000000), -ETIMEDOUT);
        CHECK(now_ns() - started >= 50000000);
        shmring_queue_close(sender);
    }
    gate_open(&go);
    CHECK(child_succeeded(receiver));
    gate_close(&attached);
    gate_close(&go);
    CHECK_EQ(shmring_unlink(name), 0);
}

/* ---- queues hold what they were created for ------------------------------------------------ */

/* A new queue of this run (name[128] receives its name) with both ends open in this process;
 * false if any step failed. */
static int open_queue_ends(const char *stem, int engine, size_t max_messages, size_t max_size, char *name, shmring_queue **sender,
                           shmring_queue **receiver) {
    char full_stem[64];
    snprintf(full_stem, sizeof full_stem, "%s-%s", stem, engine == SHMRING_SPSC ? "spsc" : "mpmc");
    ring_name(name, 128, full_stem);
    *sender = *receiver = NULL;
    CHECK_EQ(shmring_queue_create(name, max_messages, max_size, engine, 0), 0);
    CHECK_EQ(shmring_queue_open(name, SHMRING_SENDER, sender), 0);
    CHECK_EQ(shmring_queue_open(name, SHMRING_RECEIVER, receiver), 0);
    return *sender != NULL && *receiver != NULL;
}

/* As mq_maxmsg: 16 messages, however small, then EAGAIN; one received makes room for one. */
static void test_queue_bound(int engine) {
    char name[128];
    shmring_queue *sender, *receiver;
    if (!open_queue_ends("bound", engine, 16, 64, name, &sender, &receiver)) return;
    int sent = 0;
    while (sent < 100 && shmring_queue_send(sender, "x", 1, 0) == 0) ++sent;
    CHECK_EQ(sent, 16);
    char buffer[64];
    CHECK_EQ(shmring_queue_receive(receiver, buffer, sizeof buffer, 0), 1);
    CHECK_EQ(shmring_queue_send(sender, buffer, sizeof buffer, 0), 0); /* the largest size, in the room of one */
    CHECK_EQ(shmring_queue_send(sender, "x", 1, 0), -EAGAIN);
    shmring_queue_close(sender);
    shmring_queue_close(receiver);
    CHECK_EQ(shmring_unlink(name), 0);
}

/* ---- zero copy ----------------------------------------------------------------------------- */

static void test_queue_zero_copy(int engine) {
    char name[128];
    shmring_queue *sender, *receiver;
    if (!open_queue_ends("zero-copy", engine, 4, 32, name, &sender, &receiver)) return;
    void *room = NULL;
    size_t cap = 0;
    const void *message = NULL;

    /* Misuse: EINVAL, and nothing wedged. */
    CHECK_EQ(shmring_queue_commit(sender, 1), -EINVAL);
    CHECK_EQ(shmring_queue_release(receiver), -EINVAL);
    CHECK_EQ(shmring_queue_commit(NULL, 1), -EINVAL);
    CHECK_EQ(shmring_queue_release(NULL), -EINVAL);
    CHECK_EQ(shmring_queue_loan(sender, NULL, &cap, 0), -EINVAL);
    CHECK_EQ(shmring_queue_peek(receiver, NULL, 0), -EINVAL);
    CHECK_EQ(shmring_queue_loan(receiver, &room, &cap, 0), -EBADF);
    CHECK_EQ(shmring_queue_peek(sender, &message, 0), -EBADF);
    CHECK_EQ(shmring_queue_commit(receiver, 1), -EBADF);
    CHECK_EQ(shmring_queue_release(sender), -EBADF);
    shmring_queue_abort(sender); /* no loan: nothing happens */
    shmring_queue_abort(NULL);
    CHECK_EQ(shmring_queue_peek(receiver, &message, 0), -EAGAIN);
    const int64_t started = now_ns();
    CHECK_EQ(shmring_queue_peek(receiver, &message, 20000000), -ETIMEDOUT);
    CHECK(now_ns() - started >= 20000000);

    /* A loan, a second loan refused, an oversized commit refused with the loan kept, a commit. */
    CHECK_EQ(shmring_queue_loan(sender, &room, &cap, 0), 0);
    CHECK_EQ(cap, 32);
    void *second = NULL;
    size_t second_cap = 0;
    CHECK_EQ(shmring_queue_loan(sender, &second, &second_cap, 0), -EINVAL);
    CHECK_EQ(shmring_queue_send(sender, "x", 1, 0), -EINVAL);
    memcpy(room, "in place", 8);
    CHECK_EQ(shmring_queue_commit(sender, 33), -EMSGSIZE);
    CHECK_EQ(shmring_queue_commit(sender, 8), 0);
    CHECK_EQ(shmring_queue_commit(sender, 8), -EINVAL);

    /* A peek, a second peek refused, the message still there until release. */
    CHECK_EQ(shmring_queue_peek(receiver, &message, 0), 8);
    CHECK(message != NULL && memcmp(message, "in place", 8) == 0);
    CHECK_EQ(shmring_queue_peek(receiver, &message, 0), -EINVAL);
    char buffer[32];
    CHECK_EQ(shmring_queue_receive(receiver, buffer, sizeof buffer, 0), -EINVAL);
    CHECK_EQ(shmring_queue_release(receiver), 0);
    CHECK_EQ(shmring_queue_release(receiver), -EINVAL);
    CHECK_EQ(shmring_queue_peek(receiver, &message, 0), -EAGAIN);

    /* An aborted loan sends nothing; the next loan works. */
    CHECK_EQ(shmring_queue_loan(sender, &room, &cap, 0), 0);
    shmring_queue_abort(sender);
    CHECK_EQ(shmring_queue_peek(receiver, &message, 0), -EAGAIN);

    /* Loans count against the bound like sends; a full queue refuses a loan, or times out. */
    int loaned = 0;
    while (loaned < 10 && shmring_queue_loan(sender, &room, &cap, 0) == 0) {
        memset(room, loaned, 1);
        CHECK_EQ(shmring_queue_commit(sender, 1), 0);
        ++loaned;
    }
    CHECK_EQ(loaned, 4);
    CHECK_EQ(shmring_queue_loan(sender, &room, &cap, 20000000), -ETIMEDOUT);
    for (int i = 0; i < 4; ++i) {
        CHECK_EQ(shmring_queue_peek(receiver, &message, 0), 1);
        CHECK(message != NULL && *(const char *)message == (char)i);
        CHECK_EQ(shmring_queue_release(receiver), 0);
    }

    /* A handle closed with its loan open leaves the queue usable. */
    CHECK_EQ(shmring_queue_loan(sender, &room, &cap, 0), 0);
    shmring_queue_close(sender);
    sender = NULL;
    CHECK_EQ(shmring_queue_open(name, SHMRING_SENDER, &sender), 0);
    CHECK_EQ(shmring_queue_send(sender, "after", 5, 0), 0);
    CHECK_EQ(shmring_queue_receive(receiver, buffer, sizeof buffer, 1000000000), 5);
    CHECK(memcmp(buffer, "after", 5) == 0);
    shmring_queue_close(sender);
    shmring_queue_close(receiver);
    CHECK_EQ(shmring_unlink(name), 0);
}

/* ---- batches across two processes --------------------------------------------------------- */

enum { kBatchMessages = 20000, kBatchMax = 48 };

/* Message i: its number, then bytes (i * 7 + k) up to a length of 8 + i % 41. */
static size_t batch_message(uint64_t i, unsigned char *out) {
    const size_t length = 8 + (size_t)(i % 41);
    memcpy(out, &i, sizeof i);
    for (size_t k = sizeof i; k < length; ++k) out[k] = (unsigned char)(i * 7 + k);
    return length;
}

/* Sends every message in batches of 1 to 13, with a timeout. */
static void batch_sender(const char *name, gate *attached, gate *unused) {
    (void)unused;
    shmring_queue *q = NULL;
    CHECK_EQ(shmring_queue_open(name, SHMRING_SENDER, &q), 0);
    if (q == NULL) return;
    gate_open(attached);
    unsigned char payloads[13][kBatchMax];
    struct iovec batch[13];
    uint64_t next = 0;
    while (next < kBatchMessages) {
        size_t count = 1 + (size_t)(next % 13);
        if (count > kBatchMessages - next) count = (size_t)(kBatchMessages - next);
        for (size_t k = 0; k < count; ++k) {
            batch[k].iov_base = payloads[k];
            batch[k].iov_len = batch_message(next + k, payloads[k]);
        }
        const ssize_t sent = shmring_queue_send_batch(q, batch, count, 10000000000LL);
        if (sent <= 0 || (size_t)sent > count) {
            CHECK_EQ(sent, (long long)count);
            break;
        }
        next += (uint64_t)sent;
    }
    shmring_queue_close(q);
}

static void test_queue_batches(int engine) {
    char name[128];
    ring_name(name, sizeof name, engine == SHMRING_SPSC ? "batch-spsc" : "batch-mpmc");
    CHECK_EQ(shmring_queue_create(name, 16, kBatchMax, engine, 0), 0);
    shmring_queue *receiver = NULL;
    CHECK_EQ(shmring_queue_open(name, SHMRING_RECEIVER, &receiver), 0);
    if (receiver == NULL) return;

    /* Edges, before the sender starts. */
    struct iovec none = {NULL, 0};
    CHECK_EQ(shmring_queue_receive_batch(receiver, &none, 0, 0), 0);
    CHECK_EQ(shmring_queue_receive_batch(receiver, NULL, 1, 0), -EINVAL);
    struct iovec bad = {NULL, 4};
    CHECK_EQ(shmring_queue_receive_batch(receiver, &bad, 1, 0), -EINVAL);
    unsigned char buffers[9][kBatchMax];
    struct iovec into[9];
    for (int k = 0; k < 9; ++k) into[k] = (struct iovec){buffers[k], kBatchMax};
    CHECK_EQ(shmring_queue_receive_batch(receiver, into, 9, 0), -EAGAIN);
    CHECK_EQ(shmring_queue_receive_batch(receiver, into, 9, 20000000), -ETIMEDOUT);
    CHECK_EQ(shmring_queue_send_batch(receiver, into, 1, 0), -EBADF);

    gate attached;
    gate_make(&attached);
    const pid_t sender = start_child(batch_sender, name, &attached, NULL);
    CHECK(gate_wait(&attached));
    uint64_t next = 0;
    long long mismatches = 0;
    unsigned char expected[kBatchMax];
    while (next < kBatchMessages) {
        const size_t count = 1 + (size_t)(next % 9);
        for (size_t k = 0; k < count; ++k) into[k] = (struct iovec){buffers[k], kBatchMax};
        const ssize_t received = shmring_queue_receive_batch(receiver, into, count, 10000000000LL);
        if (received <= 0 || (size_t)received > count) {
            CHECK(received > 0 && (size_t)received <= count);
            break;
        }
        for (ssize_t k = 0; k < received; ++k, ++next) {
            const size_t length = batch_message(next, expected);
            if (into[k].iov_len != length || memcmp(buffers[k], expected, length) != 0) ++mismatches;
        }
    }
    CHECK_EQ(next, kBatchMessages); /* every message once, in order, intact */
    CHECK_EQ(mismatches, 0);
    CHECK(child_succeeded(sender));
    CHECK_EQ(shmring_queue_receive_batch(receiver, into, 9, 0), -EAGAIN);

    /* A batch stops before a message longer than its buffer; when that is the first, EMSGSIZE. */
    shmring_queue *q = NULL;
    CHECK_EQ(shmring_queue_open(name, SHMRING_SENDER, &q), 0);
    if (q != NULL) {
        unsigned char big[kBatchMax + 1];
        memset(big, 1, sizeof big);
        struct iovec out[3] = {{big, 4}, {big, 5}, {big, kBatchMax + 1}};
        CHECK_EQ(shmring_queue_send_batch(q, out, 3, 0), 2);
        CHECK_EQ(shmring_queue_send_batch(q, out + 2, 1, 0), -EMSGSIZE);
        CHECK_EQ(shmring_queue_send_batch(q, out, 0, 0), 0);
        struct iovec small[2] = {{buffers[0], 4}, {buffers[1], 4}};
        CHECK_EQ(shmring_queue_receive_batch(receiver, small, 2, 0), 1);
        CHECK_EQ(small[0].iov_len, 4);
        CHECK_EQ(shmring_queue_receive_batch(receiver, small + 1, 1, 0), -EMSGSIZE);
        struct iovec enough = {buffers[1], 5};
        CHECK_EQ(shmring_queue_receive_batch(receiver, &enough, 1, 0), 1);
        CHECK_EQ(enough.iov_len, 5);
        /* A full queue: as many as fit, then EAGAIN. */
        struct iovec many[20];
        for (int k = 0; k < 20; ++k) many[k] = (struct iovec){big, 1};
        CHECK_EQ(shmring_queue_send_batch(q, many, 20, 0), 16);
        CHECK_EQ(shmring_queue_send_batch(q, many, 20, 0), -EAGAIN);
        shmring_queue_close(q);
    }
    gate_close(&attached);
    shmring_queue_close(receiver);
    CHECK_EQ(shmring_unlink(name), 0);
}

/* ---- sessions: a pipe served again and again, like a FIFO ---------------------------------- */

/* One session's writer: opens (then says so), waits for the go, writes "session N", closes. */
static int session_number;

static void session_writer(const char *name, gate *opened, gate *go) {
    shmring_pipe *p = NULL;
    CHECK_EQ(shmring_pipe_open(name, SHMRING_SENDER, &p), 0);
    if (p == NULL) return;
    gate_open(opened);
    if (go != NULL) CHECK(gate_wait(go));
    char text[32];
    const int length = snprintf(text, sizeof text, "session %d", session_number);
    CHECK_EQ(shmring_pipe_write(p, text, (size_t)length, 0), length);
    shmring_pipe_close(p);
}

/* One session's reader: opens (then says so), reads to end of file, checks "session N". */
static void session_reader(const char *name, gate *opened, gate *unused) {
    (void)unused;
    shmring_pipe *p = NULL;
    CHECK_EQ(shmring_pipe_open(name, SHMRING_RECEIVER, &p), 0);
    if (p == NULL) return;
    gate_open(opened);
    char text[64];
    size_t total = 0;
    for (;;) {
        const ssize_t n = shmring_pipe_read(p, text + total, sizeof text - 1 - total, 0);
        CHECK(n >= 0);
        if (n <= 0) break;
        total += (size_t)n;
    }
    text[total] = '\0';
    char expected[32];
    snprintf(expected, sizeof expected, "session %d", session_number);
    CHECK(strcmp(text, expected) == 0);
    shmring_pipe_close(p);
}

/* Ten sessions back to back on one pipe, in every start order: the reader first, the writer first
 * (it must wait for its reader, not get EPIPE from the last session's), and a writer that has
 * finished before its reader opens (the reader reads its bytes, then end of file). */
static void test_pipe_sessions(void) {
    char name[128];
    ring_name(name, sizeof name, "pipe-sessions");
    CHECK_EQ(shmring_pipe_create(name, 4096, 0), 0);
    for (session_number = 1; session_number <= 10; ++session_number) {
        gate opened, go;
        gate_make(&opened);
        gate_make(&go);
        pid_t writer = -1, reader = -1;
        switch (session_number % 3) {
            case 0: /* reader first */
                reader = start_child(session_reader, name, &opened, NULL);
                CHECK(gate_wait(&opened));
                sleep_ms(20);
                writer = start_child(session_writer, name, &go, NULL);
                break;
            case 1: /* writer first: it opens, then the reader, then it writes */
                writer = start_child(session_writer, name, &opened, &go);
                CHECK(gate_wait(&opened));
                sleep_ms(20);
                reader = start_child(session_reader, name, &go, NULL);
                break;
            default: /* the writer has finished before the reader opens */
                writer = start_child(session_writer, name, &opened, NULL);
                CHECK(child_succeeded(writer));
                writer = -1;
                reader = start_child(session_reader, name, &go, NULL);
                break;
        }
        if (writer > 0) CHECK(child_succeeded(writer));
        CHECK(child_succeeded(reader));
        gate_close(&opened);
        gate_close(&go);
    }
    CHECK_EQ(shmring_unlink(name), 0);
}

static void test_strerror(void) {
    const int codes[] = {EEXIST, ENOENT, EACCES, EINVAL, EBUSY, EAGAIN, ETIMEDOUT, EPIPE, EMSGSIZE, EBADF, EPROTO};
    const size_t count = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < count; ++i) {
        const char *text = shmring_strerror(-codes[i]);
        CHECK(text != NULL && text[0] != '\0');
        CHECK(text == NULL || strcmp(text, shmring_strerror(codes[i])) == 0); /* the sign does not matter */
        for (size_t j = 0; j < i; ++j) CHECK(text == NULL || strcmp(text, shmring_strerror(-codes[j])) != 0);
    }
    CHECK(shmring_strerror(0) != NULL);
    const char *other = shmring_strerror(-ENOSPC);
    CHECK(other != NULL && other[0] != '\0');
}

static void test_version(void) {
    char expected[32];
    snprintf(expected, sizeof expected, "%d.%d.%d", SHMRING_VERSION_MAJOR, SHMRING_VERSION_MINOR, SHMRING_VERSION_PATCH);
    const char *version = shmring_version();
    CHECK(version != NULL && strcmp(version, expected) == 0); /* the library is the header's */
}

int main(void) {
    test_names_and_parameters();
    test_not_what_was_asked_for();
    test_permission_denied();
    test_pipe_stream_and_eof();
    test_pipe_busy();
    test_pipe_full_partial_and_epipe();
    test_pipe_sessions();
    test_queue_messages(SHMRING_SPSC);
    test_queue_messages(SHMRING_MPMC);
    test_queue_full_busy_and_timeout(SHMRING_SPSC);
    test_queue_full_busy_and_timeout(SHMRING_MPMC);
    test_queue_bound(SHMRING_SPSC);
    test_queue_bound(SHMRING_MPMC);
    test_queue_zero_copy(SHMRING_SPSC);
    test_queue_zero_copy(SHMRING_MPMC);
    test_queue_batches(SHMRING_SPSC);
    test_queue_batches(SHMRING_MPMC);
    test_strerror();
    test_version();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
