#include "backup/point_in_time.h"

#include <algorithm>
#include <optional>
#include <set>

#include "backup/restore_options.h"
#include "backup/source_list.h"
#include "base/status_json.h"
#include "base/time_util.h"

namespace dr::backup {

using nlohmann::json;
using TimePoint = std::chrono::system_clock::time_point;

namespace {

// With milliseconds when the time has them (a backup's times do).
std::string Utc(TimePoint t) {
  return FormatUtc(t, t.time_since_epoch() % std::chrono::seconds(1) != TimePoint::duration::zero());
}

double SecondsBetween(TimePoint earlier, TimePoint later) {
  return std::chrono::duration<double>(later - earlier).count();
}

const repo::SnapshotComponent* ComponentOf(const repo::Snapshot& snap, const std::string& name) {
  for (const auto& c : snap.components) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

bool Physical(const repo::SnapshotComponent& c) { return c.meta.is_object() && c.meta.value("mode", "") == "physical"; }

// The request's options that concern `component` alone: another
// component's options (or the shared --target, which a lake or a topic does
// not take) would make its restore refuse them as given for nothing. Whether
// each option applies to some component was checked on the whole request.
RestoreRequest ForComponent(const RestoreRequest& request, const ComponentAsOf& c, TimePoint target) {
  RestoreRequest out;
  out.components = {c.component};
  // PostgreSQL laid out in --pgdata is not extracted: --target is the files'.
  bool takes_items = c.component != "s3" && c.component != "kafka" && c.how != "wal_replay";
  if (takes_items) {
    out.target_dir = request.target_dir;
    out.items = request.items;
    out.overwrite = request.overwrite;
    out.single_sink = request.single_sink;
  }
  if (c.component == "postgresql") {
    out.postgres = request.postgres;
    if (c.how == "wal_replay") out.postgres.target_time = Utc(target);
  }
  if (c.component == "s3") out.s3 = request.s3;
  if (c.component == "kafka") {
    out.kafka = request.kafka;
    if (c.how == "messages_to_time") out.kafka.to_time = FormatUtc(target, /*millis=*/true);
  }
  return out;
}

}  // namespace

Result<std::vector<ComponentAsOf>> PlanPointInTime(const BackupListing& listing, TimePoint target,
                                                   const RestoreRequest& request) {
  struct Usable {
    const repo::Snapshot* snap;
    TimePoint start, end;
  };
  std::vector<Usable> usable;  // oldest first, as listed
  for (const auto& snap : listing.backups) {
    auto start = ParseUtc(snap.start_time), end = ParseUtc(snap.end_time);
    if (snap.status == "completed" && start && end) usable.push_back({&snap, *start, *end});
  }
  std::vector<std::string> names;
  bool all = std::find(request.components.begin(), request.components.end(), "all") != request.components.end();
  if (all && request.components.size() > 1) {
    return InvalidArgument("--component all restores every component: name no other with it");
  }
  for (const auto& name : request.components) {
    if (name != "all" && FindSource(name) == nullptr) {
      return InvalidArgument("unknown component '" + name + "' (known: " + KnownSourceNames() + ", or all)");
    }
  }
  if (all || request.components.empty()) {
    // What the backups finished by T hold (a component first backed up later
    // has nothing to restore as of T), and kafka backed up after it.
    std::set<std::string> seen;
    for (const auto& u : usable) {
      for (const auto& c : u.snap->components) {
        bool reaches = u.end <= target || c.name == "kafka";
        if (reaches && seen.insert(c.name).second) names.push_back(c.name);
      }
    }
    if (names.empty()) {
      std::string message = "no completed backup in the repository finished by " + Utc(target);
      if (!usable.empty()) {
        message += " (the oldest, " + usable.front().snap->backup_id + ", finished " + usable.front().snap->end_time + ")";
      }
      return NotFound(message);
    }
    if (!all && names.size() > 1) {
      std::string present;
      for (const auto& n : names) present += (present.empty() ? "" : ", ") + n;
      return InvalidArgument("the backups up to " + Utc(target) + " hold the components " + present +
                             "; choose what to restore with --component (or --component all)");
    }
  } else {
    names = request.components;
  }
  bool replay_wal = !request.postgres.pgdata.empty();
  // With --target or --stdout a PostgreSQL backup is extracted, whichever kind it is.
  bool extract = !request.target_dir.empty() || request.single_sink != nullptr;
  std::vector<ComponentAsOf> plan;
  for (const auto& name : names) {
    std::optional<ComponentAsOf> chosen;
    auto as_backup = [&](const Usable& u, const std::string& how, TimePoint point) {
      chosen = ComponentAsOf{name, u.snap->backup_id, how, Utc(point), std::max(0.0, SecondsBetween(point, target))};
    };
    // The newest finished by T (of the right kind for postgresql).
    for (auto it = usable.rbegin(); it != usable.rend() && !chosen; ++it) {
      const repo::SnapshotComponent* c = ComponentOf(*it->snap, name);
      if (c == nullptr || it->end > target) continue;
      if (name == "postgresql" && (replay_wal ? !Physical(*c) : !extract && Physical(*c))) continue;
      if (name == "postgresql" && replay_wal) {
        as_backup(*it, "wal_replay", target);
      } else {
        as_backup(*it, "backup", it->start);
      }
    }
    if (name == "kafka") {
      // Better: the oldest started at or after T, cut at T.
      for (const auto& u : usable) {
        if (ComponentOf(*u.snap, name) != nullptr && u.start >= target) {
          as_backup(u, "messages_to_time", target);
          break;
        }
      }
    }
    if (!chosen) {
      std::string kind = name != "postgresql" ? "" : replay_wal ? " physical (for --pgdata)" : " logical";
      std::string message = "no completed" + kind + " backup of component '" + name + "' finished by " +
                            Utc(target);
      for (const auto& u : usable) {
        if (ComponentOf(*u.snap, name) != nullptr) {
          message += " (the oldest, " + u.snap->backup_id + ", finished " + u.snap->end_time + ")";
          break;
        }
      }
      return NotFound(message);
    }
    plan.push_back(std::move(*chosen));
  }
  return plan;
}

json PointInTimeResult::ToJson() const {
  json comps = json::array();
  for (size_t i = 0; i < components.size(); ++i) {
    const auto& c = components[i];
    json j{{"component", c.component},
           {"backup_id", c.backup_id},
           {"how", c.how},
           {"recovery_point", c.recovery_point},
           {"seconds_before_target", c.seconds_before_target},
           {"status", i < restores.size() ? restores[i].status : "not_started"}};
    if (i < restores.size()) j["restore"] = restores[i].ToJson();
    comps.push_back(std::move(j));
  }
  json j{{"target_time", target_time},   {"status", status},
         {"components", comps},          {"rpo_seconds", rpo_seconds < 0 ? json(nullptr) : json(rpo_seconds)},
         {"duration_seconds", duration_seconds}, {"warnings", warnings}};
  if (!error.ok()) j["error"] = ErrorJson(error);
  return j;
}

PointInTimeResult RestoreToTime(BackupManager& manager, const std::string& time, const RestoreRequest& request,
                                const Clock& clock) {
  PointInTimeResult result;
  auto start = clock.Monotonic();
  auto finish = [&](Status error) {
    result.error = std::move(error);
    result.status = result.error.ok()                        ? "completed"
                    : result.error.code() == Code::kCancelled ? "cancelled"
                                                              : "failed";
    result.duration_seconds = std::chrono::duration<double>(clock.Monotonic() - start).count();
    return result;
  };
  auto target = ParseTimeArg(time);
  if (!target.ok()) return finish(target.status());
  result.target_time = Utc(*target);
  const auto& pg = request.postgres;
  if (!pg.target_time.empty() || !pg.target_lsn.empty() || !pg.target_name.empty() || pg.target_immediate ||
      !request.kafka.to_time.empty()) {
    return finish(InvalidArgument("--to-time without a backup id sets every component's point in time: "
                                  "give no --target-time, --target-lsn, --target-name or --target-immediate with it"));
  }
  auto listing = manager.ListAllBackups();
  if (!listing.ok()) return finish(listing.status());
  for (const auto& d : listing->damaged) {
    result.warnings.push_back("backup '" + d.backup_id + "' is damaged and was not considered: " + d.error.message());
  }
  auto plan = PlanPointInTime(*listing, *target, request);
  if (!plan.ok()) return finish(plan.status());
  result.components = *plan;
  // Every option given must apply to some component restored, as for one backup.
  std::vector<RestoreMode> modes;
  for (const auto& c : result.components) {
    auto snap = manager.GetBackup(c.backup_id, /*with_items=*/false);
    if (!snap.ok()) return finish(snap.status());
    auto component = std::find_if(snap->components.begin(), snap->components.end(),
                                  [&](const auto& x) { return x.name == c.component; });
    const SourceEntry* source = FindSource(c.component);
    if (component == snap->components.end() || source == nullptr) {
      return finish(Failed("backup '" + c.backup_id + "' has component '" + c.component +
                           "', which this ecap-dr cannot restore"));
    }
    // The mode may depend on the items (a physical base backup); a list walked on restore does not.
    if (!source->restores_from_list) {
      if (Status s = manager.LoadItems(c.backup_id, *component); !s.ok()) return finish(s);
    }
    modes.push_back(ModeFor(*component, ForComponent(request, c, *target)));
  }
  if (Status s = CheckRestoreOptions(request, modes); !s.ok()) return finish(s);
  if (request.single_sink != nullptr && result.components.size() != 1) {
    return finish(InvalidArgument("--stdout writes one item: restore one component with it (--component)"));
  }
  bool files = std::any_of(result.components.begin(), result.components.end(),
                           [](const ComponentAsOf& c) { return c.component == "files"; });
  if (files && request.target_dir.empty() && request.single_sink == nullptr) {
    return finish(InvalidArgument("restoring files needs --target DIR or --stdout"));
  }
  for (const auto& c : result.components) {
    RestoreResult restored = manager.RestoreBackup(c.backup_id, ForComponent(request, c, *target));
    result.warnings.insert(result.warnings.end(), restored.warnings.begin(), restored.warnings.end());
    Status error = restored.error;
    result.restores.push_back(std::move(restored));
    if (!error.ok()) return finish(error.WithContext("restore component '" + c.component + "' as of " + result.target_time));
    result.rpo_seconds = std::max(result.rpo_seconds, c.seconds_before_target);
  }
  return finish(Status::Ok());
}

}  // namespace dr::backup
