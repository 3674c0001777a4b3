#include "ops/backup_ops.h"

#include <algorithm>

#include "backup/compliance.h"
#include "backup/point_in_time.h"
#include "base/status_json.h"
#include "ops/backup_json.h"

namespace dr::ops {

using nlohmann::json;

namespace {

void AddWarnings(OpResult& r, const std::vector<std::string>& warnings) {
  r.warnings.insert(r.warnings.end(), warnings.begin(), warnings.end());
}

// Whether the configured repository exists (a cheap stat of its config object).
bool RepositoryExists(OperationContext& ctx) {
  std::unique_ptr<Backend> backend;
  if (ctx.open_backend) {
    backend = ctx.open_backend();
  } else {
    auto opened = backup::OpenBackend(AsServedNow(ctx.config).repository);
    if (!opened.ok()) return false;
    backend = std::move(*opened);
  }
  auto exists = repo::Repository::Exists(*backend);
  return exists.ok() && *exists;
}

}  // namespace

OpResult CreateBackup(OperationContext& ctx, const std::string& backup_id, const backup::BackupRequest& request) {
  Operation op(ctx, "backup.create", backup_id);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto manager = op.NewManager();
  backup::BackupResult r = manager->CreateFullBackup(backup_id, request);
  OpResult out{.status = r.error, .data = r.ToJson()};
  AddWarnings(out, r.warnings);
  json event{{"backup_id", r.backup_id}, {"backup_type", r.backup_type}, {"status", r.status},
             {"duration_seconds", r.duration_seconds}, {"size_bytes", r.stats.input_bytes},
             {"stored_bytes", r.stats.stored_bytes}};
  return op.Finish(std::move(out), {{"backup_id", r.backup_id}},
                   r.error.ok() ? "backup_completed" : "backup_failed", std::move(event));
}

OpResult ListBackups(OperationContext& ctx) {
  Operation op(ctx, "backup.list", "");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto manager = op.NewManager();
  auto listing = manager->ListAllBackups();
  OpResult out;
  AddWarnings(out, manager->warnings());
  if (!listing.ok()) {
    out.status = listing.status();
    return op.Finish(std::move(out));
  }
  // A damaged snapshot is listed and marked, never a reason to hide the others.
  json backups = json::array();
  for (const auto& s : listing->backups) backups.push_back(BackupJson(s, /*with_items=*/false));
  for (const auto& d : listing->damaged) {
    backups.push_back({{"backup_id", d.backup_id}, {"status", "damaged"}, {"error", ErrorJson(d.error)}});
    out.warnings.push_back("backup '" + d.backup_id + "' is damaged: " + d.error.message());
  }
  out.data = json{{"backups", backups}, {"damaged_count", listing->damaged.size()}};
  return op.Finish(std::move(out));
}

OpResult ShowBackup(OperationContext& ctx, const std::string& backup_id) {
  repo::Snapshot whole;
  OpResult r = ShowBackup(ctx, backup_id,
                          {.header =
                               [&](const repo::Snapshot& summary) {
                                 whole = summary;
                                 return Status::Ok();
                               },
                           .item =
                               [&](size_t c, repo::SnapshotItem&& item) {
                                 whole.components[c].items.push_back(std::move(item));
                                 return Status::Ok();
                               }});
  if (r.ok()) r.data = BackupJson(whole, /*with_items=*/true);
  return r;
}

OpResult ShowBackup(OperationContext& ctx, const std::string& backup_id, const BackupWalk& walk) {
  Operation op(ctx, "backup.list", backup_id);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto manager = op.NewManager();
  json summary;
  Status s = manager->WalkBackup(
      backup_id,
      [&](const repo::Snapshot& header) {
        summary = BackupJson(header, /*with_items=*/false);
        return walk.header(header);
      },
      walk.item);
  if (!s.ok()) return op.Finish(ErrorResult(s));
  return op.Finish(OpResult{.data = std::move(summary)});
}

OpResult DeleteBackup(OperationContext& ctx, const std::string& backup_id) {
  Operation op(ctx, "backup.delete", backup_id);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  Status s = op.NewManager()->DeleteBackup(backup_id);
  if (!s.ok()) return op.Finish(ErrorResult(s));
  return op.Finish(OpResult{.data = json{{"status", "completed"}, {"backup_id", backup_id}}}, json::object(),
                   "backup_deleted", {{"backup_id", backup_id}});
}

OpResult PinBackup(OperationContext& ctx, const std::string& backup_id, bool pinned) {
  Operation op(ctx, "backup.pin", backup_id);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto s = op.NewManager()->PinBackup(backup_id, pinned);
  OpResult out = s.ok() ? OpResult{.data = json{{"backup_id", backup_id}, {"pinned", pinned}, {"tags", s->tags}}}
                        : ErrorResult(s.status());
  std::string event = !s.ok() ? "" : pinned ? "backup_pinned" : "backup_unpinned";
  return op.Finish(std::move(out), {{"pinned", pinned}}, event, {{"backup_id", backup_id}});
}

OpResult Restore(OperationContext& ctx, const std::string& backup_id, const backup::RestoreRequest& request) {
  Operation op(ctx, "backup.restore", backup_id);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto manager = op.NewManager();
  backup::RestoreResult r = manager->RestoreBackup(backup_id, request);
  OpResult out{.status = r.error, .data = r.ToJson()};
  AddWarnings(out, manager->warnings());
  AddWarnings(out, r.warnings);
  json event{{"backup_id", backup_id}, {"status", r.status}, {"items_restored", r.items_restored},
             {"bytes_restored", r.bytes_restored}, {"target", r.target}, {"duration_seconds", r.duration_seconds}};
  return op.Finish(std::move(out), {{"items", r.items_restored}, {"bytes", r.bytes_restored}},
                   r.error.ok() ? "restore_completed" : "restore_failed", std::move(event));
}

OpResult RestoreToTime(OperationContext& ctx, const std::string& time, const backup::RestoreRequest& request) {
  Operation op(ctx, "backup.restore", "as of " + time);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto manager = op.NewManager();
  backup::PointInTimeResult r = backup::RestoreToTime(*manager, time, request, *ctx.clock);
  OpResult out{.status = r.error, .data = r.ToJson()};
  AddWarnings(out, manager->warnings());
  AddWarnings(out, r.warnings);
  json components = json::array();
  for (const auto& c : r.components) {
    components.push_back({{"component", c.component}, {"backup_id", c.backup_id},
                          {"seconds_before_target", c.seconds_before_target}});
  }
  json event{{"target_time", r.target_time}, {"status", r.status}, {"components", components},
             {"rpo_seconds", r.rpo_seconds < 0 ? json(nullptr) : json(r.rpo_seconds)},
             {"duration_seconds", r.duration_seconds}};
  return op.Finish(std::move(out), {{"target_time", r.target_time}, {"components", r.components.size()}},
                   r.error.ok() ? "restore_completed" : "restore_failed", std::move(event));
}

OpResult Verify(OperationContext& ctx, const std::string& backup_id, bool full) {
  Operation op(ctx, "backup.verify", backup_id);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto manager = op.NewManager();
  backup::VerifyResult r = manager->VerifyBackupIntegrity(backup_id, full);
  json j = r.ToJson();
  std::string overall = j["verification_results"]["overall_status"];
  OpResult out{.status = r.error, .data = std::move(j)};
  AddWarnings(out, manager->warnings());
  return op.Finish(std::move(out), {{"overall_status", overall}, {"full", full}},
                   overall == "passed" ? "verify_passed" : "verify_failed",
                   {{"backup_id", backup_id}, {"mode", full ? "full" : "quick"}, {"overall_status", overall}});
}

OpResult ApplyRetention(OperationContext& ctx, const backup::RetentionRequest& request) {
  Operation op(ctx, "retention.apply", "");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto r = op.NewManager()->ApplyRetention(request);
  if (!r.ok()) return op.Finish(ErrorResult(r.status()), json::object(), "retention_failed", {{"dry_run", request.dry_run}});
  json event{{"dry_run", r->dry_run}, {"deleted", r->forgotten}, {"kept", std::count_if(r->decisions.begin(),
                                                                                       r->decisions.end(),
                                                                                       [](const auto& d) { return d.keep; })},
             {"packs_deleted", r->prune.packs_deleted}, {"wal_files_removed", r->wal_files_removed}};
  return op.Finish(OpResult{.data = r->ToJson()}, json::object(), "retention_applied", std::move(event));
}

OpResult InitRepository(OperationContext& ctx) {
  Operation op(ctx, "repo.init", "");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto manager = op.NewManager();
  auto r = manager->InitRepository();
  OpResult out;
  AddWarnings(out, manager->warnings());
  if (!r.ok()) {
    out.status = r.status();
    return op.Finish(std::move(out));
  }
  out.data = json{{"status", "completed"},       {"location", r->location},     {"repository_id", r->repository_id},
                  {"encrypted", r->encrypted},   {"key_source", r->key_source}, {"key_generated", r->key_generated}};
  return op.Finish(std::move(out), json::object(), "repository_initialized",
                   {{"location", r->location}, {"repository_id", r->repository_id}, {"encrypted", r->encrypted}});
}

OpResult UpgradeRepository(OperationContext& ctx) {
  Operation op(ctx, "repo.init", "upgrade");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto manager = op.NewManager();
  auto r = manager->UpgradeRepository();
  OpResult out;
  AddWarnings(out, manager->warnings());
  if (!r.ok()) {
    out.status = r.status();
    return op.Finish(std::move(out));
  }
  out.data = json{{"status", "completed"}, {"from_version", r->first}, {"version", r->second},
                  {"upgraded", r->first != r->second}};
  return op.Finish(std::move(out), json::object(), r->first != r->second ? "repository_upgraded" : "",
                   {{"from_version", r->first}, {"version", r->second}});
}

OpResult CheckRepository(OperationContext& ctx, bool read_data) {
  Operation op(ctx, "backup.verify", "");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto manager = op.NewManager();
  auto report = manager->CheckRepository(read_data);
  OpResult out;
  AddWarnings(out, manager->warnings());
  if (!report.ok()) {
    out.status = report.status();
    return op.Finish(std::move(out));
  }
  int errors = 0;
  Code first = Code::kOk;  // damage is exit 4; unreadable storage keeps its own code
  for (const auto& f : report->findings) {
    if (f.severity != "error") continue;
    if (errors++ == 0) first = f.code;
  }
  std::string found = std::to_string(errors) + (errors == 1 ? " error" : " errors") + " found";
  out.status = errors == 0 ? Status::Ok() : Status(first, found);
  out.data = report->ToJson();
  return op.Finish(std::move(out), {{"errors", errors}}, "repository_checked",
                   {{"read_data", read_data}, {"errors", errors}, {"status", out.data["status"]}});
}

OpResult Replicate(OperationContext& ctx, bool check, bool read_data) {
  Operation op(ctx, "repo.replicate", "");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto results = op.NewManager()->Replicate(check, read_data);
  if (!results.ok()) return op.Finish(ErrorResult(results.status()), json::object(), "replication_failed");
  json replicas = json::array();
  bool failed = false;
  for (const auto& r : *results) {
    replicas.push_back(r.ToJson());
    failed = failed || r.check_status == "failed";
  }
  OpResult out{.data = json{{"status", "completed"}, {"replicas", replicas}}};
  if (failed) {
    out.status = Corrupt("a replica failed its check after replication");
    out.data["status"] = "failed";
    for (const auto& r : *results) {
      for (const auto& f : r.findings) out.warnings.push_back(r.location + ": " + f);
    }
  }
  return op.Finish(std::move(out), json::object(), failed ? "replication_failed" : "replication_completed",
                   {{"replicas", replicas}});
}

OpResult KeyCheck(OperationContext& ctx) {
  Operation op(ctx, "key.check", "");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto r = op.NewManager()->KeyCheck();
  if (!r.ok()) return op.Finish(ErrorResult(r.status()));
  if ((*r)["status"] == "failed") return op.Finish(ErrorResult(ConfigError((*r)["error"].get<std::string>())));
  return op.Finish(OpResult{.data = *r});
}

OpResult KeyRotate(OperationContext& ctx) {
  Operation op(ctx, "key.rotate", "");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto r = op.NewManager()->KeyRotate();
  if (!r.ok()) return op.Finish(ErrorResult(r.status()), json::object(), "key_rotation_failed");
  return op.Finish(OpResult{.data = *r}, json::object(), "key_rotated",
                   {{"old_key_id", r->value("old_key_id", "")}, {"new_key_id", r->value("new_key_id", "")}});
}

OpResult WalPush(OperationContext& ctx, const std::string& path) {
  Operation op(ctx, "wal.push", path);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  Status s = op.NewManager()->WalPush(path);
  if (!s.ok()) return op.Finish(ErrorResult(s));
  return op.Finish(OpResult{.data = json{{"status", "completed"}, {"wal", path}}});
}

OpResult WalFetch(OperationContext& ctx, const std::string& name, const std::string& dest) {
  Operation op(ctx, "wal.fetch", name);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  Status s = op.NewManager()->WalFetch(name, dest);
  if (s.code() == Code::kNotFound && RepositoryExists(ctx)) {
    return op.Finish(OpResult{.status = s, .data = json{{"status", "not_found"}, {"wal", name}}});
  }
  if (!s.ok()) return op.Finish(ErrorResult(s));
  return op.Finish(OpResult{.data = json{{"status", "completed"}, {"wal", name}}});
}

OpResult WalStatus(OperationContext& ctx) {
  Operation op(ctx, "backup.list", "");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto r = op.NewManager()->WalStatus();
  if (!r.ok()) return op.Finish(ErrorResult(r.status()));
  OpResult out{.data = r->ToJson()};
  // A configured server that does not answer leaves the RPO unknown: RPO
  // monitoring must see a failure (exit 5), with the archive's state still shown.
  if (ctx.config.postgresql_configured && !r->server_reachable) {
    const auto& pg = ctx.config.postgresql;
    out.status = Unavailable("the archive lag (current RPO) is unknown: PostgreSQL server " + pg.host + ":" +
                             std::to_string(pg.port) + ": " + r->server_error);
    out.data["status"] = "failed";
    out.data["error"] = ErrorJson(out.status);
  }
  return op.Finish(std::move(out));
}

OpResult MirrorOnce(OperationContext& ctx) {
  Operation op(ctx, "s3.mirror", "");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto r = op.NewManager()->MirrorOnce();
  if (!r.ok()) return op.Finish(ErrorResult(r.status()), json::object(), "s3_mirror_failed");
  json j = r->ToJson();
  return op.Finish(OpResult{.data = j}, json::object(), "s3_mirror_completed", j);
}

OpResult MirrorWatch(OperationContext& ctx, const std::function<bool(const OpResult& pass)>& keep_going) {
  Operation op(ctx, "s3.mirror", "");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto manager = op.NewManager();
  // Each pass is reported to the caller, not audited: the watch itself was authorized once.
  while (true) {
    auto r = manager->MirrorOnce();
    OpResult pass = r.ok() ? OpResult{.data = r->ToJson()} : ErrorResult(r.status());
    if (!keep_going(pass)) return pass;
    ctx.clock->SleepFor(std::chrono::seconds(ctx.config.s3.mirror_interval_seconds));
  }
}

OpResult ComplianceReport(OperationContext& ctx, const std::string& month) {
  Operation op(ctx, "report.generate", month);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto r = op.NewManager()->ComplianceReport(month);
  if (!r.ok()) return op.Finish(ErrorResult(r.status()));
  std::string overall = (*r)["overall_status"];
  OpResult out{.data = *r};
  if (overall != "passed") out.status = Failed("the compliance report's overall status is " + overall);
  Status ran = Status::Ok();  // the report ran; its verdict is in the result
  return op.Finish(std::move(out), {{"overall_status", overall}}, "", json::object(), &ran);
}

}  // namespace dr::ops
