// How far the WAL archive reaches (ReadArchiveState) and whether a replay can
// reach a target time (CheckArchiveReaches), on the memory backend, which
// records when each object was written.
#include "source/postgres/wal.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/time_util.h"
#include "storage/memory/memory_backend.h"
#include "test/support/test_support.h"

namespace dr::source::pg {
namespace {

using testing::HasSubstr;

TEST(ArchiveReachTest, TheNewestArchivingTimeIsASegmentsOrAPartialOne) {
  auto backend = storage::NewMemoryBackend();
  ASSERT_OK(ReadArchiveState(*backend));
  EXPECT_FALSE(ReadArchiveState(*backend)->newest_archived_at) << "an empty archive has no time";
  ASSERT_OK(backend->Put({ObjectKind::kWal, "000000010000000000000003"}, "w", {}));
  const auto after_segment = std::chrono::system_clock::now();
  ASSERT_OK(backend->Put({ObjectKind::kWal, "00000002.history"}, "h", {}));
  auto state = ReadArchiveState(*backend);
  ASSERT_OK(state);
  EXPECT_EQ(state->newest_segment, "000000010000000000000003");
  EXPECT_EQ(state->files, 2u);
  ASSERT_TRUE(state->newest_archived_at);
  EXPECT_LE(*state->newest_archived_at, after_segment) << "a history file holds no record: its time does not count";

  ASSERT_OK(backend->Put({ObjectKind::kWal, "000000010000000000000004.partial"}, "p", {}));
  auto with_partial = ReadArchiveState(*backend);
  ASSERT_OK(with_partial);
  EXPECT_EQ(with_partial->newest_segment, "000000010000000000000003");
  EXPECT_GE(*with_partial->newest_archived_at, after_segment) << "a partial segment holds records";
}

TEST(ArchiveReachTest, ATargetPastTheNewestArchivingIsRefusedNamingWhatTheArchiveReaches) {
  ArchiveState state{.newest_segment = "000000010000000000000007", .files = 9,
                     .newest_archived_at = *ParseUtc("2026-12-04T10:00:00Z")};
  EXPECT_OK(CheckArchiveReaches(state, *ParseUtc("2026-12-04T09:00:00Z")));
  EXPECT_OK(CheckArchiveReaches(state, *ParseUtc("2026-12-04T10:00:05Z"))) << "within the allowed clock skew";
  Status beyond = CheckArchiveReaches(state, *ParseUtc("2026-12-04T10:00:06Z"));
  EXPECT_EQ(beyond.code(), Code::kNotFound);
  EXPECT_THAT(beyond.message(), HasSubstr("the WAL archive does not reach 2026-12-04T10:00:06Z"));
  EXPECT_THAT(beyond.message(), HasSubstr("the newest WAL in it was archived at 2026-12-04T10:00:00Z (its newest "
                                          "segment: 000000010000000000000007)"));
  EXPECT_OK(CheckArchiveReaches({.newest_segment = "000000010000000000000007", .files = 9},
                                *ParseUtc("2099-01-01T00:00:00Z")))
      << "a backend that does not say when: PostgreSQL judges";
}

}  // namespace
}  // namespace dr::source::pg
