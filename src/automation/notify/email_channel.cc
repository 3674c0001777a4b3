#include "automation/notify/email_channel.h"

#include <charconv>

#include "automation/notify/render.h"
#include "base/crypto.h"
#include "base/encoding.h"

namespace dr::automation::notify {
namespace {

class EmailChannel : public Channel {
 public:
  EmailChannel(const config::EmailConfig& config, net::SmtpRequest base, SmtpTransport transport)
      : config_(config), base_(std::move(base)), transport_(std::move(transport)) {}

  std::string name() const override { return "email"; }
  std::string target() const override { return "SMTP server " + base_.host + ":" + std::to_string(base_.port); }
  std::vector<std::string> secrets() const override { return {config_.password}; }

  Status Deliver(const Notification& n) override {
    net::SmtpRequest request = base_;
    std::string domain = config_.from_address.substr(config_.from_address.find('@') + 1);
    EmailEnvelope envelope{.from = config_.from_address,
                           .to = config_.to_addresses,
                           .message_id = "<" + HexEncode(crypto::RandomBytes(12)) + "@" + domain + ">"};
    request.message = EmailMessage(n, envelope);
    return transport_(request);
  }

 private:
  config::EmailConfig config_;
  net::SmtpRequest base_;
  SmtpTransport transport_;
};

}  // namespace

Result<std::unique_ptr<Channel>> NewEmailChannel(const config::EmailConfig& config, SmtpTransport transport) {
  const char* section = "alerting.notifications.email";
  if (config.smtp_server.empty()) return ConfigError(std::string(section) + ".smtp_server is not set");
  if (config.from_address.empty()) return ConfigError(std::string(section) + ".from_address is not set");
  if (config.to_addresses.empty()) return ConfigError(std::string(section) + ".to_addresses is empty");
  net::SmtpRequest base{.port = config.port,
                        .starttls = config.starttls,
                        .username = config.username,
                        .password = config.password,
                        .from = config.from_address,
                        .to = config.to_addresses};
  std::string host = config.smtp_server;
  if (host.rfind("smtps://", 0) == 0) {
    base.implicit_tls = true;
    host = host.substr(8);
    if (config.port == 25) base.port = 465;
  } else if (host.rfind("smtp://", 0) == 0) {
    host = host.substr(7);
  }
  if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(']', colon) == std::string::npos) {
    int port = 0;
    std::string digits = host.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || end != digits.data() + digits.size() || port < 1 || port > 65535) {
      return ConfigError(std::string(section) + ".smtp_server: invalid port in '" + config.smtp_server + "'");
    }
    base.port = port;
    host = host.substr(0, colon);
  }
  base.host = host;
  if (!transport) transport = net::SmtpSend;
  return std::unique_ptr<Channel>(std::make_unique<EmailChannel>(config, std::move(base), std::move(transport)));
}

}  // namespace dr::automation::notify
