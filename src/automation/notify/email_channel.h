// Email over SMTP (net/smtp.h): one plain-text message per Notification to
// every address of alerting.notifications.email.to_addresses.
#pragma once

#include <functional>
#include <memory>

#include "automation/notify/channel.h"
#include "config/config.h"
#include "dr/result.h"
#include "net/smtp.h"

namespace dr::automation::notify {

// How the channel sends (net::SmtpSend; tests substitute a recorder).
using SmtpTransport = std::function<Status(const net::SmtpRequest&)>;

// kConfig when the section lacks smtp_server, from_address or to_addresses.
// smtp_server may carry its port ("host:587") or scheme ("smtps://host"),
// which win over `port`.
Result<std::unique_ptr<Channel>> NewEmailChannel(const config::EmailConfig& config, SmtpTransport transport = {});

}  // namespace dr::automation::notify
