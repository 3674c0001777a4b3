// A clock that moves only when told to: for tests of anything that reads the
// time or sleeps (lock refresh, the monitor loop, schedulers).
//
// Sleepers block until Advance() moves the monotonic time past their deadline
// (or their stop token fires). Advance() takes the woken sleepers off the count
// before it returns, so `Advance(d); WaitForSleepers(n);` waits until the woken
// threads have done their work and gone back to sleep: no real sleeps, no races.
#pragma once

#include <condition_variable>
#include <mutex>
#include <set>

#include "dr/clock.h"

namespace dr {

class FakeClock : public Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point start = std::chrono::system_clock::from_time_t(1795000000))
      : wall_(start) {}

  std::chrono::system_clock::time_point Now() const override {
    std::lock_guard lock(mu_);
    return wall_;
  }
  std::chrono::steady_clock::time_point Monotonic() const override {
    std::lock_guard lock(mu_);
    return mono_;
  }

  bool SleepFor(std::chrono::steady_clock::duration d, std::stop_token stop = {}) override {
    std::unique_lock lock(mu_);
    if (d <= d.zero()) return !stop.stop_requested();
    auto deadline = mono_ + d;
    auto me = sleeping_.insert(deadline);
    cv_.notify_all();
    // Advance() counts this sleeper out when it moves past the deadline.
    bool woke = cv_.wait(lock, stop, [&] { return mono_ >= deadline; });
    if (!woke) sleeping_.erase(me);  // stopped before the deadline: count ourselves out
    cv_.notify_all();
    return woke;
  }

  // Moves both clocks forward and wakes every sleeper whose deadline passed.
  void Advance(std::chrono::steady_clock::duration d) {
    std::lock_guard lock(mu_);
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
    mono_ += d;
    // Count out the sleepers this wakes; they cannot sleep again before we unlock.
    sleeping_.erase(sleeping_.begin(), sleeping_.upper_bound(mono_));
    cv_.notify_all();
  }
  void SetWall(std::chrono::system_clock::time_point t) {
    std::lock_guard lock(mu_);
    wall_ = t;
  }
  // Blocks until exactly `n` threads sleep on this clock.
  void WaitForSleepers(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return sleeping_.size() == n; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::chrono::system_clock::time_point wall_;
  std::chrono::steady_clock::time_point mono_{};
  std::multiset<std::chrono::steady_clock::time_point> sleeping_;  // deadlines of sleeping threads
};

}  // namespace dr
