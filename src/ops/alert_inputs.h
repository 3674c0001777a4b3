// What the alert rules (automation/alert_rules.h) and the daemon's metrics need
// beyond the scheduler's jobs and the repository's listing, gathered in one
// place: `serve` calls it at most once a minute (AlertInputsGatherer), never
// per scrape, and `alert list` once. Each source is read on its own; one that
// fails adds a warning and leaves its input unknown (nullopt), and the others
// are still read:
//
//   service_health       dr_coordinator's health checks, each service as its
//                        check finds it (no failure threshold: that is the
//                        monitor's); only with a dr_coordinator section. The
//                        checks record no health_changed events: the monitor does.
//   last_failover        the newest failover_completed event of the history
//   wal_archive_lag      BackupManager::WalStatus; only when postgresql is
//                        configured and the repository holds archived WAL
//                        (a server that never archived is not archiving)
//   s3_mirror_lag        the s3 mirror's last pass (s3.mirror; none before a pass)
//   repository_free      statvfs of a local repository (unknown for S3)
//   access denials,      counts of the event history's access_denied,
//   restores, verifies   restore_* and verify_* events (a history without the
//                        file counts 0; no history configured: unknown)
//   master_key_age       BackupManager::KeyCheck; only with encryption
//
// Not an operation: nothing is authorized or audited here (it only reads);
// the callers are operations or the daemon.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "automation/alert_rules.h"
#include "ops/operation.h"

namespace dr::ops {

struct GatheredInputs {
  // now, the targets and everything gathered; jobs and components are the caller's.
  automation::AlertInputs inputs;
  std::vector<std::string> warnings;  // one per source that could not be read
};

GatheredInputs GatherAlertInputs(const OperationContext& ctx);

// Free bytes where a local repository lives; -1 for object storage or an error.
double RepositoryFreeBytes(const config::RepositoryLocation& repo);

// GatherAlertInputs at most once per `interval` (on ctx.clock), for the daemon.
// Thread-safe: a caller that comes while another gathers waits for its result.
// `ctx` must outlive the gatherer.
class AlertInputsGatherer {
 public:
  AlertInputsGatherer(const OperationContext& ctx, std::chrono::seconds interval) : ctx_(ctx), interval_(interval) {}
  // The last gathered inputs (gathered again first when older than the
  // interval), with `now` set to this moment. `new_warnings` (optional) gets
  // the warnings of a new gathering that the one before did not have, so a
  // source that stays unreadable is logged once, not every minute.
  GatheredInputs Get(std::vector<std::string>* new_warnings = nullptr);
  // The next Get gathers again: after what changes the inputs (a drill ran),
  // so its result shows at once rather than within the interval.
  void Invalidate();

 private:
  const OperationContext& ctx_;
  std::chrono::seconds interval_;
  std::mutex mu_;
  std::optional<GatheredInputs> last_;
  std::chrono::steady_clock::time_point gathered_at_{};
};

}  // namespace dr::ops
