#include <variant>

#include "queue_side.hpp"
#include "shmring/detail/poll_helper.hpp"
#include "shmring/mpmc_ring.hpp"
#include "shmring/queue.hpp"
#include "shmring/spsc_ring.hpp"

namespace shmring {

namespace {

// One message of a batch: an SPSC record's room waits for the batch's flush.
template <class Consumer>
Status receive_in_batch(Consumer& consumer, std::span<std::byte> buffer, std::size_t& length) noexcept {
    if constexpr (requires { consumer.flush(); }) return consumer.try_receive(buffer, length, nullptr, Flush::later);
    else return consumer.try_receive(buffer, length);
}

}  // namespace

// As QueueSender::Impl: every call tries first and looks at its patience only after a miss.
class QueueReceiver::Impl : public detail::QueueSide<SpscConsumer, MpmcConsumer> {
public:
    using QueueSide::QueueSide;

    Status receive(std::span<std::byte> buffer, std::size_t& length, const detail::Patience& patience) noexcept {
        return poll_.rearm_on_again(std::visit(
            [&](auto& c) {
                return detail::tried_then_waited(
                    c.endpoint(), patience, [&] { return c.try_receive(buffer, length); },
                    [&](Deadline deadline) { return c.receive(buffer, length, deadline); });
            },
            handle_));
    }
    Status try_receive(std::span<std::byte> buffer, std::size_t& length) noexcept { return receive(buffer, length, kTryOnce); }
    View peek(const detail::Patience& patience) noexcept {
        View view = std::visit(
            [&](auto& c) {
                return detail::tried_then_waited(c.endpoint(), patience, [&] { return c.try_peek(); }, [&](Deadline deadline) { return c.peek(deadline); });
            },
            handle_);
        view.status = poll_.rearm_on_again(view.status);
        return view;
    }
    void release() noexcept {
        std::visit([](auto& c) { c.release(); }, handle_);
    }
    // Receives into the buffers while messages are there, waiting only for the first; an SPSC
    // batch gives its room back with one store of the position.
    IoResult receive_batch(std::span<iovec> buffers, const detail::Patience& patience) noexcept {
        const IoResult result = std::visit(
            [&](auto& c) {
                // Each buffer's iov_len becomes its message's length once the message is in it.
                const auto into = [&](std::size_t i, auto receive) {
                    std::size_t length = 0;
                    const Status status = receive(detail::room_of(buffers[i]), length);
                    if (status == Status::ok) buffers[i].iov_len = length;
                    return status;
                };
                return detail::move_batch(
                    c, buffers.size(), patience,
                    [&](std::size_t i) { return into(i, [&](auto room, std::size_t& length) { return receive_in_batch(c, room, length); }); },
                    [&](Deadline deadline) {
                        return into(0, [&](auto room, std::size_t& length) { return c.receive(room, length, deadline); });
                    });
            },
            handle_);
        (void)poll_.rearm_on_again(result.status);
        return result;
    }
    // Ready when a message is there.
    Result<int> poll_fd() {
        return QueueSide::poll_fd(&RingView::data_event, [](const auto& c) { return c.has_data(); });
    }
};

Result<QueueReceiver> QueueReceiver::open(std::string_view name, const EndpointOptions& options) {
    auto impl = Impl::open<Impl>(name, options);
    if (!impl) return impl.error();
    return QueueReceiver(std::move(*impl));
}

QueueReceiver::QueueReceiver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
QueueReceiver::QueueReceiver(QueueReceiver&&) noexcept = default;
QueueReceiver& QueueReceiver::operator=(QueueReceiver&&) noexcept = default;
QueueReceiver::~QueueReceiver() = default;

Status QueueReceiver::receive(std::span<std::byte> buffer, std::size_t& length, Deadline deadline) noexcept {
    return impl_->receive(buffer, length, deadline);
}
Status QueueReceiver::receive(std::span<std::byte> buffer, std::size_t& length, std::chrono::nanoseconds timeout) noexcept {
    return impl_->receive(buffer, length, timeout);
}
Status QueueReceiver::try_receive(std::span<std::byte> buffer, std::size_t& length) noexcept {
    return impl_->try_receive(buffer, length);
}
View QueueReceiver::peek(Deadline deadline) noexcept { return impl_->peek(deadline); }
View QueueReceiver::peek(std::chrono::nanoseconds timeout) noexcept { return impl_->peek(timeout); }
void QueueReceiver::release() noexcept { impl_->release(); }
IoResult QueueReceiver::receive_batch(std::span<iovec> buffers, Deadline deadline) noexcept {
    return impl_->receive_batch(buffers, deadline);
}
IoResult QueueReceiver::receive_batch(std::span<iovec> buffers, std::chrono::nanoseconds timeout) noexcept {
    return impl_->receive_batch(buffers, timeout);
}
Result<int> QueueReceiver::poll_fd() { return impl_->poll_fd(); }
void QueueReceiver::set_wait(WaitStrategy strategy) noexcept { impl_->set_wait(strategy); }
std::size_t QueueReceiver::max_message_size() const noexcept { return impl_->max_message_size(); }
const RingSegment& QueueReceiver::ring() const noexcept { return impl_->ring(); }

}  // namespace shmring
