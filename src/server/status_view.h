// The status page's document (status_page.h: StatusView), assembled from what
// the daemon holds (its scheduler's job states, the newest backup of each
// component as the metrics keep it, the alerts firing) and the event history
// (service health changes, the last failover, recent events). Never a scan of
// the repository, never a health check: opening the page costs one SQLite read.
#pragma once

#include <nlohmann/json.hpp>

#include "automation/daemon_metrics.h"
#include "automation/scheduler.h"
#include "config/config.h"
#include "dr/clock.h"

namespace dr::server {

nlohmann::json StatusView(const config::Config& config, automation::Scheduler& scheduler,
                          automation::DaemonMetrics& metrics, const nlohmann::json& alerts, Clock& clock);

}  // namespace dr::server
