// Creating and opening segments: names, modes, sizes, and segments that are not ours.
#include <gtest/gtest.h>

#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shmring/ring_segment.hpp"
#include "shmring/mpmc_ring.hpp"
#include "shmring/spsc_ring.hpp"
#include "support/test_ring.hpp"

namespace shmring {
namespace {

using testing::RingName;

bool object_exists(const std::string& name) {
    return std::filesystem::exists("/dev/shm/shmring." + name);
}

TEST(Segment, shouldRefuseBadNames) {
    const std::string bads[] = {"", "a/b", "has space", "semi;colon", "ünïcode", std::string(201, 'a'), std::string("nul\0x", 5), ".."  "/x"};
    for (const std::string& bad : bads) {
        const auto created = create_spsc_ring(bad, 4096);
        ASSERT_FALSE(created) << "accepted '" << bad << "'";
        EXPECT_EQ(created.error().code(), Errc::invalid_name);
        EXPECT_EQ(created.error().errno_value(), EINVAL);
    }
    EXPECT_TRUE(Segment::validate_name(std::string(200, 'a')));
    EXPECT_TRUE(Segment::validate_name("Az09._-"));
}

TEST(Segment, shouldRefuseBadSizesAndLeaveNothingBehind) {
    RingName name("sizes");
    for (const std::uint64_t capacity : {0ULL, 1ULL, 32ULL, 100ULL, 4097ULL, (1ULL << 31)}) {
        const auto created = create_spsc_ring(name, capacity);
        ASSERT_FALSE(created) << capacity;
        EXPECT_EQ(created.error().code(), Errc::invalid_argument);
        EXPECT_FALSE(object_exists(name.str()));
    }
    EXPECT_FALSE(create_mpmc_ring(name, 3, 64));
    EXPECT_FALSE(create_mpmc_ring(name, 1ULL << 25, 64));
    EXPECT_FALSE(create_mpmc_ring(name, 4, (1U << 20) + 1));
    EXPECT_FALSE(object_exists(name.str()));
}

TEST(Segment, shouldApplyTheRequestedModeExactly) {
    const mode_t old_umask = ::umask(0077);
    for (const unsigned mode : {0600U, 0640U, 0666U}) {
        RingName name("mode");
        ASSERT_TRUE(create_spsc_ring(name, 4096, layout::ChannelKind::raw, mode));
        struct stat st {};
        ASSERT_EQ(::stat(("/dev/shm/shmring." + name.str()).c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, mode);
    }
    ::umask(old_umask);
}

TEST(Segment, shouldRefuseModesThatAreNotPermissionBits) {
    RingName name("badmode");
    for (const unsigned mode : {01777U, 04600U, 0400U, 0200U}) {
        const auto created = create_spsc_ring(name, 4096, layout::ChannelKind::raw, mode);
        ASSERT_FALSE(created) << std::oct << mode;
        EXPECT_EQ(created.error().code(), Errc::invalid_argument);
    }
    EXPECT_FALSE(object_exists(name.str()));
}

TEST(Segment, shouldCreateExclusively) {
    RingName name("exclusive");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    const auto again = create_spsc_ring(name, 4096);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code(), Errc::exists);
    EXPECT_EQ(again.error().errno_value(), EEXIST);
}

TEST(Segment, shouldReportMissingRing) {
    const auto opened = RingSegment::open("test.does-not-exist", Access::read_write);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code(), Errc::not_found);
    EXPECT_NE(opened.error().message().find("shm_open(/shmring.test.does-not-exist)"), std::string::npos)
        << opened.error().message();
}

// Writes `bytes` at `offset` of an existing segment, as a buggy or hostile process could.
void overwrite(const std::string& name, std::size_t offset, const void* bytes, std::size_t size) {
    const int fd = ::shm_open(("/shmring." + name).c_str(), O_RDWR, 0);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, bytes, size, static_cast<off_t>(offset)), static_cast<ssize_t>(size));
    ::close(fd);
}

TEST(Segment, shouldRefuseBadMagic) {
    RingName name("magic");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    const std::uint64_t garbage = 0x1234;
    overwrite(name.str(), offsetof(layout::SegmentHeader, magic), &garbage, sizeof garbage);
    const auto opened = RingSegment::open(name, Access::read_write);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code(), Errc::bad_magic);
    EXPECT_EQ(opened.error().errno_value(), EPROTO);
}

TEST(Segment, shouldRefuseOtherLayoutVersion) {
    RingName name("version");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    const std::uint32_t version = layout::kLayoutVersion + 1;
    overwrite(name.str(), offsetof(layout::SegmentHeader, layout_version), &version, sizeof version);
    const auto opened = RingSegment::open(name, Access::read_write);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code(), Errc::version_mismatch);
}

TEST(Segment, shouldRefuseTruncatedSegment) {
    RingName name("truncated");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    ASSERT_EQ(::truncate(("/dev/shm/shmring." + name.str()).c_str(), layout::kDataOffset + 100), 0);
    const auto opened = RingSegment::open(name, Access::read_write);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code(), Errc::truncated);
}

TEST(Segment, shouldRefuseTinyObject) {
    RingName name("tiny");
    const int fd = ::shm_open(("/shmring." + name.str()).c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, 16), 0);
    ::close(fd);
    const auto opened = RingSegment::open(name, Access::read_write);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code(), Errc::not_a_ring);
}

TEST(Segment, shouldRefuseOtherKind) {
    RingName name("kind");
    ASSERT_TRUE(create_mpmc_ring(name, 8, 64));
    const auto producer = SpscProducer::attach(name);
    ASSERT_FALSE(producer);
    EXPECT_EQ(producer.error().code(), Errc::wrong_kind);
    EXPECT_EQ(producer.error().errno_value(), EPROTO);
}

TEST(Segment, shouldGiveUpOnSegmentThatNeverBecomesReady) {
    RingName name("unready");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    const std::uint32_t initialising = 0;
    overwrite(name.str(), offsetof(layout::SegmentHeader, state), &initialising, sizeof initialising);
    const auto opened = RingSegment::open(name, Access::read_write);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code(), Errc::not_ready);
}

TEST(Segment, shouldRefuseSymbolicLink) {
    RingName name("link");
    const std::string path = "/dev/shm/shmring." + name.str();
    ASSERT_EQ(::symlink("/etc/passwd", path.c_str()), 0);
    const auto opened = RingSegment::open(name, Access::read_only);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code(), Errc::not_a_ring);
}

TEST(Segment, shouldRefuseForeignOwnerUnlessAllowed) {
    RingName name("foreign");
    ASSERT_TRUE(create_spsc_ring(name, 4096, layout::ChannelKind::raw, 0666));
    ASSERT_EQ(::chown(("/dev/shm/shmring." + name.str()).c_str(), 65534, 65534), 0);
    const auto refused = RingSegment::open(name, Access::read_write);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), Errc::permission_denied);
    SegmentOptions allow;
    allow.allow_foreign_owner = true;
    EXPECT_TRUE(RingSegment::open(name, Access::read_write, {}, allow));
}

TEST(Segment, shouldHonourCreationOptions) {
    RingName name("options");
    SegmentOptions options;
    options.prefault = true;
    options.lock = true;
    options.huge_pages = true;
    RingConfig config;
    config.capacity = 1 << 20;
    config.options = options;
    auto ring = RingSegment::create(name, config);
    ASSERT_TRUE(ring) << ring.error().message();
    const std::uint32_t recorded = ring->header().options;
    EXPECT_TRUE(recorded & layout::kOptionPrefault);
    EXPECT_TRUE(recorded & layout::kOptionLocked);
    // Huge pages are recorded only where the system grants them; otherwise a warning says why.
    EXPECT_EQ(static_cast<bool>(recorded & layout::kOptionHugePages), ring->segment().warning().empty());
}

}  // namespace
}  // namespace shmring
