/* Custody on an MPMC ring by its only consumer, core/include/shmring/detail/mpmc_custody.hpp
 * (MpmcCustody: try_take, confirm_through, rewind, first_held), with MpmcHolder::attach and its
 * destructor (the custody mark, only_holder) of core/src/mpmc_ring.cpp, the producers' side of
 * the slot protocol of core/include/shmring/detail/mpmc_protocol.hpp (take_free_ticket, publish,
 * abort) and the repair of slots left unreleased by dead consumers, core/src/mpmc_repair.cpp
 * (repair_unreleased, which leaves a ring in another holder's custody alone), which a producer
 * runs while it waits for room: PRODUCERS producers, PER_PRODUCER messages from each, CAPACITY
 * slots, and one holder that forwards the ring's messages to a far side and hands their slots
 * back only when the far side confirms them (MpmcSource, the bridge's sender and receiver).
 *
 * Encoding as in mpmc_slots.pml: for ticket t at slot t % CAPACITY, sequence 2t means free for the
 * producer of t, 2t + 1 full with the message of t (or a void: a claim its producer aborted),
 * 2(t + CAPACITY) handed back, free for the next lap. Positions are ticket + 1.
 *
 * The processes:
 *   producers  take a ticket whose slot is free (CAS on tail) and publish a message, or, ABORTS
 *              times in all, a void. Ring full: they wait, and probe with repair_unreleased.
 *   holder     attaches: takes the custody mark (a dead holder's passes on), then makes way
 *              (only_holder): a dead consumer's open take is repaired, and every dead consumer's
 *              claim cleared; if a claim stays open, it gives the mark back and tries again.
 *              Then it reads head and finds the first held ticket by the sequences of the last
 *              CAPACITY tickets (first_held), announces it (HELLO), and resumes where the far side
 *              stands: hands back the tickets before it and reads from it. It takes the next
 *              ticket whose slot is full with a CAS on head and records no claim, re-reads held
 *              tickets without a CAS, and sends each to the far side: a message with its payload
 *              read from the slot as it is sent (the bridge sends large payloads from the slot
 *              itself), a void as a record of no payload. On a confirmation (the far side's
 *              position, read at any moment) it hands the slots before it back, in ticket order,
 *              one store each. It may die at any step of its loop and of a hand-back, or leave
 *              (clearing the mark if it holds nothing), CRASHES times in all; a successor then
 *              attaches to a registry entry of its own.
 *   far side   the receiver: keeps `delivered`, the position after the last record it holds,
 *              and takes a record only if its position is past that (so what was sent again is
 *              skipped); a void record only moves the position. A HELLO that starts past
 *              `delivered` makes it jump there (the receiver counts those positions lost), as
 *              restart_stream does.
 *   consumer   DEAD_CONSUMER > 0: an ordinary consumer that died before the holder attached,
 *              having seen ticket 0's message and recorded its claim. 1: it died after its CAS
 *              (an open take, which the holder's attach repairs: its message is counted lost);
 *              2: it died before its CAS, so its claim names a ticket nobody has taken yet.
 *
 * Checked (assertions and end states, exhaustive):
 * - no held slot is ever freed by a repair, by a producer's probe or by a holder's attach;
 * - the far side gets, for each position, what was published for that ticket: the message, not
 *   another one from a slot rewritten under the holder, or the void;
 * - every message reaches the far side at most once, and each producer's messages in the order
 *   it sent them;
 * - once nothing can move: every producer sent all it had (none waits for ever behind held
 *   slots, voids included), every published message reached the far side exactly once, except
 *   the one a dead consumer took, which never does and is counted lost exactly once; no invalid
 *   end state (deadlock).
 *
 * What is abstracted:
 * - Shared accesses are atomic steps in one global order (sequential consistency), as in
 *   mpmc_slots.pml; the release/acquire pairs ([R20]/[A20], [R21]/[A21], [C20]/[C21], [C22])
 *   and the [F30] fences are not. No ordinary consumer attaches beside the holder (the [F30]
 *   handshake, under sequential consistency, makes one of the two refuse).
 * - try_take for one ticket is one step: the slot's sequence, the length and the CAS on head. The
 *   holder is the only consumer, so nobody else moves head or that slot between them (a repair
 *   only writes a slot whose ticket is taken). The mark's load and CAS are one step (only
 *   holders write it, one at a time here), and so are the far side's RESUME after a HELLO.
 * - The link delivers a record when it is sent, in order; one in flight when the holder dies is
 *   one never sent. The holder sends each record before it takes the next; a confirmation
 *   names the far side's position at the moment the holder reads it, and stale ones are earlier
 *   reads. A live holder's reconnect (rewind, then the resume) takes the same path as a
 *   successor's resume and is left out.
 * - first_held's window starts at ticket 0 in a young ring (the source's wraps round to
 *   tickets whose sequences never match).
 * - Liveness of an endpoint is exact: the ghost `dead`; an entry left by a holder counts as a
 *   dead one with no claim. Dead entries are not reaped: a reap frees only an entry whose claim
 *   is settled, which takes a claimant away from the repair and never adds one, and nothing
 *   makes a reap come at any particular moment. The holder does not die inside its attach, so
 *   the repair lock is never held by a dead endpoint. Producers do not die (that is
 *   mpmc_slots.pml); their claims are left out.
 * - A waiting producer's probe repairs the slot of its own ticket a lap back (the source takes
 *   tail, which equals that ticket for as long as the producer waits). The source probes every
 *   interval; here the probe runs when the wait starts, and again at any moment while the
 *   repair lock is free and a dead entry's claim names that ticket (the ghost `dead_claims`).
 *   Other probes find no claimant and change nothing; left in, they would turn a producer
 *   stalled for ever into a loop that no end-state check sees.
 *
 * LAST_FIRST=1 hands back from the last ticket to the first. It is safe: the slot of a held
 * ticket t is not free for t + CAPACITY, so both counters stay at or below t + CAPACITY and
 * first_held's window of the last CAPACITY tickets always holds t, whatever was handed back
 * above it; and whatever was handed back out of order is before the far side's position, where
 * a successor reads from. Ticket order keeps the held tickets one run, which is simpler to
 * reason about, but no property checked here depends on it.
 *
 * MUTANT selects a broken variant; verify/run.sh expects an error from each: 1 the holder records
 * its claim as an ordinary consumer does (before its CAS, cleared when it hands back); 2 it hands
 * a slot back as soon as it takes it; 3 a successor starts at head instead of the first held
 * ticket; 4 the attach leaves a dead consumer's settled claim in place; 5 voids are not sent, and
 * are handed back only with a message confirmed after them.
 */

#ifndef CAPACITY
#define CAPACITY 2
#endif
#ifndef PRODUCERS
#define PRODUCERS 2
#endif
#ifndef PER_PRODUCER
#define PER_PRODUCER 2
#endif
#ifndef ABORTS
#define ABORTS 1
#endif
#ifndef CRASHES
#define CRASHES 2
#endif
#ifndef DEAD_CONSUMER
#define DEAD_CONSUMER 0
#endif
#ifndef LAST_FIRST
#define LAST_FIRST 0
#endif
#ifndef MUTANT
#define MUTANT 0
#endif
#define MESSAGES (PRODUCERS * PER_PRODUCER)
#define TICKETS (MESSAGES + ABORTS)
#define HOLDERS (CRASHES + 1)          /* registry entries 0 .. CRASHES: one per holder */
#define CONSUMER HOLDERS                /* the dead ordinary consumer's entry */
#define ENTRIES (HOLDERS + 1)
#define HOLDER_ID PRODUCERS             /* the holder's name on the repair lock */
#define NOT_HOLDER 254                  /* a repairer that holds no custody mark */
#define VOID 255
#define NOBODY 255
#define NONE 255
#define SLOT(t) ((t) % CAPACITY)
#define FULL(t) (sequence[SLOT(t)] == 2 * (t) + 1)
/* claim_settled for consumer entry i: no claim, or its ticket not taken, or its slot moved on */
#define SETTLED(i) (claim[i] == 0 || head <= claim[i] - 1 || !FULL(claim[i] - 1))

byte tail;                       /* ProducerBlock::position: next producer ticket */
byte head;                       /* ConsumerBlock::position: next consumer ticket */
byte sequence[CAPACITY];         /* SlotHeader::sequence */
byte content[CAPACITY];          /* SlotHeader::length: the message id, or VOID */
byte claim[ENTRIES];             /* EndpointEntry::claim of each consumer entry: ticket + 1, or 0 */
bool dead[ENTRIES];              /* liveness of each consumer entry (a free one is not dead) */
byte mark = NOBODY;              /* ControlBlock::consumer_role: the custody mark, a holder's entry */
byte repair_lock = NOBODY;       /* ControlBlock::repair_lock */
byte lost;                       /* ControlBlock::lost_messages */
byte delivered;                  /* the far side: the position after the last record it holds */

/* Ghosts: what happened, for the assertions. */
byte message_of[TICKETS];        /* the message (or VOID) published for each ticket */
bool held[TICKETS];              /* taken by a holder and not handed back */
byte dead_claims[TICKETS];       /* dead consumer entries whose claim names each ticket */
byte got[MESSAGES];              /* how often the far side took each message */
byte next_of[PRODUCERS];         /* per producer: the far side's next acceptable message */
byte sent[PRODUCERS];            /* messages each producer published */
byte aborts;                     /* claims aborted so far */
byte finished;                   /* producers that sent all their messages */
byte gone = NOBODY;              /* what the dead consumer took (DEAD_CONSUMER 1) */

/* repair_unreleased(r + CAPACITY), through repair_slot: the slot of consumer ticket r looks
 * abandoned (full for r, r taken, and the ring in no other holder's custody); under the repair
 * lock, every consumer entry whose claim names r is dead, at least one, and the slot still looks
 * so; then a CAS hands it back and the dead claims naming r are cleared. The caller sets r and
 * owns the locals; `self` is its own entry if it is a holder. */
inline repair_unreleased(who, self) {
    atomic {                                            /* looks_abandoned(), then RepairLock */
        abandoned = FULL(r) && head > r && (mark == NOBODY || mark == self);
        if
        :: abandoned && repair_lock == NOBODY -> repair_lock = who; locked = true
        :: else -> skip
        fi
    };
    if
    :: locked ->
        do                                              /* claimants(): one entry after the other */
        :: e < ENTRIES ->
            atomic {
                if
                :: claim[e] == r + 1 && dead[e] -> some_dead = true; e++
                :: claim[e] == r + 1 && !dead[e] -> some_alive = true; e = ENTRIES
                :: claim[e] != r + 1 -> e++
                fi
            }
        :: else -> break
        od;
        atomic {                                        /* all dead, and looks_abandoned() again */
            abandoned = some_dead && !some_alive && FULL(r) && head > r && (mark == NOBODY || mark == self)
        };
        if
        :: abandoned ->
            atomic {
                assert(!held[r]);                       /* a held slot is never freed */
                lost++                                  /* counted before the CAS, taken back if it fails */
            };
            atomic {                                    /* [R21] by CAS, as a consumer's release */
                if
                :: FULL(r) -> sequence[SLOT(r)] = 2 * (r + CAPACITY)
                :: else -> lost--; abandoned = false
                fi
            };
            if
            :: abandoned ->
                atomic {                                /* clear_dead_claims */
                    e = 0;
                    do
                    :: e < ENTRIES && dead[e] && claim[e] == r + 1 -> claim[e] = 0; dead_claims[r]--; e++
                    :: e < ENTRIES && !(dead[e] && claim[e] == r + 1) -> e++
                    :: else -> break
                    od
                }
            :: else -> skip
            fi
        :: else -> skip
        fi;
        repair_lock = NOBODY
    :: else -> skip
    fi;
    atomic {
        e = 0;
        some_dead = false;
        some_alive = false;
        abandoned = false;
        locked = false
    }
}

proctype Producer(byte me) {
    byte t;
    byte seen;
    byte r;
    byte e;
    bool some_dead;
    bool some_alive;
    bool abandoned;
    bool locked;
    do
    :: sent[me] < PER_PRODUCER ->
retry_claim:
        atomic {                                        /* take_free_ticket: the ticket and its slot */
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
            /* Full: the probe runs first, then again, until the slot or the ticket moves,
             * whenever it might do something (see the header). A full slot has a ticket a lap
             * back. */
            r = t - CAPACITY;
            repair_unreleased(me, NOT_HOLDER);
            do
            :: sequence[SLOT(t)] != seen || tail != t -> break
            :: dead_claims[r] > 0 && repair_lock == NOBODY && FULL(r) && head > r ->
                repair_unreleased(me, NOT_HOLDER)
            od;
            atomic {
                r = 0;
                seen = 0
            };
            goto retry_claim
        :: else -> skip
        fi;
        atomic {                                        /* [C21] */
            if
            :: tail == t -> tail = t + 1
            :: else -> goto retry_claim                 /* lost the race: the next ticket */
            fi
        };
        atomic {                                        /* publish or abort: length, then [R20] */
            assert(sequence[SLOT(t)] == 2 * t);         /* nobody wrote our slot meanwhile */
            if
            :: aborts < ABORTS ->
                aborts++;
                content[SLOT(t)] = VOID;
                message_of[t] = VOID
            :: true ->
                content[SLOT(t)] = me * PER_PRODUCER + sent[me];
                message_of[t] = me * PER_PRODUCER + sent[me];
                sent[me]++
            fi;
            sequence[SLOT(t)] = 2 * t + 1;
            t = 0;
            seen = 0
        }
    :: else -> break
    od;
    finished++
}

#if DEAD_CONSUMER > 0
/* An ordinary consumer (take_full_ticket) that saw ticket 0's message, recorded its claim, and
 * died: after its CAS (1) or before it (2). */
proctype DeadConsumer() {
    atomic {
        FULL(0) && head == 0 ->
        claim[CONSUMER] = 1;                            /* [C20]: ticket 0 + 1 */
#if DEAD_CONSUMER == 1
        head = 1;                                       /* [C21] */
        gone = content[SLOT(0)];
#endif
        dead[CONSUMER] = true;
        dead_claims[0]++
    }
}
#endif

/* confirm_through(p): hands back the held tickets from `confirmed` up to p, in ticket order (the
 * last first with LAST_FIRST), one store each; a slot that is not full for its ticket is not
 * handed back. The holder may die between two stores. */
inline hand_back_through() {
#if !LAST_FIRST
    do
    :: confirmed != p ->
        atomic {
            if
            :: FULL(confirmed) ->
#if MUTANT == 1
                claim[me] = 0;                          /* hand_back's clear_claim */
#endif
                held[confirmed] = false;
                sequence[SLOT(confirmed)] = 2 * (confirmed + CAPACITY)    /* [R21] */
            :: else -> skip
            fi;
            confirmed++
        }
    :: confirmed != p && crashes < CRASHES -> goto crash
    :: confirmed == p -> break
    od;
#else
    t = p;                                              /* the last ticket first */
    do
    :: t != confirmed ->
        atomic {
            t--;
            if
            :: FULL(t) ->
                held[t] = false;
                sequence[SLOT(t)] = 2 * (t + CAPACITY)
            :: else -> skip
            fi
        }
    :: t != confirmed && crashes < CRASHES -> goto crash
    :: t == confirmed -> confirmed = p; t = 0; break
    od;
#endif
    if
    :: rd < confirmed -> rd = confirmed
    :: else -> skip
    fi
}

proctype Holder() {
    byte me;                                            /* this holder's registry entry */
    byte crashes;
    byte before;                                        /* the mark as the attach found it */
    byte h;                                             /* head_: every ticket before it is taken, by us */
    byte confirmed;                                     /* confirmed_: every ticket before it is handed back */
    byte rd;                                            /* read_: the next ticket to read */
    byte pend = NONE;                                   /* a ticket taken and not yet sent */
    bool pvoid;                                         /* that ticket is a void */
    byte p;
    byte t;
    byte m;
    byte i;
    byte c;
    byte r;
    byte e;
    bool some_dead;
    bool some_alive;
    bool abandoned;
    bool locked;

#if DEAD_CONSUMER > 0
    dead[CONSUMER];                                     /* the holder is refused beside a live consumer */
#endif
attach:
    /* MpmcHolder::attach: the custody mark, refused while a live holder has it (none here). */
    atomic {
        before = mark;
        assert(before == NOBODY || dead[before]);
        mark = me
    };
    /* only_holder: each dead consumer's claim is settled (an open take by the repair that counts
     * it lost, tried again while a producer holds the repair lock) and only then cleared; one
     * that stays open when the attempts run out makes the attach give the mark back and say
     * busy, to be tried again. */
    i = 0;
    do
    :: i < ENTRIES && (i == me || !dead[i]) -> i++      /* itself, or an entry nobody holds */
    :: i < ENTRIES && i != me && dead[i] ->
        c = claim[i];                                   /* relaxed */
        if
        :: c != 0 ->
            do
            :: !SETTLED(i) ->                           /* an attempt */
                r = c - 1;
                repair_unreleased(HOLDER_ID, me);
                r = 0
            :: !SETTLED(i) -> break                     /* the attempts ran out */
            :: SETTLED(i) -> break
            od;
            if
            :: !SETTLED(i) ->
                atomic {
                    if
                    :: mark == me -> mark = before
                    :: else -> skip
                    fi;
                    before = 0;
                    c = 0
                };
                goto attach
            :: else -> skip
            fi;
#if MUTANT != 4
            atomic {                                    /* the claim, cleared by CAS */
                if
                :: claim[i] == c -> claim[i] = 0; dead_claims[c - 1]--
                :: else -> skip
                fi
            }
#endif
        :: else -> skip
        fi;
        atomic {
            c = 0;
            i++
        }
    :: i == ENTRIES -> i = 0; break
    od;
    before = 0;

    /* The constructor: head_, then first_held(): the lowest of the last CAPACITY tickets whose
     * slot is full for it, one load each; head_ if none is. */
    h = head;
    t = (h > CAPACITY -> h - CAPACITY : 0);
    do
    :: t < h && FULL(t) -> break
    :: t < h && !FULL(t) -> t++
    :: t == h -> break
    od;
#if MUTANT == 3
    t = h;
#endif
    confirmed = t;
    rd = t;
    t = 0;

    /* HELLO (custody starts at `confirmed`) and the far side's RESUME with its position; the far
     * side jumps to the start if it stands before it. Then resume_at: rewind, and hand back what
     * the far side holds. */
    atomic {
        if
        :: confirmed > delivered -> delivered = confirmed
        :: else -> skip
        fi;
        p = delivered;
        assert(p <= h)                                  /* off_grid: past what was taken */
    };
    hand_back_through();

end_custody:
    do
    :: pend == NONE && (FULL(rd) || rd < h) ->
        atomic {                                        /* try_take, one ticket */
            assert(FULL(rd));                           /* a held slot keeps its turn: else corrupt */
            m = content[SLOT(rd)];                      /* the length, read before the CAS */
            if
            :: rd == h ->                               /* not taken yet: the CAS, no claim */
                assert(head == h);                      /* the holder is the only consumer */
#if MUTANT == 1
                claim[me] = rd + 1;                     /* record_claim, before [C21] */
#endif
#if MUTANT == 2
                sequence[SLOT(rd)] = 2 * (rd + CAPACITY);   /* handed back at once */
#else
                held[rd] = true;
#endif
                head = h + 1;
                h++
            :: else -> skip                             /* held already: read again */
            fi;
#if MUTANT == 5
            if
            :: m != VOID -> pend = rd
            :: else -> skip                             /* held, never sent */
            fi;
#else
            pend = rd;
            pvoid = m == VOID;
#endif
            rd++;
            m = 0
        }
    :: pend != NONE ->
        atomic {                                        /* the record goes out */
            if
            :: pend + 1 > delivered && pvoid ->         /* a position, nothing to write */
                assert(message_of[pend] == VOID);
                delivered = pend + 1
            :: pend + 1 > delivered && !pvoid ->
                m = content[SLOT(pend)];                /* the payload, read from the slot now */
                assert(m == message_of[pend]);          /* that ticket's message, not another */
                assert(got[m] == 0);
                assert(m % PER_PRODUCER >= next_of[m / PER_PRODUCER]);
                got[m]++;
                next_of[m / PER_PRODUCER] = m % PER_PRODUCER + 1;
                delivered = pend + 1
            :: else -> skip                             /* the far side has it already */
            fi;
            pend = NONE;
            pvoid = false;
            m = 0
        }
    :: delivered > confirmed ->                         /* a confirmation (ACK) */
        p = delivered;
        hand_back_through()
    :: crashes < CRASHES -> crashes = CRASHES           /* lives on from here */
    :: crashes < CRASHES -> goto crash
    :: crashes < CRASHES ->                             /* leaves: the destructor */
        if
        :: confirmed == h -> mark = NOBODY              /* holds nothing: the mark goes */
        :: else -> skip                                 /* keeps it for the next holder */
        fi;
        goto crash
    od;

crash:
    atomic {
        dead[me] = true;
        if
        :: claim[me] != 0 -> dead_claims[claim[me] - 1]++
        :: else -> skip
        fi;
        crashes++;
        me++;
        h = 0;
        confirmed = 0;
        rd = 0;
        pend = NONE;
        pvoid = false;
        p = 0;
        t = 0;
        m = 0
    };
    goto attach
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
#if DEAD_CONSUMER > 0
        run DeadConsumer();
#endif
        run Holder()
    }
}

/* Runs once nothing else can move. */
active proctype Settled() {
    byte m;
    timeout ->
    assert(finished == PRODUCERS);                      /* nobody waits for ever behind held slots */
    assert(lost == (DEAD_CONSUMER == 1 -> 1 : 0));
    do
    :: m < MESSAGES ->                                  /* published: delivered once, unless a dead consumer took it */
        assert(got[m] == (((m % PER_PRODUCER) < sent[m / PER_PRODUCER] && m != gone) -> 1 : 0));
        m++
    :: else -> break
    od
}
