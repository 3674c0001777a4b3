#include "base/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "base/encoding.h"

namespace dr {

Progress::Progress(std::string label, bool enabled, Clock& clock)
    : label_(std::move(label)), enabled_(enabled && ::isatty(STDERR_FILENO)), clock_(&clock) {
  start_ = clock_->Monotonic();
}

Progress::Progress(std::string label, ProgressObserver* observer, Clock& clock)
    : label_(std::move(label)), enabled_(observer != nullptr), observer_(observer), clock_(&clock) {
  start_ = clock_->Monotonic();
}

Progress::~Progress() { Finish(); }

ProgressUpdate Progress::UpdateAt(std::chrono::steady_clock::time_point now) {
  double secs = std::chrono::duration<double>(now - start_).count();
  uint64_t done = done_.load();
  return {.label = label_, .done = done, .total = total_.load(), .elapsed_seconds = secs,
          .bytes_per_second = secs > 0 ? static_cast<double>(done) / secs : 0, .line = LineAt(now)};
}

void Progress::SetLabel(std::string label) {
  std::lock_guard lock(mu_);
  label_ = std::move(label);
}

void Progress::Add(uint64_t bytes) {
  done_ += bytes;
  if (enabled_) Draw(false);
}

std::string Progress::Line() {
  std::lock_guard lock(mu_);
  return LineAt(clock_ != nullptr ? clock_->Monotonic() : std::chrono::steady_clock::time_point{});
}

std::string Progress::LineAt(std::chrono::steady_clock::time_point now) {
  double secs = std::chrono::duration<double>(now - start_).count();
  uint64_t done = done_.load(), total = total_.load();
  double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  std::string line = label_ + "  " + HumanBytes(done);
  if (total > 0) {
    // A source may read a little more than it announced (an object that grew):
    // never show more than 100%.
    line += " / " + HumanBytes(total) + "  " + std::to_string(std::min<uint64_t>(100, done * 100 / total)) + "%";
  }
  line += "  " + HumanBytes(static_cast<uint64_t>(rate)) + "/s";
  if (total > done && rate > 0) {
    auto eta = static_cast<long>(static_cast<double>(total - done) / rate);
    char buf[32];
    std::snprintf(buf, sizeof buf, "  ETA %ld:%02ld", eta / 60, eta % 60);
    line += buf;
  }
  return line;
}

void Progress::Draw(bool force) {
  std::lock_guard lock(mu_);
  auto now = clock_->Monotonic();
  if (!force && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  if (observer_ != nullptr) {
    observer_->OnProgress(UpdateAt(now));
    return;
  }
  std::string line = LineAt(now);
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
}

void Progress::Finish() {
  if (!enabled_) return;
  enabled_ = false;
  if (observer_ != nullptr) {
    std::lock_guard lock(mu_);
    observer_->OnFinish(UpdateAt(clock_->Monotonic()));
    return;
  }
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
}

}  // namespace dr
