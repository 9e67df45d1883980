/* The call protocol of services, core/include/shmring/detail/service_protocol.hpp (CallerProtocol's
 * try_send, try_collect, abandon, settle_if_gone and settle_calls_if_gone; ResponderProtocol's
 * try_take and answer; settle_calls_of), over the request queue of
 * core/include/shmring/detail/mpmc_protocol.hpp, with what core/src/service.cpp adds around it
 * (the waits of ServiceClient and their probes, free_stalled), repair_unreleased of
 * core/src/mpmc_repair.cpp, and the settling of a dead server's calls by whoever takes its
 * registry entry (take_entry in core/src/endpoint.cpp): one client, CALLS call slots, SERVERS
 * servers, SENDS requests sent one after the other.
 *
 * The steps, named as in the source:
 *   client   send: [S0] claim a free call slot (free -> writing, the generation one up), write the
 *               request, the ticket unknown; [S1] queued; then put the id in the request queue (a
 *               producer ticket, the id, [R20]) and note the ticket in the client's own record.
 *               Queue full: the call is freed again by a store ([S4]: nobody knows the id). No
 *               free call slot or no room: the send waits, with free_stalled as its probe; no
 *               server attached at all: refused.
 *            wait: try_collect (answered: the response, then [S4] answered -> free; reset or
 *               refused: -> free, and the client is told): its first attempt reads the state
 *               word, the later ones only the outcome posted on the response line (and then the
 *               CAS expects the state posted); then the probe settle_if_gone (which posts the
 *               outcome of an ended call again, in case its poster stalled or died first); a
 *               deadline may end the wait, and abandon() gives the call up (queued, answered,
 *               reset, refused -> free; serving -> abandoned).
 *            settle_if_gone (settle_call_if_gone): mine(); serving and its server dead: CAS ->
 *               reset. Queued and its ticket not taken, no live server: CAS -> refused. Queued
 *               and its ticket taken: if the ticket's queue slot is still full, it is repaired if
 *               every claimant is dead, else nothing; then (slot handed back or repaired) CAS ->
 *               reset. Settled: free_stalled.
 *   server   take a queue ticket whose slot is full (its id), recording the claim [C20] first,
 *               then the ticket [C21]; read the call's state and [S2] CAS queued -> serving (the
 *               id's generation, no server yet); hand the queue slot back [R21], clear the claim.
 *               Then run the request, write the response (response_area_of: only while it serves
 *               the call) and answer: [S3] CAS serving -> answered, then post the outcome, or,
 *               the client having given up, abandoned -> free. Every step that ends a call for
 *               its client (answered, reset, refused) is followed by such a post, a step apart.
 *            Server 0 may die at any point: a ghost Killer picks the moment, or is not started.
 *   reaper   take_entry of dead server 0 once its claim is settled (claim_settled), then
 *               settle_calls_of as a server: its serving calls -> reset, abandoned ones -> free.
 *               The client's own reap_dead_endpoints (in free_stalled and after a repair) does it,
 *               or another process, the ghost Reaper, which comes once it can take the entry (or
 *               is not started).
 *   free_stalled  for each dead server still attached, repair_unreleased of its claimed ticket;
 *               then reap_dead_endpoints.
 *   repair_unreleased(t)  under the repair lock: the slot of consumer ticket t is full and t
 *               taken; every attached server whose claim names t is dead, at least one; the slot
 *               still looks so: it is handed back by CAS ([R21]); dead claims naming t are
 *               cleared; reap_dead_endpoints.
 *   helper   HELPER > 0: the client's poll helper thread, running settle_calls_if_gone (the probe
 *               for every call of the client) HELPER times at any moments, concurrently with the
 *               client's own thread.
 *
 * Checked (assertions and end states, exhaustive):
 * - at most once: no request is taken ([S2]) twice; no live server takes or runs a request whose
 *   client was told reset or refused for it, and a live server's call stays its own until it
 *   answers (so none is settled under it); a verdict names a death: a reset is given only when
 *   the server serving the call, or the one that took its queue ticket, is dead, a refusal only
 *   when every server is dead;
 * - no stale delivery: a server runs the request of the id it took, and the client collects the
 *   response to the request it sent (the areas hold the request's number); the client's call
 *   stays its own until it gives it up;
 * - no hang: once nothing can move, the client has ended every call (a wait without a deadline
 *   on a dead server's call must be ended by its probe); no invalid end state;
 * - no slot leak: once nothing can move and whoever comes next has run free_stalled (as a client
 *   that needs a call slot does), every call slot is free, and every request has an outcome.
 *
 * Checked by the cycle run (a search for non-progress cycles with no progress label, so any
 * cycle is one): no run goes round in circles, so every run reaches the end checks above and a
 * client that waits for ever shows as a stuck end state, not as a loop.
 *
 * What is abstracted:
 * - Shared accesses are atomic steps in one global order (sequential consistency). In the source
 *   the state words are accessed by CAS, acquire loads and release stores ([S0]..[S4],
 *   [C20]/[C21], [R20]/[A20], [R21]/[A21]); on x86 these are locked instructions and plain moves,
 *   which reorder nothing but a plain store with a later load of another word. The model checks
 *   the protocol's steps under sequential consistency, not those memory orders.
 * - A relaxed load and the CAS that decides after it are one step where a value that changed in
 *   between only fails the CAS and makes the code look again ([S0]'s search, the settle and
 *   give-up loops, the server's state load and [S2], answer's serving() and [S3], take_entry's
 *   look and CAS). The client's producer ticket, id and [R20] are one step: the client is the
 *   only producer and never dies (so its producer claim and repair_unpublished are left out).
 *   Likewise a server's look at its slot with the claim it then records (the claim names a
 *   ticket not taken yet, which no repair looks at), and its hand-back with clearing the claim
 *   (a claim naming a slot handed back holds nothing up). The response is written in the step of
 *   [S3]: nobody reads the area before the answer. A serving call's server is judged in the
 *   step that reads the call (a death is for good).
 * - A request id is the request's number n; the ghosts slot_of and gen_of give its call slot and
 *   generation. One client, so its tag is left out of the state word. Generations and tickets
 *   never wrap.
 * - Waiting (the futex handshake, verify/futex_handshake.pml) is an await. The client's attempt
 *   and probe run when a wait starts and again after any change made by another process or
 *   thread (the ghost `news`); a change made by its own probe is followed by an attempt before
 *   it waits, as the attempt [W3] after each probe in wait_loop.hpp. The probe is a function of
 *   the shared state, so running it again on the same state changes nothing, and running it
 *   more often than every probe interval only adds interleavings. A call may have a deadline,
 *   and then its waits may time out at any moment they wait; or none, which is how a hang shows
 *   (the client stuck while nothing moves).
 * - Liveness of an entry's owner is exact (the ghost dead[]). A reaped entry is free for good:
 *   who takes it and what it does with it is left out; its attached bit goes with the take. The
 *   entry's lease is left out: the take is the CAS on the entry's state, which makes it
 *   exclusive even between threads sharing the lease. REAPER 0 leaves the ghost Reaper out (the
 *   client reaps alone). Servers close only by dying (a closing server's destructor settles its
 *   calls as a reaper does).
 *
 * MUTANT selects a broken variant, to show that the checks are not vacuous (verify/run.sh expects
 * an error from each): 1 hands the queue slot back before [S2]; 2 settles a queued call whose
 * ticket was taken without looking at the queue slot; 3 settles it with a store, trusting the
 * state read before the look at the slot, instead of a CAS; 4 answers with a store instead of a
 * CAS, so that a give-up meanwhile is lost; 5 has the client give a serving call up by freeing
 * it, not abandoning it; 6 takes a queue ticket without recording the claim; 7 settles a serving
 * call without asking whether its server lives; 8 takes a dead server's entry with its claim not
 * settled; 9 leaves the last call's ticket in the slot while a new call is queued (HELPER); 10
 * has the probe leave an ended call's outcome unposted (a server that dies between [S3] and its
 * post then hangs its client).
 */

#ifndef CALLS
#define CALLS 1
#endif
#ifndef SERVERS
#define SERVERS 1
#endif
#ifndef SENDS
#define SENDS 3
#endif
#ifndef REAPER
#define REAPER 1
#endif
#ifndef HELPER
#define HELPER 0
#endif
#ifndef MUTANT
#define MUTANT 0
#endif

/* The request queue: bit_ceil(2 * CALLS) slots (create_service). */
#if CALLS == 1
#define CAP 2
#else
#define CAP 4
#endif
#define SLOT(t) ((t) % CAP)

/* CallPhase */
#define FREE 0
#define WRITING 1
#define QUEUED 2
#define SERVING 3
#define ANSWERED 4
#define ABANDONED 5
#define RESET 6
#define REFUSED 7

/* What the client is told about a request; V_NONE: nothing yet, and, from an attempt, again. */
#define V_NONE 0
#define V_OK 1
#define V_RESET 2
#define V_REFUSED 3
#define V_TIMED_OUT 4

#define UNKNOWN 255     /* kUnknownTicket */
#define EMPTY 255       /* an area nobody wrote */

#if SERVERS == 1
#define ANY_ALIVE (!dead[0])
#define ANY_ATTACHED (!reaped[0])
#else
#define ANY_ALIVE (!dead[0] || !dead[1])
#define ANY_ATTACHED (!reaped[0] || !reaped[1])
#endif

/* claim_settled: server x's claim names no ticket that is taken and whose slot is still full. */
#if MUTANT != 8
#define SETTLED(x) (claim[x] == 0 || head < claim[x] || seq[SLOT(claim[x] - 1)] != 2 * claim[x] - 1)
#else
#define SETTLED(x) true
#endif

/* The call slots: CallHeader. */
byte phase[CALLS];               /* the state word: phase, */
byte gen[CALLS];                 /* generation, */
byte server[CALLS];              /* and server (entry + 1, 0 for none) */
byte ticket[CALLS] = UNKNOWN;    /* the client's record of each call's queue ticket */
byte request[CALLS] = EMPTY;     /* the request area: the number of the request written there */
byte response[CALLS] = EMPTY;    /* the response area: likewise */
byte post_gen[CALLS];            /* ResponseHeader::outcome: the generation and the phase (answered, */
byte post_ph[CALLS];             /* reset, refused) of the call whose outcome was posted last */

/* The request queue (MPMC slots) and the registry. */
byte tail;                       /* ProducerBlock::position */
byte head;                       /* ConsumerBlock::position */
byte seq[CAP];                   /* SlotHeader::sequence: 2t free for t, 2t + 1 full with t */
byte content[CAP];               /* the slot's payload: a request id */
byte claim[SERVERS];             /* EndpointEntry::claim: ticket + 1, or 0 */
bool reaped[SERVERS];            /* the entry was taken: no longer attached */
bool repair_lock;                /* ControlBlock::repair_lock, held by the client's threads */

/* Ghosts. */
bool dead[SERVERS];              /* only server 0 may die */
bool news;                       /* another process changed something since the client looked */
byte number[CALLS];              /* the request in each call slot's current use */
byte slot_of[SENDS];             /* the call slot and generation of request n's id */
byte gen_of[SENDS];
byte verdict[SENDS];             /* what the client was told, or will be: a settled verdict */
byte served[SENDS];              /* [S2]s that took request n */
byte taker[SENDS];               /* the server that took each queue ticket */
bool client_done;

/* A change of the shared state made in the inlines below: it wakes the client's thread (`news`)
 * when another thread or process makes it; the client's own thread notes it in `moved` and looks
 * again before it waits, as its wait's attempt [W3] after each probe does. */
#define NOTIFY news = (news || !own); moved = (moved || own)

/* post_outcome: the outcome of call slot x, of generation gn, is phase to; a step of its own
 * after the one that ended the call (its poster may stall or die in between). */
#define POST(x, gn, to) atomic { post_gen[x] = gn; post_ph[x] = to; NOTIFY }

/* settle_calls_of(x) as a server: serving -> reset (posted), abandoned -> free. */
inline settle_calls_of(x) {
    i = 0;
    do
    :: i < CALLS ->
        atomic {
            if
            :: server[i] == x + 1 && phase[i] == SERVING -> phase[i] = RESET; posting = true; NOTIFY
            :: server[i] == x + 1 && phase[i] == ABANDONED -> phase[i] = FREE; server[i] = 0; NOTIFY
            :: else -> skip
            fi
        };
        if
        :: posting -> POST(i, gen[i], RESET); posting = false
        :: else -> skip
        fi;
        i++
    :: else -> i = 0; break
    od
}

/* reap_dead_endpoints: each dead entry, taken (take_entry's CAS) if its claim is settled, and
 * its calls settled. */
inline reap_dead_endpoints() {
    s = 0;
    do
    :: s < SERVERS ->
        atomic {
            ok = dead[s] && !reaped[s] && SETTLED(s);
            if
            :: ok -> reaped[s] = true; NOTIFY
            :: else -> skip
            fi
        };
        if
        :: ok -> settle_calls_of(s); ok = false
        :: else -> skip
        fi;
        s++
    :: else -> s = 0; break
    od
}

/* repair_unreleased(tk + CAP), through repair_slot: the slot of consumer ticket tk looks
 * unreleased (full with tk, tk taken); under the lock every attached server whose claim names tk
 * is dead, at least one, and the slot still looks so: it is handed back by CAS. `repaired`. */
inline repair_unreleased(tk) {
    atomic {                                            /* looks_abandoned(), then RepairLock */
        r = tk;
        ab = seq[SLOT(r)] == 2 * r + 1 && head > r && !repair_lock;
        if
        :: ab -> repair_lock = true
        :: else -> skip
        fi
    };
    if
    :: ab ->
        p = 0;
        do                                              /* claimants(): one entry after the other */
        :: p < SERVERS ->
            atomic {
                if
                :: !reaped[p] && claim[p] == r + 1 && dead[p] -> some_dead = true
                :: !reaped[p] && claim[p] == r + 1 && !dead[p] -> some_alive = true
                :: else -> skip
                fi;
                p++
            }
        :: else -> p = 0; break
        od;
        atomic {                                        /* looks_abandoned() again, then the CAS */
            ab = some_dead && !some_alive && seq[SLOT(r)] == 2 * r + 1 && head > r;
            if
            :: ab ->
                assert(dead[taker[r]]);                 /* never a live server's slot */
                seq[SLOT(r)] = 2 * (r + CAP);
                NOTIFY
            :: else -> skip
            fi
        };
        if
        :: ab ->
            atomic {                                    /* clear_dead_claims: only server 0 dies */
                if
                :: claim[0] == r + 1 -> claim[0] = 0; NOTIFY
                :: else -> skip
                fi
            };
            reap_dead_endpoints()
        :: else -> skip
        fi;
        atomic { repair_lock = false; news = (news || !own) }   /* a look of ours may have missed it */
    :: else -> skip
    fi;
    atomic { repaired = ab; r = 0; ab = false; some_dead = false; some_alive = false }
}

/* ServiceClient::free_stalled. */
inline free_stalled() {
    q = 0;
    do
    :: q < SERVERS ->
        atomic { c = (!reaped[q] && dead[q] -> claim[q] : 0) };   /* the attached mask, the lease */
        if
        :: c != 0 -> repair_unreleased(c - 1)
        :: else -> skip
        fi;
        q++
    :: else -> q = 0; break
    od;
    c = 0;
    reap_dead_endpoints()
}

/* The verdict of settle_call_if_gone, by CAS on the state read into ph, g, sv: true in `settled`
 * when it succeeds. The request is number[idx]'s. */
inline settle(to) {
    atomic {
        if
        :: phase[idx] == ph && gen[idx] == g && server[idx] == sv ->
            if
            :: to == RESET && ph == SERVING -> assert(dead[sv - 1])
            :: to == RESET && ph == QUEUED -> assert(dead[taker[t]])
            :: to == REFUSED -> assert(!ANY_ALIVE)
            :: else -> assert(false)
            fi;
            phase[idx] = to;
            verdict[number[idx]] = (to == RESET -> V_RESET : V_REFUSED);
            settled = true;
            posting = true;
            NOTIFY
        :: else -> skip                                 /* moved meanwhile: the next look decides */
        fi
    };
    if
    :: posting -> POST(idx, g, to); posting = false
    :: else -> skip
    fi
}

/* settle_call_if_gone for call slot idx, whose state is ph, g, sv (read by mine(), with the
 * verdict on a serving call in the same step: see settle_if_gone). */
inline settle_queued() {
    if
    :: ph == QUEUED ->
        atomic { t = ticket[idx]; ok = t != UNKNOWN && head > t };   /* our record; [C21]'s acquire */
        if
        :: t == UNKNOWN -> skip                         /* being queued by our own thread */
        :: t != UNKNOWN && !ok ->
            ok = ANY_ALIVE;                             /* any_alive(): the mask, each lease */
            if
            :: !ok -> settle(REFUSED)
            :: else -> skip
            fi
        :: else ->
#if MUTANT != 2
            looked = seq[SLOT(t)] == 2 * t + 1;         /* [A21] */
            if
            :: looked ->
                repair_unreleased(t);
                ok = repaired
            :: else -> skip
            fi;
#endif
            if
#if MUTANT != 3
            :: ok -> settle(RESET)
#else
            :: ok ->
                atomic {                                /* a store, on the state read first */
                    assert(dead[taker[t]]);
                    phase[idx] = RESET;
                    verdict[number[idx]] = V_RESET;
                    settled = true;
                    NOTIFY
                };
                POST(idx, g, RESET)
#endif
            :: else -> skip
            fi
        fi
    :: else -> skip
    fi;
    atomic { t = 0; ok = false; looked = false; repaired = false }
}

/* The step of mine() in a probe: the state of call slot idx and, if it is a call of ours (`ours`,
 * on the state read) served by a server that is dead, its verdict. Judging the server in the
 * step that reads the call leaves nothing out: a death is for good, and a CAS that would fail
 * looks again. */
inline look_and_settle_serving(ours) {
    atomic {
        ph = phase[idx];
        g = gen[idx];
        sv = server[idx];
        if
#if MUTANT != 7
        :: ours && ph == SERVING && dead[sv - 1] ->
#else
        :: ours && ph == SERVING ->
#endif
            assert(dead[sv - 1]);
            phase[idx] = RESET;
            verdict[number[idx]] = V_RESET;
            settled = true;
            posting = true;
            NOTIFY
        :: else -> skip
        fi
    };
    if
    :: posting -> POST(idx, g, RESET); posting = false
    :: else -> skip
    fi
}

/* ServiceClient::settle_if_gone for request n: settled tells; then free_stalled. */
inline settle_if_gone() {
    look_and_settle_serving(g == gen_of[n]);
    if
    :: g != gen_of[n] -> skip                           /* not ours: the next attempt says so */
#if MUTANT != 10
    :: g == gen_of[n] && (ph == ANSWERED || ph == RESET || ph == REFUSED) ->
        POST(idx, g, ph)                                /* ended, its outcome perhaps not posted */
#endif
    :: else -> settle_queued()
    fi;
    atomic { ph = 0; g = 0; sv = 0 };
    if
    :: settled -> free_stalled()
    :: else -> skip
    fi
}

/* try_collect for request n: v becomes V_NONE (again), V_OK, V_RESET or V_REFUSED. Only the
 * client changes a call of its own once it is answered, reset or refused: one step. `watch`
 * (Look::outcome): only an outcome posted for this call counts, and the step is the CAS from the
 * posted state; the state word is not looked at otherwise. */
inline try_collect(watch) {
    atomic {
        news = false;
        ph = phase[idx];                                /* mine(): acquire */
        assert(gen[idx] == gen_of[n] && ph != FREE && ph != ABANDONED);   /* still ours */
        if
        :: watch && !(post_gen[idx] == gen_of[n] && post_ph[idx] == ph) -> v = V_NONE
        :: else ->
        if
        :: ph == WRITING || ph == QUEUED || ph == SERVING -> v = V_NONE
        :: ph == RESET || ph == REFUSED ->
            v = (ph == RESET -> V_RESET : V_REFUSED);
            assert(verdict[n] == V_NONE || verdict[n] == v);
            verdict[n] = v;
            phase[idx] = FREE;
            server[idx] = 0
        :: ph == ANSWERED ->
            assert(response[idx] == n);                 /* the response to this request */
            assert(verdict[n] == V_NONE);
            verdict[n] = V_OK;
            v = V_OK;
            phase[idx] = FREE;                          /* [S4] */
            server[idx] = 0
        fi
        fi;
        ph = 0
    }
}

/* abandon(): the wait timed out. */
inline abandon() {
    atomic {
        ph = phase[idx];
        if
        :: gen[idx] == gen_of[n] && ph != FREE ->
            if
            :: ph == SERVING ->
#if MUTANT != 5
                phase[idx] = ABANDONED
#else
                phase[idx] = FREE; server[idx] = 0
#endif
            :: ph == ABANDONED -> skip
            :: else -> phase[idx] = FREE; server[idx] = 0
            fi
        :: else -> skip
        fi;
        verdict[n] = V_TIMED_OUT;
        ph = 0
    }
}

proctype Client() {
    byte n;                      /* the request */
    byte idx;                    /* its call slot */
    byte hint;                   /* where the last search for a free slot ended */
    byte ph;                     /* a state read: phase, generation, server */
    byte g;
    byte sv;
    byte v;
    bool patient;                /* this call has no deadline */
    bool ok;
    bool looked;
    bool settled;
    byte t;                      /* the probe, free_stalled, the repair and the reap */
    byte c;
    byte p;
    byte q;
    byte r;
    byte s;
    byte i;
    bool ab;
    bool some_alive;
    bool some_dead;
    bool repaired;
    bool own = true;             /* the client's own thread */
    bool moved;
    bool posting;                /* a step of ours ended a call: its outcome is posted next */
    bool watching;               /* the wait's attempts after its first watch the posted outcome */
    do
    :: n == SENDS -> break
    :: n < SENDS ->
        if
        :: patient = true
        :: patient = false
        fi;
send_attempt:
        atomic {
            news = false;
            if
            :: !ANY_ATTACHED ->                         /* server_attached() */
                assert(!ANY_ALIVE);
                verdict[n] = V_REFUSED;
                v = V_REFUSED
            :: else ->
                if                                      /* claim_free_call */
                :: phase[hint] == FREE -> idx = hint; ok = true
                :: else -> idx = (hint + 1) % CALLS; ok = phase[idx] == FREE
                fi;
                if
                :: ok ->
                    hint = idx;
                    gen[idx]++;                         /* [S0] */
                    number[idx] = n;
                    slot_of[n] = idx;
                    gen_of[n] = gen[idx];
                    request[idx] = n;
#if MUTANT != 9
                    ticket[idx] = UNKNOWN;
#endif
                    phase[idx] = QUEUED;                /* [S1] */
                    v = V_OK
                :: else -> v = V_NONE                   /* no free call slot */
                fi;
                ok = false
            fi
        };
        if
        :: v == V_OK ->
            atomic {                                    /* the queue's try_send */
                if
                :: seq[SLOT(tail)] == 2 * tail ->
                    content[SLOT(tail)] = n;
                    seq[SLOT(tail)] = 2 * tail + 1;     /* [R20] */
                    ticket[idx] = tail;
                    tail++
                :: else ->                              /* no room: not queued, [S4] by a store */
                    phase[idx] = FREE;
                    v = V_NONE
                fi
            }
        :: else -> skip
        fi;
        if
        :: v == V_REFUSED -> goto next_call
        :: v == V_OK -> goto collect_attempt
        :: else -> skip
        fi;
        free_stalled();                                 /* the send waits; its probe */
        if
        :: moved -> moved = false; goto send_attempt
        :: else -> skip
        fi;
        do
        :: news -> goto send_attempt
        :: !patient -> verdict[n] = V_TIMED_OUT; goto next_call
        od;
collect_attempt:
        try_collect(watching);                          /* the wait's first attempt reads the state */
        watching = true;
        if
        :: v != V_NONE -> goto next_call
        :: else -> skip
        fi;
        settle_if_gone();                               /* the wait's probe */
        if
        :: moved -> settled = false; moved = false; goto collect_attempt   /* [W3] */
        :: else -> skip
        fi;
        do
        :: news -> goto collect_attempt
        :: !patient -> abandon(); goto next_call
        od;
next_call:
        atomic { n++; idx = 0; v = 0; patient = false; watching = false }
    od;
    client_done = true
}

#if HELPER
/* The client's poll helper thread: settle_calls_if_gone, HELPER times. */
proctype Helper() {
    byte rounds;
    byte idx;
    byte ph;
    byte g;
    byte sv;
    bool ok;
    bool looked;
    bool settled;
    byte t;
    byte p;
    byte r;
    byte s;
    byte i;
    bool ab;
    bool some_alive;
    bool some_dead;
    bool repaired;
    bool own;                    /* another thread of the client */
    bool moved;
    bool posting;                /* a step of ours ended a call: its outcome is posted next */
    do
    :: rounds < HELPER ->
        idx = 0;
        do
        :: idx < CALLS ->
            look_and_settle_serving(ph != FREE);        /* a call of ours: its client's tag */
            if
            :: ph != FREE -> settle_queued()
            :: else -> skip
            fi;
            atomic { ph = 0; g = 0; sv = 0; settled = false; idx++ }
        :: else -> break
        od;
        atomic { idx = 0; rounds++ }
    :: else -> break
    od
}
#endif

proctype Server(byte me) {
    byte t;                      /* the queue ticket */
    byte m;                      /* the id in its slot */
    byte sq;                     /* the slot's sequence as read */
    byte idx;
    byte g;
    byte ph;
    bool claimed;
    bool taken;
    {
        do
        :: atomic {                                     /* take_full_ticket: the ticket, [A20], */
               t = head;                                /* the id, and the claim [C20] */
               sq = seq[SLOT(t)];
               if
               :: sq == 2 * t + 1 ->
                   m = content[SLOT(t)];
#if MUTANT != 6
                   claim[me] = t + 1;
                   claimed = true;
                   news = true
#else
                   skip
#endif
               :: else ->                               /* empty: again */
                   if
                   :: claimed -> claim[me] = 0; claimed = false; news = true
                   :: else -> skip
                   fi
               fi
           };
            if
            :: sq != 2 * t + 1 ->
end_wait:       (head != t || seq[SLOT(t)] != sq)       /* the data event */
            :: else ->
                atomic {                                /* [C21] */
                    if
                    :: head == t -> head++; taker[t] = me; taken = true; news = true
                    :: else -> taken = false            /* lost the race: the next ticket */
                    fi
                };
                if
                :: taken ->
#if MUTANT == 1
                    atomic { seq[SLOT(t)] = 2 * (t + CAP); claim[me] = 0; claimed = false; news = true };
#endif
                    atomic {                            /* the state, then [S2] */
                        idx = slot_of[m];
                        g = gen_of[m];
                        if
                        :: phase[idx] == QUEUED && gen[idx] == g && server[idx] == 0 ->
                            phase[idx] = SERVING;
                            server[idx] = me + 1;
                            news = true;
                            served[m]++;
                            assert(served[m] == 1);
                            assert(verdict[m] != V_RESET && verdict[m] != V_REFUSED)
                        :: else -> taken = false        /* given up: skipped */
                        fi
                    };
#if MUTANT != 1
                    atomic {                            /* [R21], then the claim cleared */
                        seq[SLOT(t)] = 2 * (t + CAP);
                        claim[me] = 0;
                        claimed = false;
                        news = true
                    };
#endif
                    if
                    :: taken ->
                        atomic {                        /* the request is run; response_area_of */
                            assert(request[idx] == m);
                            assert(verdict[m] != V_RESET && verdict[m] != V_REFUSED);
                            taken = gen[idx] == g && server[idx] == me + 1 &&
                                    (phase[idx] == SERVING || phase[idx] == ABANDONED);
                            assert(taken)               /* only we end a call we serve */
                        };
#if MUTANT != 4
                        atomic {                        /* the response, answer: serving(id), [S3] */
                            response[idx] = m;
                            if
                            :: gen[idx] == g && server[idx] == me + 1 && phase[idx] == SERVING ->
                                phase[idx] = ANSWERED;
                                ph = ANSWERED
                            :: gen[idx] == g && server[idx] == me + 1 && phase[idx] == ABANDONED ->
                                phase[idx] = FREE;      /* given up: the response is dropped */
                                server[idx] = 0;
                                news = true
                            :: else -> assert(false)    /* only we end a call we serve */
                            fi
                        };
                        if
                        :: ph == ANSWERED -> atomic { post_gen[idx] = g; post_ph[idx] = ANSWERED; news = true }
                        :: else -> skip
                        fi
#else
                        atomic { response[idx] = m; ph = phase[idx] };   /* serving(id) */
                        atomic {
                            if
                            :: ph == ABANDONED -> phase[idx] = FREE; server[idx] = 0
                            :: else -> phase[idx] = ANSWERED            /* a store */
                            fi;
                            news = true
                        };
                        atomic { post_gen[idx] = g; post_ph[idx] = ANSWERED; news = true }
#endif
                    :: else -> skip
                    fi
                :: else -> skip
                fi
            fi;
            atomic { t = 0; m = 0; sq = 0; idx = 0; g = 0; ph = 0; taken = false }
        od
    } unless { dead[me] }
}

/* Server 0 dies at some moment. */
proctype Killer() {
    atomic { dead[0] = true; news = true }
}

#if REAPER
/* Another process that takes dead server 0's entry (an attacher, or any endpoint's reap), once
 * the entry can be taken. */
proctype Reaper() {
    byte i;
    bool own;
    bool moved;
    bool posting;                /* a step of ours ended a call: its outcome is posted next */
end_absent:
    atomic { dead[0] && !reaped[0] && SETTLED(0) -> reaped[0] = true; news = true };
    settle_calls_of(0)
}
#endif

init {
    byte i;
    atomic {
        do
        :: i < CAP -> seq[i] = 2 * i; i++              /* free for tickets 0 .. CAP - 1 */
        :: else -> break
        od;
        i = 0;
        do
        :: i < SERVERS -> run Server(i); i++
        :: else -> break
        od;
        run Client();
#if HELPER
        run Helper();
#endif
        if                                              /* server 0 may die, or not */
        :: run Killer()
        :: skip
        fi;
#if REAPER
        if                                              /* another reaper may come, or not */
        :: run Reaper()
        :: skip
        fi;
#endif
        i = 0
    }
}

/* Runs once nothing else can move: the client has ended; then whoever comes next runs
 * free_stalled, and every call slot is free. */
active proctype Settled() {
    byte c;
    byte p;
    byte q;
    byte r;
    byte s;
    byte i;
    bool ab;
    bool some_alive;
    bool some_dead;
    bool repaired;
    bool ok;
    bool own = true;
    bool moved;
    bool posting;                /* a step of ours ended a call: its outcome is posted next */
    timeout ->
    assert(client_done);
    free_stalled();
    timeout ->
    i = 0;
    do
    :: i < CALLS -> assert(phase[i] == FREE); i++
    :: else -> break
    od;
    i = 0;
    do
    :: i < SENDS -> assert(verdict[i] != V_NONE); i++
    :: else -> break
    od
}
