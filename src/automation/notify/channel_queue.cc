#include "automation/notify/channel_queue.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <optional>

namespace dr::automation::notify {

using std::chrono::milliseconds;

milliseconds RetryPolicy::BackoffAfter(int attempt) const {
  double ms = static_cast<double>(initial_backoff.count()) * std::pow(multiplier, std::max(0, attempt - 1));
  if (ms > static_cast<double>(max_backoff.count())) return max_backoff;
  return milliseconds(static_cast<long long>(ms));
}

namespace {

std::string Seconds(milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

}  // namespace

ChannelQueue::ChannelQueue(std::unique_ptr<Channel> channel, const NotifierOptions& options)
    : channel_(std::move(channel)), options_(options), redact_(channel_->secrets()) {
  if (options_.retry.max_attempts < 1) options_.retry.max_attempts = 1;
  if (options_.queue_capacity < 1) options_.queue_capacity = 1;
  worker_ = std::jthread([this](std::stop_token stop) { Run(stop); });
}

ChannelQueue::~ChannelQueue() {
  worker_.request_stop();
  if (worker_.joinable()) worker_.join();
  for (auto& item : queue_) {
    Resolve(item, Outcome(item.notification, Status(Code::kCancelled, "the notifier stopped before sending"), 0));
  }
}

std::shared_future<DeliveryOutcome> ChannelQueue::Enqueue(Notification n) {
  Item item{.notification = std::move(n)};
  std::shared_future<DeliveryOutcome> future = item.promise.get_future().share();
  std::optional<Item> dropped;
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= options_.queue_capacity) {
      dropped = std::move(queue_.front());
      queue_.pop_front();
    }
    queue_.push_back(std::move(item));
    cv_.notify_all();
  }
  // Resolved outside the lock: on_outcome may log or record at leisure.
  if (dropped) {
    Status s = Unavailable(channel_->name() + " queue full (" + std::to_string(options_.queue_capacity) +
                           " waiting): notification dropped");
    Log(s.message() + ": " + dropped->notification.Title());
    Resolve(*dropped, Outcome(dropped->notification, s, 0));
  }
  return future;
}

void ChannelQueue::Run(std::stop_token stop) {
  while (true) {
    Item item;
    {
      std::unique_lock lock(mu_);
      if (!cv_.wait(lock, stop, [&] { return !queue_.empty(); })) return;  // stopped
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    Resolve(item, Deliver(item.notification, stop));
  }
}

DeliveryOutcome ChannelQueue::Deliver(const Notification& n, std::stop_token stop) {
  const RetryPolicy& retry = options_.retry;
  for (int attempt = 1;; ++attempt) {
    Status s;
    try {
      s = channel_->Deliver(n);
    } catch (const std::exception& e) {  // a channel's bug must not end the daemon: it is one failed delivery
      s = Failed(channel_->name() + ": the delivery failed: " + e.what());
    }
    if (s.ok()) {
      if (attempt > 1) Log(channel_->name() + ": delivered after " + std::to_string(attempt) + " attempts");
      return Outcome(n, Status::Ok(), attempt);
    }
    s = Status(s.code(), redact_(s.message()));
    if (!s.retryable()) {
      Log(channel_->name() + ": not delivered (permanent error, not retried): " + s.message());
      return Outcome(n, s, attempt);
    }
    if (attempt >= retry.max_attempts) {
      Log(channel_->name() + ": giving up after " + std::to_string(attempt) + " attempts: " + s.message());
      return Outcome(n, s, attempt);
    }
    milliseconds wait = retry.BackoffAfter(attempt);
    Log(channel_->name() + ": attempt " + std::to_string(attempt) + " of " + std::to_string(retry.max_attempts) +
        " failed: " + s.message() + "; retrying in " + Seconds(wait));
    if (!options_.clock->SleepFor(wait, stop)) {
      return Outcome(n, Status(Code::kCancelled, "the notifier stopped while retrying: " + s.message()), attempt);
    }
  }
}

void ChannelQueue::Log(const std::string& line) const {
  std::string clean = redact_(line);
  if (options_.log) {
    options_.log(clean);
  } else {
    std::cerr << "ecap-dr: notify: " << clean << std::endl;
  }
}

DeliveryOutcome ChannelQueue::Outcome(const Notification& n, Status status, int attempts) const {
  return DeliveryOutcome{.channel = channel_->name(),
                         .target = channel_->target(),
                         .title = n.Title(),
                         .status = Status(status.code(), redact_(status.message())),
                         .attempts = attempts};
}

void ChannelQueue::Resolve(Item& item, DeliveryOutcome outcome) {
  if (options_.on_outcome) options_.on_outcome(outcome);
  item.promise.set_value(std::move(outcome));
}

}  // namespace dr::automation::notify
