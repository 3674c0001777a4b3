#include "backup/retention.h"

#include <set>

#include "base/time_util.h"
#include "test/support/test_support.h"

namespace dr::backup {
namespace {

// One backup a day at 02:00 UTC for a year, ending on Thursday 2026-11-26.
std::vector<repo::Snapshot> AYearOfDailies() {
  std::vector<repo::Snapshot> out;
  auto end = *ParseUtc("2026-11-26T02:00:00Z");
  for (int day = 0; day < 365; ++day) {
    repo::Snapshot s;
    auto t = end - std::chrono::hours(24 * day);
    s.start_time = FormatUtc(t);
    s.backup_id = "daily_" + s.start_time.substr(0, 10);
    out.push_back(s);
  }
  return out;
}

std::set<std::string> Kept(const std::vector<RetentionDecision>& decisions) {
  std::set<std::string> kept;
  for (const auto& d : decisions) {
    if (d.keep) kept.insert(d.backup_id.substr(6));
  }
  return kept;
}

TEST(RetentionTest, TheGuidesPolicyOverAYear) {
  auto decisions = DecideRetention(AYearOfDailies(), {.daily = 7, .weekly = 4, .monthly = 12});
  ASSERT_EQ(decisions.size(), 365u);
  std::set<std::string> expected = {
      // daily 7
      "2026-11-26", "2026-11-25", "2026-11-24", "2026-11-23", "2026-11-22", "2026-11-21", "2026-11-20",
      // weekly 4: ISO weeks 48 and 47 are covered by dailies; 46 and 45 end on Sundays 11-15 and 11-08
      "2026-11-15", "2026-11-08",
      // monthly 12: the last day of each earlier month (November is 11-26)
      "2026-10-31", "2026-09-30", "2026-08-31", "2026-07-31", "2026-06-30", "2026-05-31", "2026-04-30",
      "2026-03-31", "2026-02-28", "2026-01-31", "2025-12-31"};
  EXPECT_EQ(Kept(decisions), expected);
  // One backup can satisfy several rules; the newest satisfies all three.
  EXPECT_EQ(decisions[0].reasons,
            (std::vector<std::string>{"daily 2026-11-26", "weekly 2026-W48", "monthly 2026-11"}));
}

TEST(RetentionTest, PinnedLastAndWithin) {
  auto snaps = AYearOfDailies();
  snaps[200].tags = {"pinned"};
  auto decisions = DecideRetention(snaps, {.daily = 0, .weekly = 0, .monthly = 0, .last = 3,
                                           .within = std::chrono::hours(24 * 5)});
  std::set<std::string> kept = Kept(decisions);
  EXPECT_EQ(kept, (std::set<std::string>{"2026-11-26", "2026-11-25", "2026-11-24", "2026-11-23", "2026-11-22",
                                         "2026-11-21", snaps[200].start_time.substr(0, 10)}));
}

TEST(RetentionTest, NothingConfiguredKeepsNothingButPins) {
  auto decisions = DecideRetention(AYearOfDailies(), {.daily = 0, .weekly = 0, .monthly = 0});
  EXPECT_TRUE(Kept(decisions).empty());
}

TEST(RetentionTest, Durations) {
  EXPECT_EQ(*ParseDuration("30d"), std::chrono::seconds(30 * 86400));
  EXPECT_EQ(*ParseDuration("12h"), std::chrono::seconds(12 * 3600));
  EXPECT_EQ(*ParseDuration("2w"), std::chrono::seconds(14 * 86400));
  EXPECT_FALSE(ParseDuration("soon").ok());
}

}  // namespace
}  // namespace dr::backup
