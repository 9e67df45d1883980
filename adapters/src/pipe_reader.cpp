#include <algorithm>
#include <cstring>

#include "pipe_session.hpp"
#include "shmring/detail/poll_helper.hpp"
#include "shmring/pipe.hpp"
#include "shmring/spsc_ring.hpp"

namespace shmring {

class PipeReader::Impl {
public:
    // `resume_position`: where a predecessor that stopped inside a record left off (ConsumerBlock::read_position).
    Impl(SpscConsumer consumer, std::uint64_t resume_position)
        : consumer_(std::move(consumer)),
          session_(consumer_.ring(), detail::PipeSession::Side::reader, consumer_.endpoint().tuning()),
          resume_position_(resume_position) {}

    IoResult read(std::span<std::byte> buffer, Blocking blocking, Deadline deadline) noexcept {
        if (buffer.empty()) return {Status::ok, 0};
        Status status = Status::ok;
        std::size_t copied = drain(buffer, status);
        if (copied > 0 || status != Status::ok) return {copied > 0 ? Status::ok : status, copied};
        // Empty. If the writer has left, anything it published before leaving is visible now (the
        // acquire in PipeSession::over), so one more look decides between data and end of file.
        const auto drained_after_peer_left = [&](bool thorough) {
            if (!session_.peer_gone(thorough)) return false;
            copied = drain(buffer, status);
            return true;
        };
        if (drained_after_peer_left(false)) return {copied > 0 ? Status::ok : status, copied};
        if (blocking == Blocking::no) {
            poll_.rearm();
            return {Status::again, 0};
        }
        const Status waited = consumer_.wait_for_data(
            deadline,
            [&] {
                copied = drain(buffer, status);
                if (copied > 0 || status != Status::ok) return copied > 0 ? Status::ok : status;
                // As in write: a writer that closes wakes us after giving its role back, so every
                // empty try looks at the role word, and then once more at the ring.
                if (!session_.over(false)) return Status::again;
                copied = drain(buffer, status);
                return Status::peer_gone;
            },
            [&] { return drained_after_peer_left(true) ? Status::peer_gone : Status::ok; });
        if (waited == Status::peer_gone) return {copied > 0 ? Status::ok : status, copied};  // data, or end of file
        return {waited, copied};
    }

    Result<int> poll_fd() {
        return poll_.get(consumer_.endpoint(), consumer_.ring().data_event(),
                         [this] { return consumer_.has_data() || session_.over(false); }, [this] { return session_.over(true); });
    }

    void set_wait(WaitStrategy strategy) noexcept { consumer_.endpoint().set_wait_strategy(strategy); }
    const RingSegment& ring() const noexcept { return consumer_.ring(); }

private:
    // Copies out what is there, up to the buffer; releases the records read whole with one flush.
    std::size_t drain(std::span<std::byte> buffer, Status& status) noexcept {
        std::size_t copied = 0;
        status = Status::ok;
        while (copied < buffer.size()) {
            const View record = consumer_.try_peek();
            if (record.status != Status::ok) {
                if (record.status != Status::again) status = record.status;
                break;
            }
            // Half-way through a record, the next peek must return that record again, at least as
            // long as what was already read: anything else was written by someone else, and a
            // length below partial_offset_ would send the copy below past the record.
            if (partial_offset_ != 0 && (record.position != record_position_ || record.data.size() <= partial_offset_)) {
                consumer_.ring().mark_corrupt();
                status = Status::corrupt;
                break;
            }
            if (resume_position_ != 0) {
                // A predecessor stopped inside this record if its read position falls within the
                // payload; any other value is stale (it died before storing it) and means "from the start".
                const std::uint64_t payload = record.position + sizeof(layout::RecordHeader);
                const std::uint64_t into = resume_position_ - payload;
                partial_offset_ = into < record.data.size() ? into : 0;
                resume_position_ = 0;
            }
            record_position_ = record.position;
            const std::size_t take = std::min(record.data.size() - partial_offset_, buffer.size() - copied);
            std::memcpy(buffer.data() + copied, record.data.data() + partial_offset_, take);
            copied += take;
            partial_offset_ += take;
            if (partial_offset_ < record.data.size()) break;  // the buffer is full mid-record
            partial_offset_ = 0;
            consumer_.release(Flush::later);
        }
        consumer_.flush();
        // Relaxed: read by the next reader only after it acquires the role we give back with a release.
        const std::uint64_t read_position = partial_offset_ == 0 ? 0 : record_position_ + sizeof(layout::RecordHeader) + partial_offset_;
        consumer_.ring().consumer().read_position.store(read_position, std::memory_order_relaxed);
        return copied;
    }

    SpscConsumer consumer_;
    detail::PipeSession session_;
    std::uint64_t resume_position_;      // a predecessor's read_position, until the first record is read
    std::uint64_t partial_offset_ = 0;   // bytes of the current record already returned
    std::uint64_t record_position_ = 0;  // position of the current record
    detail::PollDescriptor poll_;
};

Result<PipeReader> PipeReader::open(std::string_view name, const EndpointOptions& options) {
    auto ring = detail::open_pipe_ring(name, options.segment);
    if (!ring) return ring.error();
    auto consumer = SpscConsumer::attach(std::move(*ring), options);
    if (!consumer) return consumer.error();
    // Relaxed: written only by readers, the last of which gave the role back with a release that our
    // role acquisition acquired (a reader that died instead may have left a stale value: checked).
    const std::uint64_t resume = consumer->ring().consumer().read_position.load(std::memory_order_relaxed);
    return PipeReader(std::make_unique<Impl>(std::move(*consumer), resume));
}

PipeReader::PipeReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PipeReader::PipeReader(PipeReader&&) noexcept = default;
PipeReader& PipeReader::operator=(PipeReader&&) noexcept = default;
PipeReader::~PipeReader() = default;

IoResult PipeReader::read(std::span<std::byte> buffer, Blocking blocking, Deadline deadline) noexcept {
    return impl_->read(buffer, blocking, deadline);
}
Result<int> PipeReader::poll_fd() { return impl_->poll_fd(); }
void PipeReader::set_wait(WaitStrategy strategy) noexcept { impl_->set_wait(strategy); }
const RingSegment& PipeReader::ring() const noexcept { return impl_->ring(); }

}  // namespace shmring
