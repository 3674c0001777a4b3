#include "drill/disruptive.h"

#include <gtest/gtest.h>

#include "base/time_util.h"

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

// Past the RPO target the verdict counts every store's lost writes: the
// region scenario's lake beside its database.
TEST(TimelineTest, ARegionDrillPastItsRpoCountsTheLakesLostWritesToo) {
  DisruptiveResult r;
  r.scenario = "region";
  r.rto_seconds = 10;
  r.rto_target_seconds = 900;
  r.rpo_target_seconds = 1;
  r.lost.push_back({.seq = 7});
  r.details["lake_writes"] = {{"lost", 3}};
  Timeline timeline(RealClock(), r, nullptr);
  r.rpo_seconds = 2.5;
  timeline.Finish();
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.failed_step, "rpo");
  EXPECT_EQ(r.error.message(), "region drill: 4 acknowledged writes lost, 2.50 s of writes, beyond the RPO target of 1 s");
}

}  // namespace
}  // namespace dr::drill
