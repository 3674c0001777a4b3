#include "backup/compliance.h"

#include "base/time_util.h"
#include "test/support/test_support.h"

namespace dr::backup {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

std::vector<std::string> Failed(const json& report) {
  std::vector<std::string> out;
  for (const auto& [name, section] : report["sections"].items()) {
    for (const auto& c : section["checks"]) {
      if (c["status"] == "failed") out.push_back(name + "/" + c["check"].get<std::string>());
    }
  }
  return out;
}

struct Fixture {
  config::Config cfg;
  ComplianceInputs in;
  Fixture() {
    cfg.backup_manager.retention_policies = {.daily = 7, .weekly = 0, .monthly = 0};
    cfg.encryption.enabled = true;
    cfg.access_control.enabled = true;
    cfg.access_control.users = {{"ops", {"*"}}};
    in.config = &cfg;
    in.now = *ParseUtc("2026-11-26T12:00:00Z");
    in.month = "2026-11";
    in.audit_enabled = true;
    in.audit_intact = true;
    in.key_check = {{"key_available", true}, {"key_source", "key file"}, {"key_age_days", 30.0},
                    {"key_file_mode", "0600"}, {"key_file_private", true}};
    for (int day = 1; day <= 26; ++day) {
      if (day == 20) continue;  // the missing day
      repo::Snapshot s;
      char buf[40];
      std::snprintf(buf, sizeof buf, "2026-11-%02dT02:00:00.000Z", day);
      s.start_time = buf;
      s.backup_id = "daily_" + std::to_string(day);
      in.backups.push_back(s);
      in.verify_records.push_back({{"target", s.backup_id}, {"time", "2026-11-26T03:00:00.000Z"}});
    }
  }
};

TEST(ComplianceTest, AllGoodPasses) {
  Fixture f;
  f.in.backups.push_back(f.in.backups.back());
  f.in.backups.back().backup_id = "daily_20";
  f.in.backups.back().start_time = "2026-11-20T02:00:00.000Z";
  f.in.verify_records.push_back({{"target", "daily_20"}, {"time", "2026-11-26T03:00:00.000Z"}});
  json r = BuildComplianceReport(f.in);
  EXPECT_EQ(r["overall_status"], "passed") << r.dump(2);
}

TEST(ComplianceTest, FlagsExactlyTheMissingDayAndTheOldKey) {
  Fixture f;
  f.in.key_check["key_age_days"] = 200.0;
  json r = BuildComplianceReport(f.in);
  EXPECT_EQ(r["overall_status"], "failed");
  EXPECT_EQ(Failed(r), (std::vector<std::string>{"retention/daily slots", "schedule/days without a backup in 2026-11",
                                                  "security/key age"}));
  EXPECT_EQ(r["sections"]["schedule"]["missed_days"], json({"2026-11-20"}));
  EXPECT_EQ(r["summary"]["verification"], "passed");
  std::string md = RenderMarkdown(r);
  EXPECT_THAT(md, HasSubstr("**Overall: FAILED**"));
  EXPECT_THAT(md, HasSubstr("| key age | failed | 200 days"));
  std::string html = RenderHtml(r);
  EXPECT_THAT(html, HasSubstr("<div class=\"banner failed\">Overall: FAILED</div>"));
  EXPECT_THAT(html, HasSubstr("2026-11-20"));
}

TEST(ComplianceTest, DisabledAccessControlAndUnverifiedBackupsAreSaid) {
  Fixture f;
  f.cfg.access_control.enabled = false;
  f.in.verify_records.clear();
  json r = BuildComplianceReport(f.in);
  auto failed = Failed(r);
  EXPECT_NE(std::find(failed.begin(), failed.end(), "security/access control"), failed.end());
  EXPECT_NE(std::find(failed.begin(), failed.end(), "verification/every backup verified"), failed.end());
  EXPECT_EQ(r["sections"]["verification"]["backups"][0]["last_verified"], "");
}

}  // namespace
}  // namespace dr::backup
