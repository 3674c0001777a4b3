// The monitor loop on a fake clock: rounds follow the coordinator's clock, not
// real time, and a stop request ends the sleep between rounds at once.
#include <condition_variable>
#include <mutex>
#include <thread>

#include "base/fake_clock.h"
#include "config/config.h"
#include "coordinator/coordinator.h"
#include "test/support/test_support.h"

namespace dr::coordinator {
namespace {

class CountingObserver : public MonitorObserver {
 public:
  void OnRound(const HealthReport& report, std::string_view) override {
    std::lock_guard lock(mu_);
    ++rounds_;
    last_ = report.overall_status;
    cv_.notify_all();
  }
  void WaitForRounds(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return rounds_ >= n; });
  }
  int rounds() {
    std::lock_guard lock(mu_);
    return rounds_;
  }
  std::string last() {
    std::lock_guard lock(mu_);
    return last_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int rounds_ = 0;
  std::string last_;
};

TEST(MonitorTest, RoundsFollowTheClockAndAStopEndsTheWaitAtOnce) {
  test::TempDir dir;
  auto config = config::LoadConfigString("dr_coordinator:\n  state_dir: \"" + dir.path() +
                                             "\"\n  check_interval_seconds: 60\n  services:\n"
                                             "    - {name: probe, type: command, command: \"true\"}\n",
                                         "monitor.yaml");
  ASSERT_OK(config);
  FakeClock clock;
  DisasterRecoveryCoordinator coordinator(*config, clock);
  CountingObserver observer;
  std::stop_source stop;
  Status result = Failed("not finished");
  std::thread monitor([&] { result = coordinator.Monitor({.stop = stop.get_token(), .observer = &observer}); });

  observer.WaitForRounds(1);
  clock.WaitForSleepers(1);
  // Half an interval: no round. A whole one: exactly one more. An hour of
  // monitoring on the fake clock takes no real hour.
  for (int round = 2; round <= 60; ++round) {
    clock.Advance(std::chrono::seconds(30));
    clock.WaitForSleepers(1);
    EXPECT_EQ(observer.rounds(), round - 1);
    clock.Advance(std::chrono::seconds(30));
    observer.WaitForRounds(round);
    clock.WaitForSleepers(1);
  }
  EXPECT_EQ(observer.last(), "healthy");
  stop.request_stop();  // ends the sleep between rounds without moving the clock
  monitor.join();
  ASSERT_OK(result);
  EXPECT_EQ(observer.rounds(), 60);
  auto events = coordinator.Events(10, {"monitor_started", "monitor_stopped"});
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].event_type, "monitor_stopped");
}

TEST(MonitorTest, MaxSecondsIsTheCoordinatorsClock) {
  test::TempDir dir;
  auto config = config::LoadConfigString("dr_coordinator:\n  state_dir: \"" + dir.path() +
                                             "\"\n  check_interval_seconds: 10\n  services:\n"
                                             "    - {name: probe, type: command, command: \"false\"}\n",
                                         "monitor.yaml");
  ASSERT_OK(config);
  FakeClock clock;
  DisasterRecoveryCoordinator coordinator(*config, clock);
  CountingObserver observer;
  Status result = Failed("not finished");
  std::thread monitor([&] { result = coordinator.Monitor({.max_seconds = 25, .observer = &observer}); });
  for (int round = 1; round <= 4; ++round) {
    observer.WaitForRounds(round);
    if (round < 4) {
      clock.WaitForSleepers(1);
      clock.Advance(std::chrono::seconds(10));
    }
  }
  monitor.join();  // rounds at 0, 10, 20 and 30 s: the one that finds 25 s passed is the last
  ASSERT_OK(result);
  EXPECT_EQ(observer.rounds(), 4);
  EXPECT_EQ(observer.last(), "failed");  // three failed checks in a row: the threshold
}

}  // namespace
}  // namespace dr::coordinator
