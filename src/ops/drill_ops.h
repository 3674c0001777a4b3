// Drills as an operation (drill/): authorize drill.run, run the scenario
// against the configured repository and services, audit, and record the
// outcome in the event history (drill_completed / drill_failed, which
// `report rto-rpo` and the status page read).
#pragma once

#include <functional>
#include <string>

#include "drill/kafka_load.h"
#include "ops/operation.h"

namespace dr::ops {

struct DrillRequest {
  // restore-test (non-disruptive), or database / storage / corruption (disruptive:
  // need `disruptive` and drill.environment: true in the configuration), or
  // all: restore-test, then with `disruptive` each disruptive scenario the
  // configuration provides for (data: scenarios, every drill's document;
  // skipped, each left out with why).
  std::string scenario = "restore-test";
  std::string backup_id;  // restore-test: "" the newest completed backup
  bool disruptive = false;
  std::string service;    // database: the postgresql service ("": the first one configured)
  std::function<void(const std::string&)> progress;
};

// drill.run; drill_completed (passed) / drill_failed. data: the drill's
// result (drill/scratch_restore.h, drill/database_scenario.h); status: its
// first failure. A disruptive scenario is refused (kInvalidArgument without
// `disruptive`, kConfig outside a drill environment) before anything changes.
OpResult RunDrill(OperationContext& ctx, const DrillRequest& request);

// Kafka's part of the region drill (drill/kafka_load.h): the configured
// cluster, the backup region's brokers (dr_coordinator.failover.kafka), one
// backup of Kafka tagged with the drill, and how far the newest completed
// backup in the repository in use reaches into a topic (what the drill counts
// Kafka's messages against when there are no brokers in the backup region).
// ctx must outlive the result.
drill::KafkaLoad KafkaDrillLoad(OperationContext& ctx, const std::string& drill_id);

// report.generate (target "drill"), from the event history:
// - drill_id given: that drill's whole result document, as the drill returned
//   it (kNotFound naming it when the history has no such drill);
// - else the drills of `month` (YYYY-MM; "": this month) aggregated per
//   scenario (drill/report.h: MonthlyReport); the result's status is a failure
//   when overall_status is not "passed" (exit 1), the report still in data.
OpResult DrillReport(OperationContext& ctx, const std::string& month, const std::string& drill_id);

}  // namespace dr::ops
