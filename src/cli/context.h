// What every command shares: the global options (-c, --json, --quiet), the
// loaded configuration, and one way to print results and errors. Errors go to
// stderr as "ecap-dr: error: <message>"; with --json the result (or an error
// object) goes to stdout as one JSON document. The exit code comes from the
// Status code table (include/dr/status.h).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "backup/backup_manager.h"
#include "config/config.h"
#include "dr/result.h"
#include "security/access/access_control.h"

namespace CLI {
class App;
}

namespace dr::cli {

// "1 backup", "2 backups", "0 backups": every count a person reads. `plural`
// defaults to singular + "s" ("1 entry", "3 entries" need it given).
std::string Count(uint64_t n, std::string_view singular, std::string_view plural = {});

struct CliContext {
  std::string config_flag;
  bool json_output = false;
  bool quiet = false;
  std::function<int()> run;  // set by the chosen subcommand
  security::Identity identity;

  // Loads the configuration named by -c / $ECAP_DR_CONFIG / the default path.
  Result<config::Config> LoadConfig() const;
  // A BackupManager over the configured repository.
  Result<std::unique_ptr<backup::BackupManager>> NewManager() const;

  // Every operation checks exactly one permission before doing anything: loads
  // the configuration, asks access control, and on denial writes an audit
  // record and returns kPermissionDenied naming the user and the permission.
  // The outcome of an authorized operation is audited by Fail/Succeed/Outcome.
  Status Authorize(const std::string& permission, const std::string& target);
  // Audits the outcome of the authorized operation (once); returns the audit write's status.
  Status Outcome(const Status& result, const nlohmann::json& details = nlohmann::json::object());

  // Prints an error (and, with --json, {"status":"failed","error":{...}}); returns its exit code.
  int Fail(const Status& status);
  // Audits success, then prints result as JSON (with --json) or calls human(); returns 0.
  int Succeed(const nlohmann::json& result, const std::function<void()>& human);
  void Warn(const std::string& message) const;
  void PrintWarnings(const std::vector<std::string>& warnings) const;

 private:
  mutable std::optional<Result<config::Config>> loaded_config_;
  std::string permission_;  // set by Authorize
  std::string target_;
  bool audited_ = false;
};

void RegisterRepoCommands(CLI::App& app, CliContext& ctx);
void RegisterBackupCommands(CLI::App& app, CliContext& ctx);
void RegisterRestoreCommand(CLI::App& app, CliContext& ctx);
void RegisterVerifyCommand(CLI::App& app, CliContext& ctx);
void RegisterKeyCommands(CLI::App& app, CliContext& ctx);
void RegisterConfigCommands(CLI::App& app, CliContext& ctx);
void RegisterWalCommands(CLI::App& app, CliContext& ctx);
void RegisterGovernanceCommands(CLI::App& app, CliContext& ctx);
void RegisterRetentionCommands(CLI::App& app, CliContext& ctx);
void RegisterReportCommands(CLI::App& app, CliContext& ctx);
void RegisterS3Commands(CLI::App& app, CliContext& ctx);
void RegisterCoordinatorCommands(CLI::App& app, CliContext& ctx);
int ReportRtoRpo(CliContext& ctx);

// Parses argv and runs the chosen command; returns the process exit code.
int RunCli(int argc, char** argv);

}  // namespace dr::cli
