// Progress for long operations: bytes done, and when the total is known the
// percentage and ETA, with the rate, on a terminal, redrawn
// at most five times a second on one stderr line. Silent when stderr is not a
// terminal or the caller asked for --json, so scripts see only their output.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "dr/clock.h"

namespace dr {

class Progress {
 public:
  // A Progress that prints nothing.
  Progress() = default;
  // Prints to stderr when enabled and stderr is a terminal.
  Progress(std::string label, bool enabled, Clock& clock = RealClock());
  ~Progress();

  void SetTotal(uint64_t total_bytes) { total_ = total_bytes; }
  // Raises the total as inputs become known (a backup learns each source's size
  // when it has listed it). Thread-safe.
  void AddTotal(uint64_t bytes) { total_ += bytes; }
  void Add(uint64_t bytes);
  void SetLabel(std::string label);
  // Clears the line; later calls print nothing.
  void Finish();

  uint64_t done() const { return done_.load(); }
  uint64_t total() const { return total_.load(); }
  // The line as it is drawn now ("backup x  12 MiB / 40 MiB  30%  8 MiB/s  ETA 0:03").
  std::string Line();

 private:
  void Draw(bool force);
  std::string LineAt(std::chrono::steady_clock::time_point now);

  std::string label_;
  bool enabled_ = false;
  Clock* clock_ = nullptr;
  std::atomic<uint64_t> done_{0};
  std::atomic<uint64_t> total_{0};
  std::mutex mu_;
  std::chrono::steady_clock::time_point start_{};
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace dr
