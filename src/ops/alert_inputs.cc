#include "ops/alert_inputs.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <filesystem>

#include "backup/backup_manager.h"
#include "base/time_util.h"
#include "coordinator/coordinator.h"
#include "events/event_store.h"
#include "source/s3lake/mirror.h"

namespace dr::ops {
namespace {

using nlohmann::json;
using automation::AlertInputs;

// The gatherer observes health; recording its changes is the monitor's job.
class DiscardSink : public events::EventSink {
 public:
  Status Emit(const std::string&, const json&) override { return Status::Ok(); }
};

std::optional<double> Known(double v) { return v >= 0 ? std::optional<double>(v) : std::nullopt; }

Status GatherHealth(const OperationContext& ctx, AlertInputs& in) {
  if (!ctx.config.coordinator_configured || ctx.config.coordinator.services.empty()) return Status::Ok();
  DiscardSink discard;
  coordinator::DisasterRecoveryCoordinator c(ctx.config, *ctx.clock, &discard);
  DR_ASSIGN_OR_RETURN(auto report, c.CheckHealth(/*apply_threshold=*/false));
  for (const auto& s : report.services) in.service_health[s.name] = coordinator::HealthName(s.status);
  return Status::Ok();
}

// Counts and the last failover from the event history.
Status GatherHistory(const OperationContext& ctx, AlertInputs& in) {
  std::string path = events::HistoryPath(ctx.config);
  if (path.empty()) return Status::Ok();  // no history: unknown
  if (!std::filesystem::exists(path)) {   // nothing recorded yet (and reading must not create it)
    in.access_denials_in_window = in.access_denials_total = 0;
    in.restores = {{"succeeded", 0}, {"failed", 0}};
    in.verifications = {{"succeeded", 0}, {"failed", 0}};
    return Status::Ok();
  }
  DR_ASSIGN_OR_RETURN(auto store, events::EventStore::Open(path, *ctx.clock));
  DR_ASSIGN_OR_RETURN(auto all, store->Count({"access_denied", "restore_completed", "restore_failed", "verify_passed",
                                              "verify_failed"}));
  in.access_denials_total = all["access_denied"];
  in.restores = {{"succeeded", all["restore_completed"]}, {"failed", all["restore_failed"]}};
  in.verifications = {{"succeeded", all["verify_passed"]}, {"failed", all["verify_failed"]}};
  std::string since = FormatUtc(in.now - ctx.config.alerting.rules.AccessDenialWindow(), true);
  DR_ASSIGN_OR_RETURN(auto recent, store->Count({"access_denied"}, since));
  in.access_denials_in_window = recent["access_denied"];
  // The newest drill of each scenario (the drills of the last 100 runs are enough to find them).
  DR_ASSIGN_OR_RETURN(auto drills, store->List(100, {"drill_completed", "drill_failed"}));
  for (const auto& d : drills) {
    auto at = ParseUtc(d.timestamp);
    if (!at || !d.data.is_object()) continue;
    const json& named = d.data.contains("scenario") ? d.data["scenario"] : json();
    std::string scenario = named.is_string() ? named.get<std::string>() : "restore-test";
    if (in.last_drills.count(scenario)) continue;  // newest first: an older one
    in.last_drills[scenario] = {.at = *at, .passed = d.event_type == "drill_completed",
                                .rto_seconds = Known(d.data.value("rto_seconds", -1.0)),
                                .rpo_seconds = Known(d.data.value("rpo_seconds", -1.0))};
  }
  DR_ASSIGN_OR_RETURN(auto failovers, store->List(1, {"failover_completed"}));
  if (failovers.empty()) return Status::Ok();
  const events::Event& e = failovers.front();
  auto at = ParseUtc(e.timestamp);
  if (!at || !e.data.is_object()) return Corrupt("event " + std::to_string(e.id) + " (failover_completed) is not readable");
  AlertInputs::Failover f{.at = *at, .rto_seconds = Known(e.data.value("rto_seconds", -1.0))};
  for (const char* key : {"rpo_seconds", "storage_rpo_seconds"}) {
    if (auto rpo = Known(e.data.value(key, -1.0))) f.rpo_seconds = std::max(*rpo, f.rpo_seconds.value_or(0));
  }
  in.last_failover = f;
  return Status::Ok();
}

Status GatherWalLag(const OperationContext& ctx, AlertInputs& in) {
  if (!ctx.config.postgresql_configured) return Status::Ok();
  DR_ASSIGN_OR_RETURN(auto wal, NewManager(ctx)->WalStatus());
  if (wal.archived_files == 0) return Status::Ok();  // not archiving WAL here
  if (!wal.server_error.empty()) return Unavailable("PostgreSQL: " + wal.server_error);
  in.wal_archive_lag_seconds = Known(wal.archive_lag_seconds);
  return Status::Ok();
}

Status GatherKeyAge(const OperationContext& ctx, AlertInputs& in) {
  if (!ctx.config.encryption.enabled) return Status::Ok();
  DR_ASSIGN_OR_RETURN(json key, NewManager(ctx)->KeyCheck());
  if (key.value("status", "") != "ok") return Failed(key.value("error", "the key check failed"));
  if (!key.contains("key_age_days")) return NotFound("the repository does not record when the master key was created");
  in.master_key_age_seconds = key["key_age_days"].get<double>() * 86400;
  return Status::Ok();
}

}  // namespace

double RepositoryFreeBytes(const config::RepositoryLocation& repo) {
  if (repo.type != "local" || repo.path.empty()) return -1;
  struct statvfs fs {};
  if (statvfs(repo.path.c_str(), &fs) != 0) return -1;
  return static_cast<double>(fs.f_bavail) * static_cast<double>(fs.f_frsize);
}

GatheredInputs GatherAlertInputs(const OperationContext& ctx) {
  GatheredInputs out;
  AlertInputs& in = out.inputs;
  const config::Config& config = ctx.config;
  in.now = ctx.clock->Now();
  in.rto_target_seconds = config.coordinator.rto_target_minutes * 60;
  in.rpo_target_seconds = config.coordinator.rpo_target_minutes * 60;
  in.repository_free_bytes = Known(RepositoryFreeBytes(AsServedNow(config).repository));
  if (!config.s3.mirror_source.empty()) {
    std::string pass = source::MirrorPassFile(config.s3.MirrorStateFile());
    in.s3_mirror_lag_seconds = source::MirrorLagSeconds(pass, in.now);
    if (!in.s3_mirror_lag_seconds) out.warnings.push_back("s3 mirror lag unknown: no completed pass in " + pass);
  }
  const std::pair<const char*, Status (*)(const OperationContext&, AlertInputs&)> steps[] = {
      {"service health", GatherHealth},
      {"event history", GatherHistory},
      {"WAL archive lag", GatherWalLag},
      {"master key age", GatherKeyAge}};
  for (const auto& [what, step] : steps) {
    if (Status s = step(ctx, in); !s.ok()) out.warnings.push_back(std::string(what) + " unknown: " + s.message());
  }
  return out;
}

void AlertInputsGatherer::Invalidate() {
  std::lock_guard lock(mu_);
  last_.reset();
}

GatheredInputs AlertInputsGatherer::Get(std::vector<std::string>* new_warnings) {
  std::lock_guard lock(mu_);
  auto mono = ctx_.clock->Monotonic();
  if (!last_ || mono - gathered_at_ >= interval_) {
    GatheredInputs next = GatherAlertInputs(ctx_);
    for (const auto& w : next.warnings) {
      bool seen = last_ && std::find(last_->warnings.begin(), last_->warnings.end(), w) != last_->warnings.end();
      if (!seen && new_warnings != nullptr) new_warnings->push_back(w);
    }
    last_ = std::move(next);
    gathered_at_ = mono;
  }
  GatheredInputs out = *last_;
  out.inputs.now = ctx_.clock->Now();
  return out;
}

}  // namespace dr::ops
