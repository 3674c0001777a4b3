// A notification channel: one way of telling people (email, Slack, a
// webhook, Alertmanager). A channel only transports: it renders one
// Notification (render.h) and sends it once; the Notifier (notifier.h) gives
// each channel its own queue, worker thread and retries.
//
// Secrets (an SMTP password, a webhook URL that carries its token, an HMAC
// secret) stay inside the channel: target() names where it sends without
// them, secrets() lists them so that the notifier can scrub every message it
// logs or reports (Redactor), in case a server or library echoes one.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "automation/notify/alert.h"
#include "dr/result.h"
#include "net/http.h"

namespace dr::automation::notify {

class Channel {
 public:
  virtual ~Channel() = default;
  // "email", "slack", "webhook", "alertmanager", "pagerduty".
  virtual std::string name() const = 0;
  // Where it sends, without secrets: "SMTP 127.0.0.1:25", "https://hooks.slack.com/...".
  virtual std::string target() const = 0;
  // The secrets its messages must never show (empty strings are ignored).
  virtual std::vector<std::string> secrets() const = 0;
  // Sends `n` once; called from one thread at a time (the channel's worker).
  // kUnavailable: transient (unreachable, timed out, 5xx, 429): worth retrying;
  // any other error: permanent (refused login, 4xx). Messages name target(),
  // never a secret: "https://hooks.example.com/... answered 500".
  virtual Status Deliver(const Notification& n) = 0;
};

// Replaces every occurrence of each secret (and of a URL secret's path and
// query, which libraries may print alone) by "***".
class Redactor {
 public:
  Redactor() = default;
  explicit Redactor(const std::vector<std::string>& secrets);
  void Add(const std::string& secret);
  std::string operator()(std::string text) const;

 private:
  std::vector<std::string> secrets_;
};

// "https://hooks.slack.com/services/T0/B0/XYZ" -> "https://hooks.slack.com/...":
// scheme, host and port only (no user info, path or query).
std::string RedactUrl(const std::string& url);

// How HTTP channels post (net::HttpSend; tests substitute a recorder).
using HttpTransport = std::function<Result<net::HttpReply>(const net::HttpCall&)>;

// The Status of an HTTP delivery to `target` (see Channel::Deliver): 2xx ok,
// a transport error, 408, 429 and 5xx kUnavailable, other answers kFailed.
// The reply's body (its first 200 bytes) is quoted after `redact` scrubbed it
// whole: a secret the server echoes is never cut in two and half shown.
Status HttpOutcome(const Result<net::HttpReply>& reply, const std::string& target, const Redactor* redact = nullptr);

}  // namespace dr::automation::notify
