// The built-in actions of runbook steps (runbook/actions.h), each one the
// operation of a CLI command, run as the person running the runbook: the
// same permission check, audit record and event as that command.
//
//   health_check  {service, expect}      `health`; expect: any (default: report only) or healthy
//   wait_for      {service, status, timeout, interval}
//                                        `health` until the service (every one when
//                                        none is named) has the status (default healthy)
//   failover      {reason, force}        `failover --yes`: fence, promote, DNS, storage, compute
//   find_backup   {component, before, tag}
//                                        the newest completed backup (with that component,
//                                        started before that time, with that tag);
//                                        outputs backup_id and start_time
//   verify_backup {backup, full}         `verify` (backup: an id or "latest")
//   restore       {backup, components, target, target_db, databases, clean, target_time,
//                  target_bucket, prefix, topic_prefix, bootstrap_servers, to_time, overwrite}
//                                        `restore` with those flags
//   backup        {components, tags}     `backup create`
//   rotate_key    {}                     `key rotate`
//   verify_audit  {}                     `audit verify`
//   report        {kind}                 `report rto-rpo`
//   notify        {message}              records a runbook_notice event
#pragma once

#include "ops/operation.h"
#include "runbook/actions.h"

namespace dr::ops {

// Adds the built-ins above, bound to `ctx` (who runs them, the configuration,
// the clock and the event sink), which must outlive the registry's use.
void AddBuiltinActions(runbook::ActionRegistry& registry, OperationContext& ctx);

// The newest completed backup's id (with `component` when not empty, started
// before `before` when set); kNotFound when there is none.
Result<nlohmann::json> FindBackup(OperationContext& ctx, const std::string& component, const std::string& before,
                                  const std::string& tag);

}  // namespace dr::ops
