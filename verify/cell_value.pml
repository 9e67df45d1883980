/* The latest-value cell, core/include/shmring/detail/cell_protocol.hpp: a register holding the
 * last value written, with writers serialised by a robust writer lock and readers that never
 * block a writer (a seqlock over BUFFERS buffers). Two writers make WRITES writes each; writer 1
 * may die at any step, holding the lock or not. READERS readers make READS reads each.
 *
 * Shared state: `latest`, the last version published (0: never written); BUFFERS buffers, each
 * with a stamp, a length and the payload words w0 and w1 (standing for the bytes). Version v
 * lives in buffer v % BUFFERS. A stamp is 0 if its buffer was never written, 2v + 1 while
 * version v is written into it, 2v + 2 once version v is complete. The source has 4 buffers;
 * 2 are enough here for a buffer to be reused under a reader within a few writes.
 *
 * The steps, named as in the source:
 *   writer  takes the writer lock (CAS free -> me; or, its holder being dead, CAS holder -> me:
 *              the takeover, core/include/shmring/detail/owner_lock.hpp, checked on its own by
 *              lock_owner_death.pml); then
 *           W0 v = latest + 1
 *           W1 stamp[v % BUFFERS] = 2v + 1
 *           W2 release fence: W1 is seen before any store of W3
 *           W3 the copy: length, then w0, then w1 (only for a length of 2), one store each
 *           W4 stamp[v % BUFFERS] = 2v + 2 (release)
 *           W5 latest = v (release)
 *           W6 releases the writer lock
 *           A writer taking over from a dead one writes latest + 1 again: the dead one never
 *           reached W5, so latest did not move, and its half-written buffer is simply rewritten.
 *   reader  R1 v = latest (acquire); v = 0: "never written", returned as such
 *           R2 s1 = stamp[v % BUFFERS] (acquire); s1 = 2v + 2: go on; s1 > 2v + 2: the buffer
 *              was reused by a newer version meanwhile, again from R1; s1 < 2v + 2: impossible
 *              (a published version's buffer holds it or a newer one; the source reports the
 *              cell corrupt)
 *           R3 the copy: length (bounded by the buffer's size), then w0, then w1 if the length
 *              is 2, one load each; then an acquire fence
 *           R4 s2 = stamp[v % BUFFERS]; s2 != s1: a writer was in the buffer, again from R1
 *           R5 returns version v with the value copied
 *
 * Checked (assertions and end states, exhaustive):
 * - no torn value: what R5 returns is the value (length and words) that the writer publishing
 *   version v wrote, never a mix of two writes, of two writers, or of a dead writer's partial
 *   copy and its successor's;
 * - R2 never finds a published version's buffer holding an older one;
 * - each reader's versions never go down (a "never written" after a value would count too);
 * - once nothing can move: every live writer made all its writes (none is stuck behind a dead
 *   holder: no invalid end state), versions were published one by one (latest equals the number
 *   of W5 steps), and latest's buffer holds it, complete.
 *
 * What is abstracted:
 * - Shared accesses are atomic steps in one global order (sequential consistency). The source
 *   gets the order the protocol needs from the release fence W2 (the stamp W1 before the copy),
 *   the release stores W4 and W5, the acquire loads R1 and R2, and the acquire fence after R3 (the
 *   copy before the re-check R4); the model checks the protocol's steps under that order, not the
 *   C++ memory orders themselves. The copy is word by word, so it can be interrupted anywhere.
 * - A value is (version, writer): the ghost author[v] names the writer that published v, and
 *   VALUE and LENGTH derive the words and the length from both, so that two writes of the same
 *   version by two writers differ as their bytes would.
 * - The writer lock is one word, `writer` (0 free, else the holder, 1 or 2), taken by CAS; a
 *   writer waits (an await) until it is free or its holder is dead. The check of the holder's
 *   liveness and the CAS are one step (a dead holder stays dead; a CAS that loses a race only
 *   sends the writer back to wait). The owner-died report of the real lock is left out: the cell
 *   has nothing to repair, a half-written buffer being overwritten by the next write.
 * - Liveness is exact (the ghost alive[]). Readers do not die: they write nothing shared.
 * - Versions are small and never wrap (at most 2 * WRITES); the source's 64-bit versions do not.
 *
 * MUTANT selects a broken variant, to show that the checks are not vacuous (verify/run.sh expects
 * an error from each): 1 drops the reader's re-check R4 (a copy overlapping a rewrite of its
 * buffer is returned torn); 2 publishes latest (W5) right after W1, before the copy and W4;
 * 3 takes the writer lock over without asking whether its holder is dead (two writers in one
 * buffer, or a version published twice or going back).
 */

#ifndef BUFFERS
#define BUFFERS 2
#endif
#ifndef WRITES
#define WRITES 2
#endif
#ifndef READERS
#define READERS 1
#endif
#ifndef READS
#define READS 2
#endif
#ifndef DIE
#define DIE 1
#endif
#ifndef MUTANT
#define MUTANT 0
#endif
#define WRITERS 2
#define VERSIONS (WRITERS * WRITES + 1)
#define VALUE(v, w) ((v) * 4 + (w))                /* writer w's bytes for version v */
#define LENGTH(v, w) (1 + ((v) + (w)) % 2)         /* 1 or 2 words */

byte latest;                     /* the last version published, 0: never */
byte stamp[BUFFERS];
byte length[BUFFERS];
byte w0[BUFFERS];
byte w1[BUFFERS];
byte writer;                     /* the writer lock: 0 free, else its holder */
bool alive[WRITERS + 1];         /* alive[w]: writer w has not died (index 0 unused) */
byte author[VERSIONS];           /* ghost: the writer that published version v */
byte publishes;                  /* ghost: W5 steps so far */

proctype Writer(byte me) {
    byte writes;
    byte v;
    byte b;
    {
        do
        :: writes < WRITES ->
            atomic {                                        /* the writer lock */
#if MUTANT != 3
                (writer == 0 || !alive[writer]) ->
#else
                (writer != me) ->                           /* overtakes a live holder too */
#endif
                writer = me
            };
            atomic { v = latest + 1; b = v % BUFFERS };     /* W0 */
            stamp[b] = 2 * v + 1;                           /* W1, then the fence W2 */
#if MUTANT == 2
            atomic { latest = v; author[v] = me; publishes++ };   /* W5 too early */
#endif
            length[b] = LENGTH(v, me);                      /* W3, word by word */
            w0[b] = VALUE(v, me);
            if
            :: LENGTH(v, me) == 2 -> w1[b] = VALUE(v, me)
            :: else -> skip
            fi;
            stamp[b] = 2 * v + 2;                           /* W4 */
#if MUTANT != 2
            atomic { latest = v; author[v] = me; publishes++ };   /* W5 */
#endif
            atomic { writer = 0; writes++; v = 0; b = 0 }   /* W6 */
        :: else -> break
        od
    } unless { !alive[me] }
}

proctype Reader() {
    byte reads;
    byte last;                   /* the last version returned */
    byte v;
    byte b;
    byte s1;
    byte s2;
    byte rl;
    byte r0;
    byte r1;
    do
    :: reads < READS ->
again:
        atomic { v = latest; b = v % BUFFERS };             /* R1 */
        if
        :: v == 0 ->                                        /* never written */
            assert(last == 0);
            goto done
        :: else -> skip
        fi;
        s1 = stamp[b];                                      /* R2 */
        if
        :: s1 == 2 * v + 2 -> skip
        :: s1 > 2 * v + 2 -> atomic { s1 = 0; goto again }  /* reused meanwhile */
        :: s1 < 2 * v + 2 -> assert(false)                  /* a published version lost */
        fi;
        rl = length[b];                                     /* R3, word by word */
        r0 = w0[b];
        if
        :: rl == 2 -> r1 = w1[b]
        :: else -> skip
        fi;
#if MUTANT != 1
        s2 = stamp[b];                                      /* R4 */
        if
        :: s2 != s1 -> atomic { s1 = 0; s2 = 0; rl = 0; r0 = 0; r1 = 0; goto again }
        :: else -> skip
        fi;
#endif
        atomic {                                            /* R5 */
            assert(rl == LENGTH(v, author[v]));
            assert(r0 == VALUE(v, author[v]));
            assert(rl == 1 || r1 == VALUE(v, author[v]));
            assert(v >= last);
            last = v
        };
done:
        atomic { reads++; v = 0; b = 0; s1 = 0; s2 = 0; rl = 0; r0 = 0; r1 = 0 }
    :: else -> break
    od
}

/* Writer 1 dies at some moment. */
proctype Killer() {
    alive[1] = false
}

init {
    byte i;
    atomic {
        alive[1] = true;
        alive[2] = true;
        run Writer(1);
        run Writer(2);
        do
        :: i < READERS -> run Reader(); i++
        :: else -> break
        od;
#if DIE
        if                                                  /* writer 1 may die, or not */
        :: run Killer()
        :: skip
        fi;
#endif
        i = 0
    }
}

/* Runs once nothing else can move. */
active proctype Settled() {
    timeout ->
    assert(latest == publishes);
    assert(alive[1] || latest >= WRITES);
    assert(!alive[1] || latest == 2 * WRITES);
    assert(latest == 0 ||
           (stamp[latest % BUFFERS] == 2 * latest + 2 &&
            length[latest % BUFFERS] == LENGTH(latest, author[latest]) &&
            w0[latest % BUFFERS] == VALUE(latest, author[latest])))
}
