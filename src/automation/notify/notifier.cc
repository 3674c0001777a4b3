#include "automation/notify/notifier.h"

#include "automation/notify/email_channel.h"
#include "automation/notify/http_channels.h"

namespace dr::automation::notify {

Result<std::vector<std::unique_ptr<Channel>>> NewChannels(const config::AlertingConfig& config,
                                                          const std::string& only, Transports transports) {
  bool known = only.empty();
  for (const char* name : kChannelNames) known = known || only == name;
  if (!known) return InvalidArgument("unknown notification channel '" + only + "' (email, slack, webhook, alertmanager, pagerduty)");
  const bool enabled[] = {config.email.enabled, config.slack.enabled, config.webhook.enabled,
                          config.alertmanager.enabled, config.pagerduty.enabled};
  std::vector<std::unique_ptr<Channel>> channels;
  for (size_t i = 0; i < std::size(kChannelNames); ++i) {
    std::string name = kChannelNames[i];
    if (!only.empty() && only != name) continue;
    if (!enabled[i]) {
      if (only.empty()) continue;
      return ConfigError(name + ": not configured (alerting.notifications." + name + ".enabled is not true)");
    }
    Result<std::unique_ptr<Channel>> channel = ConfigError("");
    if (name == "email") channel = NewEmailChannel(config.email, transports.smtp);
    if (name == "slack") channel = NewSlackChannel(config.slack, transports.http);
    if (name == "webhook") channel = NewWebhookChannel(config.webhook, transports.http);
    if (name == "alertmanager") channel = NewAlertmanagerChannel(config.alertmanager, transports.http);
    if (name == "pagerduty") channel = NewPagerDutyChannel(config.pagerduty, transports.http);
    if (!channel.ok()) return Status(channel.status().code(), name + ": " + channel.status().message());
    channels.push_back(std::move(*channel));
  }
  return channels;
}

Notifier::Notifier(std::vector<std::unique_ptr<Channel>> channels, NotifierOptions options) {
  for (auto& c : channels) queues_.push_back(std::make_unique<ChannelQueue>(std::move(c), options));
}

Notifier::~Notifier() = default;

std::vector<std::string> Notifier::channels() const {
  std::vector<std::string> names;
  for (const auto& q : queues_) names.push_back(q->channel().name());
  return names;
}

std::vector<std::shared_future<DeliveryOutcome>> Notifier::Send(const Notification& n) {
  std::vector<std::shared_future<DeliveryOutcome>> outcomes;
  for (auto& q : queues_) outcomes.push_back(q->Enqueue(n));
  return outcomes;
}

}  // namespace dr::automation::notify
