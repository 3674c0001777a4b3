#include "events/event_store.h"

#include <filesystem>

#include "base/fake_clock.h"
#include "config/config.h"
#include "test/support/test_support.h"

namespace dr::events {
namespace {

TEST(EventStoreTest, KeepsEventsNewestFirst) {
  test::TempDir dir;
  auto store = EventStore::Open(dir / "events.db");
  ASSERT_OK(store);
  ASSERT_OK((*store)->Record("2026-11-26T10:00:00.000Z", "health_changed", {{"service", "db"}}));
  ASSERT_OK((*store)->Record("2026-11-26T10:00:01.000Z", "failover_completed", {{"rto_seconds", 7.5}}));
  ASSERT_OK((*store)->Record("2026-11-26T10:00:02.000Z", "health_changed", {{"service", "api"}}));
  auto all = (*store)->List(10);
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].data["service"], "api");
  auto failovers = (*store)->List(10, {"failover_completed"});
  ASSERT_EQ(failovers->size(), 1u);
  EXPECT_EQ((*failovers)[0].data["rto_seconds"], 7.5);
  EXPECT_EQ((*store)->List(1)->size(), 1u);
  // Reopened by another process later: the history is there.
  store->reset();
  auto again = EventStore::Open(dir / "events.db");
  ASSERT_OK(again);
  EXPECT_EQ((*again)->List(10)->size(), 3u);
}

TEST(EventStoreTest, CountsByTypeSinceATime) {
  test::TempDir dir;
  auto store = EventStore::Open(dir / "events.db");
  ASSERT_OK(store);
  ASSERT_OK((*store)->Record("2026-11-26T09:59:59.999Z", "access_denied", {}));
  ASSERT_OK((*store)->Record("2026-11-26T10:00:00.000Z", "access_denied", {}));
  ASSERT_OK((*store)->Record("2026-11-26T10:30:00.000Z", "access_denied", {}));
  ASSERT_OK((*store)->Record("2026-11-26T10:31:00.000Z", "restore_failed", {}));
  auto all = (*store)->Count({"access_denied", "restore_completed", "restore_failed"});
  ASSERT_OK(all);
  EXPECT_EQ(*all, (std::map<std::string, int64_t>{{"access_denied", 3}, {"restore_completed", 0}, {"restore_failed", 1}}));
  auto recent = (*store)->Count({"access_denied"}, "2026-11-26T10:00:00.000Z");
  ASSERT_OK(recent);
  EXPECT_EQ(recent->at("access_denied"), 2);  // the window's start is inside it
}

TEST(EventStoreTest, EmitStampsTheClocksTime) {
  test::TempDir dir;
  FakeClock clock;
  auto store = EventStore::Open(dir / "sub/events.db", clock);  // the directory is created
  ASSERT_OK(store);
  ASSERT_OK((*store)->Emit("backup_completed", {{"backup_id", "b1"}}));
  auto all = (*store)->List(10);
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].timestamp, "2026-11-18T11:06:40.000Z");
  EXPECT_EQ((*all)[0].ToJson()["event_type"], "backup_completed");
  EXPECT_EQ((*all)[0].ToJson()["data"]["backup_id"], "b1");
}

// One history: the coordinator's state directory when there is a coordinator,
// else beside the audit log, else none.
TEST(EventStoreTest, HistoryPathFollowsTheConfiguration) {
  config::Config c;
  EXPECT_EQ(HistoryPath(c), "");
  c.audit.log_file = "/var/log/ecap-dr/audit.log";
  EXPECT_EQ(HistoryPath(c), "/var/log/ecap-dr/events.db");
  c.coordinator_configured = true;
  c.coordinator.state_dir = "/var/lib/dr";
  EXPECT_EQ(HistoryPath(c), "/var/lib/dr/events.db");
}

TEST(EventStoreTest, LazySinkCreatesNothingUntilTheFirstEvent) {
  test::TempDir dir;
  {
    LazyStoreSink sink(dir / "events.db");
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "events.db"));
  LazyStoreSink sink(dir / "events.db");
  ASSERT_OK(sink.Emit("key_rotated", {{"new_key_id", "k2"}}));
  auto store = EventStore::Open(dir / "events.db");
  ASSERT_OK(store);
  EXPECT_EQ((*store)->List(10)->at(0).event_type, "key_rotated");
  // No history configured: emitting is a no-op, not an error.
  EXPECT_OK(LazyStoreSink("").Emit("backup_completed", {}));
}

}  // namespace
}  // namespace dr::events
