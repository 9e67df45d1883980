#include "shmring/queue.hpp"

#include <algorithm>
#include <bit>
#include <variant>

#include "shmring/detail/poll_helper.hpp"
#include "shmring/mpmc_ring.hpp"
#include "shmring/spsc_ring.hpp"

namespace shmring {

namespace {

using layout::ChannelKind;
using layout::Engine;

// A deadline that has passed already asks only for a try: EAGAIN, not ETIMEDOUT, when it fails.
bool only_try(Deadline deadline) { return deadline != kNoDeadline && deadline <= Clock::now(); }

template <class... Handlers>
struct Overloaded : Handlers... {
    using Handlers::operator()...;
};
template <class... Handlers>
Overloaded(Handlers...) -> Overloaded<Handlers...>;

}  // namespace

Outcome create_queue(std::string_view name, const QueueConfig& config) {
    const auto refuse = [&](const std::string& why) { return Error(Errc::invalid_argument, "queue '" + std::string(name) + "': " + why); };
    if (config.max_messages == 0 || config.max_messages > layout::kMaxMpmcSlots) return refuse("max messages must be 1 to 16777216");
    if (config.max_message_size == 0 || config.max_message_size > layout::kMaxSlotSize) return refuse("max message size must be 1 byte to 1 MiB");
    RingConfig ring;
    ring.engine = config.engine;
    ring.kind = ChannelKind::queue;
    ring.mode = config.mode;
    ring.options = config.segment;
    if (config.engine == Engine::spsc) {
        // Room for max_messages records of the largest size, and never less than two of them, so
        // that the largest message is within the ring's limit (capacity / 2 - 8).
        const std::uint64_t bytes = std::max<std::uint64_t>(config.max_messages, 2) * layout::record_size(config.max_message_size);
        ring.capacity = std::bit_ceil(std::max<std::uint64_t>(bytes, layout::kMinSpscCapacity));
        if (ring.capacity > layout::kMaxSpscCapacity) return refuse("max messages x max message size above 1 GiB");
        ring.max_message = config.max_message_size;
    } else if (config.engine == Engine::mpmc) {
        ring.capacity = std::bit_ceil(config.max_messages);
        ring.slot_size = config.max_message_size;
    } else {
        return refuse("unknown engine");
    }
    auto created = RingSegment::create(name, ring);
    if (!created) return created.error();
    return Ok{};
}

class Queue::Impl {
public:
    using Side = std::variant<SpscProducer, SpscConsumer, MpmcProducer, MpmcConsumer>;
    explicit Impl(Side side) : side_(std::move(side)) {}
    ~Impl() { poll_.reset(); }  // the helper reads the ring that side_ keeps mapped: stop it first

    Status send(std::span<const std::byte> message, Deadline deadline) noexcept {
        if (only_try(deadline)) return try_send(message);
        return finish(std::visit(Overloaded{[&](SpscProducer& p) { return p.send(message, deadline); },
                                            [&](MpmcProducer& p) { return p.send(message, deadline); },
                                            [](auto&) { return Status::wrong_role; }},
                                 side_));
    }

    Status try_send(std::span<const std::byte> message) noexcept {
        return finish(std::visit(Overloaded{[&](SpscProducer& p) { return p.try_send(message); },
                                            [&](MpmcProducer& p) { return p.try_send(message); },
                                            [](auto&) { return Status::wrong_role; }},
                                 side_));
    }

    Status receive(std::span<std::byte> buffer, std::size_t& length, Deadline deadline) noexcept {
        if (only_try(deadline)) return try_receive(buffer, length);
        return finish(std::visit(Overloaded{[&](SpscConsumer& c) { return c.receive(buffer, length, deadline); },
                                            [&](MpmcConsumer& c) { return c.receive(buffer, length, deadline); },
                                            [](auto&) { return Status::wrong_role; }},
                                 side_));
    }

    Status try_receive(std::span<std::byte> buffer, std::size_t& length) noexcept {
        return finish(std::visit(Overloaded{[&](SpscConsumer& c) { return c.try_receive(buffer, length); },
                                            [&](MpmcConsumer& c) { return c.try_receive(buffer, length); },
                                            [](auto&) { return Status::wrong_role; }},
                                 side_));
    }

    QueueLoan loan(Deadline deadline) noexcept {
        QueueLoan loan = std::visit(
            Overloaded{[&](SpscProducer& p) {
                           const Claim claim = only_try(deadline) ? p.try_claim(p.max_message()) : p.claim(p.max_message(), deadline);
                           return QueueLoan{claim.status, claim.data};
                       },
                       [&](MpmcProducer& p) {
                           const SlotLoan slot = only_try(deadline) ? p.try_loan() : p.loan(deadline);
                           return QueueLoan{slot.status, slot.data};
                       },
                       [](auto&) { return QueueLoan{Status::wrong_role, {}}; }},
            side_);
        loan.status = finish(loan.status);
        return loan;
    }

    void publish(std::size_t length) noexcept {
        std::visit(Overloaded{[&](SpscProducer& p) {
                                  p.shrink_claim(length);
                                  p.commit();
                              },
                              [&](MpmcProducer& p) { p.publish(std::min(length, p.max_message())); }, [](auto&) {}},
                   side_);
    }

    void abort() noexcept {
        std::visit(Overloaded{[](SpscProducer& p) { p.abort(); }, [](MpmcProducer& p) { p.abort(); }, [](auto&) {}}, side_);
    }

    QueueView peek(Deadline deadline) noexcept {
        QueueView view = std::visit(
            Overloaded{[&](SpscConsumer& c) {
                           const Record record = only_try(deadline) ? c.try_peek() : c.peek(deadline);
                           return QueueView{record.status, record.data};
                       },
                       [&](MpmcConsumer& c) {
                           const Message message = only_try(deadline) ? c.try_take() : c.take_wait(deadline);
                           return QueueView{message.status, message.data};
                       },
                       [](auto&) { return QueueView{Status::wrong_role, {}}; }},
            side_);
        view.status = finish(view.status);
        return view;
    }

    void release() noexcept {
        std::visit(Overloaded{[](SpscConsumer& c) { c.release(); }, [](MpmcConsumer& c) { c.release(); }, [](auto&) {}}, side_);
    }

    Result<int> poll_fd() {
        if (poll_) return poll_->fd();
        const RingSegment& r = ring();
        const bool receiver = role() == QueueRole::receiver;
        std::function<bool()> ready;
        if (r.geometry().engine == Engine::spsc) {
            const std::uint64_t capacity = r.geometry().capacity;
            const std::uint64_t room_needed = layout::record_size(r.geometry().max_message) * 2;
            ready = [&r, receiver, capacity, room_needed] {
                // Racy looks at both positions: the helper only decides when to signal.
                const std::uint64_t produced = r.producer().position.load(std::memory_order_acquire);
                const std::uint64_t consumed = r.consumer().position.load(std::memory_order_acquire);
                return receiver ? produced != consumed : capacity - (produced - consumed) >= room_needed;
            };
        } else {
            ready = [&r, receiver] {
                const auto& g = r.geometry();
                auto& counter = receiver ? r.consumer().position : r.producer().position;
                const std::uint64_t ticket = counter.load(std::memory_order_relaxed);
                const auto& slot = *reinterpret_cast<const layout::SlotHeader*>(r.data() + (ticket & g.mask) * g.slot_stride);
                return slot.sequence.load(std::memory_order_acquire) == 2 * ticket + (receiver ? 1 : 0);
            };
        }
        const Endpoint& endpoint = std::visit([](auto& side) -> const Endpoint& { return side.endpoint(); }, side_);
        // Queues have no end of file; an MPMC helper's periodic probe repairs what a dead peer left
        // in the slot it watches, as a waiting endpoint's probe would (it only reads the ring and
        // the endpoint's identity, both stable while the helper runs).
        std::function<bool()> probe = [] { return false; };
        if (r.geometry().engine == Engine::mpmc) {
            probe = [&r, &endpoint, receiver] {
                if (receiver) {
                    (void)detail::repair_unpublished(r, endpoint, r.consumer().position.load(std::memory_order_relaxed));
                } else {
                    (void)detail::repair_unreleased(r, endpoint, r.producer().position.load(std::memory_order_relaxed));
                }
                return false;
            };
        }
        auto helper = detail::PollHelper::start(receiver ? r.data_event() : r.space_event(), r.control().light_publishers, endpoint.index(), std::move(ready),
                                                std::move(probe), endpoint.tuning());
        if (!helper) return helper.error();
        poll_ = std::move(*helper);
        return poll_->fd();
    }

    void set_wait(WaitStrategy strategy) noexcept {
        std::visit([&](auto& side) { side.endpoint().set_wait_strategy(strategy); }, side_);
    }
    std::size_t max_message_size() const noexcept { return ring().geometry().max_message; }
    QueueRole role() const noexcept {
        return std::holds_alternative<SpscProducer>(side_) || std::holds_alternative<MpmcProducer>(side_) ? QueueRole::sender
                                                                                                          : QueueRole::receiver;
    }
    const RingSegment& ring() const noexcept {
        return std::visit([](const auto& side) -> const RingSegment& { return side.ring(); }, side_);
    }

private:
    // An operation that found nothing to do clears the poll descriptor so that it fires again.
    Status finish(Status status) noexcept {
        if (status == Status::again && poll_) poll_->rearm();
        return status;
    }

    Side side_;
    std::unique_ptr<detail::PollHelper> poll_;
};

Result<Queue> Queue::open(std::string_view name, QueueRole role, const EndpointOptions& options) {
    auto ring = RingSegment::open(name, Access::read_write, {std::nullopt, ChannelKind::queue}, options.segment);
    if (!ring) return ring.error();
    const AttachOptions attach{options.wait, options.segment};
    const auto wrap = [](auto handle) -> Result<Queue> {
        if (!handle) return handle.error();
        return Queue(std::make_unique<Impl>(std::move(*handle)));
    };
    const bool spsc = ring->geometry().engine == Engine::spsc;
    if (role == QueueRole::sender)
        return spsc ? wrap(SpscProducer::attach(std::move(*ring), attach)) : wrap(MpmcProducer::attach(std::move(*ring), attach));
    return spsc ? wrap(SpscConsumer::attach(std::move(*ring), attach)) : wrap(MpmcConsumer::attach(std::move(*ring), attach));
}

Queue::Queue(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Queue::Queue(Queue&&) noexcept = default;
Queue& Queue::operator=(Queue&&) noexcept = default;
Queue::~Queue() = default;

Status Queue::send(std::span<const std::byte> message, Deadline deadline) noexcept { return impl_->send(message, deadline); }
Status Queue::try_send(std::span<const std::byte> message) noexcept { return impl_->try_send(message); }
Status Queue::receive(std::span<std::byte> buffer, std::size_t& length, Deadline deadline) noexcept {
    return impl_->receive(buffer, length, deadline);
}
Status Queue::try_receive(std::span<std::byte> buffer, std::size_t& length) noexcept { return impl_->try_receive(buffer, length); }
QueueLoan Queue::loan(Deadline deadline) noexcept { return impl_->loan(deadline); }
void Queue::publish(std::size_t length) noexcept { impl_->publish(length); }
void Queue::abort() noexcept { impl_->abort(); }
QueueView Queue::peek(Deadline deadline) noexcept { return impl_->peek(deadline); }
void Queue::release() noexcept { impl_->release(); }
Result<int> Queue::poll_fd() { return impl_->poll_fd(); }
void Queue::set_wait(WaitStrategy strategy) noexcept { impl_->set_wait(strategy); }
std::size_t Queue::max_message_size() const noexcept { return impl_->max_message_size(); }
QueueRole Queue::role() const noexcept { return impl_->role(); }
const RingSegment& Queue::ring() const noexcept { return impl_->ring(); }

}  // namespace shmring
