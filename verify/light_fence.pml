/* The light publish fence of core/include/shmring/detail/publish_fence.hpp (PublishFence) and
 * [H] in wait_after_miss (detail/wait_loop.hpp): the futex handshake of
 * verify/futex_handshake.pml with a publisher that may replace its full fence F1 by a
 * compiler-only fence, and sleepers that make up for it with a heavy barrier
 * (membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)). The publisher goes light on an event after QUIET
 * publishes in a row found nobody asleep there, and back to full on the first publish that finds a
 * sleeper; its bit in the event's light_publishers mask tells sleepers that it is light. One
 * publisher and SLEEPERS sleepers parked on one WaitEvent.
 *
 * Checked: no lost wake-up (once nothing can move any more, every published message has been
 * taken: a consumer never sleeps for ever while there is data for it) and no deadlock (no invalid
 * end state: the publisher always finishes and a sleeper only ever stops inside FUTEX_WAIT).
 *
 * The steps, named as in the source:
 *   publisher  P1 store position (into its store buffer); F1 full fence, only when not light;
 *              P2 load sleepers;
 *              if 0 and not light: after QUIET such publishes in a row, L1 set own bit in
 *                 light_publishers (a locked RMW); F0 full fence; light from now on
 *              if not 0: if light, L2 clear own bit in light_publishers (a locked RMW), full from
 *                 now on; N1 sequence += 1 (a locked RMW); N2 FUTEX_WAKE(every sleeper)
 *              after the last publish, it stays, or detaches (Endpoint::detach): L2 if light,
 *                 then N1 and N2 (wake_all_sleepers)
 *   sleeper    attempt; W1 set own bit in sleepers; F2 fence; H load light_publishers, and the
 *              heavy barrier if not 0; W2 observed = sequence; W3 attempt;
 *              W4 FUTEX_WAIT(sequence, observed); attempt; W5 clear own bit
 *
 * The publisher publishes MESSAGES messages; with QUIET 1 it can go full, light, full and light
 * again within a run of 3 or more. QUIET 0 lets it go light after any quiet full publish or stay
 * full (a free choice each time), which covers every count, kQuietPublishesBeforeLight included.
 * START_LIGHT 1 starts it light, its bit set. Sleeper 0 is a consumer: its attempt takes a
 * published message if one is left. With two sleepers, sleeper 1 is a second consumer (HELPER 0)
 * or the consumer's poll helper (HELPER 1), as in verify/futex_handshake.pml.
 *
 * What is abstracted:
 * - The publisher runs under x86-TSO: its stores go into a FIFO store buffer (the channel sb),
 *   which the process Drainer empties into memory one store at a time, whenever it likes; its
 *   loads read memory, passing the stores still buffered (P2 may run before P1 is visible). A
 *   full fence and a locked RMW (L1, L2, N1) wait until the buffer is empty, and the RMW's own
 *   store is in memory at once. F0 directly follows the locked L1, so here it only ever finds the
 *   buffer empty: on x86 the RMW is already a full barrier. The publisher reads no location it
 *   stores through the buffer, so store-to-load forwarding does not arise.
 * - The sleeper is sequentially consistent: its W1 and W5 are locked RMWs and F2 orders W1 before
 *   its loads; it stores nothing else that the publisher reads.
 * - The heavy barrier is one step that empties the publisher's store buffer: membarrier runs a
 *   full barrier in every running thread of the publisher's process before it returns (and a
 *   thread not running has drained at its context switch). The load H and the barrier are two
 *   steps.
 * - As in verify/futex_handshake.pml: each step is atomic; FUTEX_WAIT compares and enqueues in
 *   one step; no deadlines (a lost wake-up is a sleeper asleep for ever, not a slice of 1 ms) and
 *   no spurious returns; the spin and yield phases are left out; the sequence never wraps.
 * - light_publishers holds only this publisher's bit (bit 0): another publisher's bit only adds
 *   barriers. The detach's other stores between L2 and its wake are left out, and so is a
 *   publisher's death: its buffer drains as it dies, and the clear of its bit by the next owner
 *   of its endpoint entry (the Endpoint constructor) only spares sleepers a barrier.
 *
 * Variants that pass, to show what the ordering of L2 is needed for: PLAIN_CLEAR 1 makes L2 a
 * plain store that reaches memory at once, before the light position stores still in the buffer.
 * No wake-up is lost, because every L2 of the source is followed by a wake: the publish that finds
 * a sleeper, and the detach, go on to N1, whose locked RMW drains the buffer before the sequence
 * moves, and to N2, which wakes every sleeper. A sleeper that reads the cleared mask and skips the
 * barrier reads the sequence before N1 (then FUTEX_WAIT returns or is woken by N2) or after it
 * (then it sees the drained position). DETACH_WAKES 0 leaves the wake out of the detach: the
 * draining L2 alone then keeps every wake-up (the [L2] argument of publish_fence.hpp).
 *
 * MUTANT selects a broken variant, to show that the check is not vacuous (verify/run.sh expects
 * an error from each): 1 never issues the heavy barrier (H skipped), so a light publish loses a
 * wake-up; 2 goes light with L1 a plain store, buffered, and no F0: the sleeper reads the mask as
 * 0 while the bit still sits in the buffer, and the next light publish misses the sleeper's bit;
 * 3 reads light_publishers before W1 and F2 (say, once per wait): it reads 0, the publisher then
 * goes light, and its next publish neither sees the sleeper's bit (not yet set) nor gets a
 * barrier; 4 is a detach that clears its bit with a plain store (PLAIN_CLEAR) and wakes nobody
 * (DETACH_WAKES 0): a sleeper reads the mask without the bit and skips the barrier while the last
 * light position is still in the buffer.
 */

#ifndef SLEEPERS
#define SLEEPERS 1
#endif
#ifndef HELPER
#define HELPER 0
#endif
#ifndef MESSAGES
#define MESSAGES 4
#endif
#ifndef QUIET
#define QUIET 1
#endif
#ifndef START_LIGHT
#define START_LIGHT 0
#endif
#ifndef PLAIN_CLEAR
#define PLAIN_CLEAR 0
#endif
#ifndef DETACH_WAKES
#define DETACH_WAKES 1
#endif
#ifndef MUTANT
#define MUTANT 0
#endif
#if MUTANT == 4
#undef PLAIN_CLEAR
#define PLAIN_CLEAR 1
#undef DETACH_WAKES
#define DETACH_WAKES 0
#endif

#define BIT_STORE 0         /* in sb: the store of L1 (MUTANT 2); any other k stores position = k */

byte position;              /* messages published and visible (the producer's position in memory) */
byte taken;                 /* messages taken by consumers (the consumers' position) */
byte sequence;              /* WaitEvent::sequence, the futex word */
byte sleepers;              /* WaitEvent::sleepers and helper_sleepers, one bit per sleeper */
byte light_publishers = START_LIGHT;  /* WaitEvent::light_publishers: bit 0 is the publisher's */
bool queued[SLEEPERS];      /* in the futex's wait queue */
chan sb = [MESSAGES + 1] of { byte };  /* the publisher's store buffer, FIFO */

/* One store leaves the store buffer for memory. */
inline commit(v) {
    if
    :: v == BIT_STORE -> light_publishers = light_publishers | 1
    :: else -> position = v
    fi;
    v = 0
}

/* A consumer takes a message; the poll helper only looks. */
inline attempt(got) {
    atomic {
        if
        :: taken < position && !looks_only -> taken++; got = true
        :: taken < position && looks_only -> got = true
        :: else -> got = false
        fi
    }
}

inline futex_wake() {
    atomic {
        queued[0] = false;
        queued[SLEEPERS - 1] = false
    }
}

inline go_light() {
#if MUTANT != 2
    atomic { empty(sb) -> light_publishers = light_publishers | 1 };  /* L1 */
    empty(sb);                                                       /* F0 */
#else
    sb!BIT_STORE;                                                    /* L1 as a plain store, no F0 */
#endif
    light = true;
    quiet = 0
}

inline leave_light() {
    if
    :: light ->
#if PLAIN_CLEAR == 0
        atomic { empty(sb) -> light_publishers = light_publishers & ~1 };  /* L2 */
#else
        light_publishers = light_publishers & ~1;                          /* L2 without the drain */
#endif
        light = false
    :: else -> skip
    fi
}

inline wake_sleepers() {
    atomic { empty(sb) -> sequence++ };                 /* N1 */
    futex_wake()                                        /* N2 */
}

active proctype Publisher() {
    byte published;         /* its own position */
    bool light = START_LIGHT;
    byte quiet;
    bool s;
    do
    :: published < MESSAGES ->
        published++;
        sb!published;                                   /* P1, buffered */
        if
        :: !light -> empty(sb)                          /* F1 */
        :: else -> skip                                 /* F1 light: a compiler fence */
        fi;
        s = (sleepers != 0);                            /* P2 */
        if
        :: !s ->
            if
            :: !light ->
#if QUIET > 0
                quiet++;
                if
                :: quiet >= QUIET -> go_light()
                :: else -> skip
                fi
#else
                if
                :: go_light()
                :: skip
                fi
#endif
            :: else -> skip
            fi
        :: else ->
            quiet = 0;
            leave_light();
            wake_sleepers()
        fi;
        s = false
    :: else -> break
    od;
    if
    :: skip                                             /* stays attached */
    :: leave_light();                                   /* detaches */
#if DETACH_WAKES
        wake_sleepers()
#else
        skip
#endif
    fi
}

/* Empties the publisher's store buffer into memory, a store at a time, whenever it likes. */
active proctype Drainer() {
    byte v;
end_idle:
    do
    :: atomic { sb?v -> commit(v) }
    od
}

proctype Sleeper(byte me; bool looks_only) {
    bool got;
    byte observed;
    bool m;
    byte v;
    do
    :: attempt(got);
        if
        :: got -> got = false
        :: else ->
            do
            ::
#if MUTANT == 3
                m = (light_publishers != 0);                          /* H too early */
#endif
                sleepers = sleepers | (1 << me);                      /* W1, ordered before H by F2 */
#if MUTANT != 1 && MUTANT != 3
                m = (light_publishers != 0);                          /* H */
#endif
                if
                :: m ->
                    atomic {                                          /* heavy barrier */
                        do
                        :: sb?v -> commit(v)
                        :: empty(sb) -> break
                        od
                    }
                :: else -> skip
                fi;
                m = false;
                observed = sequence;                                  /* W2 */
                attempt(got);                                         /* W3 */
                if
                :: !got ->
                    atomic {                                          /* W4: compare, then enqueue */
                        if
                        :: sequence == observed -> queued[me] = true
                        :: else -> skip
                        fi
                    };
end_asleep:         !queued[me];
                    attempt(got)
                :: else -> skip
                fi;
                sleepers = sleepers & ~(1 << me);                     /* W5 */
                observed = 0;
                if
                :: got -> got = false; break
                :: else -> skip
                fi
            od
        fi;
        if
        :: looks_only -> break                          /* reported: the helper waits to be re-armed */
        :: else -> skip
        fi
    od
}

init {
    atomic {
        run Sleeper(0, false);
        if
        :: SLEEPERS > 1 -> run Sleeper(1, HELPER)
        :: else -> skip
        fi
    }
}

/* Runs once nothing else can move: every message published must have been taken by then. */
active proctype NoLostWakeUp() {
    timeout -> assert(position == MESSAGES && taken == MESSAGES)
}
