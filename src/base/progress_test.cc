#include "base/progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace dr {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class StepClock : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override { return {}; }
  std::chrono::steady_clock::time_point Monotonic() const override { return mono_; }
  void Advance(std::chrono::seconds s) { mono_ += s; }

 private:
  std::chrono::steady_clock::time_point mono_{};
};

// A backup learns its inputs' sizes as it lists them (AddTotal); from then on
// its line has a total, a percentage and an ETA, as a restore's always had.
TEST(ProgressTest, AKnownTotalShowsPercentageAndEta) {
  StepClock clock;
  Progress p("backup b1", /*enabled=*/false, clock);
  p.AddTotal(60u << 20);
  p.AddTotal(40u << 20);
  clock.Advance(std::chrono::seconds(10));
  p.Add(25u << 20);
  EXPECT_EQ(p.total(), 100u << 20);
  EXPECT_EQ(p.Line(), "backup b1  25.0 MiB / 100.0 MiB  25%  2.5 MiB/s  ETA 0:30");
}

TEST(ProgressTest, AnUnknownTotalShowsBytesAndRateOnly) {
  StepClock clock;
  Progress p("backup b1", false, clock);
  clock.Advance(std::chrono::seconds(2));
  p.Add(4u << 20);
  EXPECT_THAT(p.Line(), Not(HasSubstr("%")));
  EXPECT_THAT(p.Line(), Not(HasSubstr("ETA")));
  EXPECT_THAT(p.Line(), HasSubstr("2.0 MiB/s"));
}

TEST(ProgressTest, ReadingMoreThanAnnouncedNeverShowsMoreThan100Percent) {
  StepClock clock;
  Progress p("backup b1", false, clock);
  p.AddTotal(100);
  clock.Advance(std::chrono::seconds(1));
  p.Add(150);
  EXPECT_THAT(p.Line(), HasSubstr(" 100%"));
  EXPECT_THAT(p.Line(), Not(HasSubstr("ETA")));
}

}  // namespace
}  // namespace dr
