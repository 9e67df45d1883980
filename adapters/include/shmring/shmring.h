/* shmring C API: pipes (byte streams with FIFO semantics), queues (messages with POSIX
 * message-queue semantics), topics (publish-subscribe: every subscriber receives every
 * message) and services (request/response) between processes, through shared memory; and shared
 * state: cells (the latest value, never torn), locks that survive their holder's death, and
 * counting semaphores.
 *
 * Every call returns 0 or a non-negative count on success and a negative errno value on failure.
 * Errors: EEXIST, ENOENT, EACCES, EINVAL (bad name or parameters), EBUSY (role taken, or every
 * endpoint entry in use), EAGAIN, ETIMEDOUT, EPIPE, EMSGSIZE, EBADF (the other side's operation),
 * EPROTO (not a shmring segment, another layout version or kind, or corrupt), ENOSPC (the
 * shared-memory file system cannot hold the ring: creation reserves all of its memory),
 * EOVERFLOW (a lossy topic's message overwritten while it was read in place), ECONNREFUSED (no
 * server attached to a service), ECONNRESET (a service's server died or closed before answering),
 * EOWNERDEAD and ENOTRECOVERABLE (locks), EPERM (releasing a lock this handle does not hold),
 * EDEADLK (acquiring a lock this handle holds).
 *
 * Names are 1 to 200 of A-Z a-z 0-9 . _ - ; the object is /dev/shm/shmring.<name>.
 * A handle may be used by one thread at a time. Handles do not survive fork(): the child opens
 * its own. */
#ifndef SHMRING_SHMRING_H
#define SHMRING_SHMRING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this header. The library's build takes its version from these lines (one source),
 * and shmring_version() returns the library's at run time: "MAJOR.MINOR.PATCH". */
#define SHMRING_VERSION_MAJOR 0
#define SHMRING_VERSION_MINOR 6
#define SHMRING_VERSION_PATCH 0
const char *shmring_version(void);

typedef struct shmring_pipe shmring_pipe;
typedef struct shmring_queue shmring_queue;

enum { SHMRING_NONBLOCK = 1 };                                   /* pipe read/write flags */
enum { SHMRING_SPSC = 0, SHMRING_MPMC = 1 };                     /* queue engine */
enum { SHMRING_SENDER = 1, SHMRING_RECEIVER = 2 };               /* role: writer/sender, reader/receiver */
enum { SHMRING_WAIT_ADAPTIVE = 0, SHMRING_WAIT_SPIN = 1, SHMRING_WAIT_BLOCK = 2 };

/* Creates a pipe of capacity_bytes (rounded up to a power of two, 64 bytes to 1 GiB) with
 * permission bits `mode` applied exactly (0600 if 0; the owner must keep read and write).
 * -EEXIST if the name is taken. Nothing is left behind on failure. */
int shmring_pipe_create(const char *name, size_t capacity_bytes, unsigned mode);

/* Opens a pipe as SHMRING_SENDER (writer) or SHMRING_RECEIVER (reader). -EBUSY if a live
 * endpoint holds that role. A writer or reader that closed or died can be replaced. */
int shmring_pipe_open(const char *name, int role, shmring_pipe **out);

/* Writer. Blocking: returns len once every byte is in the pipe, or the count written so far if
 * the reader leaves first; -EPIPE if the reader has left (closed or died) before anything was
 * written. SHMRING_NONBLOCK: writes what fits now and returns that count, -EAGAIN if nothing
 * fits. Never raises SIGPIPE. */
ssize_t shmring_pipe_write(shmring_pipe *p, const void *buf, size_t len, int flags);

/* Reader. Returns as soon as at least one byte is available, up to len; 0 (end of file) once the
 * writer has closed or died and every byte it wrote has been read. SHMRING_NONBLOCK: -EAGAIN when
 * nothing is there yet. */
ssize_t shmring_pipe_read(shmring_pipe *p, void *buf, size_t len, int flags);

/* SHMRING_WAIT_ADAPTIVE (default: spin briefly, then sleep), _SPIN (never sleep), _BLOCK. */
int shmring_pipe_set_wait(shmring_pipe *p, int strategy);

/* A descriptor that poll/epoll report readable when the endpoint can make progress (reader: data
 * or end of file; writer: room or EPIPE). Owned by the pipe: do not close it. After it fires,
 * call read/write until -EAGAIN before waiting on it again (edge-like, as with EPOLLET). */
int shmring_pipe_fd(shmring_pipe *p);

/* Closes the endpoint; the peer sees end of file (reader) or EPIPE (writer). NULL is ignored. */
void shmring_pipe_close(shmring_pipe *p);

/* Creates a queue for max_messages messages of up to max_message_size bytes (1 byte to 1 MiB)
 * with engine SHMRING_SPSC (one sender, one receiver) or SHMRING_MPMC (any number of each). */
int shmring_queue_create(const char *name, size_t max_messages, size_t max_message_size, int engine, unsigned mode);

/* Opens a queue as SHMRING_SENDER or SHMRING_RECEIVER. SPSC: -EBUSY if the role is held. */
int shmring_queue_open(const char *name, int role, shmring_queue **out);

/* Sends one message. timeout_ns < 0: wait for room for ever; 0: try once (-EAGAIN if full);
 * > 0: wait at most that long (-ETIMEDOUT). -EMSGSIZE if len exceeds the maximum: nothing is sent.
 * Every queue call tries first: one that succeeds at once reads no clock, allocates nothing and
 * makes no system call (unless it must wake a sleeping peer). */
int shmring_queue_send(shmring_queue *q, const void *msg, size_t len, int64_t timeout_ns);

/* Receives one message into buf and returns its length. Timeout as for send. -EMSGSIZE if cap is
 * smaller than the next message, which stays queued. */
ssize_t shmring_queue_receive(shmring_queue *q, void *buf, size_t cap, int64_t timeout_ns);

/* Zero copy, sender. loan: room for one message in place: *buf receives its address and *cap its
 * size (the queue's maximum message size). Fill it, then commit(len <= *cap) sends the first len
 * bytes, or abort gives the room back. Timeout as for send. While a loan is open, any other send
 * call of the handle (and a second loan) returns -EINVAL; commit without a loan returns -EINVAL,
 * and a len above *cap returns -EMSGSIZE with the loan still open. */
int shmring_queue_loan(shmring_queue *q, void **buf, size_t *cap, int64_t timeout_ns);
int shmring_queue_commit(shmring_queue *q, size_t len);
void shmring_queue_abort(shmring_queue *q);

/* Zero copy, receiver. peek: the next message in place: *msg receives its address; returns its
 * length. It stays in the queue until release. Timeout as for receive. While a peek is open, any
 * other receive call of the handle returns -EINVAL; release without a peek returns -EINVAL. */
ssize_t shmring_queue_peek(shmring_queue *q, const void **msg, int64_t timeout_ns);
int shmring_queue_release(shmring_queue *q);

/* Batches. send_batch: sends as many of msgs[0..count) as fit, in order, and at least one unless
 * the timeout passes (waiting only for the first); returns how many. receive_batch: fills up to
 * count messages, waiting only for the first: each iov_base/iov_len gives a buffer and its
 * capacity, and iov_len receives the message's length; returns how many. A batch stops before a
 * message that does not fit its buffer (which stays queued) or exceeds the maximum size; when that
 * is the first, it returns -EMSGSIZE. With the SPSC engine a batch is published (or its room given
 * back) with one store and at most one wake-up. Errors otherwise as the single-message calls. */
ssize_t shmring_queue_send_batch(shmring_queue *q, const struct iovec *msgs, size_t count, int64_t timeout_ns);
ssize_t shmring_queue_receive_batch(shmring_queue *q, struct iovec *msgs, size_t count, int64_t timeout_ns);

int shmring_queue_set_wait(shmring_queue *q, int strategy);

/* As shmring_pipe_fd: receiver: a message is there; sender: there is room. */
int shmring_queue_fd(shmring_queue *q);

void shmring_queue_close(shmring_queue *q);

/* Largest message the queue accepts, in bytes. */
ssize_t shmring_queue_max_message_size(shmring_queue *q);

typedef struct shmring_topic shmring_topic;
enum { SHMRING_LOSSLESS = 0, SHMRING_LOSSY = 1 };           /* topic policy */
enum { SHMRING_PUBLISHER = 1, SHMRING_SUBSCRIBER = 2 };      /* roles */
enum { SHMRING_FROM_OLDEST = 16 };                            /* subscriber: start with the oldest retained message */

/* Creates a topic for messages of up to max_message_size bytes (1 byte to 1 MiB) with `policy`:
 * SHMRING_LOSSLESS, the publisher waits while its slowest live subscriber is capacity_messages
 * behind (1 to 16777216); SHMRING_LOSSY, it never waits and keeps at least the last
 * capacity_messages (1 to 16777215): a subscriber that falls further behind continues at the
 * oldest message still there, counting what it missed (shmring_topic_lost). Mode as for pipes. */
int      shmring_topic_create(const char *name, size_t capacity_messages, size_t max_message_size, int policy, unsigned mode);

/* Opens a topic as SHMRING_PUBLISHER (one at a time: -EBUSY while a live one holds the role; a
 * successor continues the sequence) or SHMRING_SUBSCRIBER (up to 63 at once), which starts with
 * the next message published, or with SHMRING_FROM_OLDEST the oldest one the topic still keeps
 * (lossless: what the publisher has promised not to overwrite yet; lossy: at least the last
 * capacity_messages). -EPROTO for a segment that is not a topic, or whose positions contradict. */
int      shmring_topic_open(const char *name, int role_and_flags, shmring_topic **out);

/* Publishes one message. Timeout as for queues (< 0: for ever; 0: try once, -EAGAIN; > 0: at most
 * that long, -ETIMEDOUT): only a lossless topic ever waits. -EMSGSIZE above the maximum size. */
int      shmring_topic_publish(shmring_topic *t, const void *msg, size_t len, int64_t timeout_ns);

/* Copies the next message; returns its length; *sequence (may be NULL) receives its sequence number.
 * Timeout as for publish. -EMSGSIZE if cap is smaller than the message, which stays next; a lossy
 * subscriber never gets a message that was overwritten while it copied it (it counts as lost). */
ssize_t  shmring_topic_receive(shmring_topic *t, void *buf, size_t cap, uint64_t *sequence, int64_t timeout_ns);

/* Zero copy, publisher: as shmring_queue_loan, shmring_queue_commit and shmring_queue_abort (an
 * aborted loan publishes nothing). Misuse returns -EINVAL and wedges nothing. */
int      shmring_topic_loan(shmring_topic *t, void **buf, size_t *cap, int64_t timeout_ns);
int      shmring_topic_commit(shmring_topic *t, size_t len);
void     shmring_topic_abort(shmring_topic *t);

/* Zero copy, subscriber: the next message in place, until release; returns its length. While a
 * peek is open, other receive calls of the handle return -EINVAL; release without a peek too. */
ssize_t  shmring_topic_peek(shmring_topic *t, const void **msg, uint64_t *sequence, int64_t timeout_ns);
/* Lossy topics: -EOVERFLOW if the message peeked was overwritten before release (its bytes must not be trusted). */
int      shmring_topic_release(shmring_topic *t);

uint64_t shmring_topic_lost(shmring_topic *t);               /* subscriber: messages it missed (lossy) */
/* Largest message the topic carries, in bytes. */
ssize_t  shmring_topic_max_message_size(shmring_topic *t);
int      shmring_topic_set_wait(shmring_topic *t, int strategy);
/* As shmring_pipe_fd: subscriber: a message is there; publisher: a message can be published. */
int      shmring_topic_fd(shmring_topic *t);
void     shmring_topic_close(shmring_topic *t);

typedef struct shmring_service shmring_service;
enum { SHMRING_SERVER = 4, SHMRING_CLIENT = 8 };                 /* roles */

/* Creates a service: up to max_pending calls pending at once (1 to 8388608), requests of up to
 * max_request bytes and responses of up to max_response bytes (1 byte to 1 MiB each). Mode as for pipes. */
int     shmring_service_create(const char *name, size_t max_pending, size_t max_request, size_t max_response, unsigned mode);

/* Opens a service as SHMRING_CLIENT or SHMRING_SERVER (any number of each, up to 64 endpoints in
 * all). Each request is served by exactly one server. -EPROTO for a segment that is not a service. */
int     shmring_service_open(const char *name, int role, shmring_service **out);

/* Client. Timeouts as for queues (< 0: for ever; 0: try once; > 0: at most that long).
 * call: sends a request and waits for its response; returns the response's length. -EMSGSIZE: the
 * response is larger than resp_cap (it is discarded), or the request larger than the maximum.
 * -ECONNREFUSED: no live server is attached. -ECONNRESET: the server serving the request died or
 * closed before answering (noticed within 50 ms); the request is never served twice. -EAGAIN /
 * -ETIMEDOUT: max_pending calls are pending (nothing was sent), or the response did not come in
 * time (-ETIMEDOUT; the call is given up, and its response, should it come, is dropped). */
ssize_t shmring_service_call(shmring_service *c, const void *req, size_t req_len, void *resp, size_t resp_cap, int64_t timeout_ns);
/* send: sends a request without waiting for its response; *request_id receives its id. Waits
 * only while max_pending calls are pending. Errors as for call. */
int     shmring_service_send(shmring_service *c, const void *req, size_t req_len, uint64_t *request_id, int64_t timeout_ns);
/* wait: the response of a request this client sent, in any order; returns its length. Timeout 0
 * only looks (-EAGAIN, the call stays pending); a timeout that passes gives the call up (-ETIMEDOUT).
 * -EINVAL: an id this client never sent, or whose response it has collected or given up. */
ssize_t shmring_service_wait(shmring_service *c, uint64_t request_id, void *resp, size_t resp_cap, int64_t timeout_ns);
/* Gives a pending call up: its response is dropped. -EINVAL if it is not a pending call of this client. */
int     shmring_service_cancel(shmring_service *c, uint64_t request_id);

/* Server. receive: copies the next request; returns its length and *request_id its id; reply
 * answers it, once. -EMSGSIZE if cap is smaller than the request, which this server keeps and
 * returns first at its next receive or peek. reply: -EINVAL for an id this server does not serve
 * (replied already, or never received); a reply to a client that gave up is dropped (0). */
ssize_t shmring_service_receive(shmring_service *s, void *req, size_t cap, uint64_t *request_id, int64_t timeout_ns);
int     shmring_service_reply(shmring_service *s, uint64_t request_id, const void *resp, size_t len);
/* Zero copy, server: peek lends the next request in place (valid until it is answered); loan
 * lends the request's response buffer, commit answers with its first len bytes (as reply). */
ssize_t shmring_service_peek(shmring_service *s, const void **req, uint64_t *request_id, int64_t timeout_ns);
int     shmring_service_loan(shmring_service *s, uint64_t request_id, void **buf, size_t *cap);
int     shmring_service_commit(shmring_service *s, uint64_t request_id, size_t len);

/* Largest request and response the service carries, in bytes. */
ssize_t shmring_service_max_request_size(shmring_service *s);
ssize_t shmring_service_max_response_size(shmring_service *s);
int     shmring_service_set_wait(shmring_service *s, int strategy);
/* As shmring_pipe_fd: client: a response (or a reset) is ready; server: a request is there. */
int     shmring_service_fd(shmring_service *s);
/* Closes the handle. A client's pending calls are given up; a server's unanswered requests are
 * reset (their clients get -ECONNRESET). */
void    shmring_service_close(shmring_service *s);

/* ---- Cells: the latest value of some shared state, written by any process, read by any, never torn.
 * Writes are serialised (the last writer wins; versions 1, 2, 3, ...). A read copies the latest
 * complete value without blocking writers or being blocked by them. A writer killed in the middle
 * of a write leaves the previous value readable; the next write goes on. */
typedef struct shmring_cell shmring_cell;
/* A cell for values of 1 byte to 64 MiB. mode 0: 0600. */
int     shmring_cell_create(const char *name, size_t max_size, unsigned mode);
/* -EPROTO for a segment that is not a cell. */
int     shmring_cell_open(const char *name, shmring_cell **out);
/* Publishes value as the newest version; waits only while another writer writes. -EMSGSIZE above
 * the maximum size. */
int     shmring_cell_write(shmring_cell *c, const void *value, size_t len);
/* Copies the latest value; returns its length; *version (may be NULL) receives its version (0: never written).
 * -EMSGSIZE if cap is smaller than the value (nothing copied; *version is set). -EAGAIN if writers
 * rewrote the value faster than it could be copied, many times over. */
ssize_t shmring_cell_read(shmring_cell *c, void *buf, size_t cap, uint64_t *version);
/* Waits until the version is greater than `seen`; returns the new version (as int64), or a negative errno.
 * Timeout as for queues (< 0: for ever; 0: only looks, -EAGAIN; > 0: at most that long, -ETIMEDOUT). */
int64_t shmring_cell_wait(shmring_cell *c, uint64_t seen, int64_t timeout_ns);
/* Largest value the cell holds, in bytes. */
ssize_t shmring_cell_max_size(shmring_cell *c);
/* A descriptor that poll/epoll report readable while the cell holds a version newer than the last
 * one this handle read (or waited for). Owned by the handle. */
int     shmring_cell_fd(shmring_cell *c);
void    shmring_cell_close(shmring_cell *c);

/* ---- Locks: mutual exclusion between processes that survives its holder. A handle holds the
 * lock, not a thread: give each thread its own handle. Uncontended, acquire and release make no
 * system call. A holder killed or exec'd while holding hands the lock to the next acquirer with
 * -EOWNERDEAD (noticed within 50 ms); a stopped or slow holder is waited for, never overtaken.
 * In a process forked after the handle was opened, every call on it returns -EPERM (and a cell
 * write too): the handle is the parent's. */
typedef struct shmring_lock shmring_lock;
int     shmring_lock_create(const char *name, unsigned mode);
/* -EPROTO for a segment that is not a lock. */
int     shmring_lock_open(const char *name, shmring_lock **out);
/* 0: locked. -EOWNERDEAD: locked, and the previous owner died holding it (state may need repair).
   -ENOTRECOVERABLE: a previous -EOWNERDEAD owner unlocked without shmring_lock_consistent. timeout_ns as for queues. */
int     shmring_lock_acquire(shmring_lock *l, int64_t timeout_ns);
int     shmring_lock_consistent(shmring_lock *l);   /* after -EOWNERDEAD: the state is repaired */
int     shmring_lock_release(shmring_lock *l);       /* -EPERM if this handle does not hold it */
void    shmring_lock_close(shmring_lock *l);         /* closing while holding releases it as a death would */

/* ---- Semaphores: counting, between processes. A waiter killed while it waits takes nothing. */
typedef struct shmring_sem  shmring_sem;
/* maximum: 1 to 2147483647; initial: at most maximum. mode 0: 0600. */
int     shmring_sem_create(const char *name, unsigned initial, unsigned maximum, unsigned mode);
/* -EPROTO for a segment that is not a semaphore. */
int     shmring_sem_open(const char *name, shmring_sem **out);
int     shmring_sem_post(shmring_sem *s);            /* -EOVERFLOW above maximum */
/* Takes one, waiting while the count is zero. Timeout as for queues (0: -EAGAIN at zero). */
int     shmring_sem_wait(shmring_sem *s, int64_t timeout_ns);
int     shmring_sem_value(shmring_sem *s);           /* a racy look, for tools */
/* A descriptor that poll/epoll report readable while the count is above zero; a wait that finds
 * zero (-EAGAIN) rearms it. Owned by the handle. */
int     shmring_sem_fd(shmring_sem *s);
void    shmring_sem_close(shmring_sem *s);

/* Removes a pipe, queue, topic, service, cell, lock or semaphore by name; handles still open keep
 * working until they close. */
int shmring_unlink(const char *name);

/* A static description of a negative (or positive) errno value returned by this API. */
const char *shmring_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* SHMRING_SHMRING_H */
