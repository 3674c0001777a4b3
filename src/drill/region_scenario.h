// The disruptive "region" drill: the whole primary region is lost at once
// (its database primary, the lake's bucket and the backup repository) while
// a client commits rows through the database's name and another puts
// objects into the lake; the platform comes back in the backup region, and
// what that cost is measured from the outside.
//
//   1. Load generators: single-row commits through the service's name
//      (load_writer.h), small objects into the lake's active bucket
//      (lake_load.h) and, when Kafka is configured, messages into the
//      drills' topic (kafka_load.h), every acknowledged write recorded.
//   2. What the platform's schedule does before any fault: with Kafka, one
//      backup of Kafka (the drills' topic among its topics); one mirror pass;
//      and one replication of the repository to its replica. The load goes on: what it writes after
//      them is the lag at the fault.
//   3. The fault (drill.faults.region: the three stop together, and the
//      brokers with them). Without brokers in the backup region the Kafka
//      load stops just before it: nothing could take it.
//   4. Recovery (the caller's: the complete_region_failure runbook, which
//      switches the lake to its mirror and the repository to its replica,
//      promotes the standby, restores Kafka into the backup region's brokers
//      and makes them the ones in use, moves the name, verifies the newest
//      backup from the replica and makes a first backup there).
//   5. RTO: from the fault until all of: a commit acknowledged through the
//      name on a new connection, an object acknowledged by the mirror bucket,
//      a message acknowledged by the backup region's brokers (when there are
//      some), and the recovery ended (its backup verified in the backup region).
//      RPO: the acknowledged commits and objects the backup region lacks,
//      each named, and how long before the fault the oldest was acknowledged
//      (the database's in `writes`, the lake's in `lake_writes`); Kafka's
//      (`kafka_writes`): the acknowledged messages the topic lacks when read
//      back from the backup region's brokers, or without them, the ones the
//      newest backup in the replica does not reach (a restore could not bring
//      them back).
//   6. The drill's rows and objects are removed, also when the drill fails.
//
// Nothing here decides whether the platform may be disrupted: the caller
// checks drill.environment and --disruptive first.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "dr/clock.h"
#include "dr/result.h"
#include "drill/disruptive.h"
#include "drill/kafka_load.h"
#include "drill/lake_load.h"

namespace dr::drill {

struct RegionScenarioOptions : DisruptiveOptions, LakeLoad {
  config::CoordinatedService service;  // type postgresql: primary and standby conninfo
  // The address the service's name resolves to now (the DNS record the recovery moves).
  std::function<Result<std::string>()> resolve;
  // One mirror pass and one replication of the repository (their result
  // documents), and the mirror's account of its lag now (nullopt: unknown).
  std::function<Result<nlohmann::json>()> mirror, replicate;
  std::function<std::optional<double>()> mirror_lag;
  // The repository backups go to now (coordinator::ActiveRepository), and
  // the replica the recovery must leave them going to.
  std::function<Result<std::string>()> active_repository;
  std::string replica_repository;
  // The fault, and the recovery (fills in the runbook's execution document,
  // also when it fails: the drill names the step that failed).
  std::function<Status()> inject;
  std::function<Status(nlohmann::json& runbook)> recover;
  // Kafka's part (nullopt: the platform has no Kafka configured).
  std::optional<KafkaLoad> kafka;
};

// Never fails: the outcome is the result (scenario "region").
DisruptiveResult RunRegionScenario(Clock& clock, const RegionScenarioOptions& options);

}  // namespace dr::drill
