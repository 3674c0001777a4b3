// `ecap-dr serve`: the guide's BackupAutomation. One process that
//   - runs the scheduled jobs of automation.jobs (automation/scheduler.h),
//     each as the operation of its CLI twin (ops::RunJob);
//   - serves /metrics (Prometheus text), /healthz (alive), /readyz
//     (configuration loaded, repository reachable) and /api/v1/schedules;
//   - stops on request: nothing new starts, running jobs get
//     automation.shutdown_timeout, then they are cancelled cleanly.
//
//   dr::automation::BackupAutomation automation(config);
//   automation.Start(stop_token);   // blocks until the token is requested
#pragma once

#include <functional>
#include <memory>
#include <stop_token>
#include <string>

#include "config/config.h"
#include "dr/clock.h"
#include "dr/result.h"
#include "security/access/access_control.h"

namespace dr::server {

struct AutomationOptions {
  Clock* clock = &RealClock();
  std::string listen;                                // host:port; "" : automation.listen (port 0: any free port)
  std::function<void(const std::string&)> log;       // each log line (serve: stderr, which journald keeps)
  std::function<void(int port)> on_ready;            // listening and scheduling (serve: sd_notify READY=1)
  security::Identity identity;                       // who the scheduled jobs run as (audit records)
};

class BackupAutomation {
 public:
  explicit BackupAutomation(config::Config config, AutomationOptions options = {});
  ~BackupAutomation();
  BackupAutomation(const BackupAutomation&) = delete;
  BackupAutomation& operator=(const BackupAutomation&) = delete;

  // Serves and schedules until `stop` is requested, then stops as described
  // above. kConfig for a configuration it cannot run (no state directory, a
  // bad listen address), kUnavailable when it cannot listen.
  Status Start(std::stop_token stop);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace dr::server

namespace dr::automation {
// The guide's name.
using BackupAutomation = server::BackupAutomation;
}  // namespace dr::automation
