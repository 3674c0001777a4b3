#include "server/status_view.h"

#include <unistd.h>

#include <set>

#include "base/host.h"
#include "base/time_util.h"
#include "events/event_store.h"

namespace dr::server {

using nlohmann::json;

namespace {

// Each watched service: its state from the daemon's last check, else from its
// newest health change; since when, when a change into that state is on record.
json Services(const config::Config& config, const std::map<std::string, std::string>& health,
              const std::vector<events::Event>& changes) {
  json out = json::array();
  if (!config.coordinator_configured) return out;
  for (const auto& svc : config.coordinator.services) {
    json row{{"name", svc.name}, {"status", "unknown"}, {"since", nullptr}, {"error", ""}};
    auto checked = health.find(svc.name);
    for (const auto& e : changes) {  // newest first
      if (e.data.value("service", "") != svc.name) continue;
      if (checked != health.end() && e.data.value("to", "") != checked->second) break;
      row["status"] = e.data.value("to", "unknown");
      row["since"] = e.timestamp;
      row["error"] = e.data.value("error", "");
      break;
    }
    if (checked != health.end()) row["status"] = checked->second;
    out.push_back(row);
  }
  return out;
}

}  // namespace

json StatusView(const config::Config& config, automation::Scheduler& scheduler, automation::DaemonMetrics& metrics,
                const json& alerts, const std::map<std::string, std::string>& health, Clock& clock) {
  auto now = clock.Now();
  json view{{"generated_at", FormatUtc(now)},
            {"host", HostName()},
            {"rto_target_seconds", config.coordinator.rto_target_minutes * 60},
            {"rpo_target_seconds", config.coordinator.rpo_target_minutes * 60},
            {"max_backup_age_seconds", config.alerting.rules.max_backup_age_hours * 3600},
            {"alerts", alerts.value("alerts", json::array())},
            {"last_failover", nullptr},
            {"events", json::array()},
            {"services", Services(config, health, {})}};

  // Components: the newest backup of each, and the jobs that back it up.
  std::map<std::string, std::vector<std::string>> scheduled_by;
  for (const auto& job : scheduler.jobs()) {
    for (const auto& c : automation::BackedUpComponents(config, {job})) scheduled_by[c].push_back(job.config.name);
  }
  json components = json::array();
  for (const auto& [name, c] : metrics.Components()) {
    json row{{"name", name}, {"size_bytes", c.size_bytes}, {"jobs", scheduled_by[name]},
             {"last_backup", nullptr}, {"age_seconds", nullptr}};
    if (c.last_backup) {
      row["last_backup"] = FormatUtc(*c.last_backup);
      row["age_seconds"] = std::chrono::duration<double>(now - *c.last_backup).count();
    }
    components.push_back(row);
  }
  view["components"] = components;

  json jobs = json::array();
  if (auto statuses = scheduler.Statuses(1); statuses.ok()) {
    for (const auto& s : *statuses) jobs.push_back(s.ToJson(scheduler.options().zone));
  }
  view["jobs"] = jobs;

  // The event history: best effort (the page shows what it has).
  std::string history = events::HistoryPath(config);
  if (history.empty()) return view;
  auto store = events::EventStore::Open(history, clock);
  if (!store.ok()) return view;
  if (auto recent = (*store)->List(15); recent.ok()) {
    for (const auto& e : *recent) view["events"].push_back(e.ToJson());
  }
  if (auto changes = (*store)->List(1000, {"health_changed"}); changes.ok()) view["services"] = Services(config, health, *changes);
  if (auto failovers = (*store)->List(1, {"failover_completed", "failover_failed"}); failovers.ok() && !failovers->empty()) {
    const auto& e = failovers->front();
    json f = e.data;
    f["timestamp"] = e.timestamp;
    f["event_type"] = e.event_type;
    view["last_failover"] = f;
  }
  if (auto drills = (*store)->List(1, {"drill_completed", "drill_failed"}); drills.ok() && !drills->empty()) {
    const auto& e = drills->front();
    json d = e.data;
    d["timestamp"] = e.timestamp;
    d["event_type"] = e.event_type;
    view["last_drill"] = d;
  }
  return view;
}

}  // namespace dr::server
