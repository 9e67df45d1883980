#include <algorithm>
#include <bit>
#include <variant>

#include "queue_side.hpp"
#include "shmring/detail/poll_helper.hpp"
#include "shmring/mpmc_ring.hpp"
#include "shmring/queue.hpp"
#include "shmring/spsc_ring.hpp"

namespace shmring {

Outcome create_queue(std::string_view name, const QueueConfig& config) {
    const auto refuse = [&](const std::string& why) { return Error(Errc::invalid_argument, "queue '" + std::string(name) + "': " + why); };
    if (config.max_messages == 0 || config.max_messages > layout::kMaxMpmcSlots) return refuse("max messages must be 1 to 16777216");
    if (config.max_message_size == 0 || config.max_message_size > layout::kMaxSlotSize) return refuse("max message size must be 1 byte to 1 MiB");
    RingConfig ring;
    ring.engine = config.engine;
    ring.kind = layout::ChannelKind::queue;
    ring.mode = config.mode;
    ring.options = config.segment;
    ring.max_messages = config.max_messages;  // the bound, with either engine (layout.hpp)
    if (config.engine == layout::Engine::spsc) {
        // Room for max_messages records of the largest size, and never less than two of them, so
        // that the largest message is within the ring's limit (capacity / 2 - 8). Every record
        // of a queue spans that size, so the ring holds exactly max_messages of any size.
        const std::uint64_t bytes = std::max<std::uint64_t>(config.max_messages, 2) * layout::record_size(config.max_message_size);
        ring.capacity = std::bit_ceil(std::max<std::uint64_t>(bytes, layout::kMinSpscCapacity));
        if (ring.capacity > layout::kMaxSpscCapacity) return refuse("max messages x max message size above 1 GiB");
        ring.max_message = config.max_message_size;
    } else if (config.engine == layout::Engine::mpmc) {
        ring.capacity = std::bit_ceil(config.max_messages);
        ring.slot_size = config.max_message_size;
    } else {
        return refuse("unknown engine");
    }
    auto created = RingSegment::create(name, ring);
    if (!created) return created.error();
    return Ok{};
}

namespace {

// One message of a batch: an SPSC record waits for the batch's flush.
template <class Producer>
Status send_in_batch(Producer& producer, std::span<const std::byte> message) noexcept {
    if constexpr (requires { producer.flush(); }) return producer.try_send(message, 0, Flush::later);
    else return producer.try_send(message);
}

}  // namespace

// Every call tries first and looks at its patience only once that try said again: a call that
// succeeds at once reads no clock and enters no wait machinery.
class QueueSender::Impl : public detail::QueueSide<SpscProducer, MpmcProducer> {
public:
    using QueueSide::QueueSide;

    Status send(std::span<const std::byte> message, const detail::Patience& patience) noexcept {
        return poll_.rearm_on_again(std::visit(
            [&](auto& p) {
                return detail::tried_then_waited(
                    p.endpoint(), patience, [&] { return p.try_send(message); }, [&](Deadline deadline) { return p.send(message, deadline); });
            },
            handle_));
    }
    Status try_send(std::span<const std::byte> message) noexcept { return send(message, kTryOnce); }
    Loan claim(const detail::Patience& patience) noexcept {
        Loan loan = std::visit(
            [&](auto& p) {
                return detail::tried_then_waited(
                    p.endpoint(), patience, [&] { return p.try_claim(p.max_message()); },
                    [&](Deadline deadline) { return p.claim(p.max_message(), deadline); });
            },
            handle_);
        loan.status = poll_.rearm_on_again(loan.status);
        return loan;
    }
    void commit(std::size_t length) noexcept {
        std::visit([&](auto& p) { p.commit(length); }, handle_);
    }
    void abort() noexcept {
        std::visit([](auto& p) { p.abort(); }, handle_);
    }
    // Sends while messages fit, waiting only for the first; an SPSC batch is published with one
    // store of the position and at most one wake-up.
    IoResult send_batch(std::span<const iovec> messages, const detail::Patience& patience) noexcept {
        const IoResult result = std::visit(
            [&](auto& p) {
                return detail::move_batch(
                    p, messages.size(), patience, [&](std::size_t i) { return send_in_batch(p, detail::bytes_of(messages[i])); },
                    [&](Deadline deadline) { return p.send(detail::bytes_of(messages[0]), deadline); });
            },
            handle_);
        (void)poll_.rearm_on_again(result.status);
        return result;
    }
    // Ready when a message of the largest size fits.
    Result<int> poll_fd() {
        return QueueSide::poll_fd(&RingView::space_event, [](const auto& p) { return p.has_room(p.max_message()); });
    }
};

Result<QueueSender> QueueSender::open(std::string_view name, const EndpointOptions& options) {
    auto impl = Impl::open<Impl>(name, options);
    if (!impl) return impl.error();
    return QueueSender(std::move(*impl));
}

QueueSender::QueueSender(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
QueueSender::QueueSender(QueueSender&&) noexcept = default;
QueueSender& QueueSender::operator=(QueueSender&&) noexcept = default;
QueueSender::~QueueSender() = default;

Status QueueSender::send(std::span<const std::byte> message, Deadline deadline) noexcept { return impl_->send(message, deadline); }
Status QueueSender::send(std::span<const std::byte> message, std::chrono::nanoseconds timeout) noexcept {
    return impl_->send(message, timeout);
}
Status QueueSender::try_send(std::span<const std::byte> message) noexcept { return impl_->try_send(message); }
Loan QueueSender::claim(Deadline deadline) noexcept { return impl_->claim(deadline); }
Loan QueueSender::claim(std::chrono::nanoseconds timeout) noexcept { return impl_->claim(timeout); }
void QueueSender::commit(std::size_t length) noexcept { impl_->commit(length); }
void QueueSender::abort() noexcept { impl_->abort(); }
IoResult QueueSender::send_batch(std::span<const iovec> messages, Deadline deadline) noexcept {
    return impl_->send_batch(messages, deadline);
}
IoResult QueueSender::send_batch(std::span<const iovec> messages, std::chrono::nanoseconds timeout) noexcept {
    return impl_->send_batch(messages, timeout);
}
Result<int> QueueSender::poll_fd() { return impl_->poll_fd(); }
void QueueSender::set_wait(WaitStrategy strategy) noexcept { impl_->set_wait(strategy); }
std::size_t QueueSender::max_message_size() const noexcept { return impl_->max_message_size(); }
const RingSegment& QueueSender::ring() const noexcept { return impl_->ring(); }

}  // namespace shmring
