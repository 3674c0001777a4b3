#include "automation/notify/http_channels.h"

#include "automation/notify/render.h"
#include "base/crypto.h"
#include "base/encoding.h"
#include "base/host.h"

namespace dr::automation::notify {
namespace {

constexpr long kTimeoutMs = 15000;

// One JSON POST per notification; the subclasses say where and what.
class JsonChannel : public Channel {
 public:
  JsonChannel(std::string name, std::string url, HttpTransport transport)
      : name_(std::move(name)), url_(std::move(url)), transport_(std::move(transport)) {}

  std::string name() const override { return name_; }
  std::string target() const override { return RedactUrl(url_); }
  std::vector<std::string> secrets() const override { return {url_}; }

  Status Deliver(const Notification& n) override {
    // Invalid UTF-8 in an alert's text (a tool's localized message) is replaced, never thrown.
    const std::string body = Body(n).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);  // the call views it
    net::HttpCall call{.method = "POST", .url = url_, .body = body, .timeout_ms = kTimeoutMs};
    call.headers.push_back("Content-Type: application/json");
    AddHeaders(call);
    Redactor redact(secrets());
    return HttpOutcome(transport_(call), target(), &redact);
  }

 protected:
  virtual nlohmann::json Body(const Notification& n) const = 0;
  virtual void AddHeaders(net::HttpCall&) const {}
  const std::string& url() const { return url_; }

 private:
  std::string name_;
  std::string url_;
  HttpTransport transport_;
};

class SlackChannel : public JsonChannel {
 public:
  using JsonChannel::JsonChannel;

 protected:
  nlohmann::json Body(const Notification& n) const override { return SlackPayload(n); }
};

class WebhookChannel : public JsonChannel {
 public:
  WebhookChannel(std::string url, std::string hmac_secret, HttpTransport transport)
      : JsonChannel("webhook", std::move(url), std::move(transport)), hmac_secret_(std::move(hmac_secret)) {}
  std::vector<std::string> secrets() const override { return {url(), hmac_secret_}; }

 protected:
  nlohmann::json Body(const Notification& n) const override { return WebhookPayload(n, "ecap-dr", ""); }
  void AddHeaders(net::HttpCall& call) const override {
    if (!hmac_secret_.empty()) {
      call.headers.push_back(std::string(kSignatureHeader) + ": " + WebhookSignature(hmac_secret_, std::string(call.body)));
    }
  }

 private:
  std::string hmac_secret_;
};

class AlertmanagerChannel : public JsonChannel {
 public:
  AlertmanagerChannel(std::string base_url, HttpTransport transport)
      : JsonChannel("alertmanager", base_url + "/api/v2/alerts", std::move(transport)), base_url_(std::move(base_url)) {}
  // An Alertmanager URL carries no token, and its path is worth showing.
  std::string target() const override { return RedactUrl(base_url_) + "/api/v2/alerts"; }
  std::vector<std::string> secrets() const override {
    // user:password@ in the URL, if any, is the only secret.
    auto scheme = base_url_.find("://");
    auto at = base_url_.find('@');
    auto slash = base_url_.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    if (scheme == std::string::npos || at == std::string::npos || at > slash) return {};
    return {base_url_.substr(scheme + 3, at - scheme - 3)};
  }

 protected:
  nlohmann::json Body(const Notification& n) const override { return AlertmanagerPayload(n); }

 private:
  std::string base_url_;
};

class PagerDutyChannel : public Channel {
 public:
  PagerDutyChannel(config::PagerDutyConfig config, HttpTransport transport)
      : config_(std::move(config)), transport_(std::move(transport)), source_(HostName()) {}
  std::string name() const override { return "pagerduty"; }
  std::string target() const override { return RedactUrl(config_.url); }
  std::vector<std::string> secrets() const override { return {config_.routing_key, config_.url}; }

  // Every event is sent: one refused (a 400) does not keep the others, resolves
  // among them, from PagerDuty. A transient failure ends the delivery at once,
  // and the retry sends all again, which the dedup keys make harmless.
  Status Deliver(const Notification& n) override {
    Redactor redact(secrets());
    Status first = Status::Ok();
    for (const auto& event : PagerDutyEvents(n, config_.routing_key, source_)) {
      const std::string body = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      net::HttpCall call{.method = "POST", .url = config_.url, .body = body, .timeout_ms = kTimeoutMs};
      call.headers.push_back("Content-Type: application/json");
      Status s = HttpOutcome(transport_(call), target(), &redact);
      if (s.code() == Code::kUnavailable) return s;
      if (!s.ok() && first.ok()) first = s;
    }
    return first;
  }

 private:
  config::PagerDutyConfig config_;
  HttpTransport transport_;
  std::string source_;
};

HttpTransport OrDefault(HttpTransport t) { return t ? std::move(t) : HttpTransport(net::HttpSend); }

}  // namespace

std::string WebhookSignature(const std::string& secret, const std::string& body) {
  return "sha256=" + HexEncode(crypto::HmacSha256(secret, body));
}

Result<std::unique_ptr<Channel>> NewSlackChannel(const config::WebhookConfig& config, HttpTransport transport) {
  if (config.url.empty()) return ConfigError("alerting.notifications.slack.webhook_url is not set");
  return std::unique_ptr<Channel>(std::make_unique<SlackChannel>("slack", config.url, OrDefault(std::move(transport))));
}

Result<std::unique_ptr<Channel>> NewWebhookChannel(const config::WebhookConfig& config, HttpTransport transport) {
  if (config.url.empty()) return ConfigError("alerting.notifications.webhook.url is not set");
  return std::unique_ptr<Channel>(
      std::make_unique<WebhookChannel>(config.url, config.hmac_secret, OrDefault(std::move(transport))));
}

Result<std::unique_ptr<Channel>> NewAlertmanagerChannel(const config::AlertmanagerConfig& config,
                                                        HttpTransport transport) {
  if (config.url.empty()) return ConfigError("alerting.notifications.alertmanager.url is not set");
  std::string base = config.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return std::unique_ptr<Channel>(std::make_unique<AlertmanagerChannel>(base, OrDefault(std::move(transport))));
}

Result<std::unique_ptr<Channel>> NewPagerDutyChannel(const config::PagerDutyConfig& config, HttpTransport transport) {
  if (config.routing_key.empty()) return ConfigError("alerting.notifications.pagerduty.routing_key is not set");
  if (config.url.empty()) return ConfigError("alerting.notifications.pagerduty.url is not set");
  return std::unique_ptr<Channel>(std::make_unique<PagerDutyChannel>(config, OrDefault(std::move(transport))));
}

}  // namespace dr::automation::notify
