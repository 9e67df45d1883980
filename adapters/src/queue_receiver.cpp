#include <variant>

#include "queue_side.hpp"
#include "shmring/detail/poll_helper.hpp"
#include "shmring/mpmc_ring.hpp"
#include "shmring/queue.hpp"
#include "shmring/spsc_ring.hpp"

namespace shmring {

// One engine's consumer; both speak the same ladder (loan.hpp), so every call is one visit.
class QueueReceiver::Impl {
public:
    using Consumer = std::variant<SpscConsumer, MpmcConsumer>;
    explicit Impl(Consumer consumer) : consumer_(std::move(consumer)) {}

    Status receive(std::span<std::byte> buffer, std::size_t& length, Deadline deadline) noexcept {
        if (detail::only_try(deadline)) return try_receive(buffer, length);
        return poll_.rearm_on_again(std::visit([&](auto& c) { return c.receive(buffer, length, deadline); }, consumer_));
    }
    Status try_receive(std::span<std::byte> buffer, std::size_t& length) noexcept {
        return poll_.rearm_on_again(std::visit([&](auto& c) { return c.try_receive(buffer, length); }, consumer_));
    }
    View peek(Deadline deadline) noexcept {
        View view = std::visit([&](auto& c) { return detail::only_try(deadline) ? c.try_peek() : c.peek(deadline); }, consumer_);
        view.status = poll_.rearm_on_again(view.status);
        return view;
    }
    void release() noexcept {
        std::visit([](auto& c) { c.release(); }, consumer_);
    }

    Result<int> poll_fd() {
        return std::visit(
            [&](auto& c) {
                return poll_.get(c.endpoint(), c.ring().data_event(), [&c] { return c.has_data(); }, detail::queue_poll_probe(c));
            },
            consumer_);
    }

    void set_wait(WaitStrategy strategy) noexcept {
        std::visit([&](auto& c) { c.endpoint().set_wait_strategy(strategy); }, consumer_);
    }
    std::size_t max_message_size() const noexcept { return ring().geometry().max_message; }
    const RingSegment& ring() const noexcept {
        return std::visit([](const auto& c) -> const RingSegment& { return c.ring(); }, consumer_);
    }

private:
    Consumer consumer_;
    detail::PollDescriptor poll_;  // after consumer_: the helper stops before the ring it watches goes
};

Result<QueueReceiver> QueueReceiver::open(std::string_view name, const EndpointOptions& options) {
    auto ring = detail::open_queue_ring(name, options);
    if (!ring) return ring.error();
    const auto wrap = [](auto consumer) -> Result<QueueReceiver> {
        if (!consumer) return consumer.error();
        return QueueReceiver(std::make_unique<Impl>(std::move(*consumer)));
    };
    if (ring->geometry().engine == layout::Engine::spsc) return wrap(SpscConsumer::attach(std::move(*ring), options));
    return wrap(MpmcConsumer::attach(std::move(*ring), options));
}

QueueReceiver::QueueReceiver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
QueueReceiver::QueueReceiver(QueueReceiver&&) noexcept = default;
QueueReceiver& QueueReceiver::operator=(QueueReceiver&&) noexcept = default;
QueueReceiver::~QueueReceiver() = default;

Status QueueReceiver::receive(std::span<std::byte> buffer, std::size_t& length, Deadline deadline) noexcept {
    return impl_->receive(buffer, length, deadline);
}
Status QueueReceiver::try_receive(std::span<std::byte> buffer, std::size_t& length) noexcept {
    return impl_->try_receive(buffer, length);
}
View QueueReceiver::peek(Deadline deadline) noexcept { return impl_->peek(deadline); }
void QueueReceiver::release() noexcept { impl_->release(); }
Result<int> QueueReceiver::poll_fd() { return impl_->poll_fd(); }
void QueueReceiver::set_wait(WaitStrategy strategy) noexcept { impl_->set_wait(strategy); }
std::size_t QueueReceiver::max_message_size() const noexcept { return impl_->max_message_size(); }
const RingSegment& QueueReceiver::ring() const noexcept { return impl_->ring(); }

}  // namespace shmring
