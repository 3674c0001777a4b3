// Progress for long operations: bytes done, and when the total is known the
// percentage and ETA, with the rate, reported at most five times a second to
// an observer. The default observer is the terminal: one stderr line, redrawn
// in place, silent when stderr is not a terminal or the caller asked for
// --json, so scripts see only their output. A daemon attaches its own
// observer (its API, its metrics) instead.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "dr/clock.h"

namespace dr {

struct ProgressUpdate {
  std::string label;
  uint64_t done = 0;
  uint64_t total = 0;  // 0: not known
  double elapsed_seconds = 0;
  double bytes_per_second = 0;
  std::string line;  // as the terminal draws it
};

class ProgressObserver {
 public:
  virtual ~ProgressObserver() = default;
  // At most five times a second, from whichever thread made progress.
  virtual void OnProgress(const ProgressUpdate& update) = 0;
  // Once, when the operation ends (successfully or not).
  virtual void OnFinish(const ProgressUpdate& /*update*/) {}
};

class Progress {
 public:
  // A Progress that reports nothing.
  Progress() = default;
  // Draws on stderr when enabled and stderr is a terminal.
  Progress(std::string label, bool enabled, Clock& clock = RealClock());
  // Reports to `observer` (nullptr: nothing), which must outlive this object.
  Progress(std::string label, ProgressObserver* observer, Clock& clock = RealClock());
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
  ProgressUpdate UpdateAt(std::chrono::steady_clock::time_point now);
  std::string LineAt(std::chrono::steady_clock::time_point now);

  std::string label_;
  bool enabled_ = false;
  ProgressObserver* observer_ = nullptr;  // nullptr with enabled_: the terminal
  Clock* clock_ = nullptr;
  std::atomic<uint64_t> done_{0};
  std::atomic<uint64_t> total_{0};
  std::mutex mu_;
  std::chrono::steady_clock::time_point start_{};
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace dr
