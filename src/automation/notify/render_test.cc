#include "automation/notify/render.h"

#include "base/time_util.h"
#include "test/support/test_support.h"

namespace dr::automation::notify {
namespace render_test {

using std::chrono::hours;
using testing::HasSubstr;
using testing::Not;

const auto kT0 = *ParseUtc("2026-12-02T06:00:00Z");

Notification Sample() {
  Alert failed{.name = "BackupFailed",
               .labels = {{"job", "nightly"}, {"component", "postgresql"}},
               .annotations = {{"summary", "backup nightly failed"}, {"description", "pg_dump exited with code 1"}},
               .severity = "critical",
               .starts_at = kT0 - hours(1)};
  Alert old{.name = "BackupTooOld",
            .labels = {{"component", "kafka"}},
            .annotations = {{"summary", "newest kafka backup is 30h old"}},
            .severity = "warning",
            .state = AlertState::kResolved,
            .starts_at = kT0 - hours(3),
            .ends_at = kT0 - hours(2)};
  return MakeNotification({old, failed}, kT0);
}

TEST(RenderTest, WebhookIsAlertmanagerVersion4) {
  Notification n = Sample();
  nlohmann::json j = WebhookPayload(n, "ecap-dr", "http://dr.example/");
  EXPECT_EQ(j["version"], "4");
  EXPECT_EQ(j["receiver"], "ecap-dr");
  EXPECT_EQ(j["status"], "firing");
  EXPECT_EQ(j["externalURL"], "http://dr.example/");
  EXPECT_EQ(j["groupKey"], n.GroupKey());
  EXPECT_EQ(j["truncatedAlerts"], 0);
  EXPECT_TRUE(j["groupLabels"].is_object());
  EXPECT_TRUE(j["commonLabels"].is_object());
  EXPECT_TRUE(j["commonAnnotations"].is_object());
  ASSERT_EQ(j["alerts"].size(), 2u);
  const auto& a = j["alerts"][0];
  EXPECT_EQ(a["status"], "firing");
  EXPECT_EQ(a["labels"]["alertname"], "BackupFailed");
  EXPECT_EQ(a["labels"]["severity"], "critical");
  EXPECT_EQ(a["labels"]["job"], "nightly");
  EXPECT_EQ(a["annotations"]["summary"], "backup nightly failed");
  EXPECT_EQ(a["startsAt"], "2026-12-02T05:00:00Z");
  EXPECT_EQ(a["endsAt"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(a["fingerprint"], n.alerts[0].Fingerprint());
  EXPECT_TRUE(a.contains("generatorURL"));
  const auto& r = j["alerts"][1];
  EXPECT_EQ(r["status"], "resolved");
  EXPECT_EQ(r["endsAt"], "2026-12-02T04:00:00Z");
}

TEST(RenderTest, AlertmanagerPostableAlerts) {
  nlohmann::json j = AlertmanagerPayload(Sample());
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["labels"]["alertname"], "BackupFailed");
  EXPECT_EQ(j[0]["labels"]["component"], "postgresql");
  EXPECT_EQ(j[0]["startsAt"], "2026-12-02T05:00:00Z");
  EXPECT_FALSE(j[0].contains("endsAt"));  // firing: Alertmanager keeps it active
  EXPECT_EQ(j[1]["endsAt"], "2026-12-02T04:00:00Z");  // resolved: its end tells Alertmanager
  EXPECT_FALSE(j[0].contains("status"));
}

TEST(RenderTest, SlackTextIsReadable) {
  nlohmann::json j = SlackPayload(Sample());
  ASSERT_EQ(j.size(), 1u);
  std::string text = j["text"];
  EXPECT_THAT(text, HasSubstr("[FIRING:1] ecap-dr: BackupFailed"));
  EXPECT_THAT(text, HasSubstr("FIRING BackupFailed (critical) component=postgresql, job=nightly: backup nightly failed, "
                              "since 2026-12-02T05:00:00Z"));
  EXPECT_THAT(text, HasSubstr("RESOLVED BackupTooOld"));
}

TEST(RenderTest, EmailHasHeadersAndReadableBody) {
  std::string m = EmailMessage(Sample(), {.from = "dr@platform.test",
                                          .to = {"ops@platform.test", "oncall@platform.test"},
                                          .message_id = "<abc@platform.test>"});
  auto headers_end = m.find("\r\n\r\n");
  ASSERT_NE(headers_end, std::string::npos);
  std::string headers = m.substr(0, headers_end + 2);
  EXPECT_THAT(headers, HasSubstr("From: dr@platform.test\r\n"));
  EXPECT_THAT(headers, HasSubstr("To: ops@platform.test, oncall@platform.test\r\n"));
  EXPECT_THAT(headers, HasSubstr("Subject: [FIRING:1] ecap-dr: BackupFailed\r\n"));
  EXPECT_THAT(headers, HasSubstr("Date: Wed, 02 Dec 2026 06:00:00 +0000\r\n"));
  EXPECT_THAT(headers, HasSubstr("Message-ID: <abc@platform.test>\r\n"));
  EXPECT_THAT(headers, HasSubstr("Content-Type: text/plain; charset=utf-8\r\n"));
  std::string body = m.substr(headers_end + 4);
  EXPECT_THAT(body, HasSubstr("FIRING  BackupFailed  (critical)\r\n"));
  EXPECT_THAT(body, HasSubstr("description: pg_dump exited with code 1\r\n"));
  EXPECT_THAT(body, HasSubstr("labels:      component=postgresql, job=nightly\r\n"));
  EXPECT_THAT(body, HasSubstr("since:       2026-12-02T05:00:00Z\r\n"));
  EXPECT_THAT(body, HasSubstr("RESOLVED  BackupTooOld  (warning)"));
  EXPECT_THAT(body, HasSubstr("until:       2026-12-02T04:00:00Z"));
  EXPECT_THAT(m, Not(HasSubstr("\n\n")));  // every line ends in CRLF
}

TEST(RenderTest, AnAlertNameCannotAddHeaders) {
  Alert evil{.name = "X\r\nBcc: attacker@evil.test", .starts_at = kT0};
  std::string m = EmailMessage(MakeNotification({evil}, kT0), {.from = "a@b", .to = {"c@d"}, .message_id = "<x@b>"});
  EXPECT_THAT(m.substr(0, m.find("\r\n\r\n")), Not(HasSubstr("\r\nBcc:")));
}

}  // namespace render_test
}  // namespace dr::automation::notify
