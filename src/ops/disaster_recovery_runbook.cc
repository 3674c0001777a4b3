#include "ops/disaster_recovery_runbook.h"

#include "events/event_store.h"
#include "ops/runbook_ops.h"
#include "security/access/access_control.h"

namespace dr::ops {

const char* FailureTypeName(FailureType type) {
  switch (type) {
    case FailureType::kDatabaseFailure: return "database_failure";
    case FailureType::kStorageFailure: return "storage_failure";
    case FailureType::kComputeFailure: return "compute_failure";
    case FailureType::kNetworkFailure: return "network_failure";
    case FailureType::kCompleteRegionFailure: return "complete_region_failure";
    case FailureType::kDataCorruption: return "data_corruption";
    case FailureType::kSecurityBreach: return "security_breach";
  }
  return "unknown";
}

nlohmann::json DisasterRecoveryRunbook::ExecuteRunbook(FailureType type, const RunbookOptions& options) {
  OperationContext ctx{.config = config_, .identity = security::ProcessIdentity()};
  events::LazyStoreSink sink(events::HistoryPath(config_));
  ctx.events = &sink;
  RunbookRunRequest request{.name = FailureTypeName(type),
                            .dry_run = options.dry_run,
                            .auto_execute = options.auto_execute,
                            .skip_confirmations = options.skip_confirmations,
                            .params = options.params,
                            .confirm = options.confirm};
  return RunRunbook(ctx, request).ToJson();
}

}  // namespace dr::ops
