// Clock: time goes in through options so that tests can fix it (leveldb Env::NowMicros).
// It also sleeps, so that loops that wait (lock refresh, the health monitor,
// schedulers) run on a fake clock in tests without real sleeps.
#pragma once

#include <chrono>
#include <cstdint>
#include <stop_token>

namespace dr {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, for timestamps people read.
  virtual std::chrono::system_clock::time_point Now() const = 0;
  // Monotonic time, for durations and rates.
  virtual std::chrono::steady_clock::time_point Monotonic() const = 0;
  // Waits `d` of this clock's monotonic time, or until `stop` is requested.
  // Returns false when it ended because of `stop`. The default waits in real
  // time, so clocks that only fix the time (tests) still work.
  virtual bool SleepFor(std::chrono::steady_clock::duration d, std::stop_token stop = {});
};

// The process-wide real clock; never destroyed.
Clock& RealClock();

}  // namespace dr
