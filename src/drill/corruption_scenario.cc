#include "drill/corruption_scenario.h"

#include "base/time_util.h"
#include "net/postgres/pg_client.h"

namespace dr::drill {
namespace {

using nlohmann::json;
using Steady = std::chrono::steady_clock;

constexpr auto kPoll = std::chrono::milliseconds(50);

Result<std::unique_ptr<net::pg::Connection>> Connect(const CorruptionScenarioOptions& options) {
  return OpenDrillConnection(options.conninfo, "");
}

Steady::duration Seconds(double s) {
  return std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(s));
}

// The damage, in one transaction: of the drill's rows up to `last_seq`,
// every third gets the epoch as its time and every seventh is deleted.
Status Damage(net::pg::Connection& conn, const std::string& drill_id, int64_t last_seq, json& damage) {
  std::string mine = "drill_id = " + conn.QuoteLiteral(drill_id) + " and seq <= " + std::to_string(last_seq);
  DR_RETURN_IF_ERROR(conn.Exec("begin"));
  auto updated = conn.QueryValue("with u as (update " + std::string(kDrillTable) +
                                 " set at = timestamptz '1970-01-01 00:00:00+00' where " + mine +
                                 " and seq % 3 = 0 and seq % 7 <> 0 returning 1) select count(*) from u");
  auto deleted = updated.ok() ? conn.QueryValue("with d as (delete from " + std::string(kDrillTable) + " where " +
                                                mine + " and seq % 7 = 0 returning 1) select count(*) from d")
                              : updated;
  if (!deleted.ok()) {
    (void)conn.Exec("rollback");
    return deleted.status();
  }
  DR_RETURN_IF_ERROR(conn.Exec("commit"));
  damage = {{"updated", std::stoll(*updated)}, {"deleted", std::stoll(*deleted)}, {"last_seq", last_seq}};
  return Status::Ok();
}

// Recovery replays the WAL archive: without archiving nothing is damaged.
Status CheckArchiving(net::pg::Connection& conn) {
  DR_ASSIGN_OR_RETURN(std::string mode, conn.QueryValue("show archive_mode"));
  DR_ASSIGN_OR_RETURN(std::string command, conn.QueryValue("show archive_command"));
  if (mode == "off" || command.empty() || command == "(disabled)") {
    return Status(Code::kConfig, "archive_mode is " + mode + (command.empty() ? " and archive_command is empty" : "") +
                                     " on " + conn.where() +
                                     ": the corruption drill recovers from the WAL archive (archive_mode = on, "
                                     "archive_command = 'ecap-dr wal push %p')");
  }
  return Status::Ok();
}

// Archives the WAL up to now: the segment pg_switch_wal ends, until
// pg_stat_archiver names it (or a later one) archived.
Status ArchiveUpToNow(net::pg::Connection& conn, Clock& clock, double timeout_seconds, std::stop_token stop) {
  DR_ASSIGN_OR_RETURN(std::string segment, conn.QueryValue("select pg_walfile_name(pg_switch_wal())"));
  Steady::time_point deadline = clock.Monotonic() + Seconds(timeout_seconds);
  while (true) {
    DR_ASSIGN_OR_RETURN(auto row, conn.Query("select coalesce(last_archived_wal, ''), coalesce(last_failed_wal, ''), "
                                             "coalesce(last_failed_time::text, '') from pg_stat_archiver"));
    if (row.size() == 1 && row[0][0].substr(0, 24) >= segment) return Status::Ok();
    if (clock.Monotonic() > deadline || stop.stop_requested()) {
      std::string failed = row.size() == 1 && !row[0][1].empty()
                               ? "; the archive_command last failed on " + row[0][1] + " at " + row[0][2]
                               : "";
      return Status(stop.stop_requested() ? Code::kCancelled : Code::kUnavailable,
                    "WAL segment " + segment + " was not archived within " +
                        std::to_string(static_cast<int>(timeout_seconds)) + " s" + failed);
    }
    clock.SleepFor(kPoll, stop);
  }
}

// What repair_rows said it did, or null.
json RepairOutput(const json& runbook) {
  json step = RunbookStep(runbook, "repair_rows");
  return step.is_object() ? step.value("output", json()) : json();
}

// The damaged versions the repair kept beside the table (its output's saved_as).
std::vector<std::string> SavedTables(const json& repair) {
  std::vector<std::string> out;
  if (!repair.is_object()) return out;
  for (const auto& t : repair.value("tables", json::array())) {
    std::string saved = t.value("saved_as", "");
    if (saved.rfind("ecap_dr_repaired_", 0) == 0) out.push_back(saved);
  }
  return out;
}

// When the runbook's resume_operations step began (UTC).
std::optional<std::chrono::system_clock::time_point> ResumeStarted(const json& runbook) {
  json step = RunbookStep(runbook, "resume_operations");
  if (!step.is_object()) return std::nullopt;
  return ParseUtc(step.value("started_at", ""));
}

}  // namespace

DisruptiveResult RunCorruptionScenario(Clock& clock, const CorruptionScenarioOptions& options) {
  DisruptiveResult result = NewResult(clock, options, "corruption", options.service);
  Timeline timeline(clock, result, options.progress);
  LoadWriter writer({.drill_id = result.drill_id, .conninfo = options.conninfo,
                     .resolve = []() -> Result<std::string> { return std::string(); }},
                    clock);
  [&] {
    timeline.Begin("start the load generator");
    timeline.Say("drill " + result.drill_id + ": committing rows to " + options.service);
    auto conn = Connect(options);
    if (conn.ok()) {
      if (Status s = CheckArchiving(**conn); !s.ok()) return timeline.Fail("archive", s);
    }
    Status loaded = conn.ok() ? StartLoad(**conn, writer, clock, options) : conn.status();
    if (!loaded.ok()) return timeline.Fail("load", loaded.WithContext("the database " + options.service));

    timeline.Begin("damage rows");
    auto acked = writer.acks();
    result.acknowledged_before_fault = acked.size();
    // T after the last acknowledged commit, so every damaged row committed before it.
    // In UTC whatever the server's DateStyle and TimeZone.
    auto corruption_time = (*conn)->QueryValue(
        "select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'");
    if (!corruption_time.ok()) return timeline.Fail("inject", corruption_time.status().WithContext("reading the time"));
    Steady::time_point fault = clock.Monotonic();
    result.fault_at = FormatUtc(clock.Now(), true);
    timeline.Say("drill " + result.drill_id + ": damaging rows at " + *corruption_time);
    json damage;
    if (Status s = Damage(**conn, result.drill_id, acked.back().seq, damage); !s.ok()) {
      return timeline.Fail("inject", s.WithContext("damaging the drill's rows"));
    }
    result.details["corruption_time"] = *corruption_time;
    result.details["damage"] = damage;

    timeline.Begin("archive the WAL up to the damage");
    if (Status s = ArchiveUpToNow(**conn, clock, options.archive_timeout_seconds, options.stop); !s.ok()) {
      return timeline.Fail("archive", s);
    }
    conn->reset();  // the runbook ends open sessions when it pauses writes

    timeline.Begin("recover (data_corruption runbook)");
    timeline.Say("drill " + result.drill_id + ": recovering");
    Status recovered = options.recover(*corruption_time, result.runbook);
    result.details["repair"] = RepairOutput(result.runbook);
    if (!recovered.ok()) return timeline.Fail("recover", RecoveryFailure(recovered, result.runbook));
    // Writes resumed when the runbook's resume step began: every commit was
    // refused from the pause until then, so the first one acknowledged since
    // is the recovery as a client sees it.
    auto resumed = ResumeStarted(result.runbook);
    if (!resumed) return timeline.Fail("recover", Failed("the runbook did not record when writes resumed"));

    timeline.Begin("first commit after the recovery");
    auto first = WaitForCommit([&] { return writer.FirstAcknowledgedFrom(*resumed); }, fault + Seconds(options.timeout_seconds),
                               clock, options.stop,
                               "no commit was acknowledged within " +
                                   std::to_string(static_cast<int>(options.timeout_seconds)) +
                                   " s of the damage: writes did not resume");
    if (!first.ok()) return timeline.Fail("write_after_recovery", first.status());
    result.rto_seconds = std::chrono::duration<double>(first->done - fault).count();
    writer.Stop();

    timeline.Begin("count the commits that survived");
    auto check = Connect(options);
    if (!check.ok()) return timeline.Fail("verify", check.status().WithContext("the repaired database"));
    if (Status s = CountSurvivors(**check, writer.acks(), result, timeline); !s.ok()) return timeline.Fail("verify", s);
  }();
  StopLoad(writer, result);

  timeline.Begin("remove the drill's rows and copies");
  auto conn = Connect(options);
  if (conn.ok()) {
    for (const auto& saved : SavedTables(result.details.value("repair", json()))) {
      Status dropped = (*conn)->Exec("drop table if exists " + (*conn)->QuoteIdent(saved));
      if (dropped.ok()) {
        result.removed.push_back("table " + saved + " (the damaged versions the repair kept)");
      } else {
        result.cleanup_errors.push_back("table " + saved + ": " + dropped.message());
        timeline.MarkFailed();
      }
    }
  }
  RemoveDrillRows(std::move(conn), "", result, timeline);
  if (options.remove_scratch) {
    if (Status s = options.remove_scratch(); !s.ok()) {
      result.cleanup_errors.push_back(s.message());
      timeline.MarkFailed();
    }
  }
  timeline.Finish();
  return result;
}

}  // namespace dr::drill
