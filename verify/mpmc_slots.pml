/* The MPMC slot protocol of core/include/shmring/detail/mpmc_protocol.hpp (MpmcWriter's
 * take_free_ticket and publish, MpmcReader's take_full_ticket and hand_back) with the repair of slots abandoned by a dead producer,
 * core/src/mpmc_repair.cpp (repair_unpublished): two producers, two consumers, CAPACITY slots,
 * PER_PRODUCER messages from each producer. Producer 0 may die (stop for ever) after recording
 * its claim and before its CAS, or between its CAS and its publish.
 *
 * Encoding as in layout.hpp: for ticket t at slot t % CAPACITY, sequence 2t means free for the
 * producer of t, 2t + 1 full with the message of t, 2(t + CAPACITY) released for the next lap.
 * Before its CAS on the ticket counter a producer records the ticket in its claim (ticket + 1).
 *
 * Checked by the safety run (assertions and end states):
 * - nothing is duplicated: no message is delivered twice, and a consumer reads the message that
 *   was published for the ticket it took;
 * - a live producer's slot is never repaired: the repair writes a slot only if the producer that
 *   took its ticket is dead, and a live producer always finds its slot as it left it;
 * - once nothing can move: every published message was delivered exactly once, the message of
 *   a producer that died holding a ticket is counted lost (exactly once), every live producer
 *   sent all it had, and the consumers' ticket caught up with the producers' (nobody waits behind
 *   an abandoned slot); no invalid end state (deadlock).
 * Checked by the liveness run (non-progress cycles under weak fairness): no consumer probes for
 * ever without the ring moving, as it would behind a dead producer's slot that the repair cannot
 * free. Every write to a counter or a sequence makes them grow, so any cycle is one without
 * progress; weak fairness rules out the cycles in which a live producer is simply never run.
 *
 * What is abstracted:
 * - Shared accesses are atomic steps in one global order (sequential consistency). The source
 *   relies on release/acquire pairs ([R20]/[A20], [R21]/[A21], and the release CAS [C21] that
 *   publishes a claim to whoever acquires the counter); the model checks the protocol under SC,
 *   not those memory orders.
 * - Some steps that the source takes one after the other are one step here:
 *   . the ticket and its slot (a value that changed in between only leads to a retry);
 *   . the repair's first look at the slot and counter, and its taking of the lock (a change in
 *     between is what the look under the lock is for);
 *   . a claim and its owner's liveness (a dead producer's claim changes only through a repair,
 *     a live one's liveness never changes);
 *   . the repair's void length and its CAS on the sequence (the assertion in that step checks
 *     that the slot belongs to a dead producer, which is what makes the order irrelevant).
 * - A message is its id, stored in the slot's length field; VOID stands for kSlotLengthVoid.
 *   Counters are small integers that never wrap.
 * - Waiting (the futex handshake, checked by futex_handshake.pml) is an await on the values
 *   that the failed attempt read. A waiting consumer's probe runs every probe interval in the
 *   source; here it runs when the wait starts and then at any moment once producer 0 has died,
 *   as long as a slot looks abandoned (otherwise it would do nothing at all). Before the death a
 *   probe can only fail: every claimant it finds is alive. A probe that starts in the middle of
 *   a wait before the death and ends after it is not modelled; the one at the start of the wait
 *   stands for it.
 * - Liveness of an endpoint (pid and start time) is exact, as /proc is: the ghost `dead`.
 * - Consumers do not die, so the repair lock is never held by a dead endpoint and
 *   repair_unreleased has nothing to do; reap_dead_endpoints is left out (nobody attaches).
 * - Producers do not abort loans (void slots come from repairs), and the weak CAS does not fail
 *   spuriously (that would be a retry, as when the race is lost).
 *
 * MUTANT selects a broken variant, to show that the checks are not vacuous (verify/run.sh expects
 * an error from each): 1 repairs without asking whether the claimants are alive, 2 skips the
 * re-check under the lock, 3 records the claim after the CAS instead of before (liveness run).
 */

#ifndef CAPACITY
#define CAPACITY 2
#endif
#ifndef PER_PRODUCER
#define PER_PRODUCER 2
#endif
#define PRODUCERS 2
#define CONSUMERS 2
#define MESSAGES (PRODUCERS * PER_PRODUCER)
#define VOID 255
#define NOBODY 255
#ifndef MUTANT
#define MUTANT 0
#endif
#define SLOT(t) ((t) % CAPACITY)

byte tail;                       /* ProducerBlock::position: next producer ticket */
byte head;                       /* ConsumerBlock::position: next consumer ticket */
byte sequence[CAPACITY];         /* SlotHeader::sequence */
byte content[CAPACITY];          /* SlotHeader::length: the message id, or VOID */
byte claim[PRODUCERS];           /* EndpointEntry::claim of each producer: ticket + 1, or 0 */
byte repair_lock = NOBODY;       /* ControlBlock::repair_lock: the repairing consumer */
byte lost;                       /* ControlBlock::lost_messages */

/* Ghosts: what happened, for the assertions. */
bool dead[PRODUCERS];            /* only producer 0 may die */
byte taker[MESSAGES];            /* the producer that took each ticket */
byte message_of[MESSAGES];       /* the message published for each ticket */
byte delivered[MESSAGES];        /* deliveries of each message */
byte sent[PRODUCERS];            /* messages each producer published */
byte died_holding;               /* tickets taken by a producer that then died */
byte finished;                   /* producers that sent all their messages */

proctype Producer(byte me) {
    byte t;
    byte seen;
    bool claimed;
    do
    :: sent[me] < PER_PRODUCER ->
retry_claim:
        /* take_free_ticket. The ticket and its slot are two loads in the source; a ticket that is stale by
         * the time its slot is read is caught by the CAS or seen as "moved on", so one step reads
         * both. Likewise for the counter's re-read when the slot looks full. */
        atomic {
            t = tail;                                   /* relaxed: the sequence decides */
            seen = sequence[SLOT(t)];                   /* [A21] */
            if
            :: seen == 2 * t -> skip
            :: seen < 2 * t && tail == t -> skip        /* full */
            :: seen < 2 * t && tail != t -> goto retry_claim
            :: seen > 2 * t -> goto retry_claim          /* another producer took it already */
            fi
        };
        if
        :: seen < 2 * t ->
            if
            :: claimed -> claim[me] = 0; claimed = false
            :: else -> skip
            fi;
            (sequence[SLOT(t)] != seen || tail != t);   /* wait for room */
            seen = 0;
            goto retry_claim
        :: else -> skip
        fi;
        atomic {
#if MUTANT != 3
            claim[me] = t + 1;                          /* record_claim, before [C21] */
            claimed = true;
#endif
            if
            :: me == 0 && !dead[0] -> dead[0] = true; goto stopped   /* dies before its CAS */
            :: true -> skip
            fi
        };
        atomic {                                       /* [C21] */
            if
            :: tail == t ->
                tail = t + 1;
                taker[t] = me;
                if
                :: me == 0 && !dead[0] -> dead[0] = true; died_holding++; goto stopped   /* dies holding t */
                :: true -> skip
                fi
            :: else -> goto retry_claim                  /* lost the race: the next ticket */
            fi
        };
#if MUTANT == 3
        claim[me] = t + 1;                              /* too late: after the CAS */
        claimed = true;
#endif
        atomic {                                        /* publish: length, then [R20] */
            assert(sequence[SLOT(t)] == 2 * t);         /* nobody wrote our slot meanwhile */
            content[SLOT(t)] = me * PER_PRODUCER + sent[me];
            message_of[t] = me * PER_PRODUCER + sent[me];
            sequence[SLOT(t)] = 2 * t + 1;
            sent[me]++
        };
        atomic {
            claim[me] = 0;
            claimed = false;
            t = 0;
            seen = 0
        }
    :: else -> break
    od;
    finished++;
stopped:
    skip
}

/* repair_unpublished(head), through repair_slot: the slot looks abandoned (its ticket taken and
 * not published); under the repair lock, every producer whose claim names the ticket is dead and
 * the slot still looks abandoned; then the length becomes void and a CAS publishes the slot. */
inline repair_stalled() {
    atomic {                                            /* looks_abandoned(), then RepairLock */
        r = head;
        abandoned = sequence[SLOT(r)] == 2 * r && tail > r;
        if
        :: abandoned && repair_lock == NOBODY -> repair_lock = me; locked = true
        :: else -> skip
        fi
    };
    if
    :: locked ->
        do                                              /* claimants(): one entry after the other */
        :: p < PRODUCERS ->
            atomic {
                if
#if MUTANT != 1
                :: claim[p] == r + 1 && dead[p] -> some_dead = true; p++
                :: claim[p] == r + 1 && !dead[p] -> some_alive = true; p = PRODUCERS
#else
                :: claim[p] == r + 1 -> some_dead = true; p++
#endif
                :: claim[p] != r + 1 -> p++
                fi
            }
        :: else -> break
        od;
#if MUTANT != 2
        atomic {                                        /* all dead, and looks_abandoned() again */
            abandoned = some_dead && !some_alive && sequence[SLOT(r)] == 2 * r && tail > r
        };
#else
        abandoned = some_dead && !some_alive;
#endif
        if
        :: abandoned ->
            atomic {
                assert(dead[taker[r]]);                 /* a live producer's slot is never repaired */
                lost++                                  /* counted before the CAS, taken back if it fails */
            };
            atomic {
                content[SLOT(r)] = VOID;                /* then [R20] by CAS, as a publish */
                if
                :: sequence[SLOT(r)] == 2 * r -> sequence[SLOT(r)] = 2 * r + 1
                :: else -> lost--; abandoned = false
                fi
            };
            if
            :: abandoned ->
                atomic {                                /* clear_dead_claims: only producer 0 dies */
                    if
                    :: dead[0] && claim[0] == r + 1 -> claim[0] = 0
                    :: else -> skip
                    fi
                }
            :: else -> skip
            fi
        :: else -> skip
        fi;
        repair_lock = NOBODY
    :: else -> skip
    fi;
    atomic {
        r = 0;
        p = 0;
        some_dead = false;
        some_alive = false;
        abandoned = false;
        locked = false
    }
}

proctype Consumer(byte me) {
    byte t;
    byte seen;
    byte m;
    byte r;
    byte p;
    bool some_dead;
    bool some_alive;
    bool abandoned;
    bool locked;
    do
    :: skip;
retry_peek:
        atomic {                                        /* take_full_ticket: as for producers, one step reads */
            t = head;                                   /* the ticket, its slot and the length */
            seen = sequence[SLOT(t)];                   /* [A20] */
            if
            :: seen == 2 * t + 1 -> m = content[SLOT(t)]   /* read once, before the CAS */
            :: seen < 2 * t + 1 && head == t -> skip    /* empty */
            :: seen < 2 * t + 1 && head != t -> goto retry_peek
            :: seen > 2 * t + 1 -> goto retry_peek
            fi
        };
        if
        :: seen == 2 * t + 1 ->
            atomic {                                   /* [C21] */
                if
                :: head == t ->
                    head = t + 1;
                    if
                    :: m == VOID -> skip                /* nothing to deliver */
                    :: else ->
                        assert(m == message_of[t]);
                        assert(delivered[m] == 0);
                        delivered[m]++
                    fi
                :: else -> m = 0; goto retry_peek           /* lost the race */
                fi
            };
            atomic {
                sequence[SLOT(t)] = 2 * (t + CAPACITY); /* [R21] release */
                t = 0;
                seen = 0;
                m = 0
            }
        :: else ->
            /* Waiting: the probe runs first, then again at any moment, until the slot or the
             * ticket moves (see the header for when a probe may start). */
            repair_stalled();
end_wait:   do
            :: sequence[SLOT(t)] != seen || head != t -> break
            :: dead[0] && sequence[SLOT(head)] == 2 * head && tail > head -> repair_stalled()
            od;
            atomic {
                t = 0;
                seen = 0
            }
        fi
    od
}

init {
    byte i;
    atomic {
        do
        :: i < CAPACITY -> sequence[i] = 2 * i; i++     /* free for tickets 0 .. CAPACITY - 1 */
        :: else -> break
        od;
        i = 0;
        do
        :: i < PRODUCERS -> run Producer(i); i++
        :: else -> break
        od;
        i = 0;
        do
        :: i < CONSUMERS -> run Consumer(i); i++
        :: else -> break
        od
    }
}

/* Runs once nothing else can move. */
active proctype Settled() {
    byte m;
    timeout ->
    assert(head == tail);                               /* nobody waits behind an abandoned slot */
    assert(lost == died_holding);
    assert(finished + dead[0] == PRODUCERS);
    do
    :: m < MESSAGES ->                                  /* published: delivered once; else never */
        assert(delivered[m] == ((m % PER_PRODUCER) < sent[m / PER_PRODUCER] -> 1 : 0));
        m++
    :: else -> break
    od
}
