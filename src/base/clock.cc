#include "dr/clock.h"

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

Clock& RealClock() {
  static SystemClock* clock = new SystemClock();  // never destroyed: used from detached threads
  return *clock;
}

}  // namespace dr
