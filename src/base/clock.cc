#include "dr/clock.h"

#include <condition_variable>
#include <mutex>

namespace dr {
namespace {
class SystemClock : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::now();
  }
};
}  // namespace

bool Clock::SleepFor(std::chrono::steady_clock::duration d, std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  // Woken only by `stop` (the predicate is never true on its own).
  cv.wait_for(lock, stop, d, [] { return false; });
  return !stop.stop_requested();
}

Clock& RealClock() {
  static SystemClock* clock = new SystemClock();  // never destroyed: used from detached threads
  return *clock;
}

}  // namespace dr
