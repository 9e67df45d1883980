#include "shmring/cell.hpp"

namespace shmring {

Outcome create_cell(std::string_view name, std::size_t max_size, unsigned mode, const SegmentOptions& options) {
    if (max_size == 0 || max_size > layout::kMaxCellValue)
        return Error(Errc::invalid_argument, "cell '" + std::string(name) + "': the value size must be 1 byte to 64 MiB");
    RingConfig config = state_config(layout::Engine::cell, mode, options);
    config.slot_size = static_cast<std::uint32_t>(max_size);
    auto ring = RingSegment::create(name, config);
    if (!ring) return ring.error();
    return Ok{};
}

Result<Cell> Cell::attach(std::string_view name, const EndpointOptions& options) {
    return attach_by_name<Cell>(name, layout::Engine::cell, options);
}

Result<Cell> Cell::attach(RingSegment ring, const EndpointOptions& options) {
    auto endpoint = Endpoint::attach(std::move(ring), layout::EndpointRole::user, layout::Engine::cell, options);
    if (!endpoint) return endpoint.error();
    return Cell(std::move(*endpoint));
}

Status Cell::take_writer_lock(Deadline deadline) noexcept {
    const Status status = writer_.take_waiting(endpoint_, event(), deadline);
    if (status != Status::owner_died) return status;
    // A dead writer never published the version it was writing: the value is whole as it stands.
    (void)writer_.make_consistent();
    return Status::ok;
}

Status Cell::write(std::span<const std::byte> value, Deadline deadline) noexcept {
    if (value.size() > max_size()) return Status::too_large;
    // The writer lock would be taken in the parent's name: a takeover after its death would then
    // let two writers into one buffer.
    if (endpoint_.forked_copy()) return Status::not_owner;
    const Status status = take_writer_lock(deadline);
    endpoint_.count_miss(status, &layout::Counters::full);
    if (status != Status::ok) {
        if (status == Status::corrupt) ring().mark_corrupt();
        return status;
    }
    (void)detail::cell_publish(ring(), value);
    (void)writer_.give_back();  // [W6]
    endpoint_.count_message(value.size());
    endpoint_.notify(event());
    return Status::ok;
}

Status Cell::read(std::span<std::byte> buffer, std::size_t& length, std::uint64_t& version) noexcept {
    const Status status = detail::cell_read(ring(), buffer, length, version);
    if (status == Status::corrupt) ring().mark_corrupt();
    return status;
}

Status Cell::wait_newer(std::uint64_t seen, std::uint64_t& newer, Deadline deadline) noexcept {
    const RingSegment& cell = ring();
    return endpoint_.wait(event(), deadline, [&]() noexcept {
        const std::uint64_t latest = detail::cell_latest(cell);
        if (latest <= seen) return Status::again;
        newer = latest;
        return Status::ok;
    }, detail::LookAgain{});
}

}  // namespace shmring
