#include "drill/disruptive.h"

#include <gtest/gtest.h>

#include "base/time_util.h"
#include "drill/kafka_load.h"

namespace dr::drill {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

// Commits acknowledged every 100 ms from `start`, seq 1..n.
std::vector<Ack> Acks(system_clock::time_point start, int n) {
  std::vector<Ack> out;
  for (int i = 0; i < n; ++i) out.push_back({.seq = i + 1, .at = start + milliseconds(100 * i)});
  return out;
}

class CountLostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    start_ = *ParseUtc("2026-12-03T10:00:00Z");
    result_.fault_at = FormatUtc(start_ + milliseconds(1000), true);  // after seq 10
  }
  system_clock::time_point start_;
  DisruptiveResult result_;
};

TEST_F(CountLostTest, NothingLostIsAnRpoOfZero) {
  std::map<int64_t, bool> rows;
  for (int i = 1; i <= 15; ++i) rows[i] = true;
  CountLost(Acks(start_, 15), rows, result_);
  EXPECT_TRUE(result_.lost.empty());
  EXPECT_EQ(result_.rpo_seconds, 0);
}

TEST_F(CountLostTest, TheRpoReachesBackToTheOldestLostCommit) {
  std::map<int64_t, bool> rows;
  for (int i = 1; i <= 15; ++i) rows[i] = i < 6 || i > 10;  // 6..10 lost: present but damaged
  rows.erase(8);                                            // and 8 missing
  CountLost(Acks(start_, 15), rows, result_);
  ASSERT_EQ(result_.lost.size(), 5u);
  EXPECT_EQ(result_.lost.front().seq, 6);
  EXPECT_EQ(result_.lost.front().state, "damaged");
  EXPECT_EQ(result_.lost[2].seq, 8);
  EXPECT_EQ(result_.lost[2].state, "missing");
  EXPECT_EQ(result_.lost.front().acknowledged_at, FormatUtc(start_ + milliseconds(500), true));
  EXPECT_NEAR(result_.rpo_seconds, 0.5, 1e-6) << "the fault is 0.5 s after commit 6";
}

// Commits an old backend acknowledged after the fault and then lost are a
// loss too: never an RPO of 0 with lost commits named.
TEST_F(CountLostTest, CommitsLostAfterTheFaultStillCountAsAWindow) {
  std::map<int64_t, bool> rows;
  for (int i = 1; i <= 10; ++i) rows[i] = true;  // 11..13 (after the fault) lost
  CountLost(Acks(start_, 13), rows, result_);
  ASSERT_EQ(result_.lost.size(), 3u);
  EXPECT_NEAR(result_.rpo_seconds, 0.2, 1e-6) << "their spread";
  DisruptiveResult one;
  one.fault_at = result_.fault_at;
  rows[11] = rows[12] = true;
  CountLost(Acks(start_, 13), rows, one);
  ASSERT_EQ(one.lost.size(), 1u);
  EXPECT_GT(one.rpo_seconds, 0);
}

TEST(DisruptiveResultTest, TheScenarioDetailsAndTheFailedStepAreInTheDocument) {
  DisruptiveResult r;
  r.scenario = "corruption";
  r.details["damage"] = {{"updated", 3}};
  r.error = Failed("no backup");
  r.failed_step = "recover";
  r.lost.push_back({7, "2026-12-03T10:00:00.000Z", "damaged"});
  auto j = r.ToJson();
  EXPECT_EQ(j["damage"]["updated"], 3);
  EXPECT_EQ(j["error"]["step"], "recover");
  EXPECT_EQ(j["writes"]["lost_writes"][0]["state"], "damaged");
  EXPECT_EQ(j["rto_met"], false) << "-1: not recovered";
}

// A region drill recovered well within its RTO, finished against an RPO target of 1 s.
DisruptiveResult FinishRegionDrill(std::vector<LostWrite> lost, nlohmann::json details, double rpo_seconds) {
  DisruptiveResult r;
  r.scenario = "region";
  r.rto_seconds = 10;
  r.rto_target_seconds = 900;
  r.rpo_target_seconds = 1;
  r.lost = std::move(lost);
  r.details = std::move(details);
  Timeline timeline(RealClock(), r, nullptr);
  r.rpo_seconds = rpo_seconds;
  timeline.Finish();
  return r;
}

// Past the RPO target the verdict counts every store's lost writes: the
// region scenario's lake beside its database.
TEST(TimelineTest, ARegionDrillPastItsRpoCountsTheLakesLostWritesToo) {
  DisruptiveResult r = FinishRegionDrill({{.seq = 7}}, {{"lake_writes", {{"lost", 3}}}}, 2.5);
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.failed_step, "rpo");
  EXPECT_EQ(r.error.message(), "region drill: 4 acknowledged writes lost, 2.50 s of writes, beyond the RPO target of 1 s");
}

// Kafka's lost messages count too, beside the lake's and the database's.
TEST(TimelineTest, ARegionDrillPastItsRpoCountsKafkasLostMessages) {
  DisruptiveResult r = FinishRegionDrill({}, {{"lake_writes", {{"lost", 0}}}, {"kafka_writes", {{"lost", 5}}}}, 1.5);
  EXPECT_EQ(r.failed_step, "rpo");
  EXPECT_EQ(r.error.message(), "region drill: 5 acknowledged writes lost, 1.50 s of writes, beyond the RPO target of 1 s");
}

// A message is reached by a backup when its offset is below the backup's end
// of its partition; a partition the backup lacks reaches nothing.
TEST(KafkaPlacementsTest, AMessageIsReachedBelowItsPartitionsEndInTheBackup) {
  KafkaPlacements placed;
  placed.Record(1, {.partition = 0, .offset = 9});
  placed.Record(2, {.partition = 0, .offset = 10});
  placed.Record(3, {.partition = 1, .offset = 0});
  placed.Record(4, {.partition = 2, .offset = 3});
  auto reached = placed.Reached({{0, 10}, {1, 1}});
  EXPECT_EQ(reached, (std::map<int64_t, bool>{{1, true}, {3, true}}));
  DisruptiveResult r;
  r.fault_at = "2026-12-04T10:00:00Z";
  auto at = *ParseUtc("2026-12-04T09:59:58Z");
  CountLost({{.seq = 1, .at = at}, {.seq = 2, .at = at}, {.seq = 3, .at = at}, {.seq = 4, .at = at}}, reached, r);
  ASSERT_EQ(r.lost.size(), 2u);
  EXPECT_EQ(r.lost[0].seq, 2);
  EXPECT_EQ(r.lost[1].seq, 4);
  EXPECT_EQ(r.lost[1].state, "missing");
  EXPECT_DOUBLE_EQ(r.rpo_seconds, 2.0);
}

// Read back from the backup region: a message is there when its key is, and
// only the drill's own keys count (other drills', others' messages, odd keys).
TEST(KafkaPlacementsTest, TheMessagesReadBackAreTheDrillsKeysAmongTheTopics) {
  auto there = MessagesAmong({"d1/0", "d1/2", "d0/1", "d1/", "d1/x", "d1/3x", "", "d11/4", "d1/17"}, "d1");
  EXPECT_EQ(there, (std::map<int64_t, bool>{{0, true}, {2, true}, {17, true}}));
}

}  // namespace
}  // namespace dr::drill
