// The endpoints of /api/v1: each is the operation of its CLI twin
// (ops/*.h), run as the token's user, so it checks the same permission
// (denied: 403), is audited the same way (with the session id and the
// caller's address) and answers with the CLI's --json document.
//
//   GET  /api/v1/backups                    backup list                 backup.list
//   GET  /api/v1/backups/{id}[?items=N]     backup show (first N items)  backup.list
//   POST /api/v1/backups                    backup create     -> job    backup.create
//        {components, tags, paths, physical}
//   POST /api/v1/backups/{id}/verify {full}          -> job            backup.verify
//   POST /api/v1/backups/{id}/restore {...}          -> job            backup.restore
//        the restore command's flags, dashes as underscores: {components,
//        target, items, overwrite, target_db, databases, clean, pgdata,
//        target_time, target_bucket, prefix, topics, topic_prefix, to_time, ...}
//   GET  /api/v1/jobs, /api/v1/jobs/{id}    the caller's jobs (all with audit.read)
//   GET  /api/v1/schedules                  schedule list               schedule.list
//   POST /api/v1/schedules/{name}/run       schedule run      -> job    schedule.run
//   GET  /api/v1/alerts                     alert list (the daemon's)   alert.list
//   GET  /api/v1/health                     dr health (503 unless healthy) dr.health
//   GET  /api/v1/events[?limit=N&type=T]    events                      dr.events
//   POST /api/v1/failover {reason, confirm, force}                      dr.failover
//        a dry run unless "confirm": true (then a job)
//   POST /api/v1/drills {scenario, disruptive, backup_id, service}
//                                           drill             -> job    drill.run
//   GET  /api/v1/drills[?month=M|?drill_id=ID]  report drill            report.generate
//
// A long operation answers 202 with its job document and Location:
// /api/v1/jobs/ID; its permission is checked before it is accepted.
//
// The API runs operations with the daemon's own operating-system rights, not
// the caller's: a backup's `paths` must lie inside files.paths, so a token
// cannot read files the configuration does not back up.
#pragma once

#include <functional>

#include <nlohmann/json.hpp>

#include "automation/scheduler.h"
#include "ops/operation.h"
#include "server/api_jobs.h"
#include "server/api_router.h"

namespace dr::server {

struct ApiDeps {
  const ops::OperationContext* ctx = nullptr;      // the daemon's: configuration, clock, events
  automation::Scheduler* scheduler = nullptr;      // the daemon's running scheduler
  ApiJobs* jobs = nullptr;
  std::function<nlohmann::json()> firing_alerts;   // AlertsJson of what fires now
  // After each job ends, with its operation ("backup.create", ...): the daemon
  // relists backups and evaluates its alerts, as after a scheduled run.
  std::function<void(const std::string& operation)> after_job;
};

void AddApiRoutes(ApiRouter& router, const ApiDeps& deps);

// The daemon's context with the caller's identity (for one call's operation).
ops::OperationContext CallerContext(const ApiDeps& deps, const ApiCall& call);

// Sends an operation's result: its --json document, with the HTTP status of its code.
void SendResult(ApiCall& call, const ops::OpResult& result);

}  // namespace dr::server
