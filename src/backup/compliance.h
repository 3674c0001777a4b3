// The compliance report (the guide's "Compliance Reporting"): retention (which
// daily, weekly and monthly slots the policy asks for are filled), security
// (encryption, key age and file mode, access control, audit chain), schedule
// (age of the newest backup against alerting.rules.max_backup_age_hours, days
// of the month without a backup) and verification (when each backup was last
// verified, from the audit trail). JSON for machines; Markdown and a
// self-contained HTML page for people, with the pass/fail summary on top.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "repo/snapshot/snapshot.h"

namespace dr::backup {

struct ComplianceInputs {
  const config::Config* config = nullptr;
  std::vector<repo::Snapshot> backups;
  nlohmann::json key_check;           // BackupManager::KeyCheck()
  bool audit_enabled = false;
  bool audit_intact = false;
  std::string audit_problem;
  std::vector<nlohmann::json> verify_records;  // audit records of successful backup.verify
  std::chrono::system_clock::time_point now;
  std::string month;  // "2026-11": the month the schedule section covers
};

// {"overall_status": "passed"|"failed", "sections": {"retention": {...}, ...}}
nlohmann::json BuildComplianceReport(const ComplianceInputs& in);
std::string RenderMarkdown(const nlohmann::json& report);
std::string RenderHtml(const nlohmann::json& report);

}  // namespace dr::backup
