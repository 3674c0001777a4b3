// What every command shares: the global options (-c, --json, --quiet), the
// loaded configuration, the caller's identity, and one way to print results
// and errors. The commands are thin adapters: they parse their options, call
// one operation of src/ops/ (which authorizes, runs, audits and emits the
// event) and print its OpResult. Errors go to stderr as "ecap-dr: error:
// <message>"; with --json the result (or an error object) goes to stdout as
// one JSON document. The exit code comes from the Status code table
// (include/dr/status.h).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "dr/result.h"
#include "events/event_sink.h"
#include "ops/operation.h"

namespace CLI {
class App;
}

namespace dr::cli {

// "1 backup", "2 backups", "0 backups": every count a person reads. `plural`
// defaults to singular + "s" ("1 entry", "3 entries" need it given).
std::string Count(uint64_t n, std::string_view singular, std::string_view plural = {});

// How Print renders an OpResult.
struct PrintOptions {
  std::string error_prefix;           // before the message on stderr: "backup 'x' failed: "
  bool error_line = true;             // the "ecap-dr: error:" line of a failure
  bool human_on_failure = false;      // call human() for a failure that has data too (health, failover)
};

struct CliContext {
  std::string config_flag;
  bool json_output = false;
  bool quiet = false;
  std::function<int()> run;  // set by the chosen subcommand
  // Who runs the command: the OS user, a session id for this process, and
  // "local" or the SSH client's address (security::ProcessIdentity).
  ops::Identity identity;

  // Loads the configuration named by -c / $ECAP_DR_CONFIG / the default path.
  Result<config::Config> LoadConfig() const;
  // The context an operation runs in: the configuration, this identity, the
  // real clock, the event history (events::HistoryPath, opened on the first
  // event) and progress on a terminal unless --json or --quiet.
  Result<ops::OperationContext> Ops();

  // Prints an OpResult: warnings, then on success the data as JSON (--json)
  // or human(); on failure the error on stderr and with --json the result
  // (its data with "error", or {"status":"failed","error":{...}}). Returns the exit code.
  int Print(const ops::OpResult& result, const std::function<void()>& human, const PrintOptions& options = {});
  // Prints an error (and, with --json, {"status":"failed","error":{...}}); returns its exit code.
  // For errors before any operation ran (usage, configuration).
  int Fail(const Status& status);
  // Prints a result of a command that is no operation (no permission, no
  // audit: key generate, config check); returns 0.
  int Succeed(const nlohmann::json& result, const std::function<void()>& human);
  void Warn(const std::string& message) const;
  void PrintWarnings(const std::vector<std::string>& warnings) const;

 private:
  mutable std::optional<Result<config::Config>> loaded_config_;
  std::unique_ptr<events::EventSink> events_;
};

void RegisterRepoCommands(CLI::App& app, CliContext& ctx);
void RegisterBackupCommands(CLI::App& app, CliContext& ctx);
void RegisterRestoreCommand(CLI::App& app, CliContext& ctx);
void RegisterVerifyCommand(CLI::App& app, CliContext& ctx);
void RegisterKeyCommands(CLI::App& app, CliContext& ctx);
void RegisterConfigCommands(CLI::App& app, CliContext& ctx);
void RegisterWalCommands(CLI::App& app, CliContext& ctx);
void RegisterServeCommands(CLI::App& app, CliContext& ctx);
void RegisterGovernanceCommands(CLI::App& app, CliContext& ctx);
void RegisterRetentionCommands(CLI::App& app, CliContext& ctx);
void RegisterReportCommands(CLI::App& app, CliContext& ctx);
void RegisterS3Commands(CLI::App& app, CliContext& ctx);
void RegisterSwitchCommands(CLI::App& app, CliContext& ctx);  // after RegisterS3Commands
// One `switch [--to X]` under `parent` (default "replica") running the
// coordinator's failover part `part` (ops::FailoverPart); `done` prints its
// data. A part that skips (nothing configured to switch to) is a
// configuration error when asked for by hand.
void AddSwitchCommand(CLI::App* parent, CliContext& ctx, const char* part, const std::string& help,
                      const std::string& to_help, void (*done)(const nlohmann::json&));
void RegisterCoordinatorCommands(CLI::App& app, CliContext& ctx);
void RegisterAlertCommands(CLI::App& app, CliContext& ctx);
void RegisterRunbookCommands(CLI::App& app, CliContext& ctx);
void RegisterDrillCommands(CLI::App& app, CliContext& ctx);
int ReportRtoRpo(CliContext& ctx);

// Parses argv and runs the chosen command; returns the process exit code.
int RunCli(int argc, char** argv);

}  // namespace dr::cli
