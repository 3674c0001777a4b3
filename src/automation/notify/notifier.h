// The Notifier: sends each Notification through every configured channel,
// each channel on its own queue and worker thread (channel_queue.h), so Send
// only enqueues and returns. The caller observes outcomes either way:
//   - the futures Send returns (one per channel): `alert test` waits on them;
//   - NotifierOptions::on_outcome, called once per channel and notification:
//     the daemon records them and keeps going.
//
// Usage:
//   DR_ASSIGN_OR_RETURN(auto channels, NewChannels(config.alerting));
//   Notifier notifier(std::move(channels), {.clock = &clock});
//   auto outcomes = notifier.Send(MakeNotification(alerts, clock.Now()));
//   for (auto& f : outcomes) { DeliveryOutcome o = f.get(); ... }
#pragma once

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "automation/notify/channel_queue.h"
#include "automation/notify/email_channel.h"
#include "config/config.h"
#include "dr/result.h"

namespace dr::automation::notify {

inline constexpr const char* kChannelNames[] = {"email", "slack", "webhook", "alertmanager", "pagerduty"};

// The channels alerting.notifications enables, in kChannelNames order; with
// `only`, just that one, whether enabled or not being the caller's question:
//   kInvalidArgument  `only` names no channel;
//   kConfig           `only` is not enabled, or an enabled channel lacks a
//                     required key (smtp_server, webhook_url, url, ...).
// The transports default to net/ (tests substitute recorders).
struct Transports {
  SmtpTransport smtp;
  HttpTransport http;
};
Result<std::vector<std::unique_ptr<Channel>>> NewChannels(const config::AlertingConfig& config,
                                                          const std::string& only = "", Transports transports = {});

class Notifier {
 public:
  explicit Notifier(std::vector<std::unique_ptr<Channel>> channels, NotifierOptions options = {});
  // Stops every channel's worker (see ~ChannelQueue): waiting notifications resolve as kCancelled.
  ~Notifier();

  // The channels' names, in order.
  std::vector<std::string> channels() const;
  // Enqueues `n` on every channel and returns at once: one future per channel,
  // in channels() order. Thread-safe.
  std::vector<std::shared_future<DeliveryOutcome>> Send(const Notification& n);

 private:
  std::vector<std::unique_ptr<ChannelQueue>> queues_;
};

}  // namespace dr::automation::notify
