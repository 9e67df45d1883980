/* The topic functions of the C API used from C: publishers and subscribers in forked processes,
 * lossless and lossy, copying and zero copy, subscribers and publishers that die, and every error
 * code the header documents for topics. Prints one line per failed check and a final
 * "N passed, M failed"; exits non-zero on any failure. */
#define _GNU_SOURCE /* fork, kill, prctl, pipe2 */

#include "c_test_support.h"

enum { kSize = 64 };

/* Message n (its sequence number) carries n in every 8-byte word: a torn copy shows. */
static void stamp(unsigned char *message, uint64_t n) {
    for (size_t i = 0; i < kSize; i += sizeof n) memcpy(message + i, &n, sizeof n);
}
static int intact(const unsigned char *message, uint64_t n) {
    for (size_t i = 0; i < kSize; i += sizeof n)
        if (memcmp(message + i, &n, sizeof n) != 0) return 0;
    return 1;
}

static shmring_topic *open_topic(const char *name, int role_and_flags) {
    shmring_topic *t = NULL;
    CHECK_EQ(shmring_topic_open(name, role_and_flags, &t), 0);
    return t;
}

/* ---- parameters, kinds and roles ------------------------------------------------------------ */

static void test_parameters_and_roles(void) {
    char name[128], queue[128];
    ring_name(name, sizeof name, "topic-params");
    ring_name(queue, sizeof queue, "topic-params-queue");
    shmring_topic *t = NULL;
    CHECK_EQ(shmring_topic_create(name, 4, kSize, 2, 0), -EINVAL);             /* no such policy */
    CHECK_EQ(shmring_topic_create(name, 0, kSize, SHMRING_LOSSLESS, 0), -EINVAL); /* no capacity */
    CHECK_EQ(shmring_topic_create(name, 4, 0, SHMRING_LOSSY, 0), -EINVAL);      /* no message size */
    CHECK_EQ(shmring_topic_create(name, 4, (1 << 20) + 1, SHMRING_LOSSY, 0), -EINVAL);
    CHECK_EQ(shmring_topic_create(NULL, 4, kSize, SHMRING_LOSSY, 0), -EINVAL);
    CHECK_EQ(shmring_topic_create("bad/name", 4, kSize, SHMRING_LOSSY, 0), -EINVAL);
    CHECK_EQ(shmring_topic_open(name, SHMRING_SUBSCRIBER, &t), -ENOENT);
    CHECK_EQ(shmring_topic_create(name, 4, kSize, SHMRING_LOSSLESS, 0), 0);
    CHECK_EQ(shmring_topic_create(name, 4, kSize, SHMRING_LOSSLESS, 0), -EEXIST);
    CHECK_EQ(shmring_topic_open(name, 3, &t), -EINVAL);
    CHECK_EQ(shmring_topic_open(name, SHMRING_PUBLISHER | SHMRING_FROM_OLDEST, &t), -EINVAL);
    CHECK_EQ(shmring_topic_open(name, SHMRING_SUBSCRIBER | 4, &t), -EINVAL);
    CHECK_EQ(shmring_topic_open(name, SHMRING_SUBSCRIBER, NULL), -EINVAL);
    CHECK(t == NULL);

    /* A queue is not a topic, nor a topic a queue. */
    CHECK_EQ(shmring_queue_create(queue, 4, kSize, SHMRING_MPMC, 0), 0);
    CHECK_EQ(shmring_topic_open(queue, SHMRING_SUBSCRIBER, &t), -EPROTO);
    CHECK_EQ(shmring_topic_open(queue, SHMRING_PUBLISHER, &t), -EPROTO);
    shmring_queue *q = NULL;
    CHECK_EQ(shmring_queue_open(name, SHMRING_RECEIVER, &q), -EPROTO);
    CHECK_EQ(shmring_unlink(queue), 0);

    shmring_topic *publisher = open_topic(name, SHMRING_PUBLISHER);
    shmring_topic *subscriber = open_topic(name, SHMRING_SUBSCRIBER);
    if (publisher == NULL || subscriber == NULL) return;
    CHECK_EQ(shmring_topic_open(name, SHMRING_PUBLISHER, &t), -EBUSY); /* one publisher at a time */
    unsigned char message[kSize + 1];
    const void *in_place = NULL;
    void *room = NULL;
    size_t cap = 0;
    uint64_t sequence = 0;
    /* The other role's calls. */
    CHECK_EQ(shmring_topic_publish(subscriber, message, 1, 0), -EBADF);
    CHECK_EQ(shmring_topic_loan(subscriber, &room, &cap, 0), -EBADF);
    CHECK_EQ(shmring_topic_commit(subscriber, 1), -EBADF);
    CHECK_EQ(shmring_topic_receive(publisher, message, kSize, &sequence, 0), -EBADF);
    CHECK_EQ(shmring_topic_peek(publisher, &in_place, &sequence, 0), -EBADF);
    CHECK_EQ(shmring_topic_release(publisher), -EBADF);
    CHECK_EQ(shmring_topic_lost(publisher), 0);
    CHECK_EQ(shmring_topic_lost(NULL), 0);
    /* Sizes, both ways; strategies. */
    CHECK_EQ(shmring_topic_publish(publisher, message, kSize + 1, 0), -EMSGSIZE);
    CHECK_EQ(shmring_topic_publish(publisher, NULL, 1, 0), -EINVAL);
    CHECK_EQ(shmring_topic_set_wait(publisher, SHMRING_WAIT_BLOCK), 0);
    CHECK_EQ(shmring_topic_set_wait(subscriber, 3), -EINVAL);
    CHECK_EQ(shmring_topic_receive(subscriber, message, kSize, &sequence, 0), -EAGAIN);
    const int64_t started = now_ns();
    CHECK_EQ(shmring_topic_receive(subscriber, message, kSize, &sequence, 20000000), -ETIMEDOUT);
    CHECK(now_ns() - started >= 20000000);
    stamp(message, 1);
    CHECK_EQ(shmring_topic_publish(publisher, message, kSize, 0), 0);
    CHECK_EQ(shmring_topic_receive(subscriber, message, kSize - 1, &sequence, 0), -EMSGSIZE); /* stays next */
    memset(message, 0, sizeof message);
    CHECK_EQ(shmring_topic_receive(subscriber, message, kSize, NULL, 0), kSize);
    CHECK(intact(message, 1));
    shmring_topic_close(publisher);
    shmring_topic_close(subscriber);
    shmring_topic_close(NULL);
    CHECK_EQ(shmring_unlink(name), 0);
}

/* ---- lossless fan-out across processes ------------------------------------------------------- */

enum { kFanOutMessages = 200000, kFanOutSubscribers = 3 };

/* Receives every message, alternating copies and peeks; checks numbers, order and content. */
static void fan_out_subscriber(const char *name, gate *attached, gate *unused) {
    (void)unused;
    shmring_topic *t = open_topic(name, SHMRING_SUBSCRIBER);
    if (t == NULL) return;
    gate_open(attached);
    int in_order = 1;
    uint64_t sum = 0;
    for (uint64_t n = 1; n <= kFanOutMessages && in_order; ++n) {
        uint64_t sequence = 0;
        unsigned char message[kSize];
        if (n % 2 == 0) {
            const ssize_t length = shmring_topic_receive(t, message, sizeof message, &sequence, 10000000000LL);
            in_order = length == kSize && sequence == n && intact(message, n);
        } else {
            const void *in_place = NULL;
            const ssize_t length = shmring_topic_peek(t, &in_place, &sequence, 10000000000LL);
            in_order = length == kSize && sequence == n && intact(in_place, n);
            CHECK_EQ(shmring_topic_release(t), 0);
        }
        sum += sequence;
    }
    CHECK(in_order);
    CHECK(sum == (uint64_t)kFanOutMessages * (kFanOutMessages + 1) / 2);
    shmring_topic_close(t);
}

static void test_lossless_fan_out(void) {
    char name[128];
    ring_name(name, sizeof name, "topic-fan-out");
    CHECK_EQ(shmring_topic_create(name, 64, kSize, SHMRING_LOSSLESS, 0), 0);
    gate attached;
    gate_make(&attached);
    pid_t children[kFanOutSubscribers];
    for (int i = 0; i < kFanOutSubscribers; ++i) children[i] = start_child(fan_out_subscriber, name, &attached, NULL);
    for (int i = 0; i < kFanOutSubscribers; ++i) CHECK(gate_wait(&attached));
    shmring_topic *publisher = open_topic(name, SHMRING_PUBLISHER);
    if (publisher != NULL) {
        unsigned char message[kSize];
        for (uint64_t n = 1; n <= kFanOutMessages; ++n) {
            if (n % 3 == 0) {
                void *room = NULL;
                size_t cap = 0;
                if (shmring_topic_loan(publisher, &room, &cap, 10000000000LL) != 0 || cap < kSize) {
                    CHECK(0);
                    break;
                }
                stamp(room, n);
                CHECK_EQ(shmring_topic_commit(publisher, kSize), 0);
            } else {
                stamp(message, n);
                if (shmring_topic_publish(publisher, message, kSize, 10000000000LL) != 0) {
                    CHECK(0);
                    break;
                }
            }
        }
    }
    for (int i = 0; i < kFanOutSubscribers; ++i) CHECK(child_succeeded(children[i]));
    shmring_topic_close(publisher);
    gate_close(&attached);
    CHECK_EQ(shmring_unlink(name), 0);
}

/* ---- a lossless publisher held back, and freed by a subscriber's death ------------------------ */

/* Subscribes and reads nothing until it is killed. */
static void idle_subscriber(const char *name, gate *attached, gate *unused) {
    (void)unused;
    shmring_topic *t = open_topic(name, SHMRING_SUBSCRIBER);
    gate_open(attached);
    for (;;) pause();
    shmring_topic_close(t);
}

static void test_lossless_hold_back_and_dead_subscriber(void) {
    char name[128];
    ring_name(name, sizeof name, "topic-dead");
    CHECK_EQ(shmring_topic_create(name, 2, kSize, SHMRING_LOSSLESS, 0), 0);
    shmring_topic *publisher = open_topic(name, SHMRING_PUBLISHER);
    if (publisher == NULL) return;
    gate attached;
    gate_make(&attached);
    const pid_t idle = start_child(idle_subscriber, name, &attached, NULL);
    CHECK(gate_wait(&attached));
    unsigned char message[kSize];
    stamp(message, 7);
    CHECK_EQ(shmring_topic_publish(publisher, message, kSize, 0), 0);
    CHECK_EQ(shmring_topic_publish(publisher, message, kSize, 0), 0);
    CHECK_EQ(shmring_topic_publish(publisher, message, kSize, 0), -EAGAIN);
    int64_t started = now_ns();
    CHECK_EQ(shmring_topic_publish(publisher, message, kSize, 20000000), -ETIMEDOUT);
    CHECK(now_ns() - started >= 20000000);
    const int fd = shmring_topic_fd(publisher);
    CHECK(fd >= 0);
    struct pollfd p = {fd, POLLIN, 0};
    CHECK_EQ(poll(&p, 1, 100), 0); /* no room: not readable */

    kill(idle, SIGKILL); /* dies holding the publisher back */
    waitpid(idle, NULL, 0);
    started = now_ns();
    CHECK_EQ(poll(&p, 1, 5000), 1); /* the descriptor's probe finds it dead too */
    CHECK_EQ(shmring_topic_publish(publisher, message, kSize, 5000000000LL), 0);
    CHECK(now_ns() - started < 1000000000LL);
    gate_close(&attached);
    shmring_topic_close(publisher);
    CHECK_EQ(shmring_unlink(name), 0);
}

/* ---- lossy: a slow subscriber counts its gaps --------------------------------------------------- */

enum { kLossyMessages = 100000 };

/* Reads slowly until told that the publisher is done, then drains; lost + received must be all. */
static void slow_subscriber(const char *name, gate *attached, gate *done) {
    shmring_topic *t = open_topic(name, SHMRING_SUBSCRIBER);
    if (t == NULL) return;
    gate_open(attached);
    uint64_t received = 0, last = 0;
    int torn = 0, out_of_order = 0, finished = 0;
    struct pollfd d = {done->fds[0], POLLIN, 0};
    for (;;) {
        unsigned char message[kSize];
        uint64_t sequence = 0;
        const ssize_t length = shmring_topic_receive(t, message, sizeof message, &sequence, 0);
        if (length == -EAGAIN) {
            if (finished) break;
            finished = poll(&d, 1, 1) == 1;
            continue;
        }
        CHECK_EQ(length, kSize);
        if (length != kSize) break;
        ++received;
        torn += !intact(message, sequence);
        out_of_order += sequence <= last;
        last = sequence;
        if (received % 64 == 0) sleep_ms(1); /* slower than the publisher */
    }
    CHECK_EQ(torn, 0);
    CHECK_EQ(out_of_order, 0);
    CHECK(shmring_topic_lost(t) > 0);
    CHECK_EQ(received + shmring_topic_lost(t), kLossyMessages);
    shmring_topic_close(t);
}

static void test_lossy_gaps(void) {
    char name[128];
    ring_name(name, sizeof name, "topic-lossy");
    CHECK_EQ(shmring_topic_create(name, 16, kSize, SHMRING_LOSSY, 0), 0);
    gate attached, done;
    gate_make(&attached);
    gate_make(&done);
    const pid_t slow = start_child(slow_subscriber, name, &attached, &done);
    CHECK(gate_wait(&attached));
    shmring_topic *publisher = open_topic(name, SHMRING_PUBLISHER);
    unsigned char message[kSize];
    const int64_t started = now_ns();
    for (uint64_t n = 1; publisher != NULL && n <= kLossyMessages; ++n) {
        stamp(message, n);
        if (shmring_topic_publish(publisher, message, kSize, 0) != 0) { /* never waits, never EAGAIN */
            CHECK(0);
            break;
        }
    }
    printf("lossy: %d messages published in %.1f ms beside a slow subscriber\n", kLossyMessages, (double)(now_ns() - started) / 1e6);
    gate_open(&done);
    CHECK(child_succeeded(slow));
    shmring_topic_close(publisher);
    gate_close(&attached);
    gate_close(&done);
    CHECK_EQ(shmring_unlink(name), 0);
}

/* ---- zero copy, overwrite detection, history ---------------------------------------------------- */

static void test_zero_copy_and_history(void) {
    char name[128];
    ring_name(name, sizeof name, "topic-zero-copy");
    CHECK_EQ(shmring_topic_create(name, 4, kSize, SHMRING_LOSSY, 0), 0);
    shmring_topic *publisher = open_topic(name, SHMRING_PUBLISHER);
    shmring_topic *subscriber = open_topic(name, SHMRING_SUBSCRIBER);
    if (publisher == NULL || subscriber == NULL) return;
    void *room = NULL;
    size_t cap = 0;
    const void *in_place = NULL;
    uint64_t sequence = 0;
    unsigned char message[kSize];

    /* Misuse: EINVAL, and nothing wedged. */
    CHECK_EQ(shmring_topic_commit(publisher, 1), -EINVAL);
    CHECK_EQ(shmring_topic_release(subscriber), -EINVAL);
    CHECK_EQ(shmring_topic_loan(publisher, NULL, &cap, 0), -EINVAL);
    CHECK_EQ(shmring_topic_peek(subscriber, NULL, &sequence, 0), -EINVAL);
    CHECK_EQ(shmring_topic_peek(subscriber, &in_place, NULL, 0), -EAGAIN);
    CHECK_EQ(shmring_topic_max_message_size(publisher), kSize);
    CHECK_EQ(shmring_topic_max_message_size(subscriber), kSize);
    CHECK_EQ(shmring_topic_max_message_size(NULL), -EINVAL);
    /* An aborted loan publishes nothing. */
    shmring_topic_abort(publisher); /* no loan: nothing happens */
    shmring_topic_abort(NULL);
    CHECK_EQ(shmring_topic_loan(publisher, &room, &cap, 0), 0);
    shmring_topic_abort(publisher);
    CHECK_EQ(shmring_topic_peek(subscriber, &in_place, NULL, 0), -EAGAIN);
    CHECK_EQ(shmring_topic_commit(publisher, 1), -EINVAL);
    CHECK_EQ(shmring_topic_loan(publisher, &room, &cap, 0), 0);
    CHECK_EQ(cap, kSize);
    CHECK_EQ(shmring_topic_loan(publisher, &room, &cap, 0), -EINVAL);
    CHECK_EQ(shmring_topic_publish(publisher, message, 1, 0), -EINVAL);
    stamp(room, 1);
    CHECK_EQ(shmring_topic_commit(publisher, kSize + 1), -EMSGSIZE); /* the loan stays open */
    CHECK_EQ(shmring_topic_commit(publisher, kSize), 0);
    CHECK_EQ(shmring_topic_peek(subscriber, &in_place, &sequence, 0), kSize);
    CHECK_EQ(sequence, 1);
    CHECK(intact(in_place, 1));
    CHECK_EQ(shmring_topic_peek(subscriber, &in_place, &sequence, 0), -EINVAL);
    CHECK_EQ(shmring_topic_receive(subscriber, message, kSize, &sequence, 0), -EINVAL);
    /* Overwritten while peeked: a lossy topic of capacity 4 has 8 slots, and 8 more messages lap it. */
    for (uint64_t n = 2; n <= 9; ++n) {
        stamp(message, n);
        CHECK_EQ(shmring_topic_publish(publisher, message, kSize, 0), 0);
    }
    CHECK_EQ(shmring_topic_release(subscriber), -EOVERFLOW);
    CHECK_EQ(shmring_topic_lost(subscriber), 1);
    CHECK_EQ(shmring_topic_receive(subscriber, message, kSize, &sequence, 0), kSize);
    CHECK_EQ(sequence, 2);
    CHECK(intact(message, 2));

    /* History: a subscriber from the oldest retained message gets what the ring still holds; one
     * from the next message, nothing until something new. */
    shmring_topic *historian = open_topic(name, SHMRING_SUBSCRIBER | SHMRING_FROM_OLDEST);
    shmring_topic *newcomer = open_topic(name, SHMRING_SUBSCRIBER);
    if (historian != NULL && newcomer != NULL) {
        CHECK_EQ(shmring_topic_receive(historian, message, kSize, &sequence, 0), kSize);
        CHECK_EQ(sequence, 3); /* 3 to 9: the 7 latest, at least the capacity (the 8th slot is rewritten next) */
        CHECK_EQ(shmring_topic_receive(newcomer, message, kSize, &sequence, 0), -EAGAIN);
        const int fd = shmring_topic_fd(newcomer);
        CHECK(fd >= 0);
        struct pollfd p = {fd, POLLIN, 0};
        CHECK_EQ(poll(&p, 1, 100), 0); /* nothing new: not readable */
        stamp(message, 10);
        CHECK_EQ(shmring_topic_publish(publisher, message, kSize, 0), 0);
        CHECK_EQ(poll(&p, 1, 5000), 1);
        CHECK_EQ(shmring_topic_receive(newcomer, message, kSize, &sequence, 0), kSize);
        CHECK_EQ(sequence, 10);
        CHECK(intact(message, 10));
    }
    shmring_topic_close(historian);
    shmring_topic_close(newcomer);
    shmring_topic_close(publisher);
    shmring_topic_close(subscriber);
    CHECK_EQ(shmring_unlink(name), 0);
}

/* ---- a publisher killed in the middle of a message -------------------------------------------- */

/* Publishes five messages, then dies with the sixth half written. */
static void dying_publisher(const char *name, gate *unused_a, gate *unused_b) {
    (void)unused_a;
    (void)unused_b;
    shmring_topic *t = open_topic(name, SHMRING_PUBLISHER);
    if (t == NULL) return;
    unsigned char message[kSize];
    for (uint64_t n = 1; n <= 5; ++n) {
        stamp(message, n);
        CHECK_EQ(shmring_topic_publish(t, message, kSize, -1), 0);
    }
    void *room = NULL;
    size_t cap = 0;
    CHECK_EQ(shmring_topic_loan(t, &room, &cap, -1), 0);
    if (room != NULL) memset(room, 0xEE, kSize / 2);
    fflush(NULL);
    raise(SIGKILL);
}

static void test_publisher_killed_mid_message(void) {
    char name[128];
    ring_name(name, sizeof name, "topic-killed");
    CHECK_EQ(shmring_topic_create(name, 8, kSize, SHMRING_LOSSLESS, 0), 0);
    shmring_topic *subscriber = open_topic(name, SHMRING_SUBSCRIBER);
    if (subscriber == NULL) return;
    const pid_t child = start_child(dying_publisher, name, NULL, NULL);
    int status = 0;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    unsigned char message[kSize];
    uint64_t sequence = 0;
    for (uint64_t n = 1; n <= 5; ++n) {
        CHECK_EQ(shmring_topic_receive(subscriber, message, kSize, &sequence, 1000000000LL), kSize);
        CHECK_EQ(sequence, n);
        CHECK(intact(message, n));
    }
    CHECK_EQ(shmring_topic_receive(subscriber, message, kSize, &sequence, 20000000), -ETIMEDOUT); /* never the torn one */
    shmring_topic *successor = open_topic(name, SHMRING_PUBLISHER); /* the dead one's role is free */
    if (successor != NULL) {
        stamp(message, 6);
        CHECK_EQ(shmring_topic_publish(successor, message, kSize, 0), 0);
        CHECK_EQ(shmring_topic_receive(subscriber, message, kSize, &sequence, 1000000000LL), kSize);
        CHECK_EQ(sequence, 6); /* the sequence goes on */
        CHECK(intact(message, 6));
    }
    shmring_topic_close(successor);
    shmring_topic_close(subscriber);
    CHECK_EQ(shmring_unlink(name), 0);
}

int main(void) {
    test_parameters_and_roles();
    test_lossless_fan_out();
    test_lossless_hold_back_and_dead_subscriber();
    test_lossy_gaps();
    test_zero_copy_and_history();
    test_publisher_killed_mid_message();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
