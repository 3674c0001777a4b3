// Notifications against real receivers on loopback, started by the tests:
// aiosmtpd requiring AUTH, cpp-httplib receivers standing in for Slack and a
// webhook, and Debian's prometheus-alertmanager; through the library and
// through `ecap-dr alert test`. A receiver that cannot start fails the test
// (never a skip: CI sets DR_TEST_DISALLOW_SKIP and nothing here skips).
#include <httplib.h>

#include <mutex>
#include <thread>

#include "automation/notify/http_channels.h"
#include "automation/notify/notifier.h"
#include "base/crypto.h"
#include "base/encoding.h"
#include "base/subprocess.h"
#include "test/integration/cli/cli_harness.h"
#include "test/support/notify_servers.h"
#include "test/support/pg_server.h"

namespace dr::test {
namespace {

using nlohmann::json;
using testing::HasSubstr;
using testing::Not;
namespace notify = automation::notify;

// An HTTP receiver: records every POST; answers `status`.
class Receiver {
 public:
  explicit Receiver(int status = 200) : status_(status) {
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      requests_.push_back(req);
      res.status = status_;
      res.set_content(status_ == 200 ? "ok" : "receiver broken", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    // Bound and listening already: connections wait in the backlog until the loop accepts them.
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    // stop() before the loop runs would be lost and join() would wait forever.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    server_.stop();
    thread_.join();
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::vector<httplib::Request> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  int status_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<httplib::Request> requests_;
};

class NotifyTest : public ::testing::Test {
 protected:
  // Writes a configuration whose alerting.notifications is `channels` (YAML, indented 4).
  std::string Config(const std::string& channels) {
    std::string path = dir_ / "ecap-dr.yaml";
    WriteFile(path, "backup_manager:\n  backup_dir: " + dir_ / "repo" + "\naudit:\n  log_file: " + dir_ / "audit.log" +
                        "\nalerting:\n  notifications:\n" + channels);
    return path;
  }
  RunResult AlertTest(const std::string& channels, const std::string& args = "") {
    return RunDr("-c " + Config(channels) + " alert test " + args);
  }
  TempDir dir_;
};

std::string Email(int port, const std::string& password, const std::string& extra = "") {
  return "    email: {enabled: true, smtp_server: \"127.0.0.1\", port: " + std::to_string(port) +
         ", username: alert, password: \"" + password + "\", from_address: \"dr@platform.test\", "
         "to_addresses: [\"ops@platform.test\", \"oncall@platform.test\"]" + extra + "}\n";
}

TEST_F(NotifyTest, EmailArrivesWithRecipientsAndSubject) {
  auto sink = SmtpSink::Start(dir_ / "smtp", "alert", "secret");
  ASSERT_OK(sink);
  auto r = AlertTest(Email((*sink)->port(), "secret"), "--channel email");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "email: ok (SMTP server 127.0.0.1:" + std::to_string((*sink)->port()) + ")\n");
  auto messages = (*sink)->Messages();
  ASSERT_EQ(messages.size(), 1u);
  const std::string& m = messages[0];
  EXPECT_THAT(m, HasSubstr("X-MailFrom: dr@platform.test"));
  EXPECT_THAT(m, HasSubstr("X-RcptTo: ops@platform.test, oncall@platform.test"));
  EXPECT_THAT(m, HasSubstr("Subject: [FIRING:1] ecap-dr: EcapDrTestAlert"));
  EXPECT_THAT(m, HasSubstr("Message-ID: <"));
  EXPECT_THAT(m, HasSubstr("Date: "));
  EXPECT_THAT(m, HasSubstr("FIRING  EcapDrTestAlert  (info)"));
  EXPECT_THAT(m, HasSubstr("labels:      job=alert-test"));
}

TEST_F(NotifyTest, EmailGroupsAnEvaluationIntoOneMessage) {
  auto sink = SmtpSink::Start(dir_ / "smtp", "alert", "secret");
  ASSERT_OK(sink);
  config::AlertingConfig a;
  a.email = {.enabled = true, .smtp_server = "127.0.0.1", .port = (*sink)->port(), .username = "alert",
             .password = "secret", .from_address = "dr@platform.test", .to_addresses = {"ops@platform.test"}};
  auto channels = notify::NewChannels(a);
  ASSERT_OK(channels);
  notify::Notifier notifier(std::move(*channels), {.retry = {.max_attempts = 1}});
  auto now = std::chrono::system_clock::now();
  auto outcomes = notifier.Send(notify::MakeNotification(
      {{.name = "BackupFailed", .labels = {{"job", "nightly"}}, .severity = "critical", .starts_at = now},
       {.name = "BackupTooOld", .labels = {{"component", "kafka"}}, .starts_at = now}},
      now));
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_OK(outcomes[0].get().status);
  auto messages = (*sink)->Messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_THAT(messages[0], HasSubstr("Subject: [FIRING:2] ecap-dr: BackupFailed, BackupTooOld"));
}

TEST_F(NotifyTest, WrongSmtpPasswordIsAClearErrorWithoutThePassword) {
  auto sink = SmtpSink::Start(dir_ / "smtp", "alert", "secret");
  ASSERT_OK(sink);
  auto r = AlertTest(Email((*sink)->port(), "not-the-password-77"));
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("email: SMTP server 127.0.0.1:" + std::to_string((*sink)->port()) +
                               " refused the login (535)"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("not-the-password-77")));
  EXPECT_TRUE((*sink)->Messages().empty());
  // --json: the same per channel, for scripts.
  auto j = AlertTest(Email((*sink)->port(), "not-the-password-77"), "--json");
  EXPECT_EQ(j.exit_code, 5);
  auto doc = json::parse(j.out);
  EXPECT_EQ(doc["status"], "failed");
  EXPECT_EQ(doc["channels"][0]["channel"], "email");
  EXPECT_EQ(doc["channels"][0]["success"], false);
  EXPECT_EQ(doc["channels"][0]["attempts"], 1);  // a refused login is not retried
  EXPECT_EQ(doc["error"]["code"], "unavailable");
}

TEST_F(NotifyTest, StarttlsRequiredButNotOfferedIsRefused) {
  auto sink = SmtpSink::Start(dir_ / "smtp", "alert", "secret");
  ASSERT_OK(sink);
  auto r = AlertTest(Email((*sink)->port(), "secret", ", starttls: true"));
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("does not offer STARTTLS"));
  EXPECT_TRUE((*sink)->Messages().empty());  // nothing went out in clear text
}

TEST_F(NotifyTest, UnreachableSmtpServerDoesNotHoldUpSlack) {
  Receiver slack;
  int closed = FreePort();
  auto r = AlertTest(Email(closed, "pw") + "    slack: {enabled: true, webhook_url: \"" +
                     slack.url("/services/T0/B0/SLACKTOKEN") + "\"}\n");
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("email: SMTP server 127.0.0.1:" + std::to_string(closed) + " is unreachable"));
  EXPECT_THAT(r.out, HasSubstr("slack: ok (http://127.0.0.1:"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("SLACKTOKEN")));
  ASSERT_EQ(slack.requests().size(), 1u);
  auto body = json::parse(slack.requests()[0].body);
  EXPECT_THAT(body["text"].get<std::string>(), HasSubstr("[FIRING:1] ecap-dr: EcapDrTestAlert"));
  EXPECT_EQ(slack.requests()[0].path, "/services/T0/B0/SLACKTOKEN");
}

TEST_F(NotifyTest, WebhookCarriesAlertmanagerJsonSignedWithHmac) {
  Receiver hook;
  auto r = AlertTest("    webhook: {enabled: true, url: \"" + hook.url("/ecap?token=T") +
                     "\", hmac_secret: \"hook-secret\"}\n");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto requests = hook.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& req = requests[0];
  EXPECT_EQ(req.get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(req.get_header_value("X-Ecap-Signature"), "sha256=" + HexEncode(crypto::HmacSha256("hook-secret", req.body)));
  auto body = json::parse(req.body);
  EXPECT_EQ(body["version"], "4");
  EXPECT_EQ(body["receiver"], "ecap-dr");
  EXPECT_EQ(body["status"], "firing");
  EXPECT_EQ(body["truncatedAlerts"], 0);
  for (const char* key : {"groupLabels", "commonLabels", "commonAnnotations", "externalURL", "groupKey"}) {
    EXPECT_TRUE(body.contains(key)) << key;
  }
  ASSERT_EQ(body["alerts"].size(), 1u);
  const auto& a = body["alerts"][0];
  EXPECT_EQ(a["status"], "firing");
  EXPECT_EQ(a["labels"]["alertname"], "EcapDrTestAlert");
  EXPECT_EQ(a["labels"]["job"], "alert-test");
  EXPECT_EQ(a["fingerprint"].get<std::string>().size(), 16u);
  EXPECT_FALSE(a["startsAt"].get<std::string>().empty());
  EXPECT_EQ(a["endsAt"], "0001-01-01T00:00:00Z");
}

// PagerDuty's Events API v2, a local receiver in its place: `alert test` sends
// one trigger event with the routing key, a dedup key and the payload; the
// key never shows in what the command prints.
TEST_F(NotifyTest, PagerDutyReceivesATriggerEventWithTheRoutingKey) {
  Receiver pd;
  auto r = AlertTest("    pagerduty: {enabled: true, routing_key: \"PD-ROUTING-KEY-0123456789\", url: \"" +
                         pd.url("/v2/enqueue") + "\"}\n",
                     "--channel pagerduty");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "pagerduty: ok (" + pd.url("") + "/...)\n");
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("PD-ROUTING-KEY")));
  auto requests = pd.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].path, "/v2/enqueue");
  auto event = json::parse(requests[0].body);
  EXPECT_EQ(event["routing_key"], "PD-ROUTING-KEY-0123456789");
  EXPECT_EQ(event["event_action"], "trigger");
  EXPECT_EQ(event["dedup_key"].get<std::string>().rfind("ecap-dr-", 0), 0u);
  EXPECT_EQ(event["payload"]["class"], "EcapDrTestAlert");
  EXPECT_THAT(event["payload"]["summary"].get<std::string>(), HasSubstr("EcapDrTestAlert job=alert-test"));
  for (const char* key : {"source", "severity", "timestamp"}) EXPECT_TRUE(event["payload"].contains(key)) << key;
}

TEST_F(NotifyTest, AWebhookAnswering500IsRetriedThenAClearError) {
  Receiver broken(500);
  auto r = AlertTest("    webhook: {enabled: true, url: \"" + broken.url("/hook/TOKEN-SECRET") + "\"}\n");
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("webhook: " + broken.url("") + "/... answered 500: receiver broken"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("TOKEN-SECRET")));
  EXPECT_EQ(broken.requests().size(), 3u);  // alert test tries 3 times
}

TEST_F(NotifyTest, AlertmanagerListsTheAlert) {
  auto am = AlertmanagerServer::Start(dir_ / "am");
  ASSERT_OK(am);
  auto r = AlertTest("    alertmanager: {enabled: true, url: \"" + (*am)->url() + "\"}\n", "--channel alertmanager");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "alertmanager: ok (" + (*am)->url() + "/api/v2/alerts)\n");
  auto listed = RunCommand({.argv = {"curl", "-sf", (*am)->url() + "/api/v2/alerts"}});
  ASSERT_OK(listed);
  auto alerts = json::parse(*listed);
  ASSERT_EQ(alerts.size(), 1u) << *listed;
  EXPECT_EQ(alerts[0]["labels"]["alertname"], "EcapDrTestAlert");
  EXPECT_EQ(alerts[0]["labels"]["severity"], "info");
  EXPECT_EQ(alerts[0]["status"]["state"], "active");
  EXPECT_EQ(alerts[0]["annotations"]["summary"], "Test notification from ecap-dr");

  // A resolved alert is sent with its end: Alertmanager no longer lists it as active.
  config::AlertingConfig a;
  a.alertmanager = {.enabled = true, .url = (*am)->url()};
  auto channels = notify::NewChannels(a);
  ASSERT_OK(channels);
  notify::Notifier notifier(std::move(*channels), {.retry = {.max_attempts = 1}});
  auto now = std::chrono::system_clock::now();
  notify::Alert resolved{.name = "EcapDrTestAlert", .labels = {{"job", "alert-test"}}, .severity = "info",
                         .state = notify::AlertState::kResolved, .starts_at = now - std::chrono::minutes(1),
                         .ends_at = now - std::chrono::seconds(1)};
  ASSERT_OK(notifier.Send(notify::MakeNotification({resolved}, now))[0].get().status);
  auto active = RunCommand({.argv = {"curl", "-sf", (*am)->url() + "/api/v2/alerts?active=true&inhibited=false&silenced=false"}});
  ASSERT_OK(active);
  EXPECT_EQ(json::parse(*active).size(), 0u) << *active;
}

TEST_F(NotifyTest, ChannelNotConfiguredIsExit2) {
  Receiver slack;
  auto r = AlertTest("    slack: {enabled: true, webhook_url: \"" + slack.url("/x") + "\"}\n", "--channel webhook");
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("webhook: not configured"));
  EXPECT_TRUE(slack.requests().empty());
  auto none = AlertTest("    slack: {enabled: false}\n");
  EXPECT_EQ(none.exit_code, 2) << none.out << none.err;
  EXPECT_THAT(none.err, HasSubstr("no notification channel is enabled"));
}

TEST_F(NotifyTest, AlertTestNeedsItsPermission) {
  Receiver slack;
  std::string path = Config("    slack: {enabled: true, webhook_url: \"" + slack.url("/x") + "\"}\n");
  std::ofstream(path, std::ios::app) << "access_control:\n  enabled: true\n  users:\n    somebody-else: [\"*\"]\n";
  auto r = RunDr("-c " + path + " alert test");
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("may not alert.test"));
  EXPECT_TRUE(slack.requests().empty());
}

}  // namespace
}  // namespace dr::test
