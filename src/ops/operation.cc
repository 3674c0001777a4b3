#include "ops/operation.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "backup/backup_manager.h"
#include "backup/sqlite_summary_cache.h"
#include "base/status_json.h"
#include "coordinator/coordinator.h"
#include "events/event_store.h"
#include "security/access/revocations.h"
#include "security/audit/audit_log.h"

namespace dr::ops {

using nlohmann::json;

json OpResult::ToJson() const {
  if (data.is_null()) return json{{"status", "failed"}, {"error", ErrorJson(status)}};
  json j = data;
  if (!status.ok() && j.is_object() && !j.contains("error")) j["error"] = ErrorJson(status);
  return j;
}

OpResult ErrorResult(Status status) { return OpResult{.status = std::move(status)}; }

Operation::Operation(OperationContext& ctx, std::string permission, std::string target)
    : ctx_(ctx), permission_(std::move(permission)), target_(std::move(target)) {}

Status Operation::Audit(const std::string& outcome, json details) {
  return security::AuditLog(ctx_.config.audit.log_file, *ctx_.clock)
      .Append(ctx_.identity, {permission_, target_, outcome, std::move(details)});
}

void Operation::Emit(const std::string& event_type, json data, std::vector<std::string>* warnings) {
  if (ctx_.events == nullptr || event_type.empty()) return;
  if (!data.is_object()) data = json{{"value", data}};
  data["user"] = ctx_.identity.user;
  data["session"] = ctx_.identity.session;
  data["source"] = ctx_.identity.source;
  data["operation"] = permission_;
  if (!target_.empty() && !data.contains("target")) data["target"] = target_;
  if (Status s = ctx_.events->Emit(event_type, data); !s.ok() && warnings != nullptr) {
    warnings->push_back("event '" + event_type + "' not recorded: " + s.message());
  }
}

Status Operation::Authorize() {
  security::Decision d = security::DecideWithRevocations(ctx_.config, ctx_.identity.user, permission_);
  if (!d.allowed) {
    Status denied(Code::kPermissionDenied, "permission denied: user '" + ctx_.identity.user + "' may not " +
                                               permission_ + " (" + d.rule + ")");
    Emit("access_denied", {{"permission", permission_}, {"rule", d.rule}}, nullptr);
    Status logged = Audit("denied", {{"reason", d.rule}});
    if (!logged.ok()) return denied.WithContext("audit record not written (" + logged.message() + ")");
    return denied;
  }
  authorized_ = true;
  if (ctx_.before_run) return ctx_.before_run();
  return Status::Ok();
}

OpResult Operation::Denied(const Status& status) {
  if (!authorized_) return ErrorResult(status);  // the denial is audited already
  return Finish(ErrorResult(status));
}

OpResult Operation::Finish(OpResult result, const json& audit_details, const std::string& event_type,
                           json event_data, const Status* audit_status) {
  const Status& outcome = audit_status != nullptr ? *audit_status : result.status;
  if (authorized_) {
    json details = audit_details;
    if (!outcome.ok()) details["error"] = ErrorJson(outcome);
    // The audit record is durable before the outcome is reported.
    Status logged = Audit(outcome.ok() ? "success" : "failed", std::move(details));
    if (!logged.ok()) {
      if (result.status.ok()) {
        result.status = logged.WithContext("the operation completed but its audit record could not be written");
        result.data = nullptr;
      } else {
        result.audit_status = logged;
      }
    }
  }
  if (!event_type.empty()) {
    if (!result.status.ok() && !event_data.contains("error")) event_data["error"] = ErrorJson(result.status);
    Emit(event_type, std::move(event_data), &result.warnings);
  }
  return result;
}

namespace {

// The summary cache of a state directory's history file, one per file for the
// process: the daemon's managers (one per operation) share its connection.
// Null without a state directory: each manager then keeps its own in memory.
backup::SummaryCache* SharedSummaryCache(const config::Config& config) {
  std::string path = events::HistoryPath(config);
  if (path.empty()) return nullptr;
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<backup::SqliteSummaryCache>> caches;
  std::lock_guard lock(mu);
  auto& cache = caches[path];
  if (!cache) cache = std::make_unique<backup::SqliteSummaryCache>(path);
  return cache.get();
}

}  // namespace

config::Config AsServedNow(const config::Config& c) {
  config::Config now = c;
  // After a storage failover the lake is served from its mirror: backups and
  // restores of the lake follow it (the primary bucket is lost) until the
  // lake is switched back.
  const std::string& primary = c.coordinator.storage_primary_bucket;
  auto bucket = primary.empty() || c.s3.buckets.empty() ? Result<std::string>(primary) : coordinator::ActiveBucket(c);
  if (bucket.ok() && !bucket->empty() && *bucket != primary) {
    std::replace(now.s3.buckets.begin(), now.s3.buckets.end(), primary, *bucket);
  }
  // After the region runbook brought Kafka back in the backup region, its
  // backups and restores go to the brokers there.
  if (coordinator::KafkaHasReplica(c)) {
    if (auto kafka = coordinator::ActiveKafka(c); kafka.ok()) now.kafka.bootstrap_servers = *kafka;
  }
  // After a failover of the database the backups' server is the new primary.
  if (auto postgres = coordinator::PostgresAsServedNow(c); postgres.ok()) now.postgresql = *postgres;
  // After a repository switch the replica is the repository, and the former
  // primary is left out of `replicas`: `repo replicate` removes from a
  // replica what the repository lacks, which for the former primary would be
  // the backups it alone had when its region was lost. A state that cannot
  // be read leaves the configured one: its operations then fail on it, naming it.
  auto active = c.replicas.empty() ? Result<std::string>(c.repository.Describe()) : coordinator::ActiveRepository(c);
  if (active.ok() && *active != c.repository.Describe()) {
    for (auto it = now.replicas.begin(); it != now.replicas.end(); ++it) {
      if (it->Describe() != *active) continue;
      now.repository = *it;
      now.replicas.erase(it);
      break;
    }
  }
  return now;
}

std::unique_ptr<backup::BackupManager> NewManager(const OperationContext& ctx) {
  backup::ManagerOptions options;
  options.clock = ctx.clock;
  options.progress = ctx.progress;
  options.username = ctx.identity.user;
  options.stop = ctx.stop;
  if (ctx.open_backend) options.backend = ctx.open_backend();
  options.summary_cache = SharedSummaryCache(ctx.config);
  return std::make_unique<backup::BackupManager>(AsServedNow(ctx.config), std::move(options));
}

Status CheckPermission(OperationContext& ctx, const std::string& permission, const std::string& target) {
  OperationContext check = ctx;
  check.before_run = nullptr;  // the check only: the operation itself asks again
  Operation op(check, permission, target);
  return op.Authorize();
}

OpResult RunChecked(OperationContext& ctx, const std::string& permission, const std::string& target,
                    const std::function<OpResult()>& work) {
  Operation op(ctx, permission, target);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  return op.Finish(work());
}

void RecordUnauthenticated(OperationContext& ctx, const std::string& what, const std::string& reason) {
  Operation op(ctx, "api.authenticate", what);
  op.Emit("access_denied", {{"permission", "api.authenticate"}, {"rule", "authentication"}, {"reason", reason}},
          nullptr);
  // Best effort: the caller is refused whether or not the record could be written.
  (void)security::AuditLog(ctx.config.audit.log_file, *ctx.clock)
      .Append(ctx.identity, {"api.authenticate", what, "denied", {{"reason", reason}}});
}

std::unique_ptr<backup::BackupManager> Operation::NewManager() const { return ops::NewManager(ctx_); }

}  // namespace dr::ops
