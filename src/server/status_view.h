// The status page's document (status_page.h: StatusView), assembled from what
// the daemon holds (its scheduler's job states, the newest backup of each
// component as the metrics keep it, the alerts firing) and the event history
// (the last failover, recent events, when each service's health last changed)
// and the alert inputs the daemon gathers once a minute (each service's health
// as its last check found it). Never a scan of the repository: opening the
// page costs one SQLite read.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "automation/daemon_metrics.h"
#include "automation/scheduler.h"
#include "config/config.h"
#include "dr/clock.h"

namespace dr::server {

// `health`: each service's state from the daemon's last check (empty: from the
// monitor's health_changed events only).
nlohmann::json StatusView(const config::Config& config, automation::Scheduler& scheduler,
                          automation::DaemonMetrics& metrics, const nlohmann::json& alerts,
                          const std::map<std::string, std::string>& health, Clock& clock);

}  // namespace dr::server
