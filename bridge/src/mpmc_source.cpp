#include "mpmc_source.hpp"

namespace shmring::bridge::detail {

MpmcSource::MpmcSource(MpmcHolder holder) noexcept : holder_(std::move(holder)) { moved(); }

Result<std::unique_ptr<Source>> MpmcSource::attach(RingSegment ring) {
    auto holder = MpmcHolder::attach(std::move(ring));
    if (!holder) return holder.error();
    return std::unique_ptr<Source>(new MpmcSource(std::move(*holder)));
}

SourceRecord MpmcSource::next() noexcept {
    const View view = holder_.try_take();
    moved();
    if (view.status != Status::ok) return {view.status};
    const bool is_void = view.type == shmring::detail::kHeldVoid;
    return {Status::ok, view.sequence, is_void ? kVoidRecord : 0, view.data, true, is_void};
}

bool MpmcSource::confirm(std::uint64_t position) noexcept {
    // Only up to what was read: a position past it names records the receiver never had from us.
    if (static_cast<std::int64_t>(read_through() - position) < 0) return false;
    const bool confirmed = holder_.confirm_through(position);
    moved();
    return confirmed;
}

Source::Resume MpmcSource::resume_at(std::uint64_t position) noexcept {
    holder_.rewind();
    moved();
    if (static_cast<std::int64_t>(position - confirmed()) < 0) return Resume::behind;
    // Any position up to the last ticket taken ends a record: a message's or a void's.
    if (!holder_.confirm_through(position)) return Resume::off_grid;
    moved();
    return Resume::ok;
}

Result<int> MpmcSource::poll_fd() {
    auto ready = [this] { return holder_.has_data_at(ahead_.load(std::memory_order_relaxed)); };
    return poll_.get(holder_.endpoint(), holder_.ring().data_event(), ready, [this] { return holder_.repair_stalled(); });
}

}  // namespace shmring::bridge::detail
