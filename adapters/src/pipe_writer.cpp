#include <algorithm>
#include <bit>
#include <cstring>

#include "pipe_session.hpp"
#include "shmring/detail/poll_helper.hpp"
#include "shmring/pipe.hpp"
#include "shmring/spsc_ring.hpp"

namespace shmring {

Outcome create_pipe(std::string_view name, std::uint64_t capacity_bytes, unsigned mode, const SegmentOptions& options) {
    if (capacity_bytes < layout::kMinSpscCapacity || capacity_bytes > layout::kMaxSpscCapacity)
        return Error(Errc::invalid_argument, "pipe '" + std::string(name) + "': capacity must be 64 bytes to 1 GiB");
    return create_spsc_ring(name, std::bit_ceil(capacity_bytes), layout::ChannelKind::pipe, mode, options);
}

class PipeWriter::Impl {
public:
    explicit Impl(SpscProducer producer)
        : producer_(std::move(producer)), session_(producer_.ring(), detail::PipeSession::Side::writer, producer_.endpoint().tuning()) {
        const auto& g = producer_.ring().geometry();
        chunk_ = std::max<std::size_t>(1, std::min<std::size_t>(g.max_message, g.capacity / 4));
    }

    IoResult write(std::span<const std::byte> data, Blocking blocking, Deadline deadline) noexcept {
        if (session_.over(false)) return {Status::peer_gone, 0};
        std::size_t written = 0;
        while (written < data.size()) {
            Loan loan{Status::again, {}};
            const auto attempt = [&] {
                loan = producer_.try_claim_up_to(std::min(data.size() - written, chunk_));
                // A reader that closes gives its role back, then wakes us. The wait loop probes the
                // peer only before it re-arms, so a wake-up landing between probe and sleep would be
                // noticed a probe interval late: look at the role word (one load) on every failed try.
                if (loan.status == Status::again && session_.over(false)) return Status::peer_gone;
                return loan.status;
            };
            Status status = attempt();
            if (status == Status::again) {
                if (blocking == Blocking::no) {
                    if (written == 0 && session_.peer_gone(false)) return {Status::peer_gone, 0};
                    if (written == 0) poll_.rearm();
                    break;
                }
                status = producer_.wait_for_room(deadline, attempt,
                                                 [&] { return session_.peer_gone(true) ? Status::peer_gone : Status::ok; });
            }
            if (status != Status::ok) return {written > 0 ? Status::ok : status, written};
            std::memcpy(loan.data.data(), data.data() + written, loan.data.size());
            producer_.commit(loan.data.size());
            written += loan.data.size();
        }
        return {written > 0 || data.empty() ? Status::ok : Status::again, written};
    }

    Result<int> poll_fd() {
        return poll_.get(producer_.endpoint(), producer_.ring().space_event(),
                         [this] { return producer_.has_room(1) || session_.over(false); }, [this] { return session_.over(true); });
    }

    void set_wait(WaitStrategy strategy) noexcept { producer_.endpoint().set_wait_strategy(strategy); }
    const RingSegment& ring() const noexcept { return producer_.ring(); }

private:
    SpscProducer producer_;
    detail::PipeSession session_;
    std::size_t chunk_;  // largest record; a quarter of the ring, so reader and writer overlap
    detail::PollDescriptor poll_;
};

Result<PipeWriter> PipeWriter::open(std::string_view name, const EndpointOptions& options) {
    auto ring = detail::open_pipe_ring(name, options.segment);
    if (!ring) return ring.error();
    auto producer = SpscProducer::attach(std::move(*ring), options);
    if (!producer) return producer.error();
    return PipeWriter(std::make_unique<Impl>(std::move(*producer)));
}

PipeWriter::PipeWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PipeWriter::PipeWriter(PipeWriter&&) noexcept = default;
PipeWriter& PipeWriter::operator=(PipeWriter&&) noexcept = default;
PipeWriter::~PipeWriter() = default;

IoResult PipeWriter::write(std::span<const std::byte> data, Blocking blocking, Deadline deadline) noexcept {
    return impl_->write(data, blocking, deadline);
}
Result<int> PipeWriter::poll_fd() { return impl_->poll_fd(); }
void PipeWriter::set_wait(WaitStrategy strategy) noexcept { impl_->set_wait(strategy); }
const RingSegment& PipeWriter::ring() const noexcept { return impl_->ring(); }

}  // namespace shmring
