// The disruptive "corruption" drill: rows of a live database are damaged at a
// known time while a client keeps committing, and the platform puts them back
// from the physical backup and the WAL archive (the data_corruption runbook),
// measured from the outside.
//
//   0. The database archives its WAL (archive_mode, archive_command), or
//      nothing is touched: recovery replays the archive.
//   1. A load generator commits one row at a time into ecap_dr_drill_writes
//      and records every commit the server acknowledged (load_writer.h).
//   2. The damage, once it has commits on record: T is read from the
//      server's clock after the last commit acknowledged so far, then in one
//      transaction every third of those rows gets the epoch as its time and
//      every seventh is deleted. The load goes on: rows written after T are
//      not damage, and recovery must leave them alone.
//   3. The WAL up to the damage is archived (pg_switch_wal, then
//      pg_stat_archiver names that segment): recovery to T needs it.
//   4. Recovery runs (the caller's: the data_corruption runbook with
//      corruption_time T and the drill's table). It pauses writes, so the
//      load generator's commits are refused until it resumes them.
//   5. RTO: from the damage to the first commit acknowledged once the
//      runbook resumed writes (after the repair). RPO: the
//      acknowledged commits that are missing or still damaged, each named.
//   6. The drill's rows, the damaged versions the repair kept beside the
//      table, and the recovery's scratch copy are removed, also on failure.
//
// Nothing here decides whether the database may be damaged: the caller
// checks drill.environment and --disruptive first.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "dr/clock.h"
#include "drill/disruptive.h"

namespace dr::drill {

struct CorruptionScenarioOptions : DisruptiveOptions {
  std::string service;    // how the database is named in the result ("shop on 10.0.0.10:5432")
  std::string conninfo;   // the database whose rows are damaged
  // The recovery, given the corruption time as the server printed it
  // ("2026-12-03 19:20:01.123456+00"); fills in the runbook's execution
  // document, also when it fails (the drill names the step that failed).
  std::function<Status(const std::string& corruption_time, nlohmann::json& runbook)> recover;
  // Removes what recovery may have left (its scratch copy); called at the end, also on failure.
  std::function<Status()> remove_scratch;
  double archive_timeout_seconds = 60;  // for the WAL up to the damage to be archived
};

// Never fails: the outcome is the result (scenario "corruption"; details:
// corruption_time, damage {updated, deleted, last_seq}, repair: the
// runbook's repair_rows output).
DisruptiveResult RunCorruptionScenario(Clock& clock, const CorruptionScenarioOptions& options);

}  // namespace dr::drill
