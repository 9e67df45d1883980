// Pins the shared layout: a change to any offset must come with a new layout version.
#include <gtest/gtest.h>

#include "shmring/layout.hpp"

namespace shmring::layout {
namespace {

TEST(Layout, shouldKeepTheOffsetsOfItsVersion) {
    EXPECT_EQ(kLayoutVersion, 8U);
    EXPECT_EQ(offsetof(SegmentHeader, magic), 0U);
    EXPECT_EQ(offsetof(SegmentHeader, layout_version), 8U);
    EXPECT_EQ(offsetof(SegmentHeader, capacity), 32U);
    EXPECT_EQ(offsetof(SegmentHeader, max_messages), 88U);
    EXPECT_EQ(offsetof(SegmentHeader, topic_policy), 96U);
    EXPECT_EQ(offsetof(SegmentHeader, max_response), 100U);
    EXPECT_EQ(offsetof(SegmentHeader, call_stride), 104U);
    EXPECT_EQ(offsetof(SegmentHeader, state), 120U);
    EXPECT_EQ(kControlOffset, 128U);
    EXPECT_EQ(kProducerOffset, 384U);
    EXPECT_EQ(kConsumerOffset, 512U);
    EXPECT_EQ(kDataEventOffset, 640U);
    EXPECT_EQ(kSpaceEventOffset, 768U);
    EXPECT_EQ(kRegistryOffset, 896U);
    EXPECT_EQ(kDataOffset, 9088U);
    EXPECT_EQ(offsetof(ControlBlock, repair_lock), 128U);
    EXPECT_EQ(offsetof(EndpointEntry, counters), 48U);
    EXPECT_EQ(offsetof(EndpointEntry, cursor), 96U);
    EXPECT_EQ(offsetof(EndpointEntry, lost), 104U);
    EXPECT_EQ(offsetof(ProducerBlock, limit), 8U);
    EXPECT_EQ(offsetof(ConsumerBlock, gating), 16U);
    EXPECT_EQ(offsetof(ControlBlock, servers), 152U);
    EXPECT_EQ(sizeof(CallHeader), 64U);
    EXPECT_EQ(offsetof(CallHeader, sent_realtime_ns), 8U);
    EXPECT_EQ(offsetof(CallHeader, request_length), 16U);
    EXPECT_EQ(sizeof(ResponseHeader), 64U);
    EXPECT_EQ(offsetof(ResponseHeader, length), 8U);
    EXPECT_EQ(response_header_offset(100), 64U + 128U);
    EXPECT_EQ(offsetof(ControlBlock, retired_consumers), 80U);
    EXPECT_EQ(offsetof(WaitEvent, sleepers), 8U);
    EXPECT_EQ(offsetof(WaitEvent, helper_sleepers), 16U);
    EXPECT_EQ(offsetof(WaitEvent, light_publishers), 24U);
}

TEST(Layout, shouldSeparateWritersByFalseSharingRange) {
    EXPECT_EQ(kConsumerOffset - kProducerOffset, kFalseSharingRange);
    EXPECT_EQ(kSpaceEventOffset - kDataEventOffset, kFalseSharingRange);
    EXPECT_EQ(sizeof(EndpointEntry), kFalseSharingRange);
}

TEST(Layout, shouldPackEndpointStateAndRoleWords) {
    const std::uint64_t generation = (std::uint64_t{1} << 40) + 0xABCDEF;  // beyond 32 bits
    const auto state = endpoint_state(generation, EndpointStatus::attached);
    EXPECT_EQ(endpoint_generation(state), generation);
    EXPECT_EQ(endpoint_status(state), EndpointStatus::attached);
    const auto word = role_word(generation, 63);
    EXPECT_EQ(role_generation(word), generation);
    EXPECT_EQ(role_index(word), 63U);
    EXPECT_NE(word, 0U) << "a held role is never the free value";
    EXPECT_NE(role_word(generation, 0), role_word(generation + (std::uint64_t{1} << 24), 0))
        << "generations 2^24 takes apart stay distinct";
}

TEST(Layout, shouldSizeRecordsAndSlots) {
    EXPECT_EQ(record_size(0), 8U);
    EXPECT_EQ(record_size(7), 16U);
    EXPECT_EQ(record_size(9), 24U);
    EXPECT_EQ(slot_stride_for(64), 128U);
    EXPECT_EQ(spsc_max_message(4096), 2040U);
    EXPECT_EQ(call_stride_for(64, 64), 256U);
    EXPECT_EQ(call_stride_for(100, 1), 64U + 128U + 64U + 64U);
}

TEST(Layout, shouldPackCallStatesAndRequestIds) {
    const std::uint64_t generation = kCallGenerationMask;  // the widest
    const auto state = call_state(generation, CallPhase::abandoned, 64, 1);
    EXPECT_EQ(call_generation(state), generation);
    EXPECT_EQ(call_phase(state), CallPhase::abandoned);
    EXPECT_EQ(call_client(state), 64U);
    EXPECT_EQ(call_server(state), 1U);
    const auto id = request_id(generation, (1U << 24) - 1);
    EXPECT_EQ(request_generation(id), generation);
    EXPECT_EQ(request_index(id), (1U << 24) - 1);
    EXPECT_NE(request_id(1, 0), 0U) << "no id is 0";
}

}  // namespace
}  // namespace shmring::layout
