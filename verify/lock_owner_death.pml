/* The robust lock of core/include/shmring/detail/owner_lock.hpp, whose holder may die: its
 * acquire (A0..A2, with the owner-died and not-recoverable outcomes), consistent, release, and the
 * release of a holder that closes without unlocking. PROCS processes each acquire the lock ITER
 * times (an attempt ending in ENOTRECOVERABLE counts as one); up to DEATHS of them die, each at
 * any step, inside the critical section or not (a ghost Killer picks whom and when, or nobody).
 * With CLOSE 1 a holder may also close while holding instead of releasing.
 *
 * Shared state: `holder`, the lock word (0 free, else the pid of the holder's endpoint);
 * `consistency` (0 consistent, 1 owner died, 2 not recoverable); alive[p], what the kernel says
 * of process p (false once p died; a stopped or slow process is alive, and in the model it is
 * simply one that is not scheduled); the data the lock protects, `count`; and `in_cs`, the live
 * processes inside the critical section.
 *
 * The steps, named as in the source:
 *   acquire  A0 consistency = 2: ENOTRECOVERABLE, not held
 *            A1 CAS(holder, 0 -> me). Won: c = consistency; c = 2: holder = 0 (a release, with
 *               its wake) and ENOTRECOVERABLE; c = 1: EOWNERDEAD, held; c = 0: OK, held
 *            A2 lost, holder h: if h is dead (alive[h] false): CAS(holder, h -> me). Won: c =
 *               consistency; c = 2: holder = 0 and ENOTRECOVERABLE, as in A1 (h died releasing
 *               after marking the lock not recoverable); else consistency = 1 and EOWNERDEAD,
 *               held. Lost, or h alive: wait until the lock is free, its holder dead, or the lock
 *               not recoverable, then again from A0. In the source the waiter asks whether h is
 *               alive in a probe every 50 ms of its wait; here it may ask at any moment.
 *   OK       the critical section: in_cs++; tmp = count; count = tmp + 1; in_cs--
 *   EOWNERDEAD  the critical section (the repair), then consistent (consistency = 0) or not
 *   release  if consistency = 1: consistency = 2 (released without consistent: not
 *               recoverable); then holder = 0 (release, and a wake)
 *   close while holding  (an endpoint closed, or its thread ended, with the lock held) as a
 *               death would leave it: consistency = 1 unless it is 2; then holder = 0
 *   death    alive[p] = false, at any step; a process inside the critical section leaves it
 *
 * Checked (assertions and end states, exhaustive):
 * - mutual exclusion: at most one live process is inside the critical section, and the count
 *   loses no increment (once nothing can move, it equals the increments made);
 * - owner death is reported: whoever takes the lock after a holder died holding it, or closed
 *   while holding it, gets EOWNERDEAD, until someone calls consistent; and nobody gets
 *   EOWNERDEAD otherwise (the ghost owner_lost);
 * - not recoverable is for good: once a holder with EOWNERDEAD released without consistent,
 *   every acquire gets ENOTRECOVERABLE and nobody enters (the ghost given_up);
 * - no process waits for ever while the lock is free, its holder dead or the lock not
 *   recoverable: the wait is an await on exactly that, and no run ends in an invalid end state.
 *
 * What is abstracted:
 * - Shared accesses are atomic steps in one global order (sequential consistency); the CAS and
 *   the release store of `holder` order the consistency word and the data for the next holder in
 *   the source (acquire and release), which the model takes as given.
 * - A lost CAS returns the holder it saw in the same step. The check of alive[h] and the
 *   takeover CAS are two steps: another waiter may take the lock over in between. Deaths are for
 *   good, and alive[] is exact, as the source's liveness test of an endpoint (its pid and start
 *   time) is.
 * - The wait (a futex wait on the lock word) is an await on its condition; wake-ups are not
 *   lost (verify/futex_handshake.pml checks that handshake).
 * - The protected data is one counter, incremented by a load and a store: a dead holder never
 *   leaves it half-written, so the repair is only the critical section run again.
 *
 * MUTANT selects a broken variant, to show that the checks are not vacuous (verify/run.sh expects
 * an error from each): 1 takes the lock over at A2 without asking whether its holder is dead (it
 * overtakes a live, stopped holder: two inside at once, and a death reported that did not
 * happen); 2 releases after EOWNERDEAD without consistent and without marking the lock not
 * recoverable (a later acquirer takes it); 3 returns OK at A1 when the consistency word says
 * owner died (the successor of a holder that closed holding it is not told; a dead holder's word
 * keeps its pid, so after a death only A2 takes the lock); 4 returns EOWNERDEAD from a takeover
 * at A2 without looking for not recoverable (a holder that died between marking the lock not
 * recoverable and freeing it hands it on, and its taker enters).
 */

#ifndef PROCS
#define PROCS 3                  /* 2 or 3: the Killer names them */
#endif
#ifndef ITER
#define ITER 1
#endif
#ifndef DEATHS
#define DEATHS 2
#endif
#ifndef CLOSE
#define CLOSE 1
#endif
#ifndef MUTANT
#define MUTANT 0
#endif

#define OK 1
#define EOWNERDEAD 2
#define ENOTRECOVERABLE 3

byte holder;                     /* the lock word: 0 free, else the holder's pid (1..PROCS) */
byte consistency;                /* 0 consistent, 1 owner died, 2 not recoverable */
bool alive[PROCS + 1];           /* alive[p]: p has not died (index 0 unused) */
byte count;                      /* the protected data */
byte in_cs;                      /* live processes inside the critical section */
bool inside[PROCS + 1];          /* ghost: p is inside */
byte increments;                 /* ghost: count = tmp + 1 steps so far */
bool owner_lost;                 /* ghost: a holder died or closed holding, not made consistent */
bool given_up;                   /* ghost: released after EOWNERDEAD without consistent */
bool finished[PROCS + 1];        /* ghost: p made its ITER attempts (not worth killing) */

/* Checks an acquire's outcome res, decided in the step that calls this. */
inline outcome() {
    if
    :: res == OK || res == EOWNERDEAD ->
        assert(!given_up);                              /* not recoverable is for good */
        assert(owner_lost == (res == EOWNERDEAD))       /* owner death reported, and only it */
    :: else -> skip
    fi
}

proctype Process(byte me) {
    byte iter;
    byte res;
    byte h;
    byte tmp;
    bool consistent_made;
    {
        do
        :: iter < ITER ->
again:
            if                                          /* A0 */
            :: consistency == 2 -> res = ENOTRECOVERABLE; goto next
            :: else -> skip
            fi;
            atomic {                                    /* A1: CAS(holder, 0 -> me) */
                if
                :: holder == 0 -> holder = me; h = 0
                :: else -> h = holder
                fi
            };
            if
            :: h == 0 ->                                /* won: reads consistency */
                atomic {
                    if
                    :: consistency == 2 -> res = ENOTRECOVERABLE
#if MUTANT != 3
                    :: consistency == 1 -> res = EOWNERDEAD
                    :: consistency == 0 -> res = OK
#else
                    :: consistency != 2 -> res = OK
#endif
                    fi;
                    outcome()
                };
                if
                :: res == ENOTRECOVERABLE -> holder = 0; goto next   /* released, a wake */
                :: else -> skip
                fi
            :: else ->                                  /* A2 */
                if
                :: !alive[h] -> skip
#if MUTANT == 1
                :: alive[h] -> skip                     /* overtakes a live holder */
#endif
                :: else ->                              /* waits */
                    atomic { (holder == 0 || !alive[holder] || consistency == 2) -> h = 0 };
                    goto again
                fi;
                atomic {                                /* CAS(holder, h -> me) */
                    if
                    :: holder == h -> holder = me; h = 0
                    :: else -> skip
                    fi
                };
                if
                :: h != 0 -> h = 0; goto again          /* lost the race */
                :: else -> skip
                fi;
                atomic {
                    if
#if MUTANT != 4
                    :: consistency == 2 -> res = ENOTRECOVERABLE
                    :: else -> consistency = 1; res = EOWNERDEAD
#else
                    :: consistency == 2 -> res = EOWNERDEAD
                    :: else -> consistency = 1; res = EOWNERDEAD
#endif
                    fi;
                    outcome()
                };
                if
                :: res == ENOTRECOVERABLE -> holder = 0; goto next   /* released, a wake */
                :: else -> skip
                fi
            fi;
            /* held, OK or EOWNERDEAD: the critical section (for EOWNERDEAD, the repair) */
            atomic {
                in_cs++;
                inside[me] = true;
                assert(in_cs == 1);
                assert(!given_up && consistency != 2)
            };
            tmp = count;
            atomic { count = tmp + 1; increments++; tmp = 0 };
            atomic { in_cs--; inside[me] = false };
            if
            :: res == EOWNERDEAD ->                     /* consistent, or not */
                atomic { consistency = 0; owner_lost = false; consistent_made = true }
            :: res == EOWNERDEAD -> skip
            :: else -> skip
            fi;
            if
            :: true ->                                  /* release */
                atomic {
#if MUTANT != 2
                    if
                    :: consistency == 1 -> consistency = 2
                    :: else -> skip
                    fi;
#endif
                    if
                    :: res == EOWNERDEAD && !consistent_made -> given_up = true
                    :: else -> skip
                    fi
                };
                holder = 0
#if CLOSE
            :: true ->                                  /* closes while holding */
                atomic {
                    if
                    :: consistency != 2 -> consistency = 1
                    :: else -> skip
                    fi;
                    owner_lost = true
                };
                holder = 0
#endif
            fi;
next:
            atomic { iter++; res = 0; h = 0; consistent_made = false }
        :: else -> break
        od;
        finished[me] = true
    } unless { !alive[me] }
}

/* Kills up to DEATHS processes, each at any moment. */
active proctype Killer() {
    byte p;
    byte deaths;
    do
    :: atomic {
            if
            :: deaths < DEATHS && alive[1] && !finished[1] -> p = 1
            :: deaths < DEATHS && alive[2] && !finished[2] -> p = 2
#if PROCS > 2
            :: deaths < DEATHS && alive[3] && !finished[3] -> p = 3
#endif
            fi;
            alive[p] = false;
            deaths++;
            if
            :: inside[p] -> inside[p] = false; in_cs--  /* its death ends its presence */
            :: else -> skip
            fi;
            if
            :: holder == p -> owner_lost = true         /* died holding */
            :: else -> skip
            fi;
            p = 0
       }
    :: break
    od
}

init {
    byte i = 1;
    atomic {
        do
        :: i <= PROCS -> alive[i] = true; run Process(i); i++
        :: else -> break
        od;
        i = 0
    }
}

/* Runs once nothing else can move: every live process finished, and no increment was lost. */
active proctype Settled() {
    byte p = 1;
    timeout ->
    do
    :: p <= PROCS -> assert(finished[p] || !alive[p]); p++
    :: else -> break
    od;
    assert(count == increments)
}
