// The built-in actions of runbook steps (runbook/actions.h), each one the
// operation of a CLI command, run as the person running the runbook: the
// same permission check, audit record and event as that command.
//
//   health_check  {service, expect}      `health`; expect: any (default: report only) or healthy
//   wait_for      {service, status, timeout, interval}
//                                        `health` until the service (every one when
//                                        none is named) has the status (default healthy)
//   failover      {reason, force}        `failover --yes`: fence, promote, DNS, storage, compute
//   fence         {}                     dr_coordinator's fence command; the primary must stop taking writes
//   promote       {}                     pg_promote() on the standby, until it takes writes
//   dns_switch    {to}                   the DNS record to the primary (or `to`), compare-and-swap
//                                        (undo: back to where it pointed)
//   storage_switch {to}                  the active bucket to replica (or primary, or a bucket)
//                                        (undo: back to the one before)
//   repository_switch {to}               the repository in use to replica (or primary, or a
//                                        location), which must hold the backups already
//                                        (undo: back to the one before)
//   compute_hooks {}                     dr_coordinator's compute hooks
//   find_backup   {component, before, tag, mode, verify}
//                                        the newest completed backup (with that component,
//                                        started before that time, with that tag,
//                                        physical or logical; with verify quick|full, the
//                                        newest that passes it); outputs backup_id and start_time
//   verify_backup {backup, full}         `verify` (backup: an id or "latest")
//   restore       {backup, components, target, target_db, databases, clean, target_time,
//                  target_bucket, prefix, topic_prefix, bootstrap_servers, to_time, overwrite,
//                  pgdata, target_lsn, target_name, target_immediate, keep_archiving,
//                  before, verify, mode} `restore` with those flags; backup "latest": the newest
//                                        with the first component (before that time, physical
//                                        or logical);
//                                        verify: a full verification first, no restore unless it passes
//   inspect_tables {tables, database}    row counts, and whether writes are paused (read-only)
//   pause_writes  {database}             new sessions on the database start read-only, open
//                                        ones are ended (undo: resume_writes)
//   resume_writes {database}             lets writes in again
//   pitr_restore  {backup, pgdata, target_time | target_lsn | target_name, port}
//                                        a physical backup recovered to the target in a new
//                                        data directory, started as a scratch server on
//                                        loopback; outputs conninfo, port, pgdata (undo:
//                                        stop it and remove the directory)
//   compare_rows  {from, tables, database}
//                                        what repair_rows would change (read-only)
//   repair_rows   {from, tables, database}
//                                        the rows of the clean copy at `from` (a conninfo)
//                                        put back into the damaged tables by primary key
//   stop_scratch  {pgdata, remove}       stops a scratch server (and removes its directory)
//   backup        {components, tags}     `backup create`
//   rotate_key    {}                     `key rotate`
//   verify_audit  {}                     `audit verify`
//   report        {kind}                 `report rto-rpo`
//   revoke_access {user, database_role, reason}
//                                        `access revoke` (undo: reinstate)
//   reinstate_access {user, database_role}
//                                        `access reinstate`
//   notify        {message}              records a runbook_notice event
#pragma once

#include "ops/operation.h"
#include "runbook/actions.h"

namespace dr::ops {

// Adds the built-ins above, bound to `ctx` (who runs them, the configuration,
// the clock and the event sink), which must outlive the registry's use.
void AddBuiltinActions(runbook::ActionRegistry& registry, OperationContext& ctx);

// The newest completed backup's id (with `component` when not empty, started
// before `before` when set, with `tag`, whose PostgreSQL part is `mode`
// "physical" or "logical"); kNotFound when there is none.
Result<nlohmann::json> FindBackup(OperationContext& ctx, const std::string& component, const std::string& before,
                                  const std::string& tag, const std::string& mode = "");
// All of them, newest first ({backup_id, start_time}); kNotFound when there is none.
Result<std::vector<nlohmann::json>> FindBackups(OperationContext& ctx, const std::string& component,
                                                const std::string& before, const std::string& tag,
                                                const std::string& mode = "");

}  // namespace dr::ops
