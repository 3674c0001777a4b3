// The non-disruptive drill ("restore-test", safe against production): the
// newest completed backup is restored, component by component, into scratch
// targets that nothing else uses, each restore is timed (the RTO the platform
// could achieve now) and checked against the backup's manifest, the recovery
// point is measured (the backup's age, the WAL archive's lag, the lake
// mirror's lag: the RPO now), and every scratch target is removed again,
// also when a restore fails. A drill killed before it could clean up leaves
// targets named as drills' (prefix ecap_dr_drill_ / directory ecap-dr-drill):
// the next drill removes them first. Nothing on the live services changes.
//
// Scratch targets per component:
//   files       a directory under <scratch root>/<drill id>/files: every file
//               item restored, counted and summed against the manifest
//   postgresql  logical: each database into "ecap_dr_drill_<stamp>_<db>" on the
//               configured server (tables and rows counted), dropped after;
//               physical: the base backup and the WAL archive recovered in a
//               scratch server on loopback (source/postgres/scratch_server.h),
//               stopped and removed after
//   s3          every object into a scratch bucket "ecap-dr-drill-<drill>" on the
//               lake's endpoint (objects and bytes against the manifest), emptied
//               and deleted after
//   kafka       every topic into "ecap-dr-drill.<drill>.<topic>" on the configured
//               cluster (messages per topic against the manifest; the consumer
//               groups' offsets are not committed: they are the live
//               consumers'), deleted after
#pragma once

#include <functional>
#include <map>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backup/backup_manager.h"
#include "config/config.h"
#include "dr/clock.h"
#include "net/kafka/client.h"

namespace dr::drill {

struct RestoreTestOptions {
  std::string backup_id;    // "": the newest completed backup
  std::string drill_id;     // names the scratch targets; "": one is made
  std::string scratch_root; // "": /tmp/ecap-dr-drill
  std::stop_token stop;     // requested: no further component starts; cleanup still runs
  std::function<void(const std::string&)> progress;  // a line per phase, for a terminal
  // Creates and deletes the drill's probe topic and deletes the Kafka scratch
  // topics (the restore creates them with the manager's); null: librdkafka's
  // Admin API (tests substitute a scripted one: the mock cluster has neither).
  net::kafka::Admin* kafka_admin = nullptr;
};

struct ComponentResult {
  std::string component;
  std::string status;  // passed, failed, not_tested
  std::string scratch; // where it was restored
  double restore_seconds = 0;
  nlohmann::json verification = nlohmann::json::object();
  std::string error;   // why it failed or was not tested
};

// One span of the drill's timeline: from `start_seconds` after the drill began, for `seconds`.
struct Phase {
  std::string name;    // "remove stale targets", "restore and check postgresql", "remove scratch targets"
  double start_seconds = 0;
  double seconds = 0;
  std::string status;  // passed, failed, not_tested
};

struct RestoreTestResult {
  std::string drill_id;
  std::string started_at;  // UTC, when the drill began
  std::string scenario = "restore-test";
  std::string status;  // passed, failed
  Status error;        // the first failure
  std::string backup_id;
  std::string backup_end_time;
  std::vector<ComponentResult> components;
  double rto_seconds = 0;               // every component restored one after another
  double rpo_seconds = -1;              // the database's recovery point now (WAL lag, else the backup's age)
  double backup_age_seconds = -1;
  double wal_archive_lag_seconds = -1;  // -1: no WAL archiving to measure
  double mirror_lag_seconds = -1;       // -1: no lake mirror
  // Per component (files, postgresql, s3, kafka), the age of its newest
  // completed backup: Kafka's recovery point now.
  std::map<std::string, double> backup_age_by_component;
  double rto_target_seconds = 0;
  double rpo_target_seconds = 0;
  std::vector<std::string> removed;        // scratch targets removed after the drill
  std::vector<std::string> stale_removed;  // left by an earlier drill that was killed
  std::vector<std::string> cleanup_errors; // targets that could not be removed (named)
  double duration_seconds = 0;
  std::vector<Phase> phases;  // in the order they ran: the report's timeline
  nlohmann::json ToJson() const;
};

// Runs the drill with `manager` (the configured repository). Never fails: the
// outcome is the result.
RestoreTestResult RunRestoreTest(backup::BackupManager& manager, const config::Config& config, Clock& clock,
                                 const RestoreTestOptions& options);

}  // namespace dr::drill
