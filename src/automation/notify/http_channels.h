// The channels that POST JSON: Slack's incoming webhook, a generic webhook
// carrying Alertmanager's webhook document (version 4) with an optional
// HMAC-SHA256 signature, Alertmanager's own API (POST {url}/api/v2/alerts)
// and PagerDuty's Events API v2.
// Each returns kConfig when its section lacks the URL.
#pragma once

#include <memory>

#include "automation/notify/channel.h"
#include "config/config.h"

namespace dr::automation::notify {

// The signature header of the generic webhook: "sha256=<hex HMAC-SHA256 of the body>",
// keyed with alerting.notifications.webhook.hmac_secret (absent without a secret).
inline constexpr const char* kSignatureHeader = "X-Ecap-Signature";
std::string WebhookSignature(const std::string& secret, const std::string& body);

Result<std::unique_ptr<Channel>> NewSlackChannel(const config::WebhookConfig& config, HttpTransport transport = {});
// receiver: the "receiver" field of the document ("ecap-dr").
Result<std::unique_ptr<Channel>> NewWebhookChannel(const config::WebhookConfig& config, HttpTransport transport = {});
Result<std::unique_ptr<Channel>> NewAlertmanagerChannel(const config::AlertmanagerConfig& config,
                                                        HttpTransport transport = {});
// PagerDuty: one POST per alert of a notification (render.h: PagerDutyEvents);
// the first failure ends the delivery, and the retry sends every event again,
// which the dedup keys make harmless.
Result<std::unique_ptr<Channel>> NewPagerDutyChannel(const config::PagerDutyConfig& config, HttpTransport transport = {});

}  // namespace dr::automation::notify
