#!/usr/bin/env bash
# Model-checks the Promela models in verify/ with spin: for each check, spin -a writes the
# verifier, gcc compiles it, and pan explores every state of the model (exhaustive search, no
# bitstate hashing). A check passes when pan reports "errors: 0" over a complete search.
#
# Each model also has mutants (MUTANT=n, a deliberately broken protocol): they must fail, which
# shows that the properties can be violated at all and that the run would notice.
#
# Checks run side by side, one per core; their lines are printed in order at the end. Exits
# non-zero if any check is not as expected. Work files go to build/verify/<check>/ (pan.log has
# pan's full report, and a trail file for a failed model).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh spin gcc

work=build/verify
rm -rf "$work"
mkdir -p "$work"
start=$(date +%s)
parallel=$(nproc)
report=()  # section headers and check IDs, in the order of this file

section() { report+=("=== verify: $1"); }

# check ID EXPECT MODEL SPIN_DEFINES PAN_CFLAGS PAN_FLAGS DESCRIPTION
#   EXPECT: pass (no error in a complete search) or fail (a mutant: at least one error)
# Starts the check in the background once a core is free; its line goes to build/verify/ID/verdict.
check() {
    while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
    report+=("$1")
    run_check "$@" >"$work/$1.verdict" 2>&1 &
}

run_check() {
    local id=$1 expect=$2 model=$3 defines=$4 cflags=$5 flags=$6 description=$7
    local dir=$work/$id
    mkdir -p "$dir"
    cp "verify/$model" "$dir/"
    local t0=$SECONDS
    # Word splitting of the option strings is intended: each holds several options.
    # shellcheck disable=SC2086
    (cd "$dir" && spin -a $defines "$model" >spin.log 2>&1 && gcc -O2 $cflags -o pan pan.c >gcc.log 2>&1 &&
        ./pan $flags >pan.log 2>&1) || true
    local errors states verdict
    errors=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' "$dir/pan.log" 2>/dev/null | tail -1)
    states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$dir/pan.log" 2>/dev/null | tail -1)
    if [ -z "$errors" ]; then
        verdict=BROKEN  # spin, gcc or pan did not get as far as a report
    elif grep -q "max search depth too small" "$dir/pan.log"; then
        verdict=INCOMPLETE
    elif [ "$expect" = pass ] && [ "$errors" -eq 0 ]; then
        verdict=ok
    elif [ "$expect" = fail ] && [ "$errors" -gt 0 ]; then
        verdict=ok
    else
        verdict=FAILED
    fi
    printf '%-10s %-62s %10s states  errors: %-3s %4d s\n' "$verdict" "$description" "${states:-?}" "${errors:-?}" $((SECONDS - t0))
    if [ "$verdict" != ok ]; then
        echo "           see $dir/ (spin.log, gcc.log, pan.log)"
    fi
}

safety="-DSAFETY"
liveness="-DNP -DNFAIR=3"
# For mutants that fail within a few hundred thousand states, and models whose verifier takes
# longer to compile with optimisation than to run: compiled without optimisation, in a third of
# the time.
quick="-DSAFETY -O0"

section "futex wait/wake handshake (detail/wait_loop.hpp)"
check futex-1 pass futex_handshake.pml "-DSLEEPERS=1" "$safety" "-m100000" \
    "1 consumer: no lost wake-up, no deadlock"
check futex-2 pass futex_handshake.pml "-DSLEEPERS=2 -DHELPER=0" "$safety" "-m100000" \
    "2 consumers (MPMC): no lost wake-up, no deadlock"
check futex-helper pass futex_handshake.pml "-DSLEEPERS=2 -DHELPER=1" "$safety" "-m100000" \
    "consumer and its poll helper: no lost wake-up, no deadlock"
check futex-mutant-1 fail futex_handshake.pml "-DMUTANT=1" "$safety" "-m100000" \
    "mutant without the re-check W3: loses a wake-up"
check futex-mutant-2 fail futex_handshake.pml "-DMUTANT=2" "$safety" "-m100000" \
    "mutant with W1 after W3 (no fence F2): loses a wake-up"
check futex-mutant-3 fail futex_handshake.pml "-DSLEEPERS=2 -DHELPER=1 -DMUTANT=3" "$safety" "-m100000" \
    "mutant waking one sleeper: the helper takes the wake-up"

section "light publish fence (detail/publish_fence.hpp, [H] in wait_loop.hpp)"
check light-1 pass light_fence.pml "-DSLEEPERS=1" "$safety" "-m100000" \
    "1 consumer, full-light-full-light: no lost wake-up or deadlock"
check light-1-start pass light_fence.pml "-DSLEEPERS=1 -DSTART_LIGHT=1 -DQUIET=2" "$safety" "-m100000" \
    "1 consumer, starting light, light after 2 quiet publishes"
check light-1-any pass light_fence.pml "-DSLEEPERS=1 -DQUIET=0 -DMESSAGES=5" "$safety" "-m100000" \
    "1 consumer, 5 messages, light after any count of quiet ones"
check light-2 pass light_fence.pml "-DSLEEPERS=2 -DHELPER=0 -DMESSAGES=5" "$safety" "-m100000" \
    "2 consumers (MPMC), 5 messages: no lost wake-up, no deadlock"
check light-helper pass light_fence.pml "-DSLEEPERS=2 -DHELPER=1 -DMESSAGES=5 -DSTART_LIGHT=1" "$safety" "-m100000" \
    "consumer and its poll helper, starting light: no lost wake-up"
check light-helper-any pass light_fence.pml "-DSLEEPERS=2 -DHELPER=1 -DQUIET=0" "$safety" "-m100000" \
    "consumer and poll helper, light after any count of quiet ones"
check light-plain-clear pass light_fence.pml "-DSLEEPERS=2 -DHELPER=0 -DQUIET=0 -DPLAIN_CLEAR=1" "$safety" "-m100000" \
    "variant with L2 not draining: safe, as a wake follows every L2"
check light-detach-nowake pass light_fence.pml "-DSLEEPERS=2 -DHELPER=0 -DQUIET=0 -DDETACH_WAKES=0" "$safety" "-m100000" \
    "variant with a detach waking nobody: the draining L2 suffices"
check light-mutant-1 fail light_fence.pml "-DMUTANT=1" "$safety" "-m100000" \
    "mutant without the heavy barrier: loses a wake-up"
check light-mutant-2 fail light_fence.pml "-DMUTANT=2" "$safety" "-m100000" \
    "mutant with L1 a buffered store and no F0: loses a wake-up"
check light-mutant-3 fail light_fence.pml "-DMUTANT=3" "$safety" "-m100000" \
    "mutant reading light_publishers before W1/F2: loses a wake-up"
check light-mutant-4 fail light_fence.pml "-DMUTANT=4" "$safety" "-m100000" \
    "mutant detaching with a plain L2 and no wake: loses a wake-up"

section "MPMC slots and repair (detail/mpmc_protocol.hpp, mpmc_repair.cpp)"
check mpmc-1 pass mpmc_slots.pml "-DCAPACITY=1" "$safety" "-m1000000 -w24" \
    "capacity 1, 2x2 messages, producer may die: safety"
check mpmc-2 pass mpmc_slots.pml "-DCAPACITY=2" "$safety" "-m1000000 -w24" \
    "capacity 2, 2x2 messages, producer may die: safety"
check mpmc-1-live pass mpmc_slots.pml "-DCAPACITY=1 -DPER_PRODUCER=1" "$liveness" "-m1000000 -l -f" \
    "capacity 1, 2x1 messages: no consumer stuck behind a dead slot"
check mpmc-2-live pass mpmc_slots.pml "-DCAPACITY=2 -DPER_PRODUCER=1" "$liveness" "-m1000000 -l -f" \
    "capacity 2, 2x1 messages: no consumer stuck behind a dead slot"
check mpmc-mutant-1 fail mpmc_slots.pml "-DCAPACITY=1 -DMUTANT=1" "$safety" "-m1000000" \
    "mutant ignoring live claimants: repairs a live slot"
check mpmc-mutant-2 fail mpmc_slots.pml "-DCAPACITY=2 -DMUTANT=2" "$safety" "-m1000000" \
    "mutant without the look after the claimants: repairs a live slot"
check mpmc-mutant-3 fail mpmc_slots.pml "-DCAPACITY=1 -DPER_PRODUCER=1 -DMUTANT=3" "$liveness" "-m1000000 -l -f" \
    "mutant recording the claim after the CAS: nobody repairs"

section "MPMC custody (detail/mpmc_custody.hpp, MpmcHolder::attach, repair_unreleased)"
check custody-2 pass mpmc_custody.pml "" "$safety" "-m1000000 -w24" \
    "capacity 2, 2x2 messages, an abort, the holder dies twice"
check custody-voids pass mpmc_custody.pml "-DABORTS=2 -DPRODUCERS=1 -DPER_PRODUCER=3" "$quick" "-m1000000 -w22" \
    "capacity 2, 3 messages, two aborts: voids may fill the ring"
check custody-3 pass mpmc_custody.pml "-DCAPACITY=3 -DABORTS=2 -DPRODUCERS=1 -DPER_PRODUCER=4" "$quick" "-m1000000 -w22" \
    "capacity 3, 4 messages, two aborts, the holder dies twice"
check custody-consumer pass mpmc_custody.pml "-DDEAD_CONSUMER=1 -DCRASHES=1" "$safety" "-m1000000 -w24" \
    "a dead consumer's open take, repaired by the holder's attach"
check custody-stale pass mpmc_custody.pml "-DDEAD_CONSUMER=2 -DCRASHES=1" "$safety" "-m1000000 -w24" \
    "a dead consumer's claim on a ticket not yet taken: cleared"
check custody-mutant-1 fail mpmc_custody.pml "-DMUTANT=1" "$quick" "-m1000000 -w22" \
    "mutant recording the holder's claim: repair frees a held slot"
check custody-mutant-2 fail mpmc_custody.pml "-DMUTANT=2" "$quick" "-m1000000 -w22" \
    "mutant handing back on take: the slot is rewritten before sent"
check custody-mutant-3 fail mpmc_custody.pml "-DMUTANT=3" "$quick" "-m1000000 -w22" \
    "mutant resuming at head, not at the first held ticket: a loss"
check custody-mutant-4 fail mpmc_custody.pml "-DDEAD_CONSUMER=2 -DMUTANT=4" "$quick" "-m1000000 -w22" \
    "mutant keeping a dead consumer's stale claim: frees a held slot"
check custody-mutant-5 fail mpmc_custody.pml "-DCAPACITY=1 -DMUTANT=5" "$quick" "-m1000000 -w22" \
    "mutant holding voids unsent: a ring of voids stalls for ever"

section "topic gating (detail/topic_protocol.hpp)"
check topic-2 pass topic_gate.pml "-DSLOTS=2 -DMESSAGES=4 -DSESSIONS=2 -DLEAVE=1" "$safety" "-m1000000 -w24" \
    "2 slots, 4 messages, a joiner that leaves and rejoins"
check topic-die pass topic_gate.pml "-DSLOTS=2 -DMESSAGES=3 -DLEAVE=0 -DDIE=1" "$safety" "-m1000000 -w24" \
    "2 slots, 3 messages, a joiner that dies, its entry retaken"
check topic-3 pass topic_gate.pml "-DSLOTS=4 -DBOUND=3 -DMESSAGES=5 -DSESSIONS=1" "$safety" "-m1000000 -w24" \
    "capacity 3 in 4 slots, 5 messages, a joiner that may leave"
check topic-mutant-1 fail topic_gate.pml "-DMUTANT=1" "$quick" "-m1000000 -w20" \
    "mutant without the raise at J4: a joiner starts overwritten"
check topic-mutant-2 fail topic_gate.pml "-DMUTANT=2" "$quick" "-m1000000 -w20" \
    "mutant announcing a lower limit: a joiner starts too low"
check topic-mutant-3 fail topic_gate.pml "-DMUTANT=3" "$quick" "-m1000000 -w20" \
    "mutant without the rescan G4: overwrites a joiner"
check topic-mutant-4 fail topic_gate.pml "-DMUTANT=4" "$quick" "-m1000000 -w20" \
    "mutant without the fence G3: the limit store passes G4"
check topic-mutant-5 fail topic_gate.pml "-DSLOTS=2 -DMESSAGES=3 -DLEAVE=0 -DDIE=1 -DMUTANT=5" "$quick" "-m1000000 -w22" \
    "mutant ungating a dead entry after freeing it: ungates its heir"
check topic-mutant-6 fail topic_gate.pml "-DMUTANT=6" "$quick" "-m1000000 -w20" \
    "mutant waiting on what G4 saw: loses a wake-up"
check topic-mutant-7 fail topic_gate.pml "-DMUTANT=7" "$quick" "-m1000000 -w20" \
    "mutant joining without a wake-up: the raise at J4 wakes nobody"

section "service calls (detail/service_protocol.hpp, service.cpp, mpmc_repair.cpp)"
check service-1 pass service_call.pml "" "$quick" "-m20000 -w22" \
    "1 call slot, 3 calls, a server that may die: safety"
check service-2-calls pass service_call.pml "-DCALLS=2" "$quick" "-m20000 -w22" \
    "2 call slots, 3 calls, a server that may die: safety"
check service-2-servers pass service_call.pml "-DSERVERS=2 -DSENDS=2 -DREAPER=0" "$quick" "-m20000 -w22" \
    "2 servers, one may die, 2 calls: safety"
check service-helper pass service_call.pml "-DHELPER=1 -DSENDS=2 -DREAPER=0" "$quick" "-m20000 -w22" \
    "a poll helper settling calls meanwhile, 2 calls: safety"
check service-1-cycles pass service_call.pml "-DSENDS=2" "-DNP -O0" "-m20000 -w22 -l" \
    "1 call slot, 2 calls: no cycle, every run reaches the checks"
check service-mutant-1 fail service_call.pml "-DMUTANT=1" "$quick" "-m20000 -w20" \
    "mutant handing the queue slot back before [S2]: false reset"
check service-mutant-2 fail service_call.pml "-DMUTANT=2" "$quick" "-m20000 -w20" \
    "mutant settling without a look at the queue slot: false reset"
check service-mutant-3 fail service_call.pml "-DMUTANT=3" "$quick" "-m20000 -w20" \
    "mutant settling by a store: resets a live server's call"
check service-mutant-4 fail service_call.pml "-DMUTANT=4" "$quick" "-m20000 -w20" \
    "mutant answering by a store: a give-up is lost, a slot leaks"
check service-mutant-5 fail service_call.pml "-DSERVERS=2 -DSENDS=2 -DREAPER=0 -DMUTANT=5" "$quick" "-m20000 -w20" \
    "mutant freeing a served call on give-up: it is reused under it"
check service-mutant-6 fail service_call.pml "-DMUTANT=6" "$quick" "-m20000 -w20" \
    "mutant taking a ticket without a claim: the client hangs"
check service-mutant-7 fail service_call.pml "-DMUTANT=7" "$quick" "-m20000 -w20" \
    "mutant not asking whether the server lives: resets a live one"
check service-mutant-8 fail service_call.pml "-DMUTANT=8" "$quick" "-m20000 -w20" \
    "mutant reaping a server whose claim is open: the client hangs"
check service-mutant-9 fail service_call.pml "-DHELPER=1 -DSENDS=2 -DREAPER=0 -DMUTANT=9" "$quick" "-m20000 -w20" \
    "mutant keeping the last ticket while queueing: a false reset"
check service-mutant-10 fail service_call.pml "-DMUTANT=10" "$quick" "-m20000 -w20" \
    "mutant whose probe leaves an outcome unposted: the client hangs"

section "robust owner lock (detail/owner_lock.hpp)"
check lock-3 pass lock_owner_death.pml "" "$safety" "-m100000" \
    "3 processes, 2 may die, a holder may close: exclusion, reports"
check lock-2 pass lock_owner_death.pml "-DPROCS=2 -DITER=3" "$quick" "-m100000" \
    "2 processes taking the lock 3 times each, both may die"
check lock-mutant-1 fail lock_owner_death.pml "-DMUTANT=1" "$quick" "-m100000" \
    "mutant taking over with no alive check: overtakes a live one"
check lock-mutant-2 fail lock_owner_death.pml "-DMUTANT=2" "$quick" "-m100000" \
    "mutant not marking not recoverable: a later acquirer takes it"
check lock-mutant-3 fail lock_owner_death.pml "-DMUTANT=3" "$quick" "-m100000" \
    "mutant taking owner died at A1 as OK: a successor is not told"
check lock-mutant-4 fail lock_owner_death.pml "-DMUTANT=4" "$quick" "-m100000" \
    "mutant ignoring not recoverable at A2's takeover: it enters"

section "latest-value cell (detail/cell_protocol.hpp)"
check cell-1 pass cell_value.pml "" "$quick" "-m100000" \
    "2 writers x 2 writes, one may die, 1 reader x 2: no torn value"
check cell-readers pass cell_value.pml "-DREADERS=2 -DREADS=1" "$safety" "-m100000" \
    "2 writers x 2 writes, one may die, 2 readers x 1: not torn"
check cell-writes pass cell_value.pml "-DWRITES=3" "$safety" "-m100000" \
    "2 writers x 3 writes, one may die, 1 reader x 2: no torn value"
check cell-mutant-1 fail cell_value.pml "-DMUTANT=1" "$quick" "-m100000" \
    "mutant without the re-check R4: returns a torn value"
check cell-mutant-2 fail cell_value.pml "-DMUTANT=2" "$quick" "-m100000" \
    "mutant publishing before the copy and W4: a reader finds none"
check cell-mutant-3 fail cell_value.pml "-DMUTANT=3" "$quick" "-m100000" \
    "mutant taking the lock from a live writer: two in one buffer"

wait
failed=0
for entry in "${report[@]}"; do
    case $entry in
        "=== "*) echo "$entry" >&2 ;;
        *) cat "$work/$entry.verdict"
           grep -q '^ok ' "$work/$entry.verdict" || failed=1 ;;
    esac
done
echo "=== verify: finished in $(($(date +%s) - start)) s" >&2
if [ "$failed" -ne 0 ]; then
    echo "verify: FAILED" >&2
    exit 1
fi
echo "verify: every model checked as expected"
