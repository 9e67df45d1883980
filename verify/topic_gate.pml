/* The gating handshake of a lossless topic, core/include/shmring/detail/topic_protocol.hpp
 * (TopicWriter::round, begin, finish; TopicReader::join, find, advance, leave; topic_slowest_lag;
 * topic_ungate) with the reclaiming of a dead subscriber's entry (take_entry in
 * core/src/endpoint.cpp, reached from TopicPublisher::reap_dead_subscribers while the publisher
 * waits, or from the entry's next attacher): one publisher, two subscribers, SLOTS slots,
 * MESSAGES messages, run under x86-TSO.
 *
 * Position p lives in slot p % SLOTS. A slot's stamp is 2p + 1 while p is written, 2p + 2 once it
 * is complete, 0 never written; the payload is the position itself. The publisher may hold BOUND
 * messages (BOUND <= SLOTS: the capacity asked for, the slots being its power of two ceiling).
 *
 * The steps, named as in the source:
 *   publisher  write p while p < used: [T1] stamp := 2p + 1; [T3] payload := p;
 *                 [T4] stamp := 2p + 2; [T5] tail := p + 1
 *              at the limit, a round:
 *                 [G1] load the gating mask; for each bit, load the entry's state and skip it
 *                      unless attached, then load the cursor -> m1, the slowest cursor (one above
 *                      p counts as p); no bit: m1 = p - BOUND + KEEP, KEEP = max(1, BOUND / 2)
 *                 [G2] X = max(announced, m1 + BOUND); announced := X; limit := X
 *                 [G3] seq_cst fence
 *                 [G4] scan again -> m2; used = min(X, m2 + BOUND) (no bit: X)
 *                 still p >= used: full. It waits (endpoint wait on the space event) until a
 *                 cursor or the mask changed since [G1] began, and meanwhile its probe may reap
 *                 a dead gating subscriber; then a new round.
 *   subscriber join: [J0] T = load tail; start at any position from T - BOUND (clamped at 0:
 *                 TopicStart::oldest) up to T (TopicStart::next); [J1] cursor := start;
 *                 [J2] set own bit in the gating mask (a locked RMW); [J3] seq_cst fence;
 *                 [J4] L = load limit; cursor := max(cursor, L - BOUND); load tail and assert
 *                 L - BOUND <= tail (the source reports corrupt otherwise);
 *                 [J5] wake the publisher (notify the space event, whose [F1] fence drains the
 *                 raised cursor first): it may wait on the cursor [J1] stored
 *              read c: [S1] wait for stamp(c) >= 2c + 2 and assert it is 2c + 2 (above: the
 *                 slot was overwritten, corrupt in the source); [S2] assert payload = c;
 *                 [S6] cursor := c + 1, and wake the publisher (moved_on)
 *              leave: clear own bit (topic_ungate, a locked RMW); wake the publisher (detach)
 *              die: subscriber 1 may stop at any step of a session (DIE 1; a ghost Killer picks
 *                 the moment). Its entry is then reclaimed under its lease, by the waiting
 *                 publisher's probe or by its next attacher (the same process, standing for a
 *                 new subscriber taking entry 1): take the entry (claiming), clear its gating
 *                 bit, free the entry, drop the lease. The next owner attaches, then joins.
 *                 The probe's reclaim is followed by a new round at once; an attacher's wakes
 *                 nobody (its join's [J5] does).
 *
 * Subscriber 0 joins at any moment (its first step interleaves anywhere) and reads to the end.
 * Subscriber 1 runs SESSIONS sessions: each joins at any moment, reads, and may leave at any
 * point (LEAVE 1) and rejoin with its next session, or die (DIE 1, once), after which its next
 * session is the entry's next owner's (or nobody takes the entry).
 *
 * Checked (assertions and end states, exhaustive):
 * - a subscriber never finds its slot overwritten ([S1]) and never reads a payload other than
 *   its position ([S2]); it reads c, c + 1, ... from its start, so what it receives is in order
 *   and each message once;
 * - at the moment each store of the write of p ([T1], [T3]) reaches memory, p < next + BOUND for
 *   every live subscriber past [J4] that has not left (next: its next position to read). Not for
 *   a joiner before [J4]: it may start below what the publisher may overwrite, which [J4] fixes;
 *   nor for a dead one: the source skips an entry being reclaimed;
 * - the joiner's check at [J4]: L - BOUND <= tail;
 * - once nothing can move: the publisher wrote every message and every live subscriber that
 *   stayed joined read up to the end; no invalid end state (no deadlock: the publisher waits only
 *   while a subscriber it waits for can still move, or a dead one can still be reaped).
 *
 * What is abstracted:
 * - x86-TSO: every process's stores go into its FIFO store buffer (the publisher's psb, PBUF
 *   deep; a subscriber's cursor stores into sb[i], SBUF deep), which the process Drainer empties
 *   into memory one store at a time, whenever it likes; loads read memory. A locked RMW (the mask
 *   changes [J2], leave and topic_ungate) and a seq_cst fence ([G3], [J3]) wait until their
 *   process's buffer is empty; the RMW's own store reaches memory at once, so [J3], right after
 *   the locked [J2], is no step here. Release/acquire and the release fence [T2] cost nothing
 *   on x86 (loads are not reordered with loads, stores not with stores). A process never needs
 *   store-to-load forwarding: the publisher keeps its own limit (`announced`) and positions, a
 *   subscriber its cursor (next[i], global only for the assertions). A full buffer stalls its
 *   process, as a real one does; the bounds only leave out longer delays of the same kind.
 * - A buffered store is issued in one step with the local work around it (nobody sees it yet),
 *   so the four stores of a write are one step of the publisher, and reach memory one by one.
 * - The wait on the space event is an await on a ghost flag `changed`: cleared as the round
 *   starts ([W2], the observed sequence read before the attempt) and set by each wake-up: when
 *   the cursor store of an [S6] reaches memory, at [J5] and at a leave (each notify's fence
 *   comes after the stores it announces; the futex handshake itself is checked by
 *   verify/futex_handshake.pml). [J1], [J2] and the raise wake nobody: setting a bit only takes
 *   room away, and the raise is announced by [J5]. A subscriber's buffered store carries whether
 *   a wake-up follows it. No deadlines, probe intervals or spurious wake-ups: a lost wake-up is
 *   a publisher waiting for ever (a stall of a probe interval in the source), an invalid end
 *   state.
 * - Liveness of an entry's owner is exact (the ghost entry[]); its probe runs at any moment of a
 *   wait while a gating entry's owner is dead. A process that dies has its store buffer drained
 *   (the kernel ran on its CPUs to end it), before anybody can see it dead.
 * - The loads of [G1] and [G4] are separate steps (mask; each entry's state; each cursor); the
 *   entry state is attached for a live or a dead owner, claiming or free while being reclaimed
 *   (the source skips those, see topic_slowest_lag).
 * - Positions never wrap (the source's 64-bit positions compare modulo 2^64; topic_before).
 *   Leaving and rejoining keep entry 1 (the source detaches and attaches again, possibly on
 *   another entry; the gating protocol does not care which). One publisher, never replaced
 *   (TopicWriter::resume is left out). Lost counts and lossy topics are left out.
 *
 * MUTANT selects a broken variant, to show that the checks are not vacuous (verify/run.sh expects
 * an error from each): 1 drops the raise at [J4]; 2 announces X = m1 + BOUND, not monotonic;
 * 3 drops the rescan [G4] (used = X); 4 drops the fence [G3], so the announcement can still sit
 * in the publisher's store buffer when [G4] loads the mask; 5 ungates a dead subscriber's entry
 * after freeing it and dropping the lease, where its next owner may already have set its bit;
 * 6 waits on what the rescan [G4] saw instead of on every change since [G1] (the publisher
 * sleeps after a subscriber moved or left between [G1] and [G4]); 7 joins without [J5]: the
 * publisher waits on a joiner's start seen at [G4], the raise lifts it to the tail, and with
 * nothing to read the joiner never stores its cursor again.
 */

#ifndef SLOTS
#define SLOTS 2
#endif
#ifndef BOUND
#define BOUND SLOTS
#endif
#ifndef MESSAGES
#define MESSAGES 4
#endif
#ifndef SESSIONS
#define SESSIONS 2          /* subscriber 1's sessions */
#endif
#ifndef LEAVE
#define LEAVE 1
#endif
#ifndef DIE
#define DIE 0
#endif
#ifndef PBUF
#define PBUF 5
#endif
#ifndef SBUF
#define SBUF 2
#endif
#ifndef MUTANT
#define MUTANT 0
#endif
#if BOUND / 2 > 1
#define KEEP (BOUND / 2)
#else
#define KEEP 1
#endif
#define NONE 100            /* no gating subscriber in a scan */

/* The kinds of the publisher's buffered stores. */
#define ST_STAMP 0
#define ST_PAYLOAD 1
#define ST_TAIL 2
#define ST_LIMIT 3

/* Entry states: attached with a live or a dead owner, claiming under a reaper's lease, free. */
#define ALIVE 0
#define DEAD 1
#define CLAIMING 2
#define FREE 3
#define NOBODY 0
#define BY_PUBLISHER 1
#define BY_ATTACHER 2

/* Shared memory. */
byte stamp[SLOTS];
byte payload[SLOTS];
byte tail;                   /* ProducerBlock::position */
byte limit;                  /* ProducerBlock::limit */
byte gating;                 /* ConsumerBlock::gating */
byte cursor[2];              /* EndpointEntry::cursor */
byte entry[2];               /* EndpointEntry::state: ALIVE, DEAD, CLAIMING, FREE */
byte lease;                  /* entry 1's lease: NOBODY or who holds it */

chan psb = [PBUF] of { byte, byte };   /* the publisher's store buffer: kind, value */
chan sb[2] = [SBUF] of { byte, bool };  /* each subscriber's store buffer: its cursor, and
                                          * whether a wake-up follows the store */

/* Ghosts. */
byte next[2];                /* each subscriber's next position to read (TopicReader::next_) */
bool established[2];         /* live, past [J4] and not left */
bool changed;                /* a wake-up came since the publisher's round began */
bool in_session[2];          /* subscriber i is in a session: it may die */
bool kill[2];                /* it dies at its next step */

/* A store of the write of position q reaches its slot: every established subscriber is far
 * enough ahead. */
inline check_room(q) {
    assert(!established[0] || q < next[0] + BOUND);
    assert(!established[1] || q < next[1] + BOUND)
}

inline commit_publisher(k, v) {
    if
    :: k == ST_STAMP ->
        if
        :: v % 2 == 1 -> check_room((v - 1) / 2)
        :: else -> skip
        fi;
        stamp[((v - 1) / 2) % SLOTS] = v
    :: k == ST_PAYLOAD -> check_room(v); payload[v % SLOTS] = v
    :: k == ST_TAIL -> tail = v
    :: k == ST_LIMIT -> limit = v
    fi
}

/* Empties the store buffers into memory, a store at a time, whenever it likes. */
active proctype Drainer() {
    byte k;
    byte v;
    bool w;
end_idle:
    do
    :: atomic { psb?k, v -> commit_publisher(k, v); k = 0; v = 0 }
    :: atomic { sb[0]?v, w -> cursor[0] = v; changed = changed || w; v = 0; w = false }
    :: atomic { sb[1]?v, w -> cursor[1] = v; changed = changed || w; v = 0; w = false }
    od
}

/* The loads of a scan ([G1], [G4]) after the mask's: for each bit seen, the entry's state, then, if
 * attached, its cursor; m becomes the slowest cursor (one past p counts as p), or stays NONE. */
inline scan() {
    do
    :: i < 2 && (gating_seen & (1 << i)) ->
        attached = (entry[i] == ALIVE || entry[i] == DEAD);
        atomic {
            if
            :: attached ->
                c = cursor[i];
                if
                :: c > p -> c = p
                :: else -> skip
                fi;
                if
                :: c < m -> m = c
                :: else -> skip
                fi
            :: else -> skip
            fi;
            c = 0;
            attached = false;
            i++
        }
    :: i < 2 && !(gating_seen & (1 << i)) -> i++
    :: i == 2 -> i = 0; gating_seen = 0; break
    od
}

/* Reclaims dead entry 1 under its lease (reap_dead_endpoints, take_entry); `buffer` is the
 * reclaimer's store buffer, which its locked RMWs drain; `wakes`: the publisher's probe, which
 * makes a new round at once. */
inline reclaim(buffer, wakes) {
    entry[1] = CLAIMING;                                    /* CAS on the state, under the lease */
#if MUTANT != 5
    atomic { empty(buffer) -> gating = gating & ~2; changed = changed || wakes };   /* [Q1] */
    atomic { entry[1] = FREE; lease = NOBODY }
#else
    atomic { entry[1] = FREE; lease = NOBODY };                        /* freed, lease dropped, */
    atomic { empty(buffer) -> gating = gating & ~2; changed = changed || wakes }    /* then [Q1] */
#endif
}

active proctype Publisher() {
    short p;                 /* next_ */
    short used;              /* used_ */
    short announced;         /* announced_ */
    short X;
    short m;
    short c;
    byte gating_seen;
    byte i;
    bool attached;
    do
    :: p == MESSAGES -> break
    :: p < MESSAGES && p < used ->
        atomic {                                            /* [T1] [T3] [T4] [T5], buffered */
            psb!ST_STAMP, 2 * p + 1;
            psb!ST_PAYLOAD, p;
            psb!ST_STAMP, 2 * p + 2;
            psb!ST_TAIL, p + 1;
            p++
        }
    :: p < MESSAGES && p >= used ->
round:
        atomic { changed = false; gating_seen = gating; m = NONE };   /* [W2], then [G1] */
        scan();
        atomic {
            if
            :: m == NONE -> m = p - BOUND + KEEP
            :: else -> skip
            fi;
#if MUTANT != 2
            if                                              /* [G2]: never lowered */
            :: announced < m + BOUND -> announced = m + BOUND
            :: else -> skip
            fi;
#else
            announced = m + BOUND;
#endif
            X = announced;
            m = 0;
            psb!ST_LIMIT, X
        };
#if MUTANT != 4
        empty(psb);                                         /* [G3] */
#endif
#if MUTANT != 3 && MUTANT != 6
        atomic { gating_seen = gating; m = NONE };          /* [G4] */
        scan();
#elif MUTANT == 6
        atomic { changed = false; gating_seen = gating; m = NONE };   /* [G4]; the wait from here */
        scan();
#else
        m = NONE;
#endif
        atomic {
            used = X;
            if
            :: m != NONE && m + BOUND < used -> used = m + BOUND
            :: else -> skip
            fi;
            X = 0;
            m = 0
        };
        if
        :: p >= used ->                                     /* full: wait, then a new round */
            do
            :: changed -> break
            :: atomic {
                   (gating & 2) && entry[1] == DEAD && lease == NOBODY -> lease = BY_PUBLISHER
               };
                reclaim(psb, true)                          /* the wait's probe, then a round */
            od;
            goto round
        :: else -> skip
        fi
    od
}

#if DIE
/* Picks the moment subscriber 1 dies, if it does. */
active proctype Killer() {
end_spared:
    atomic { in_session[1] -> kill[1] = true }
}
#endif

proctype Subscriber(byte me; byte sessions; bool may_leave) {
    short T;
    short L;
    byte v;
    bool w;
    bool done;
    do
    :: sessions == 0 || done -> break
    :: sessions > 0 && !done ->
        sessions--;
        if
        :: entry[me] == ALIVE -> skip
        :: entry[me] != ALIVE ->                            /* the entry's next owner */
            if
            :: skip
            :: break                                        /* nobody takes entry 1 */
            fi;
            do
            :: atomic { entry[me] == FREE && lease == NOBODY -> entry[me] = ALIVE }; break
            :: atomic { entry[me] == DEAD && lease == NOBODY -> lease = BY_ATTACHER };
                reclaim(sb[me], false)
            od
        fi;
        {
            in_session[me] = true;
            atomic {                                        /* [J0], and where to start */
                T = tail;
                next[me] = T;
                do
                :: next[me] > 0 && T - next[me] < BOUND -> next[me]--
                :: break
                od;
                T = 0
            };
            sb[me]!next[me], false;                         /* [J1], buffered */
            atomic { empty(sb[me]) -> gating = gating | (1 << me) };   /* [J2] [J3] */
            atomic {                                        /* [J4] */
                L = limit;
#if MUTANT != 1
                if
                :: L - BOUND > next[me] -> next[me] = L - BOUND; sb[me]!next[me], false
                :: else -> skip
                fi;
#endif
                established[me] = true
            };
            atomic { T = tail; assert(L - BOUND <= T); T = 0; L = 0 };
#if MUTANT != 7
            atomic { empty(sb[me]) -> changed = true };    /* [J5]: its [F1] drains the raise */
#endif
            do
            :: atomic {                                     /* [S1] */
                   next[me] < MESSAGES && stamp[next[me] % SLOTS] >= 2 * next[me] + 2 ->
                   assert(stamp[next[me] % SLOTS] == 2 * next[me] + 2)
               };
                atomic { v = payload[next[me] % SLOTS]; assert(v == next[me]); v = 0 };   /* [S2] */
                atomic { nfull(sb[me]) -> next[me]++; sb[me]!next[me], true }            /* [S6] */
            :: next[me] == MESSAGES -> done = true; break   /* read to the end: stays joined */
            :: may_leave ->
                atomic {                                    /* leave: topic_ungate */
                    empty(sb[me]) -> gating = gating & ~(1 << me);
                    changed = true;
                    established[me] = false
                };
                break
            od;
            in_session[me] = false
        } unless {
            atomic {                                        /* dies: its stores drain */
                kill[me] ->
                do
                :: sb[me]?v, w -> cursor[me] = v; changed = changed || w
                :: empty(sb[me]) -> break
                od;
                v = 0;
                w = false;
                T = 0;
                L = 0;
                established[me] = false;
                in_session[me] = false;
                kill[me] = false;
                entry[me] = DEAD
            }
        }
    od
}

init {
    atomic {
        run Subscriber(0, 1, false);
        run Subscriber(1, SESSIONS, LEAVE)
    }
}

/* Runs once nothing else can move. */
active proctype Settled() {
    timeout ->
    assert(tail == MESSAGES);                               /* the publisher wrote everything */
    assert(!established[0] || next[0] == MESSAGES);         /* live joined ones read it all */
    assert(!established[1] || next[1] == MESSAGES)
}
