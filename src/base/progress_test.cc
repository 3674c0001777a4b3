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

// A daemon attaches its own observer: it gets the same numbers the terminal
// line shows, at most five times a second, and one last update at the end.
class Recorder : public ProgressObserver {
 public:
  void OnProgress(const ProgressUpdate& u) override { updates.push_back(u); }
  void OnFinish(const ProgressUpdate& u) override { finished.push_back(u); }
  std::vector<ProgressUpdate> updates, finished;
};

TEST(ProgressTest, AnObserverGetsThrottledUpdatesAndTheEnd) {
  StepClock clock;
  Recorder recorder;
  {
    Progress p("restore b1", &recorder, clock);
    p.SetTotal(100);
    clock.Advance(std::chrono::seconds(1));
    p.Add(10);
    p.Add(10);  // the same instant: throttled
    clock.Advance(std::chrono::seconds(1));
    p.Add(30);
  }
  ASSERT_EQ(recorder.updates.size(), 2u);
  EXPECT_EQ(recorder.updates[0].done, 10u);
  EXPECT_EQ(recorder.updates[1].done, 50u);
  EXPECT_EQ(recorder.updates[1].total, 100u);
  EXPECT_DOUBLE_EQ(recorder.updates[1].bytes_per_second, 25.0);
  EXPECT_THAT(recorder.updates[1].line, HasSubstr("restore b1"));
  ASSERT_EQ(recorder.finished.size(), 1u);
  EXPECT_EQ(recorder.finished[0].done, 50u);
}

}  // namespace
}  // namespace dr
