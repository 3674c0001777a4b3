#include "ops/coordinator_ops.h"

#include <set>

#include "backup/backup_manager.h"
#include "events/event_store.h"
#include "repo/repository.h"

namespace dr::ops {

using nlohmann::json;

namespace {

Result<std::unique_ptr<coordinator::DisasterRecoveryCoordinator>> NewCoordinator(OperationContext& ctx) {
  if (!ctx.config.coordinator_configured) {
    return ConfigError("the configuration (" + ctx.config.source + ") has no dr_coordinator section");
  }
  return std::make_unique<coordinator::DisasterRecoveryCoordinator>(ctx.config, *ctx.clock, ctx.events);
}

Result<std::set<std::string>> ObjectIds(Backend& backend, ObjectKind kind) {
  std::set<std::string> ids;
  DR_RETURN_IF_ERROR(backend.List(kind, [&](const ObjectInfo& info) {
    ids.insert(info.name.id);
    return Status::Ok();
  }));
  return ids;
}

// Before the repository in use changes to `to`: it must be a repository
// (made by `repo replicate`), and when the one in use still answers, hold
// every backup and archived WAL segment it has: what the target lacks would
// be out of reach of every later restore and point-in-time recovery.
Status CheckRepositorySwitch(const config::Config& config, const std::string& to) {
  if (config.coordinator.state_dir.empty()) {
    return ConfigError("the repository in use is recorded in dr_coordinator.state_dir: set it");
  }
  const config::Config now = AsServedNow(config);
  DR_ASSIGN_OR_RETURN(config::RepositoryLocation target, coordinator::ResolveRepository(config, to));
  if (target.Describe() == now.repository.Describe()) return Status::Ok();  // nothing changes
  const std::string where = "the repository " + target.Describe();
  DR_ASSIGN_OR_RETURN(auto to_backend, backup::OpenBackend(target));
  auto exists = repo::Repository::Exists(*to_backend);
  if (!exists.ok()) return exists.status().WithContext(where);
  if (!*exists) {
    return NotFound(where + " holds no repository: copy it there first (ecap-dr repo replicate)");
  }
  // The one in use lost (the reason to switch) is no reason to refuse; any
  // other failure to read it is: the comparison could not be made.
  auto lost = [](const Status& s) { return s.code() == Code::kUnavailable || s.code() == Code::kNotFound; };
  auto from_backend = backup::OpenBackend(now.repository);
  if (!from_backend.ok()) {
    if (lost(from_backend.status())) return Status::Ok();
    return from_backend.status().WithContext("the repository in use " + now.repository.Describe());
  }
  for (auto [kind, noun] : {std::pair{ObjectKind::kSnapshot, "backup"}, std::pair{ObjectKind::kWal, "WAL segment"}}) {
    auto in_use = ObjectIds(**from_backend, kind);
    if (!in_use.ok()) {
      if (lost(in_use.status())) return Status::Ok();
      return in_use.status().WithContext("the repository in use " + now.repository.Describe());
    }
    DR_ASSIGN_OR_RETURN(auto theirs, ObjectIds(*to_backend, kind));
    std::vector<std::string> missing;
    for (const auto& id : *in_use) {
      if (!theirs.count(id)) missing.push_back(id);
    }
    if (missing.empty()) continue;
    return Failed(where + " lacks " + std::to_string(missing.size()) + " " + noun + "(s) of the repository in use " +
                  now.repository.Describe() + " (first: " + missing.front() +
                  "): replicate them first (ecap-dr repo replicate), or they are out of reach after the switch");
  }
  return Status::Ok();
}

}  // namespace

OpResult Health(OperationContext& ctx) {
  Operation op(ctx, "dr.health", "");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto c = NewCoordinator(ctx);
  if (!c.ok()) return op.Finish(ErrorResult(c.status()));
  auto report = (*c)->CheckHealth();
  if (!report.ok()) return op.Finish(ErrorResult(report.status()));
  OpResult out{.data = report->ToJson()};
  if (report->overall_status != "healthy") {
    int unhealthy = 0;
    for (const auto& s : report->services) unhealthy += s.last_check != coordinator::Health::kHealthy;
    out.status = Failed("overall status " + report->overall_status + ": " + std::to_string(unhealthy) + " of " +
                        std::to_string(report->services.size()) + " services not healthy");
  }
  Status ran = Status::Ok();  // the check ran; its verdict is in the result
  return op.Finish(std::move(out), {{"overall_status", report->overall_status}}, "", json::object(), &ran);
}

OpResult Monitor(OperationContext& ctx, coordinator::MonitorOptions options) {
  Operation op(ctx, "dr.monitor", "");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto c = NewCoordinator(ctx);
  if (!c.ok()) return op.Finish(ErrorResult(c.status()));
  Status s = (*c)->Monitor(options);
  return op.Finish(s.ok() ? OpResult{.data = json{{"status", "completed"}}} : ErrorResult(s));
}

OpResult Failover(OperationContext& ctx, const coordinator::FailoverRequest& request) {
  Operation op(ctx, "dr.failover", request.reason);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto c = NewCoordinator(ctx);
  if (!c.ok()) return op.Finish(ErrorResult(c.status()));
  // The coordinator records failover_started, each step and the outcome itself.
  coordinator::FailoverResult r = (*c)->Failover(request);
  Status outcome = r.success ? Status::Ok() : r.error.ok() ? Failed("failover " + r.status) : r.error;
  return op.Finish(OpResult{.status = outcome, .data = r.ToJson()},
                   {{"status", r.status}, {"rto_seconds", r.rto_seconds}});
}

OpResult FailoverPart(OperationContext& ctx, const std::string& part, const std::string& to, bool undo) {
  Operation op(ctx, "dr.failover", part);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto c = NewCoordinator(ctx);
  if (!c.ok()) return op.Finish(ErrorResult(c.status()));
  // An undo puts back the repository that was in use, whatever it holds now.
  if (part == "repository_switch" && !undo) {
    if (Status s = CheckRepositorySwitch(ctx.config, to.empty() ? "replica" : to); !s.ok()) {
      return op.Finish(ErrorResult(s));
    }
  }
  auto r = (*c)->FailoverPart(part, to);
  if (!r.ok()) return op.Finish(ErrorResult(r.status()));
  // (attach_standby's conninfo carries no password: AttachStandby refuses one)
  return op.Finish(OpResult{.data = *r}, {{"part", part}, {"to", to}, {"undo", undo}, {"result", *r}});
}

OpResult Events(OperationContext& ctx, int limit, const std::vector<std::string>& types) {
  Operation op(ctx, "dr.events", "");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  std::string path = events::HistoryPath(ctx.config);
  if (path.empty()) {
    return op.Finish(ErrorResult(ConfigError("no event history: the configuration (" + ctx.config.source +
                                             ") has neither a dr_coordinator section nor audit.log_file")));
  }
  auto store = events::EventStore::Open(path, *ctx.clock);
  if (!store.ok()) return op.Finish(ErrorResult(store.status()));
  auto list = (*store)->List(limit, types);
  if (!list.ok()) return op.Finish(ErrorResult(list.status()));
  json j = json::array();
  for (const auto& e : *list) j.push_back(e.ToJson());
  return op.Finish(OpResult{.data = json{{"events", j}}}, {{"events", list->size()}});
}

OpResult RtoRpoReport(OperationContext& ctx) {
  Operation op(ctx, "report.generate", "rto-rpo");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto c = NewCoordinator(ctx);
  if (!c.ok()) return op.Finish(ErrorResult(c.status()));
  auto r = (*c)->RtoRpoReport();
  if (!r.ok()) return op.Finish(ErrorResult(r.status()));
  return op.Finish(OpResult{.data = *r});
}

}  // namespace dr::ops
