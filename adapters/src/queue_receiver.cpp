#include <variant>

#include "queue_side.hpp"
#include "shmring/detail/poll_helper.hpp"
#include "shmring/mpmc_ring.hpp"
#include "shmring/queue.hpp"
#include "shmring/spsc_ring.hpp"

namespace shmring {

class QueueReceiver::Impl : public detail::QueueSide<SpscConsumer, MpmcConsumer> {
public:
    using QueueSide::QueueSide;

    Status receive(std::span<std::byte> buffer, std::size_t& length, Deadline deadline) noexcept {
        if (detail::only_try(deadline)) return try_receive(buffer, length);
        return poll_.rearm_on_again(std::visit([&](auto& c) { return c.receive(buffer, length, deadline); }, handle_));
    }
    Status try_receive(std::span<std::byte> buffer, std::size_t& length) noexcept {
        return poll_.rearm_on_again(std::visit([&](auto& c) { return c.try_receive(buffer, length); }, handle_));
    }
    View peek(Deadline deadline) noexcept {
        View view = std::visit([&](auto& c) { return detail::only_try(deadline) ? c.try_peek() : c.peek(deadline); }, handle_);
        view.status = poll_.rearm_on_again(view.status);
        return view;
    }
    void release() noexcept {
        std::visit([](auto& c) { c.release(); }, handle_);
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
