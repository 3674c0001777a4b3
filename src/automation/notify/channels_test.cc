// The channels over recording transports (what goes on the wire), their
// configuration errors, and secrets on real failed connections.
#include "automation/notify/email_channel.h"
#include "automation/notify/http_channels.h"
#include "automation/notify/notifier.h"
#include "automation/notify/render.h"

#include <deque>

#include "base/crypto.h"
#include "base/encoding.h"
#include "base/fake_clock.h"
#include "base/time_util.h"
#include "test/support/test_support.h"

namespace dr::automation::notify {
namespace channels_test {

using testing::HasSubstr;
using testing::Not;

const auto kT0 = *ParseUtc("2026-12-02T06:00:00Z");

Notification Sample() {
  return MakeNotification({Alert{.name = "BackupFailed", .labels = {{"job", "nightly"}}, .starts_at = kT0}}, kT0);
}

struct HttpRecorder {
  std::vector<net::HttpCall> calls;
  std::deque<std::string> bodies;  // what each recorded call's body views (a call only views its body)
  net::HttpReply reply{.status = 200, .body = "ok"};
  HttpTransport Transport() {
    return [this](const net::HttpCall& c) -> Result<net::HttpReply> {
      bodies.emplace_back(c.body);
      calls.push_back(c);
      calls.back().body = bodies.back();
      return reply;
    };
  }
};

std::string Header(const net::HttpCall& call, const std::string& name) {
  for (const auto& h : call.headers) {
    if (h.rfind(name + ": ", 0) == 0) return h.substr(name.size() + 2);
  }
  return "";
}

TEST(ChannelsTest, WebhookSignsTheBodyWithHmacSha256) {
  HttpRecorder rec;
  auto ch = NewWebhookChannel({.enabled = true, .url = "https://hooks.example.com/ecap?token=abc",
                               .hmac_secret = "s3cret"},
                              rec.Transport());
  ASSERT_OK(ch);
  EXPECT_EQ((*ch)->target(), "https://hooks.example.com/...");
  ASSERT_OK((*ch)->Deliver(Sample()));
  ASSERT_EQ(rec.calls.size(), 1u);
  const net::HttpCall& call = rec.calls[0];
  EXPECT_EQ(call.method, "POST");
  EXPECT_EQ(call.url, "https://hooks.example.com/ecap?token=abc");
  EXPECT_EQ(Header(call, "Content-Type"), "application/json");
  EXPECT_EQ(Header(call, "X-Ecap-Signature"), "sha256=" + HexEncode(crypto::HmacSha256("s3cret", std::string(call.body))));
  auto body = nlohmann::json::parse(call.body);
  EXPECT_EQ(body["version"], "4");
  EXPECT_EQ(body["alerts"][0]["labels"]["alertname"], "BackupFailed");

  HttpRecorder unsigned_rec;
  auto plain = NewWebhookChannel({.enabled = true, .url = "http://h/x"}, unsigned_rec.Transport());
  ASSERT_OK((*plain)->Deliver(Sample()));
  EXPECT_EQ(Header(unsigned_rec.calls[0], "X-Ecap-Signature"), "");
}

TEST(ChannelsTest, SlackAndAlertmanagerPostWhereExpected) {
  HttpRecorder slack_rec;
  auto slack = NewSlackChannel({.enabled = true, .url = "https://hooks.slack.com/services/T0/B0/XYZ"},
                               slack_rec.Transport());
  ASSERT_OK(slack);
  ASSERT_OK((*slack)->Deliver(Sample()));
  EXPECT_EQ(slack_rec.calls[0].url, "https://hooks.slack.com/services/T0/B0/XYZ");
  EXPECT_THAT(nlohmann::json::parse(slack_rec.calls[0].body)["text"].get<std::string>(), HasSubstr("BackupFailed"));

  HttpRecorder am_rec;
  auto am = NewAlertmanagerChannel({.enabled = true, .url = "http://alertmanager:9093/"}, am_rec.Transport());
  ASSERT_OK(am);
  EXPECT_EQ((*am)->target(), "http://alertmanager:9093/api/v2/alerts");
  ASSERT_OK((*am)->Deliver(Sample()));
  EXPECT_EQ(am_rec.calls[0].url, "http://alertmanager:9093/api/v2/alerts");
  EXPECT_TRUE(nlohmann::json::parse(am_rec.calls[0].body).is_array());
}

TEST(ChannelsTest, HttpAnswersBecomeClearErrors) {
  HttpRecorder rec;
  auto ch = NewWebhookChannel({.enabled = true, .url = "https://hooks.example.com/secret-path"}, rec.Transport());
  rec.reply = {.status = 500, .body = "boom\n"};
  Status s = (*ch)->Deliver(Sample());
  EXPECT_THAT(s, test::StatusIs(Code::kUnavailable));  // retried
  EXPECT_EQ(s.message(), "https://hooks.example.com/... answered 500: boom ");
  rec.reply = {.status = 429};
  EXPECT_THAT((*ch)->Deliver(Sample()), test::StatusIs(Code::kUnavailable));
  rec.reply = {.status = 404, .body = "no such hook"};
  s = (*ch)->Deliver(Sample());
  EXPECT_THAT(s, test::StatusIs(Code::kFailed));  // not retried
  EXPECT_EQ(s.message(), "https://hooks.example.com/... answered 404: no such hook");
}

TEST(ChannelsTest, RedactUrlKeepsSchemeHostAndPortOnly) {
  EXPECT_EQ(RedactUrl("https://hooks.slack.com/services/T0/B0/XYZ"), "https://hooks.slack.com/...");
  EXPECT_EQ(RedactUrl("http://user:pw@127.0.0.1:8080/x?y=z"), "http://127.0.0.1:8080/...");
  EXPECT_EQ(RedactUrl("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
  EXPECT_EQ(RedactUrl("not a url"), "(url)");
  Redactor r({"https://h/p/TOKEN", "pw"});
  EXPECT_EQ(r("POST https://h/p/TOKEN failed; path /p/TOKEN; pw"), "POST *** failed; path ***; ***");
}

TEST(ChannelsTest, EmailChannelFillsTheSmtpRequest) {
  std::vector<net::SmtpRequest> sent;
  config::EmailConfig c{.enabled = true,
                        .smtp_server = "smtp.company.com",
                        .port = 587,
                        .starttls = true,
                        .username = "alerts",
                        .password = "pw",
                        .from_address = "ecap-alerts@company.com",
                        .to_addresses = {"ops@company.com", "oncall@company.com"}};
  auto ch = NewEmailChannel(c, [&](const net::SmtpRequest& r) {
    sent.push_back(r);
    return Status::Ok();
  });
  ASSERT_OK(ch);
  EXPECT_EQ((*ch)->target(), "SMTP server smtp.company.com:587");
  ASSERT_OK((*ch)->Deliver(Sample()));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].host, "smtp.company.com");
  EXPECT_EQ(sent[0].port, 587);
  EXPECT_TRUE(sent[0].starttls);
  EXPECT_FALSE(sent[0].implicit_tls);
  EXPECT_EQ(sent[0].username, "alerts");
  EXPECT_EQ(sent[0].to, c.to_addresses);
  EXPECT_THAT(sent[0].message, HasSubstr("Subject: [FIRING:1] ecap-dr: BackupFailed\r\n"));
  EXPECT_THAT(sent[0].message, HasSubstr("@company.com>\r\n"));  // Message-ID in the sender's domain

  c.smtp_server = "127.0.0.1:2525";  // the guide's "host or host:port"
  auto with_port = NewEmailChannel(c, [&](const net::SmtpRequest& r) {
    sent.push_back(r);
    return Status::Ok();
  });
  ASSERT_OK((*with_port)->Deliver(Sample()));
  EXPECT_EQ(sent[1].host, "127.0.0.1");
  EXPECT_EQ(sent[1].port, 2525);
  c.smtp_server = "smtps://mail.company.com";
  c.port = 25;
  auto tls = NewEmailChannel(c, [&](const net::SmtpRequest& r) {
    sent.push_back(r);
    return Status::Ok();
  });
  ASSERT_OK((*tls)->Deliver(Sample()));
  EXPECT_TRUE(sent[2].implicit_tls);
  EXPECT_EQ(sent[2].port, 465);
}

TEST(ChannelsTest, NewChannelsFollowsTheConfiguration) {
  config::AlertingConfig a;
  auto none = NewChannels(a);
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
  EXPECT_THAT(NewChannels(a, "slack"), test::StatusIs(Code::kConfig));
  EXPECT_THAT(NewChannels(a, "pager"), test::StatusIs(Code::kInvalidArgument));
  a.email.enabled = true;  // enabled without a server
  auto bad = NewChannels(a);
  EXPECT_THAT(bad, test::StatusIs(Code::kConfig));
  EXPECT_EQ(bad.status().message(), "email: alerting.notifications.email.smtp_server is not set");
  a.email = {.enabled = true, .smtp_server = "h", .from_address = "a@b", .to_addresses = {"c@d"}};
  a.slack = {.enabled = true, .url = "https://hooks.slack.com/x"};
  a.alertmanager = {.enabled = true, .url = "http://am:9093"};
  auto all = NewChannels(a);
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0]->name(), "email");
  EXPECT_EQ((*all)[1]->name(), "slack");
  EXPECT_EQ((*all)[2]->name(), "alertmanager");
  auto only = NewChannels(a, "alertmanager");
  ASSERT_OK(only);
  ASSERT_EQ(only->size(), 1u);
}

// PagerDuty: one event per alert, de-duplicated by the alert's fingerprint; a
// firing alert triggers, a resolved one resolves; the routing key is never shown.
TEST(ChannelsTest, PagerDutyTriggersAndResolvesOneEventPerAlert) {
  HttpRecorder rec;
  rec.reply = {.status = 202, .body = R"({"status":"success","message":"Event processed"})"};
  auto ch = NewPagerDutyChannel({.enabled = true, .routing_key = "R0UTING-KEY-0123456789abcdef",
                                 .url = "https://events.pagerduty.com/v2/enqueue"},
                                rec.Transport());
  ASSERT_OK(ch);
  EXPECT_EQ((*ch)->name(), "pagerduty");
  EXPECT_EQ((*ch)->target(), "https://events.pagerduty.com/...");
  Alert failed{.name = "BackupFailed", .labels = {{"job", "nightly"}}, .annotations = {{"summary", "job nightly failed"}},
               .severity = "critical", .starts_at = kT0};
  Alert old{.name = "BackupTooOld", .labels = {{"component", "kafka"}}, .severity = "warning",
            .state = AlertState::kResolved, .starts_at = kT0, .ends_at = kT0 + std::chrono::minutes(5)};
  ASSERT_OK((*ch)->Deliver(MakeNotification({failed, old}, kT0 + std::chrono::minutes(5))));
  ASSERT_EQ(rec.calls.size(), 2u);
  EXPECT_EQ(rec.calls[0].url, "https://events.pagerduty.com/v2/enqueue");
  EXPECT_EQ(Header(rec.calls[0], "Content-Type"), "application/json");
  auto trigger = nlohmann::json::parse(rec.calls[0].body);
  EXPECT_EQ(trigger["routing_key"], "R0UTING-KEY-0123456789abcdef");
  EXPECT_EQ(trigger["event_action"], "trigger");
  EXPECT_EQ(trigger["dedup_key"], "ecap-dr-" + failed.Fingerprint());
  EXPECT_EQ(trigger["payload"]["summary"], "BackupFailed job=nightly: job nightly failed");
  EXPECT_EQ(trigger["payload"]["severity"], "critical");
  EXPECT_EQ(trigger["payload"]["timestamp"], "2026-12-02T06:00:00Z");
  EXPECT_EQ(trigger["payload"]["component"], "nightly");
  EXPECT_EQ(trigger["payload"]["class"], "BackupFailed");
  EXPECT_EQ(trigger["payload"]["custom_details"]["job"], "nightly");
  EXPECT_FALSE(trigger["payload"]["source"].get<std::string>().empty());
  auto resolve = nlohmann::json::parse(rec.calls[1].body);
  EXPECT_EQ(resolve["event_action"], "resolve");
  EXPECT_EQ(resolve["dedup_key"], "ecap-dr-" + old.Fingerprint());
  EXPECT_FALSE(resolve.contains("payload"));

  // Refused (a wrong key is 400): a permanent failure naming the target, never the key.
  rec.reply = {.status = 400, .body = R"({"status":"invalid event","errors":["R0UTING-KEY-0123456789abcdef is invalid"]})"};
  Status s = (*ch)->Deliver(Sample());
  EXPECT_THAT(s, test::StatusIs(Code::kFailed));
  EXPECT_THAT(s.message(), HasSubstr("https://events.pagerduty.com/... answered 400"));
  Redactor redact((*ch)->secrets());
  EXPECT_THAT(redact(s.message()), Not(HasSubstr("R0UTING-KEY")));
  rec.reply = {.status = 429, .body = "rate limited"};
  EXPECT_THAT((*ch)->Deliver(Sample()), test::StatusIs(Code::kUnavailable));  // retried
  EXPECT_THAT(NewPagerDutyChannel({.enabled = true}).status(), test::StatusIs(Code::kConfig));

  // A long summary of non-ASCII text (a localized pg_dump message) is cut
  // between characters to PagerDuty's 1,024 bytes; one event refused does
  // not keep the next from being sent.
  HttpRecorder long_rec;
  long_rec.reply = {.status = 400, .body = "invalid"};
  auto pd = NewPagerDutyChannel({.enabled = true, .routing_key = "k", .url = "http://127.0.0.1:1/v2/enqueue"},
                                long_rec.Transport());
  ASSERT_OK(pd);
  std::string text;
  while (text.size() < 3000) text += "échec ";
  Alert wordy{.name = "BackupFailed", .labels = {{"job", "nightly"}}, .annotations = {{"summary", text}},
              .severity = "critical", .starts_at = kT0};
  Alert other{.name = "JobFailed", .labels = {{"job", "weekly"}}, .starts_at = kT0};
  EXPECT_THAT((*pd)->Deliver(MakeNotification({wordy, other}, kT0)), test::StatusIs(Code::kFailed));
  ASSERT_EQ(long_rec.calls.size(), 2u) << "the second event was sent after the first was refused";
  auto parsed = nlohmann::json::parse(long_rec.calls[0].body);  // valid JSON, so valid UTF-8
  std::string summary = parsed["payload"]["summary"];
  EXPECT_LE(summary.size(), 1024u);
  EXPECT_EQ(summary.substr(summary.size() - 3), "...");
  EXPECT_EQ(summary.find("\xEF\xBF\xBD"), std::string::npos) << "cut inside a character (U+FFFD in its place)";
  for (size_t cut = 1018; cut <= 1022; ++cut) {  // wherever the limit falls in the text, the cut is clean
    wordy.annotations["summary"] = std::string(cut - 27, 'x') + text;
    auto events = PagerDutyEvents(MakeNotification({wordy}, kT0), "k", "h");
    std::string cut_summary = events[0]["payload"]["summary"];
    EXPECT_NO_THROW((void)events[0].dump()) << cut;  // strict: throws on invalid UTF-8
    EXPECT_LE(cut_summary.size(), 1024u);
  }
}

// Real transports against a loopback port nobody listens on: the failures
// are clear, and neither the URL's token, the HMAC secret nor the password
// shows in an outcome or a log line.
TEST(ChannelsTest, SecretsStayOutOfRealFailures) {
  config::AlertingConfig a;
  a.email = {.enabled = true, .smtp_server = "127.0.0.1", .port = 1, .username = "alerts",
             .password = "SMTP-PASSWORD-42", .from_address = "a@b.test", .to_addresses = {"c@d.test"}};
  a.webhook = {.enabled = true, .url = "http://127.0.0.1:1/hook/TOKEN-1234", .hmac_secret = "HMAC-SECRET-99"};
  a.slack = {.enabled = true, .url = "http://127.0.0.1:1/services/T0/B0/SLACKTOKEN"};
  auto channels = NewChannels(a);
  ASSERT_OK(channels);
  FakeClock clock(kT0);
  std::mutex mu;
  std::string log;
  Notifier notifier(std::move(*channels),
                    {.clock = &clock,
                     .retry = {.max_attempts = 2, .initial_backoff = std::chrono::seconds(1)},
                     .log = [&](const std::string& l) {
                       std::lock_guard lock(mu);
                       log += l + "\n";
                     }});
  auto outcomes = notifier.Send(Sample());
  clock.WaitForSleepers(3);  // each channel failed once
  clock.Advance(std::chrono::seconds(1));
  std::string all;
  for (auto& f : outcomes) {
    DeliveryOutcome o = f.get();
    EXPECT_THAT(o.status, test::StatusIs(Code::kUnavailable)) << o.status.ToString();
    EXPECT_EQ(o.attempts, 2);
    all += o.status.message() + "\n";
  }
  EXPECT_THAT(all, HasSubstr("SMTP server 127.0.0.1:1 is unreachable"));
  EXPECT_THAT(all, HasSubstr("http://127.0.0.1:1/... is unreachable"));
  std::lock_guard lock(mu);
  all += log;
  for (const char* secret : {"SMTP-PASSWORD-42", "TOKEN-1234", "HMAC-SECRET-99", "SLACKTOKEN", "/hook", "/services"}) {
    EXPECT_THAT(all, Not(HasSubstr(secret))) << secret;
  }
}

}  // namespace channels_test
}  // namespace dr::automation::notify
