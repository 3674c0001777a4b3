#include "drill/disruptive.h"

#include <algorithm>

#include <fmt/core.h>

#include "base/crypto.h"
#include "base/encoding.h"
#include "base/status_json.h"
#include "base/time_util.h"

namespace dr::drill {

using nlohmann::json;

json WritesJson(const DisruptiveResult& r) {
  json lost_list = json::array();
  for (const auto& l : r.lost) {
    lost_list.push_back({{"seq", l.seq}, {"acknowledged_at", l.acknowledged_at}, {"state", l.state}});
  }
  return {{"acknowledged", r.acknowledged},
          {"acknowledged_before_fault", r.acknowledged_before_fault},
          {"failed_attempts", r.failed_attempts},
          {"lost", r.lost.size()},
          {"lost_writes", lost_list}};
}

json DisruptiveResult::ToJson() const {
  json phase_list = json::array();
  for (const auto& p : phases) {
    phase_list.push_back({{"name", p.name}, {"start_seconds", p.start_seconds}, {"seconds", p.seconds},
                          {"status", p.status}});
  }
  json j{{"drill_id", drill_id},
         {"started_at", started_at},
         {"scenario", scenario},
         {"status", status},
         {"service", service},
         {"address_before", address_before},
         {"address_after", address_after},
         {"fault_at", fault_at},
         // -1: not measured (a number, as every reader of drills' events expects)
         {"rto_seconds", rto_seconds},
         {"rpo_seconds", rpo_seconds},
         {"rto_target_seconds", rto_target_seconds},
         {"rpo_target_seconds", rpo_target_seconds},
         {"rto_met", rto_seconds >= 0 && rto_seconds <= rto_target_seconds},
         {"rpo_met", rpo_seconds >= 0 && rpo_seconds <= rpo_target_seconds},
         {"writes", WritesJson(*this)},
         {"runbook", runbook},
         {"removed", removed},
         {"cleanup_errors", cleanup_errors},
         {"duration_seconds", duration_seconds},
         {"phases", phase_list}};
  for (const auto& [key, value] : details.items()) j[key] = value;
  if (!error.ok()) {
    j["error"] = ErrorJson(error);
    j["error"]["step"] = failed_step;
  }
  return j;
}

DisruptiveResult NewResult(Clock& clock, const DisruptiveOptions& options, const std::string& scenario,
                           const std::string& service) {
  DisruptiveResult result;
  result.scenario = scenario;
  result.drill_id = options.drill_id.empty()
                        ? "drill-" + CompactUtc(clock.Now()) + "-" + HexEncode(crypto::RandomBytes(2))
                        : options.drill_id;
  result.started_at = FormatUtc(clock.Now(), true);
  result.service = service;
  result.rto_target_seconds = options.rto_target_seconds;
  result.rpo_target_seconds = options.rpo_target_seconds;
  return result;
}

Status StartLoad(net::pg::Connection& conn, LoadWriter& writer, Clock& clock, const DisruptiveOptions& options) {
  DR_RETURN_IF_ERROR(conn.Exec(DrillTableDdl()));
  writer.Start();
  return AwaitWrites(writer, options.commits_before_fault, clock, options, "the database");
}

Status AwaitWrites(LoadWriter& writer, size_t wanted, Clock& clock, const DisruptiveOptions& options,
                   const std::string& service) {
  auto enough = [&]() -> std::optional<Ack> {
    auto acks = writer.acks();
    if (acks.size() < wanted) return std::nullopt;
    return acks.back();
  };
  auto waited = WaitForCommit(enough, clock.Monotonic() + std::chrono::seconds(30), clock, options.stop,
                              "the load generator got fewer than " + std::to_string(wanted) +
                                  " writes acknowledged in 30 s; " + service + " does not take writes");
  if (waited.ok() || waited.status().code() == Code::kCancelled) return waited.status();
  Status why = writer.last_error();
  return why.ok() ? waited.status() : Status(waited.status().code(), waited.status().message() + ": " + why.message());
}

Result<std::unique_ptr<net::pg::Connection>> ConnectThroughName(const std::function<Result<std::string>()>& resolve,
                                                                const std::string& conninfo, std::string* address) {
  DR_ASSIGN_OR_RETURN(*address, resolve());
  return OpenDrillConnection(conninfo, *address);
}

void AwaitFewMore(const LoadWriter& writer, int64_t seq, Clock& clock, std::stop_token stop) {
  auto settle = clock.Monotonic() + std::chrono::seconds(5);
  while (clock.Monotonic() < settle && !stop.stop_requested()) {
    auto acks = writer.acks();
    if (!acks.empty() && acks.back().seq >= seq + 5) return;
    clock.SleepFor(std::chrono::milliseconds(50), stop);
  }
}

Result<Ack> WaitForCommit(const std::function<std::optional<Ack>()>& found, std::chrono::steady_clock::time_point deadline,
                          Clock& clock, std::stop_token stop, const std::string& missing) {
  while (true) {
    if (auto ack = found()) return *ack;
    if (stop.stop_requested()) return Status(Code::kCancelled, "the drill was interrupted");
    if (clock.Monotonic() > deadline) return Status(Code::kUnavailable, missing);
    clock.SleepFor(std::chrono::milliseconds(50), stop);
  }
}

Timeline::Timeline(Clock& clock, DisruptiveResult& result, std::function<void(const std::string&)> progress)
    : clock_(clock), result_(result), progress_(std::move(progress)), begin_(clock.Monotonic()) {}

void Timeline::Begin(const std::string& name) {
  double now = Since(clock_.Monotonic());
  if (open_) {
    open_->seconds = now - open_->start_seconds;
    result_.phases.push_back(*open_);
  }
  open_.reset();
  if (!name.empty()) open_ = Phase{name, now, 0, "passed"};
}

void Timeline::Fail(const std::string& step, Status why) {
  if (result_.error.ok()) {
    result_.error = std::move(why);
    result_.failed_step = step;
  }
  MarkFailed();
}

void Timeline::MarkFailed() {
  if (open_) open_->status = "failed";
}

void Timeline::Say(const std::string& line) const {
  if (progress_) progress_(line);
}

double Timeline::Since(std::chrono::steady_clock::time_point t) const {
  return std::chrono::duration<double>(t - begin_).count();
}

void Timeline::Finish() {
  Begin("");
  result_.duration_seconds = Since(clock_.Monotonic());
  if (result_.error.ok() && result_.rto_seconds > result_.rto_target_seconds) {
    result_.error = Failed(fmt::format("{} drill: recovery took {:.2f} s, beyond the RTO target of {:.0f} s",
                                       result_.scenario, result_.rto_seconds, result_.rto_target_seconds));
    result_.failed_step = "rto";
  }
  if (result_.error.ok() && result_.rpo_seconds > result_.rpo_target_seconds) {
    // The region scenario counts the lake's and Kafka's writes beside the database's.
    size_t lost = result_.lost.size();
    for (const char* key : {"lake_writes", "kafka_writes"}) {
      if (auto w = result_.details.find(key); w != result_.details.end() && w->is_object()) {
        lost += w->value("lost", size_t{0});
      }
    }
    result_.error = Failed(fmt::format("{} drill: {} acknowledged writes lost, {:.2f} s of writes, beyond the RPO "
                                       "target of {:.0f} s",
                                       result_.scenario, lost, result_.rpo_seconds, result_.rpo_target_seconds));
    result_.failed_step = "rpo";
  }
  result_.status = result_.error.ok() ? "passed" : "failed";
}

Result<std::map<int64_t, bool>> ReadDrillRows(net::pg::Connection& conn, const std::string& drill_id) {
  // A damaged row's `at` is set to the epoch (corruption_scenario.h).
  DR_ASSIGN_OR_RETURN(auto rows, conn.Query("select seq, at > timestamptz '1971-01-01 00:00:00+00' from " +
                                                std::string(kDrillTable) + " where drill_id = $1",
                                            {drill_id}));
  std::map<int64_t, bool> out;
  for (const auto& row : rows) out[std::stoll(row.at(0))] = row.at(1) == "t";
  return out;
}

void CountLost(const std::vector<Ack>& acks, const std::map<int64_t, bool>& rows, DisruptiveResult& result) {
  std::optional<std::chrono::system_clock::time_point> oldest, newest;
  for (const auto& a : acks) {
    auto it = rows.find(a.seq);
    if (it != rows.end() && it->second) continue;
    result.lost.push_back({a.seq, FormatUtc(a.at, true), it == rows.end() ? "missing" : "damaged"});
    if (!oldest || a.at < *oldest) oldest = a.at;
    if (!newest || a.at > *newest) newest = a.at;
  }
  if (!oldest) {
    result.rpo_seconds = 0;
    return;
  }
  auto fault = ParseUtc(result.fault_at);
  double before_fault = fault ? std::chrono::duration<double>(*fault - *oldest).count() : 0;
  double spread = std::chrono::duration<double>(*newest - *oldest).count();
  // One lost commit acknowledged right at the fault still lost a moment of data.
  result.rpo_seconds = std::max({before_fault, spread, 0.001});
}

Status CountSurvivors(net::pg::Connection& conn, const std::vector<Ack>& acks, DisruptiveResult& result,
                      const Timeline& timeline) {
  auto rows = ReadDrillRows(conn, result.drill_id);
  if (!rows.ok()) return rows.status().WithContext("reading the drill's commits back");
  CountLost(acks, *rows, result);
  if (!result.lost.empty()) {
    size_t damaged = std::count_if(result.lost.begin(), result.lost.end(),
                                   [](const LostWrite& l) { return l.state == "damaged"; });
    timeline.Say("drill " + result.drill_id + ": " + std::to_string(result.lost.size()) +
                 " acknowledged commits are lost" +
                 (damaged == 0 ? "" : " (" + std::to_string(damaged) + " of them still damaged)"));
  }
  return Status::Ok();
}

void StopLoad(LoadWriter& writer, DisruptiveResult& result) {
  writer.Stop();
  result.acknowledged = writer.ack_count();
  result.failed_attempts = writer.failures();
}

void RemoveDrillRows(Result<std::unique_ptr<net::pg::Connection>> conn, const std::string& where,
                     DisruptiveResult& result, Timeline& timeline) {
  std::string what = "rows of " + result.drill_id + " in " + kDrillTable;
  // A drill that stopped before it made the table has nothing to remove.
  if (conn.ok()) {
    auto exists = (*conn)->QueryValue("select to_regclass($1) is not null", {kDrillTable});
    if (exists.ok() && *exists == "f") return;
  }
  Status removed = conn.ok() ? (*conn)->Exec("delete from " + std::string(kDrillTable) + " where drill_id = " +
                                             (*conn)->QuoteLiteral(result.drill_id))
                             : conn.status();
  if (!removed.ok()) {
    result.cleanup_errors.push_back(what + ": " + removed.message());
    timeline.MarkFailed();
    return;
  }
  result.removed.push_back(what + (where.empty() ? "" : " on " + where));
  auto left = (*conn)->QueryValue("select count(*) from " + std::string(kDrillTable));
  if (left.ok() && *left == "0") (void)(*conn)->Exec("drop table if exists " + std::string(kDrillTable));
}

json RunbookStep(const json& runbook, const std::string& id) {
  for (const auto& step : runbook.value("execution_log", json::object()).value("steps", json::array())) {
    if (step.value("id", "") == id) return step;
  }
  return nullptr;
}

namespace {

// The id of the first step of a runbook's execution document that neither
// succeeded nor was skipped, or "".
std::string FailedRunbookStep(const json& runbook) {
  const json log = runbook.value("execution_log", json::object());
  for (const auto& step : log.value("steps", json::array())) {
    std::string state = step.value("state", "");
    if (state != "ok" && state != "skipped") return step.value("id", "");
  }
  return "";
}

}  // namespace

Status RecoveryFailure(const Status& recovered, const json& runbook) {
  std::string step = FailedRunbookStep(runbook);
  return recovered.WithContext(step.empty() ? "recovery" : "recovery step '" + step + "'");
}

}  // namespace dr::drill
