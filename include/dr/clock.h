// Clock: time goes in through options so that tests can fix it (leveldb Env::NowMicros).
#pragma once

#include <chrono>
#include <cstdint>

namespace dr {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, for timestamps people read.
  virtual std::chrono::system_clock::time_point Now() const = 0;
  // Monotonic time, for durations and rates.
  virtual std::chrono::steady_clock::time_point Monotonic() const = 0;
};

// The process-wide real clock; never destroyed.
Clock& RealClock();

}  // namespace dr
