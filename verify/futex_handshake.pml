/* The futex wait/wake handshake of core/include/shmring/detail/wait_loop.hpp (notify and
 * wait_until), with one publisher and SLEEPERS sleepers parked on one WaitEvent.
 *
 * Checked: no lost wake-up (once nothing can move any more, every published message has been
 * taken: a consumer never sleeps for ever while there is data for it) and no deadlock (no invalid
 * end state: the publisher always finishes and a sleeper only ever stops inside FUTEX_WAIT).
 *
 * The steps, named as in the source:
 *   publisher  P1 store position; F1 fence; P2 load sleepers, done if 0;
 *              N1 sequence += 1; N2 FUTEX_WAKE(every sleeper)
 *   sleeper    attempt; W1 set own bit in sleepers; F2 fence; W2 observed = sequence;
 *              W3 attempt; W4 FUTEX_WAIT(sequence, observed); attempt; W5 clear own bit
 *
 * Sleeper 0 is a consumer: its attempt takes a published message if one is left. With two
 * sleepers, sleeper 1 is a second consumer (HELPER 0: two MPMC consumers racing for the
 * messages) or the consumer's poll helper (HELPER 1: adapters/src/poll_helper.cpp, whose attempt
 * only looks whether a message is there; once it sees one it reports it and stops waiting on the
 * event until its endpoint re-arms it, which the model leaves out).
 *
 * What is abstracted:
 * - Each step is atomic and all steps interleave in one global order (sequential consistency).
 *   The source gets that order for these steps from the seq_cst fences F1 and F2 (with N1/W2 as
 *   a release/acquire pair); the model checks the protocol under that order, not the C++ memory
 *   orders themselves.
 * - FUTEX_WAIT compares the word and enqueues the caller in one step (the kernel does both under
 *   the futex bucket lock). FUTEX_WAKE dequeues the queued sleepers.
 * - No deadlines: wait_until wakes at least every probe interval, which would turn a lost
 *   wake-up into a 50 ms delay; without them a lost wake-up is a sleeper asleep for ever.
 * - No spurious returns from FUTEX_WAIT: they only wake a sleeper early, and could hide a lost
 *   wake-up from the check.
 * - The spin and yield phases before W1 are attempts like the first one: left out.
 * - The 32-bit sequence never wraps here (at most MESSAGES increments); in the source a sleeper
 *   would have to stay between W2 and W4 for 2^32 wake-ups to be fooled.
 *
 * MUTANT selects a broken variant, to show that the check is not vacuous (verify/run.sh expects
 * an error from each): 1 drops the re-check W3; 2 moves W1 after W3, which is what F2 prevents;
 * 3 wakes one sleeper instead of all, which a poll helper can take from its endpoint (HELPER 1).
 */

#ifndef SLEEPERS
#define SLEEPERS 2
#endif
#ifndef HELPER
#define HELPER 0
#endif
#ifndef MESSAGES
#define MESSAGES 3
#endif
#ifndef MUTANT
#define MUTANT 0
#endif

byte position;              /* messages published (the producer's position) */
byte taken;                 /* messages taken by consumers (the consumers' position) */
byte sequence;              /* WaitEvent::sequence, the futex word */
byte sleepers;              /* WaitEvent::sleepers and helper_sleepers, one bit per sleeper */
bool queued[SLEEPERS];      /* in the futex's wait queue */

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
#if MUTANT != 3
        queued[0] = false;
        queued[SLEEPERS - 1] = false
#else
        if
        :: queued[0] -> queued[0] = false
        :: queued[SLEEPERS - 1] -> queued[SLEEPERS - 1] = false
        :: else -> skip
        fi
#endif
    }
}

active proctype Publisher() {
    do
    :: position < MESSAGES ->
        position++;                                     /* P1, ordered before P2 by F1 */
        if
        :: sleepers != 0 ->                             /* P2 */
            sequence++;                                 /* N1 */
            futex_wake()                                /* N2 */
        :: else -> skip
        fi
    :: else -> break
    od
}

proctype Sleeper(byte me; bool looks_only) {
    bool got;
    byte observed;
    do
    :: attempt(got);
        if
        :: got -> got = false
        :: else ->
            do
            ::
#if MUTANT != 2
                sleepers = sleepers | (1 << me);                      /* W1, ordered before W2 by F2 */
#endif
                observed = sequence;                                  /* W2 */
#if MUTANT != 1
                attempt(got);                                         /* W3 */
#endif
#if MUTANT == 2
                sleepers = sleepers | (1 << me);                      /* W1 too late */
#endif
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
