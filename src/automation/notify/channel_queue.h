// One channel's queue and worker thread: notifications wait here, in order,
// and are delivered one at a time with retries and exponential backoff, so
// that a channel that is down (an SMTP server that does not answer) holds up
// only its own queue, never another channel, a job or the caller.
//
// Waits go through dr::Clock::SleepFor with the worker's stop token: on a
// FakeClock, tests drive retries by Advance() without real sleeps.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include "automation/notify/channel.h"
#include "dr/clock.h"

namespace dr::automation::notify {

struct RetryPolicy {
  int max_attempts = 5;  // including the first; at least 1
  std::chrono::milliseconds initial_backoff = std::chrono::seconds(10);
  std::chrono::milliseconds max_backoff = std::chrono::minutes(5);
  double multiplier = 2;
  // The wait after failed attempt `attempt` (1-based): initial * multiplier^(attempt-1), at most max.
  std::chrono::milliseconds BackoffAfter(int attempt) const;
};

// What became of one notification on one channel.
struct DeliveryOutcome {
  std::string channel;  // "email"
  std::string target;   // Channel::target(): no secrets
  std::string title;    // Notification::Title()
  // ok; the last attempt's error (redacted); kUnavailable "dropped" when the
  // queue overflowed; kCancelled when the notifier stopped first.
  Status status;
  int attempts = 0;
};

struct NotifierOptions {
  Clock* clock = &RealClock();
  RetryPolicy retry;
  // Notifications waiting per channel; beyond it the oldest waiting one is
  // dropped (its outcome says so): newer alerts matter more than old ones.
  size_t queue_capacity = 100;
  // Called on the channel's worker thread with every final outcome (the daemon
  // records them); must not block for long.
  std::function<void(const DeliveryOutcome&)> on_outcome;
  // Receives every log line (failed attempts, retries, give-ups), already
  // redacted. Default: "ecap-dr: notify: <line>" on stderr.
  std::function<void(const std::string&)> log;
};

class ChannelQueue {
 public:
  // Starts the worker thread. `options` is copied.
  ChannelQueue(std::unique_ptr<Channel> channel, const NotifierOptions& options);
  // Stops the worker: a backoff wait ends at once, a delivery in progress
  // finishes (bounded by the channel's timeout); every notification still
  // waiting resolves as kCancelled.
  ~ChannelQueue();
  ChannelQueue(const ChannelQueue&) = delete;
  ChannelQueue& operator=(const ChannelQueue&) = delete;

  // Appends `n` and returns at once; the future resolves with the outcome.
  // Thread-safe.
  std::shared_future<DeliveryOutcome> Enqueue(Notification n);
  const Channel& channel() const { return *channel_; }

 private:
  struct Item {
    Notification notification;
    std::promise<DeliveryOutcome> promise;
  };
  void Run(std::stop_token stop);
  DeliveryOutcome Deliver(const Notification& n, std::stop_token stop);
  void Log(const std::string& line) const;
  DeliveryOutcome Outcome(const Notification& n, Status status, int attempts) const;
  void Resolve(Item& item, DeliveryOutcome outcome);

  std::unique_ptr<Channel> channel_;
  NotifierOptions options_;
  Redactor redact_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<Item> queue_;
  std::jthread worker_;  // last: it starts once everything above exists
};

}  // namespace dr::automation::notify
