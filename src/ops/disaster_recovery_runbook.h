// The guide's DisasterRecoveryRunbook, from C++:
//
//   dr::runbook::DisasterRecoveryRunbook runbook(config);
//   nlohmann::json result = runbook.ExecuteRunbook(dr::runbook::FailureType::kDatabaseFailure,
//                                                  {.auto_execute = false, .skip_confirmations = false});
//   result["execution_log"]["overall_status"];   // "completed", "failed", "declined", ...
//
// A thin front end over ops::RunRunbook (runbook_ops.h), run as the process's
// user; without a confirm function, a step that must be confirmed is declined.
#pragma once

#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "engine/engine.h"

namespace dr::ops {

// The guide's seven scenarios (runbooks/*.yaml).
enum class FailureType {
  kDatabaseFailure,
  kStorageFailure,
  kComputeFailure,
  kNetworkFailure,
  kCompleteRegionFailure,
  kDataCorruption,
  kSecurityBreach,
};
// "database_failure", ...: the shipped runbook's name.
const char* FailureTypeName(FailureType type);

struct RunbookOptions {
  bool auto_execute = false;
  bool skip_confirmations = false;
  bool dry_run = false;
  std::map<std::string, std::string> params;
  std::function<engine::Answer(const engine::Step&)> confirm;
};

class DisasterRecoveryRunbook {
 public:
  explicit DisasterRecoveryRunbook(config::Config config) : config_(std::move(config)) {}
  // The result document of `runbook run --json`; on an error before the run
  // (permission, a bad definition) {"status": "failed", "error": {...}}.
  nlohmann::json ExecuteRunbook(FailureType type, const RunbookOptions& options = {});

 private:
  config::Config config_;
};

}  // namespace dr::ops

namespace dr::runbook {
// The guide's names.
using DisasterRecoveryRunbook = ops::DisasterRecoveryRunbook;
using FailureType = ops::FailureType;
using RunbookOptions = ops::RunbookOptions;
}  // namespace dr::runbook
