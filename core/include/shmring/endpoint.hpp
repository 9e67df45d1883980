// Endpoint: this process's entry in a ring's registry, and the exclusive role it may hold.
//
// Attaching takes an entry's lease (detail/lease.hpp), then the entry itself: a free one, or one
// whose owner is dead (its lease is free although the entry says taken). It fills in the fields
// and publishes the entry as attached. Detaching folds the entry's counters into the ring's totals,
// gives back the role, frees the entry and then the lease. A process that dies or execs without
// detaching leaves its entry attached with a free lease: any process can see that, and a later
// attacher or reaper reclaims the entry.
#pragma once

#include "shmring/detail/cxx20.hpp"

#include <cstdint>

#include "shmring/detail/lease.hpp"
#include "shmring/detail/reset_on_move.hpp"
#include "shmring/detail/wait_loop.hpp"
#include "shmring/error.hpp"
#include "shmring/layout.hpp"
#include "shmring/process.hpp"
#include "shmring/ring_segment.hpp"
#include "shmring/wait.hpp"

namespace shmring {

// How an endpoint opens its ring and waits, for every engine and adapter.
struct EndpointOptions {
    WaitStrategy wait = WaitStrategy::adaptive;
    // An endpoint maps its ring with every page present: a page's first touch would otherwise trap
    // into the kernel on the data path, in each process, once per page of the first lap around the
    // ring (the rare slow message of an SPSC ring's first lap). Set prefault to false for a ring
    // far larger than what the endpoint will touch.
    SegmentOptions segment{.prefault = true};
};

enum class Presence { absent, alive, dead };

// The one judgement of an entry's owner, for the library and the tool: is the owner of entry
// `index`, whose state word was read as `state`, alive? `segment_fd` is a descriptor of the
// segment that holds no lease; `reload_state` reads the state word again. A taken entry whose lease
// is free and whose state did not change meanwhile has lost its owner (detail/lease.hpp).
template <class ReloadState>
Presence entry_presence(int segment_fd, std::uint32_t index, std::uint64_t state, ReloadState reload_state) noexcept {
    if (layout::endpoint_status(state) == layout::EndpointStatus::free) return Presence::absent;
    // unknown (no OFD locks here) counts as held: never judged dead without the kernel's word.
    if (detail::look_at_lease(segment_fd, index) != detail::LeaseLook::free) return Presence::alive;
    const std::uint64_t now = reload_state();
    if (now == state) return Presence::dead;
    return layout::endpoint_status(now) == layout::EndpointStatus::free ? Presence::absent : Presence::alive;
}
Presence entry_presence(const RingSegment& ring, std::uint32_t index, std::uint64_t state) noexcept;

// Who holds the role named by `role_word` (ControlBlock::producer_role or consumer_role)?
Presence role_holder_presence(const RingSegment& ring, std::uint64_t role_word) noexcept;

// Frees the entries of endpoints that are dead and hold no claim up (their counters go to the
// ring's totals, their sleeper bits are cleared). Returns how many. Slow: system calls per entry.
std::uint32_t reap_dead_endpoints(const RingSegment& ring) noexcept;

class Endpoint {
public:
    static Result<Endpoint> attach(RingSegment ring, layout::EndpointRole role);
    // The same for a handle of an `engine` ring: refuses a ring of another engine (Errc::wrong_kind)
    // and sets the options' wait strategy.
    static Result<Endpoint> attach(RingSegment ring, layout::EndpointRole role, layout::Engine engine, const EndpointOptions& options);

    // A moved-from endpoint owns no entry (entry_ and role_ reset on move) and detaches nothing.
    Endpoint(Endpoint&& other) noexcept = default;
    Endpoint& operator=(Endpoint&& other) noexcept;
    Endpoint(const Endpoint&) = delete;
    Endpoint& operator=(const Endpoint&) = delete;
    ~Endpoint();

    // Takes the exclusive role named by `word`, unless a live endpoint holds it (Errc::busy), and
    // counts the take in `takes`.
    Outcome take_role(SharedAtomic<std::uint64_t>& word, SharedAtomic<std::uint32_t>& takes, const char* role_name);

    const RingSegment& ring() const noexcept { return ring_; }
    layout::EndpointEntry& entry() const noexcept { return *entry_; }
    layout::Counters& counters() const noexcept { return entry_->counters; }
    std::uint32_t index() const noexcept { return index_; }
    // The word that names this endpoint in a role word or lock (layout::role_word).
    std::uint64_t role_word() const noexcept { return layout::role_word(generation_, index_); }

    // Retries `attempt` until it stops saying again, sleeping on `event` as this endpoint's wait
    // strategy says (detail::wait_after_miss). After the first miss waiting() is true, so that a wait
    // counts once in the `full` or `empty` counter, not once per retry. The first attempt is made
    // here, inline: a call that succeeds at once costs the attempt and nothing else.
    // kTryOnce stops after that attempt, with again.
    template <class Attempt, class Probe>
    Status wait(layout::WaitEvent& event, Deadline deadline, Attempt&& attempt, Probe&& probe) noexcept {
        const Status first = attempt();
        if (first != Status::again || deadline == kTryOnce) return first;
        const detail::Waiter waiter{event, detail::endpoint_sleeper(index_), entry_->counters, strategy_, tuning_, &spin_window_, &waiting_};
        return detail::wait_after_miss(waiter, deadline, attempt, probe);
    }
    bool waiting() const noexcept { return waiting_; }

    // Whether a try that found nothing should probe for dead peers itself, as a wait's probe would:
    // at most once per probe interval, and never inside a wait (whose probe does it). A handle that
    // only tries, or polls, is then freed from the dead as one that waits. Reads the clock.
    bool try_probe_due() noexcept {
        if (waiting_) return false;
        const Deadline now = Clock::now();
        if (now < next_try_probe_) return false;
        next_try_probe_ = now + tuning_.probe_interval;
        return true;
    }

    // For a caller that tried once already and only then waits, with a call whose own first
    // attempt would count the same miss again (an adapter that learns its deadline after a miss).
    class MissCounted {
    public:
        explicit MissCounted(Endpoint& endpoint) noexcept : endpoint_(endpoint) { endpoint_.waiting_ = true; }
        ~MissCounted() { endpoint_.waiting_ = false; }
        MissCounted(const MissCounted&) = delete;
        MissCounted& operator=(const MissCounted&) = delete;

    private:
        Endpoint& endpoint_;
    };

    // Counts one message moved, in the `messages` and `bytes` counters.
    void count_message(std::uint64_t bytes) const noexcept {
        entry_->counters.messages.add_by_owner(1);
        entry_->counters.bytes.add_by_owner(bytes);
    }
    // Counts a try that said again in `miss` (Counters::full or Counters::empty): once per wait, not
    // once per retry.
    void count_miss(Status status, SharedAtomic<std::uint64_t> layout::Counters::*miss) const noexcept {
        if (status == Status::again && !waiting_) (entry_->counters.*miss).add_by_owner(1);
    }

    // Called after publishing: wakes whoever sleeps on `event`. Sleeper bits that keep waking nobody
    // belong to processes that died asleep: after kFutileWakesBeforeReap such wakes in a row, the
    // dead endpoints are reaped (slow, but it stops every later publish from entering the kernel).
    void notify(layout::WaitEvent& event) noexcept {
        const int woken = detail::notify(event, entry_->counters, publish_fence(event));
        if (woken != 0) {
            futile_wakes_ = 0;
        } else if (++futile_wakes_ == kFutileWakesBeforeReap) {
            futile_wakes_ = 0;
            reap_dead_endpoints(ring_);
        }
    }

    // False in a child forked after this endpoint attached: the endpoint is its parent's, and the
    // child's copy must neither detach it nor finish its claims.
    bool owned_by_this_process() const noexcept;
    // True in a process forked (through fork(), which runs the atfork handlers) after this endpoint
    // attached: as !owned_by_this_process(), without a system call, for data paths that must not
    // act in the parent's name (a lock's release, a cell's write).
    bool forked_copy() const noexcept { return detail::fork_generation() != fork_generation_; }

    WaitStrategy wait_strategy() const noexcept { return strategy_; }
    void set_wait_strategy(WaitStrategy strategy) noexcept;
    const WaitTuning& tuning() const noexcept { return tuning_; }
    void set_tuning(const WaitTuning& tuning) noexcept { tuning_ = tuning; }

private:
    Endpoint(RingSegment ring, std::uint32_t index, std::uint64_t generation, detail::LeaseHolder lease);
    void detach() noexcept;

    RingSegment ring_;
    detail::ResetOnMove<layout::EndpointEntry*> entry_;  // null: detached, or moved from
    std::uint32_t index_ = 0;
    std::uint64_t generation_ = 0;
    detail::LeaseHolder lease_;
    detail::ResetOnMove<SharedAtomic<std::uint64_t>*> role_;  // the role word this endpoint holds, if any
    WaitStrategy strategy_ = WaitStrategy::adaptive;
    WaitTuning tuning_;
    SpinWindow spin_window_;
    // How this endpoint fences its publishes on the data and on the space event.
    detail::PublishFence data_fence_;
    detail::PublishFence space_fence_;
    detail::PublishFence& publish_fence(const layout::WaitEvent& event) noexcept {
        return &event == &ring_.data_event() ? data_fence_ : space_fence_;
    }
    bool waiting_ = false;
    Deadline next_try_probe_ = Deadline::min();
    static constexpr std::uint32_t kFutileWakesBeforeReap = 64;
    std::uint32_t futile_wakes_ = 0;
    std::uint32_t owner_pid_ = 0;
    std::uint32_t fork_generation_ = 0;
};

// The by-name form of every handle's attach: opens ring `name`, which must be of `engine`, and
// attaches a Handle to it (with the handle's own further arguments, if any).
template <class Handle, class... More>
Result<Handle> attach_by_name(std::string_view name, layout::Engine engine, const EndpointOptions& options, More... more) {
    auto ring = RingSegment::open(name, Access::read_write, {engine, std::nullopt}, options.segment);
    if (!ring) return ring.error();
    return Handle::attach(std::move(*ring), options, more...);
}

// Wakes every sleeper of both events so that they look at the ring (and their peer) again.
void wake_all_sleepers(const RingSegment& ring) noexcept;

}  // namespace shmring
