// What the disruptive database drills (database_scenario.h,
// corruption_scenario.h) share: their result document, the timeline of
// phases they keep, and how they count the acknowledged commits a recovery
// lost and remove their rows again.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dr/clock.h"
#include "dr/result.h"
#include "drill/load_writer.h"
#include "drill/scratch_restore.h"
#include "net/postgres/pg_client.h"

namespace dr::drill {

// What every disruptive scenario is given besides its own fault and recovery.
struct DisruptiveOptions {
  std::string drill_id;           // "": one is made
  double timeout_seconds = 900;   // from the fault: not recovered by then is a failure
  size_t commits_before_fault = 20;
  double rto_target_seconds = 900;
  double rpo_target_seconds = 300;
  std::stop_token stop;
  std::function<void(const std::string&)> progress;
};

struct LostWrite {
  int64_t seq = 0;
  std::string acknowledged_at;  // UTC
  std::string state = "missing";  // missing; damaged: present, but not as it was written
};

struct DisruptiveResult {
  std::string drill_id;
  std::string started_at;
  std::string scenario;            // database, corruption
  std::string status = "failed";   // passed, failed
  Status error;
  std::string failed_step;         // load, inject, archive, recover, write_after_recovery, verify, rto, rpo
  std::string service;
  std::string address_before, address_after;
  std::string fault_at;            // UTC
  double rto_seconds = -1;         // -1: not recovered
  double rpo_seconds = -1;         // -1: not measured
  double rto_target_seconds = 0;
  double rpo_target_seconds = 0;
  uint64_t acknowledged = 0;       // commits acknowledged during the drill
  uint64_t acknowledged_before_fault = 0;
  uint64_t failed_attempts = 0;    // commits refused or unanswered (the outage, from the client's side)
  std::vector<LostWrite> lost;     // acknowledged, absent or still damaged after recovery
  nlohmann::json runbook = nlohmann::json::object();
  nlohmann::json details = nlohmann::json::object();  // the scenario's own fields, merged into ToJson
  std::vector<Phase> phases;
  std::vector<std::string> removed;
  std::vector<std::string> cleanup_errors;
  double duration_seconds = 0;
  nlohmann::json ToJson() const;
};

// A result's "writes" section: {acknowledged, acknowledged_before_fault,
// failed_attempts, lost, lost_writes: [{seq, acknowledged_at, state}]}.
nlohmann::json WritesJson(const DisruptiveResult& r);

// A result for `scenario` on `service`, with the drill's id (made when the
// options have none), start time and targets.
DisruptiveResult NewResult(Clock& clock, const DisruptiveOptions& options, const std::string& scenario,
                           const std::string& service);

// A connection with the drill's timeouts to `conninfo`'s database at the
// address `resolve` gives now (the service's name); `address` is set to it.
Result<std::unique_ptr<net::pg::Connection>> ConnectThroughName(const std::function<Result<std::string>()>& resolve,
                                                                const std::string& conninfo, std::string* address);

// The load phase every scenario begins with: the drill's table made on
// `conn` (a connection to the database under load), the writer started, and
// options.commits_before_fault commits acknowledged within 30 s.
Status StartLoad(net::pg::Connection& conn, LoadWriter& writer, Clock& clock, const DisruptiveOptions& options);

// Until `writer` has `wanted` writes acknowledged in all, for at most 30 s:
// then kUnavailable saying `service` takes no writes, with the writer's last
// error; kCancelled when the drill is interrupted.
Status AwaitWrites(LoadWriter& writer, size_t wanted, Clock& clock, const DisruptiveOptions& options,
                   const std::string& service);

// A few writes (5) acknowledged past `seq`, for at most 5 s: what the
// recovered service takes before the load stops.
void AwaitFewMore(const LoadWriter& writer, int64_t seq, Clock& clock, std::stop_token stop);

// Waits until `found` gives a commit, until `deadline`: kUnavailable saying
// `missing` then, kCancelled when the drill is interrupted.
Result<Ack> WaitForCommit(const std::function<std::optional<Ack>()>& found, std::chrono::steady_clock::time_point deadline,
                          Clock& clock, std::stop_token stop, const std::string& missing);

// The timeline of a disruptive drill: phases closed as they end, the first
// failure kept with the step it happened in, and the verdict against the
// targets at the end.
class Timeline {
 public:
  Timeline(Clock& clock, DisruptiveResult& result, std::function<void(const std::string&)> progress);
  // Closes the running phase (if any) and opens `name`.
  void Begin(const std::string& name);
  // The first failure is the drill's error; the running phase is marked failed.
  void Fail(const std::string& step, Status why);
  void MarkFailed();  // the running phase failed (a cleanup error)
  void Say(const std::string& line) const;
  double Since(std::chrono::steady_clock::time_point t) const;
  // Closes the running phase, checks RTO and RPO against their targets and sets status.
  void Finish();

 private:
  Clock& clock_;
  DisruptiveResult& result_;
  std::function<void(const std::string&)> progress_;
  std::chrono::steady_clock::time_point begin_;
  std::optional<Phase> open_;
};

// The drill's rows as the recovered database has them: seq -> intact (not
// damaged: its `at` is the time it was written, not the corruption's).
Result<std::map<int64_t, bool>> ReadDrillRows(net::pg::Connection& conn, const std::string& drill_id);

// Reads the drill's rows back over `conn` (ReadDrillRows) and counts the
// acknowledged commits lost or still damaged (CountLost), saying how many
// when some are.
Status CountSurvivors(net::pg::Connection& conn, const std::vector<Ack>& acks, DisruptiveResult& result,
                      const Timeline& timeline);

// Stops the load and records its totals (acknowledged, failed attempts).
void StopLoad(LoadWriter& writer, DisruptiveResult& result);

// Fills result.lost from the acknowledged commits absent or damaged in
// `rows`, and result.rpo_seconds: how long before the fault the oldest lost
// commit was acknowledged, and never 0 when a commit is lost (commits
// acknowledged after the fault and lost make it their spread).
void CountLost(const std::vector<Ack>& acks, const std::map<int64_t, bool>& rows, DisruptiveResult& result);

// Deletes the drill's rows, and the table when no other drill's rows are
// left; recorded in result.removed, or result.cleanup_errors.
void RemoveDrillRows(Result<std::unique_ptr<net::pg::Connection>> conn, const std::string& where,
                     DisruptiveResult& result, Timeline& timeline);

// A step of a runbook's execution document by id ({id, state, output, ...}), or null.
nlohmann::json RunbookStep(const nlohmann::json& runbook, const std::string& id);

// A recovery's failure named after the runbook's step that failed
// ("recovery step 'promote': ..."), or "recovery: ..." when none did.
Status RecoveryFailure(const Status& recovered, const nlohmann::json& runbook);

}  // namespace dr::drill
