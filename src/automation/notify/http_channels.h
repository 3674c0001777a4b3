// The channels that POST JSON: Slack's incoming webhook, a generic webhook
// carrying Alertmanager's webhook document (version 4) with an optional
// HMAC-SHA256 signature, and Alertmanager's own API (POST {url}/api/v2/alerts).
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

}  // namespace dr::automation::notify
