/* The service functions of the C API used from C: clients and servers in forked processes, calls,
 * pipelined requests collected out of order, timeouts against a late server, servers and clients
 * that die, back-pressure, zero copy, poll descriptors, and every error code the header documents
 * for services. Prints one line per failed check and a final "N passed, M failed"; exits non-zero
 * on any failure. */
#define _GNU_SOURCE /* fork, kill, prctl, pipe2 */

#include "c_test_support.h"

enum { kSize = 64 };

static shmring_service *open_service(const char *name, int role) {
    shmring_service *s = NULL;
    CHECK_EQ(shmring_service_open(name, role, &s), 0);
    return s;
}

/* A request and its response: the response is the request with every byte complemented, so a
 * response matched to the wrong request shows. */
static void answer_of(const unsigned char *request, size_t length, unsigned char *response) {
    for (size_t i = 0; i < length; ++i) response[i] = (unsigned char)~request[i];
}

/* Serves until the gate `stop` opens (or 10 s pass), answering each request with answer_of after
 * `delay_ms`. Counts requests served in its exit status only through failed checks. */
static int serve_delay_ms;
static void server_body(const char *name, gate *ready, gate *stop) {
    shmring_service *server = open_service(name, SHMRING_SERVER);
    if (server == NULL) return;
    gate_open(ready);
    const int64_t give_up = now_ns() + 10000000000LL;
    for (;;) {
        struct pollfd p = {stop->fds[0], POLLIN, 0};
        if (poll(&p, 1, 0) > 0 || now_ns() > give_up) break;
        unsigned char request[kSize], response[kSize];
        uint64_t id = 0;
        const ssize_t length = shmring_service_receive(server, request, sizeof request, &id, 5000000);
        if (length == -ETIMEDOUT) continue;
        CHECK(length >= 0);
        if (length < 0) break;
        if (serve_delay_ms > 0) sleep_ms(serve_delay_ms);
        answer_of(request, (size_t)length, response);
        CHECK_EQ(shmring_service_reply(server, id, response, (size_t)length), 0);
    }
    shmring_service_close(server);
}

static pid_t start_server(const char *name, gate *stop) {
    gate ready;
    gate_make(&ready);
    const pid_t pid = start_child(server_body, name, &ready, stop);
    CHECK(gate_wait(&ready));
    gate_close(&ready);
    return pid;
}

/* ---- parameters, kinds and roles ------------------------------------------------------------ */

static void test_parameters_and_roles(void) {
    char name[128], topic[128];
    ring_name(name, sizeof name, "service-params");
    ring_name(topic, sizeof topic, "service-params-topic");
    shmring_service *s = NULL;
    CHECK_EQ(shmring_service_create(name, 0, kSize, kSize, 0), -EINVAL);           /* no pending calls */
    CHECK_EQ(shmring_service_create(name, 4, 0, kSize, 0), -EINVAL);               /* no request size */
    CHECK_EQ(shmring_service_create(name, 4, kSize, 0, 0), -EINVAL);               /* no response size */
    CHECK_EQ(shmring_service_create(name, 4, (1 << 20) + 1, kSize, 0), -EINVAL);
    CHECK_EQ(shmring_service_create(name, 4, kSize, (1 << 20) + 1, 0), -EINVAL);
    CHECK_EQ(shmring_service_create(name, (1 << 23) + 1, kSize, kSize, 0), -EINVAL);
    CHECK_EQ(shmring_service_create(NULL, 4, kSize, kSize, 0), -EINVAL);
    CHECK_EQ(shmring_service_create("bad/name", 4, kSize, kSize, 0), -EINVAL);
    CHECK_EQ(shmring_service_open(name, SHMRING_CLIENT, &s), -ENOENT);
    CHECK_EQ(shmring_service_create(name, 4, kSize, kSize, 0), 0);
    CHECK_EQ(shmring_service_create(name, 4, kSize, kSize, 0), -EEXIST);
    CHECK_EQ(shmring_service_open(name, 3, &s), -EINVAL);
    CHECK_EQ(shmring_service_open(name, SHMRING_CLIENT | SHMRING_SERVER, &s), -EINVAL);
    CHECK_EQ(shmring_service_open(name, SHMRING_CLIENT, NULL), -EINVAL);
    CHECK(s == NULL);

    /* A topic is not a service, nor a service a topic. */
    CHECK_EQ(shmring_topic_create(topic, 4, kSize, SHMRING_LOSSLESS, 0), 0);
    CHECK_EQ(shmring_service_open(topic, SHMRING_CLIENT, &s), -EPROTO);
    shmring_topic *t = NULL;
    CHECK_EQ(shmring_topic_open(name, SHMRING_SUBSCRIBER, &t), -EPROTO);
    CHECK_EQ(shmring_unlink(topic), 0);

    shmring_service *client = open_service(name, SHMRING_CLIENT);
    shmring_service *server = open_service(name, SHMRING_SERVER);
    if (client == NULL || server == NULL) return;
    CHECK_EQ(shmring_service_max_request_size(client), kSize);
    CHECK_EQ(shmring_service_max_response_size(server), kSize);
    unsigned char buffer[kSize];
    uint64_t id = 0;
    /* Each side's calls belong to it. */
    CHECK_EQ(shmring_service_receive(client, buffer, sizeof buffer, &id, 0), -EBADF);
    CHECK_EQ(shmring_service_reply(client, 1, buffer, 1), -EBADF);
    CHECK_EQ(shmring_service_send(server, "x", 1, &id, 0), -EBADF);
    CHECK_EQ(shmring_service_call(server, "x", 1, buffer, sizeof buffer, 0), -EBADF);
    CHECK_EQ(shmring_service_wait(server, 1, buffer, sizeof buffer, 0), -EBADF);
    CHECK_EQ(shmring_service_send(client, "x", 1, NULL, 0), -EINVAL);
    CHECK_EQ(shmring_service_send(client, buffer, kSize + 1, &id, 0), -EMSGSIZE);
    CHECK_EQ(shmring_service_set_wait(client, 7), -EINVAL);
    CHECK_EQ(shmring_service_set_wait(client, SHMRING_WAIT_SPIN), 0);
    /* Unknown ids. */
    CHECK_EQ(shmring_service_wait(client, 12345, buffer, sizeof buffer, 0), -EINVAL);
    CHECK_EQ(shmring_service_reply(server, 12345, "a", 1), -EINVAL);
    CHECK_EQ(shmring_service_cancel(client, 12345), -EINVAL);

    /* One call by hand, in one process: send, receive, reply (once), wait. */
    CHECK_EQ(shmring_service_send(client, "abc", 3, &id, 0), 0);
    CHECK_EQ(shmring_service_wait(client, id, buffer, sizeof buffer, 0), -EAGAIN); /* not answered: stays pending */
    uint64_t got = 0;
    unsigned char small[2];
    CHECK_EQ(shmring_service_receive(server, small, sizeof small, &got, 0), -EMSGSIZE); /* kept for the next receive */
    CHECK_EQ(shmring_service_receive(server, buffer, sizeof buffer, &got, 0), 3);
    CHECK_EQ(got, id);
    CHECK(memcmp(buffer, "abc", 3) == 0);
    CHECK_EQ(shmring_service_reply(server, got, buffer, kSize + 1), -EMSGSIZE);
    CHECK_EQ(shmring_service_reply(server, got, "ABC", 3), 0);
    CHECK_EQ(shmring_service_reply(server, got, "ABC", 3), -EINVAL); /* replying twice */
    CHECK_EQ(shmring_service_wait(client, id, buffer, sizeof buffer, 0), 3);
    CHECK(memcmp(buffer, "ABC", 3) == 0);
    CHECK_EQ(shmring_service_wait(client, id, buffer, sizeof buffer, 0), -EINVAL); /* collected */

    /* A response larger than the caller's buffer is dropped. */
    CHECK_EQ(shmring_service_send(client, "q", 1, &id, 0), 0);
    CHECK_EQ(shmring_service_receive(server, buffer, sizeof buffer, &got, 0), 1);
    CHECK_EQ(shmring_service_reply(server, got, "long answer", 11), 0);
    CHECK_EQ(shmring_service_wait(client, id, small, sizeof small, 0), -EMSGSIZE);
    CHECK_EQ(shmring_service_wait(client, id, buffer, sizeof buffer, 0), -EINVAL);

    /* Zero copy on the server: the request in place, the response written in place. */
    CHECK_EQ(shmring_service_send(client, "in place", 8, &id, 0), 0);
    const void *request = NULL;
    CHECK_EQ(shmring_service_peek(server, &request, &got, 0), 8);
    CHECK(request != NULL && memcmp(request, "in place", 8) == 0);
    void *room = NULL;
    size_t cap = 0;
    CHECK_EQ(shmring_service_loan(server, got, &room, &cap), 0);
    CHECK_EQ(cap, kSize);
    if (room != NULL) memcpy(room, "IN PLACE", 8);
    CHECK_EQ(shmring_service_commit(server, got, 8), 0);
    CHECK_EQ(shmring_service_loan(server, got, &room, &cap), -EINVAL); /* answered */
    CHECK_EQ(shmring_service_call(client, NULL, 0, NULL, 0, 0), -ETIMEDOUT); /* sent, no answer at once: given up */
    CHECK_EQ(shmring_service_wait(client, id, buffer, sizeof buffer, -1), 8);
    CHECK(memcmp(buffer, "IN PLACE", 8) == 0);
    /* The given-up call is skipped by the server; nothing else is pending. */
    CHECK_EQ(shmring_service_receive(server, buffer, sizeof buffer, &got, 0), -EAGAIN);

    shmring_service_close(client);
    shmring_service_close(server);
    CHECK_EQ(shmring_unlink(name), 0);
    CHECK_EQ(shmring_service_open(name, SHMRING_CLIENT, &s), -ENOENT);
}

/* ---- no server: refused at once --------------------------------------------------------------- */

static void test_refused(void) {
    char name[128];
    ring_name(name, sizeof name, "service-refused");
    CHECK_EQ(shmring_service_create(name, 4, kSize, kSize, 0), 0);
    shmring_service *client = open_service(name, SHMRING_CLIENT);
    if (client == NULL) return;
    unsigned char buffer[kSize];
    uint64_t id = 0;
    const int64_t start = now_ns();
    CHECK_EQ(shmring_service_call(client, "x", 1, buffer, sizeof buffer, -1), -ECONNREFUSED);
    CHECK_EQ(shmring_service_send(client, "x", 1, &id, -1), -ECONNREFUSED);
    CHECK(now_ns() - start < 50000000);
    /* A server that was killed is no server either, for a client that opens after. */
    gate stop;
    gate_make(&stop);
    const pid_t server = start_server(name, &stop);
    CHECK_EQ(shmring_service_call(client, "x", 1, buffer, sizeof buffer, 2000000000), 1);
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
    gate_close(&stop);
    shmring_service *late = open_service(name, SHMRING_CLIENT);
    if (late != NULL) {
        const int64_t at = now_ns();
        CHECK_EQ(shmring_service_call(late, "x", 1, buffer, sizeof buffer, -1), -ECONNREFUSED);
        CHECK(now_ns() - at < 50000000);
        shmring_service_close(late);
    }
    /* The first client learns it within a probe interval. */
    CHECK_EQ(shmring_service_call(client, "x", 1, buffer, sizeof buffer, 2000000000), -ECONNREFUSED);
    shmring_service_close(client);
    CHECK_EQ(shmring_unlink(name), 0);
}

/* ---- calls, pipelining, out of order ---------------------------------------------------------- */

static void test_calls_and_pipelining(void) {
    char name[128];
    ring_name(name, sizeof name, "service-calls");
    CHECK_EQ(shmring_service_create(name, 16, kSize, kSize, 0), 0);
    gate stop;
    gate_make(&stop);
    serve_delay_ms = 0;
    const pid_t servers[2] = {start_server(name, &stop), start_server(name, &stop)};
    shmring_service *client = open_service(name, SHMRING_CLIENT);
    if (client != NULL) {
        unsigned char request[kSize], response[kSize], expected[kSize];
        for (uint64_t n = 0; n < 2000; ++n) {
            for (size_t i = 0; i < kSize; ++i) request[i] = (unsigned char)(n * 31 + i);
            const ssize_t length = shmring_service_call(client, request, kSize, response, sizeof response, 2000000000);
            CHECK_EQ(length, kSize);
            answer_of(request, kSize, expected);
            if (length != kSize || memcmp(response, expected, kSize) != 0) {
                CHECK(!"a response matches its request");
                break;
            }
        }
        /* 16 in flight, collected from the last to the first. */
        uint64_t ids[16];
        for (int i = 0; i < 16; ++i) {
            request[0] = (unsigned char)i;
            CHECK_EQ(shmring_service_send(client, request, 1, &ids[i], 2000000000), 0);
        }
        for (int i = 15; i >= 0; --i) {
            CHECK_EQ(shmring_service_wait(client, ids[i], response, sizeof response, 2000000000), 1);
            CHECK_EQ(response[0], (unsigned char)~(unsigned char)i);
        }
        shmring_service_close(client);
    }
    gate_open(&stop);
    gate_open(&stop);
    CHECK(child_succeeded(servers[0]));
    CHECK(child_succeeded(servers[1]));
    gate_close(&stop);
    CHECK_EQ(shmring_unlink(name), 0);
}

/* ---- timeouts against a late server: never a stale response ----------------------------------- */

static void test_timeouts_never_deliver_stale_responses(void) {
    char name[128];
    ring_name(name, sizeof name, "service-late");
    CHECK_EQ(shmring_service_create(name, 4, kSize, kSize, 0), 0);
    gate stop;
    gate_make(&stop);
    serve_delay_ms = 30; /* every answer comes 30 ms late */
    const pid_t server = start_server(name, &stop);
    serve_delay_ms = 0;
    shmring_service *client = open_service(name, SHMRING_CLIENT);
    if (client != NULL) {
        unsigned char request[kSize], response[kSize];
        int timed_out = 0;
        int answered = 0;
        for (int n = 0; n < 12; ++n) {
            memset(request, n, sizeof request);
            /* Alternately too impatient and patient enough. */
            const int64_t timeout = n % 2 == 0 ? 5000000 : 2000000000;
            const ssize_t length = shmring_service_call(client, request, kSize, response, sizeof response, timeout);
            if (length == -ETIMEDOUT) {
                ++timed_out;
                continue;
            }
            CHECK_EQ(length, kSize);
            ++answered;
            /* The response is this request's, never the one given up before it. */
            CHECK_EQ(response[0], (unsigned char)~(unsigned char)n);
            CHECK_EQ(response[kSize - 1], (unsigned char)~(unsigned char)n);
        }
        CHECK_EQ(timed_out, 6);
        CHECK_EQ(answered, 6);
        /* A wait that times out gives its call up too. */
        uint64_t id = 0;
        CHECK_EQ(shmring_service_send(client, request, 1, &id, -1), 0);
        CHECK_EQ(shmring_service_wait(client, id, response, sizeof response, 1000000), -ETIMEDOUT);
        CHECK_EQ(shmring_service_wait(client, id, response, sizeof response, 0), -EINVAL);
        shmring_service_close(client);
    }
    gate_open(&stop);
    CHECK(child_succeeded(server));
    gate_close(&stop);
    CHECK_EQ(shmring_unlink(name), 0);
}

/* ---- a server killed in the middle of a request ----------------------------------------------- */

static int executions_fd = -1; /* the server writes one byte per request it starts executing */

static void dying_server_body(const char *name, gate *ready, gate *unused) {
    (void)unused;
    shmring_service *server = open_service(name, SHMRING_SERVER);
    if (server == NULL) return;
    gate_open(ready);
    unsigned char request[kSize];
    uint64_t id = 0;
    if (shmring_service_receive(server, request, sizeof request, &id, 10000000000LL) >= 0)
        CHECK_EQ(write(executions_fd, "x", 1), 1);
    pause(); /* killed here, never answering */
}

static void counting_server_body(const char *name, gate *ready, gate *stop) {
    shmring_service *server = open_service(name, SHMRING_SERVER);
    if (server == NULL) return;
    gate_open(ready);
    const int64_t give_up = now_ns() + 10000000000LL;
    while (now_ns() < give_up) {
        struct pollfd p = {stop->fds[0], POLLIN, 0};
        if (poll(&p, 1, 0) > 0) break;
        unsigned char request[kSize];
        uint64_t id = 0;
        const ssize_t length = shmring_service_receive(server, request, sizeof request, &id, 5000000);
        if (length < 0) continue;
        CHECK_EQ(write(executions_fd, "x", 1), 1);
        CHECK_EQ(shmring_service_reply(server, id, request, (size_t)length), 0);
    }
    shmring_service_close(server);
}

static void test_server_killed_mid_request(void) {
    char name[128];
    ring_name(name, sizeof name, "service-kill");
    CHECK_EQ(shmring_service_create(name, 4, kSize, kSize, 0), 0);
    int executions[2];
    CHECK_EQ(pipe2(executions, O_CLOEXEC | O_NONBLOCK), 0);
    executions_fd = executions[1];
    gate ready, stop;
    gate_make(&ready);
    gate_make(&stop);
    const pid_t dying = start_child(dying_server_body, name, &ready, NULL);
    CHECK(gate_wait(&ready));
    shmring_service *client = open_service(name, SHMRING_CLIENT);
    pid_t counting = -1;
    if (client != NULL) {
        unsigned char response[kSize];
        uint64_t id = 0;
        CHECK_EQ(shmring_service_send(client, "once", 4, &id, -1), 0);
        char byte;
        struct pollfd p = {executions[0], POLLIN, 0};
        CHECK(poll(&p, 1, 5000) == 1 && read(executions[0], &byte, 1) == 1); /* it started executing */
        /* A second server attaches: the request must not be given to it. */
        counting = start_child(counting_server_body, name, &ready, &stop);
        CHECK(gate_wait(&ready));
        kill(dying, SIGKILL);
        waitpid(dying, NULL, 0);
        const int64_t killed = now_ns();
        CHECK_EQ(shmring_service_wait(client, id, response, sizeof response, -1), -ECONNRESET);
        CHECK(now_ns() - killed <= 250000000);
        /* Later calls are served by the new server. */
        CHECK_EQ(shmring_service_call(client, "next", 4, response, sizeof response, 2000000000), 4);
        CHECK(memcmp(response, "next", 4) == 0);
        shmring_service_close(client);
        /* Executed twice in all: "once" by the dead server, "next" by the new one. */
        sleep_ms(20);
        char bytes[8];
        CHECK_EQ(read(executions[0], bytes, sizeof bytes), 1);
    }
    gate_open(&stop);
    if (counting > 0) CHECK(child_succeeded(counting));
    gate_close(&ready);
    gate_close(&stop);
    close(executions[0]);
    close(executions[1]);
    CHECK_EQ(shmring_unlink(name), 0);
}

/* ---- a client killed with requests pending ---------------------------------------------------- */

static void doomed_client_body(const char *name, gate *sent, gate *unused) {
    (void)unused;
    shmring_service *client = open_service(name, SHMRING_CLIENT);
    if (client == NULL) return;
    uint64_t id = 0;
    for (int i = 0; i < 4; ++i) CHECK_EQ(shmring_service_send(client, "doomed", 6, &id, 2000000000), 0);
    gate_open(sent);
    pause();
}

static void test_client_killed_with_requests_pending(void) {
    char name[128];
    ring_name(name, sizeof name, "service-client-kill");
    CHECK_EQ(shmring_service_create(name, 4, kSize, kSize, 0), 0);
    gate stop, sent;
    gate_make(&stop);
    gate_make(&sent);
    serve_delay_ms = 5;
    const pid_t server = start_server(name, &stop);
    serve_delay_ms = 0;
    const pid_t doomed = start_child(doomed_client_body, name, &sent, NULL);
    CHECK(gate_wait(&sent));
    kill(doomed, SIGKILL);
    waitpid(doomed, NULL, 0);
    /* Every call slot comes back, and the server answers the living. */
    shmring_service *client = open_service(name, SHMRING_CLIENT);
    if (client != NULL) {
        unsigned char response[kSize];
        uint64_t ids[4];
        for (int i = 0; i < 4; ++i) CHECK_EQ(shmring_service_send(client, "alive", 5, &ids[i], 2000000000), 0);
        for (int i = 0; i < 4; ++i) CHECK_EQ(shmring_service_wait(client, ids[i], response, sizeof response, 2000000000), 5);
        shmring_service_close(client);
    }
    gate_open(&stop);
    CHECK(child_succeeded(server));
    gate_close(&stop);
    gate_close(&sent);
    CHECK_EQ(shmring_unlink(name), 0);
}

/* ---- back-pressure ---------------------------------------------------------------------------- */

static void test_back_pressure(void) {
    char name[128];
    ring_name(name, sizeof name, "service-full");
    CHECK_EQ(shmring_service_create(name, 2, kSize, kSize, 0), 0);
    shmring_service *server = open_service(name, SHMRING_SERVER);
    shmring_service *client = open_service(name, SHMRING_CLIENT);
    if (server == NULL || client == NULL) return;
    uint64_t a = 0, b = 0, c = 0;
    CHECK_EQ(shmring_service_send(client, "a", 1, &a, 0), 0);
    CHECK_EQ(shmring_service_send(client, "b", 1, &b, 0), 0);
    CHECK_EQ(shmring_service_send(client, "c", 1, &c, 0), -EAGAIN);
    const int64_t start = now_ns();
    CHECK_EQ(shmring_service_send(client, "c", 1, &c, 20000000), -ETIMEDOUT);
    CHECK(now_ns() - start >= 20000000);
    unsigned char buffer[kSize];
    CHECK_EQ(shmring_service_call(client, "c", 1, buffer, sizeof buffer, 0), -EAGAIN); /* nothing sent */
    /* Answering and collecting one makes room. */
    uint64_t got = 0;
    CHECK_EQ(shmring_service_receive(server, buffer, sizeof buffer, &got, 0), 1);
    CHECK_EQ(shmring_service_reply(server, got, "A", 1), 0);
    CHECK_EQ(shmring_service_wait(client, a, buffer, sizeof buffer, 0), 1);
    CHECK_EQ(shmring_service_send(client, "c", 1, &c, 0), 0);
    shmring_service_close(client);
    shmring_service_close(server);
    CHECK_EQ(shmring_unlink(name), 0);
}

/* ---- poll descriptors ------------------------------------------------------------------------- */

static void test_poll_descriptors(void) {
    char name[128];
    ring_name(name, sizeof name, "service-poll");
    CHECK_EQ(shmring_service_create(name, 4, kSize, kSize, 0), 0);
    shmring_service *server = open_service(name, SHMRING_SERVER);
    shmring_service *client = open_service(name, SHMRING_CLIENT);
    if (server == NULL || client == NULL) return;
    const int server_fd = shmring_service_fd(server);
    const int client_fd = shmring_service_fd(client);
    CHECK(server_fd >= 0 && client_fd >= 0);
    struct pollfd p = {server_fd, POLLIN, 0};
    CHECK_EQ(poll(&p, 1, 20), 0);
    uint64_t id = 0, got = 0;
    CHECK_EQ(shmring_service_send(client, "q", 1, &id, 0), 0);
    CHECK_EQ(poll(&p, 1, 2000), 1); /* a request is there */
    unsigned char buffer[kSize];
    CHECK_EQ(shmring_service_receive(server, buffer, sizeof buffer, &got, 0), 1);
    struct pollfd c = {client_fd, POLLIN, 0};
    CHECK_EQ(shmring_service_wait(client, id, buffer, sizeof buffer, 0), -EAGAIN); /* rearms */
    CHECK_EQ(poll(&c, 1, 20), 0);
    CHECK_EQ(shmring_service_reply(server, got, "a", 1), 0);
    CHECK_EQ(poll(&c, 1, 2000), 1); /* a response is ready */
    CHECK_EQ(shmring_service_wait(client, id, buffer, sizeof buffer, 0), 1);
    shmring_service_close(client);
    shmring_service_close(server);
    CHECK_EQ(shmring_unlink(name), 0);
}

int main(void) {
    test_parameters_and_roles();
    test_refused();
    test_calls_and_pipelining();
    test_timeouts_never_deliver_stale_responses();
    test_server_killed_mid_request();
    test_client_killed_with_requests_pending();
    test_back_pressure();
    test_poll_descriptors();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
