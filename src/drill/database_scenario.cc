#include "drill/database_scenario.h"

#include <algorithm>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "base/crypto.h"
#include "base/encoding.h"
#include "base/status_json.h"
#include "base/time_util.h"
#include "net/postgres/pg_client.h"

namespace dr::drill {
namespace {

using nlohmann::json;
using Steady = std::chrono::steady_clock;

constexpr char kTable[] = "ecap_dr_drill_writes";
constexpr auto kPoll = std::chrono::milliseconds(50);

// A connection string to whatever the name resolves to now, with the
// service's other settings; short timeouts, so a dead server is noticed fast.
Result<std::string> ConninfoAt(const std::string& service_conninfo, const std::string& address) {
  DR_ASSIGN_OR_RETURN(auto settings, net::pg::ParseConninfo(service_conninfo));
  settings["host"] = address;
  settings.erase("hostaddr");
  settings["connect_timeout"] = "2";
  settings["options"] = "-c statement_timeout=5000";
  return net::pg::MakeConninfo(settings);
}

std::string CreateTable() {
  return "create table if not exists " + std::string(kTable) +
         " (drill_id text not null, seq bigint not null, at timestamptz not null default clock_timestamp(), "
         "primary key (drill_id, seq))";
}

struct Ack {
  int64_t seq;
  std::chrono::system_clock::time_point at;
  Steady::time_point connected, done;  // when its connection was opened; when the commit was acknowledged
};

// The load generator: one commit at a time through the name, each
// acknowledged one recorded. Runs on its own thread until Stop.
class Writer {
 public:
  Writer(const DatabaseScenarioOptions& options, Clock& clock, std::string drill_id)
      : options_(options), clock_(clock), drill_id_(std::move(drill_id)) {}
  ~Writer() { Stop(); }

  void Start() {
    thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
  }
  void Stop() {
    if (!thread_.joinable()) return;
    thread_.request_stop();
    thread_.join();
  }
  std::vector<Ack> acks() const {
    std::lock_guard lock(mu_);
    return acks_;
  }
  uint64_t failures() const {
    std::lock_guard lock(mu_);
    return failures_;
  }
  // The first commit acknowledged on a connection opened after `t`: one the
  // name led to after the fault. (A backend of a killed postmaster can still
  // commit for a moment on a connection made before.)
  std::optional<Ack> FirstConnectedAfter(Steady::time_point t) const {
    std::lock_guard lock(mu_);
    for (const auto& a : acks_) {
      if (a.connected > t) return a;
    }
    return std::nullopt;
  }

 private:
  void Run(std::stop_token stop) {
    std::unique_ptr<net::pg::Connection> conn;
    Steady::time_point connected;
    int64_t seq = 0;
    while (!stop.stop_requested()) {
      if (!conn) {
        auto address = options_.resolve();
        auto conninfo = address.ok() ? ConninfoAt(options_.service.primary, *address) : Result<std::string>(address.status());
        auto opened = conninfo.ok() ? net::pg::Connection::OpenConninfo(*conninfo, 2)
                                    : Result<std::unique_ptr<net::pg::Connection>>(conninfo.status());
        if (!opened.ok()) {
          Fail();
          clock_.SleepFor(kPoll, stop);
          continue;
        }
        conn = std::move(*opened);
        connected = clock_.Monotonic();
      }
      ++seq;
      Status s = conn->Exec("insert into " + std::string(kTable) + " (drill_id, seq) values ('" + drill_id_ + "', " +
                            std::to_string(seq) + ")");
      if (!s.ok()) {
        Fail();
        // A promoted standby that never received the table (it was made after
        // replication stopped) gets it anew: the commits it lacks are then
        // counted as lost, not the load stopped. Any other failure: its
        // server may be gone, the next commit resolves the name again.
        if (!conn->Exec(CreateTable()).ok()) conn.reset();
        continue;
      }
      std::lock_guard lock(mu_);
      acks_.push_back({seq, clock_.Now(), connected, clock_.Monotonic()});
    }
  }
  void Fail() {
    std::lock_guard lock(mu_);
    failures_++;
  }

  const DatabaseScenarioOptions& options_;
  Clock& clock_;
  std::string drill_id_;
  mutable std::mutex mu_;
  std::vector<Ack> acks_;
  uint64_t failures_ = 0;
  std::jthread thread_;
};

Result<std::unique_ptr<net::pg::Connection>> ConnectThroughName(const DatabaseScenarioOptions& options,
                                                                std::string* address) {
  DR_ASSIGN_OR_RETURN(*address, options.resolve());
  DR_ASSIGN_OR_RETURN(std::string conninfo, ConninfoAt(options.service.primary, *address));
  return net::pg::Connection::OpenConninfo(conninfo, 2);
}

// The failed step of a runbook's execution document, or "".
std::string FailedRunbookStep(const json& runbook) {
  const json log = runbook.value("execution_log", json::object());
  for (const auto& step : log.value("steps", json::array())) {
    std::string state = step.value("state", "");
    if (state != "ok" && state != "skipped") return step.value("id", "");
  }
  return "";
}

}  // namespace

json DatabaseScenarioResult::ToJson() const {
  json phase_list = json::array();
  for (const auto& p : phases) {
    phase_list.push_back({{"name", p.name}, {"start_seconds", p.start_seconds}, {"seconds", p.seconds},
                          {"status", p.status}});
  }
  json lost_list = json::array();
  for (const auto& l : lost) lost_list.push_back({{"seq", l.seq}, {"acknowledged_at", l.acknowledged_at}});
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
         {"writes", {{"acknowledged", acknowledged},
                     {"acknowledged_before_fault", acknowledged_before_fault},
                     {"failed_attempts", failed_attempts},
                     {"lost", lost.size()},
                     {"lost_writes", lost_list}}},
         {"runbook", runbook},
         {"removed", removed},
         {"cleanup_errors", cleanup_errors},
         {"duration_seconds", duration_seconds},
         {"phases", phase_list}};
  if (!error.ok()) {
    j["error"] = ErrorJson(error);
    j["error"]["step"] = failed_step;
  }
  return j;
}

DatabaseScenarioResult RunDatabaseScenario(Clock& clock, const DatabaseScenarioOptions& options) {
  DatabaseScenarioResult result;
  result.drill_id = options.drill_id.empty()
                        ? "drill-" + CompactUtc(clock.Now()) + "-" + HexEncode(crypto::RandomBytes(2))
                        : options.drill_id;
  result.started_at = FormatUtc(clock.Now(), true);
  result.service = options.service.name;
  result.rto_target_seconds = options.rto_target_seconds;
  result.rpo_target_seconds = options.rpo_target_seconds;
  const Steady::time_point begin = clock.Monotonic();
  auto since = [&](Steady::time_point t) { return std::chrono::duration<double>(t - begin).count(); };
  auto say = [&](const std::string& line) {
    if (options.progress) options.progress(line);
  };
  // Phases are closed as they end; `open` is the one running.
  std::optional<Phase> open;
  auto phase = [&](const std::string& name) {
    Steady::time_point now = clock.Monotonic();
    if (open) {
      open->seconds = since(now) - open->start_seconds;
      result.phases.push_back(*open);
    }
    open.reset();
    if (!name.empty()) open = Phase{name, since(now), 0, "passed"};
  };
  auto fail = [&](const std::string& step, Status why) {
    if (result.error.ok()) {
      result.error = std::move(why);
      result.failed_step = step;
    }
    if (open) open->status = "failed";
  };

  Writer writer(options, clock, result.drill_id);
  [&] {
    phase("start the load generator");
    say("drill " + result.drill_id + ": committing rows to " + options.service.name + " through its name");
    std::string address;
    auto conn = ConnectThroughName(options, &address);
    if (conn.ok()) {
      result.address_before = address;
      Status made = (*conn)->Exec(CreateTable());
      if (!made.ok()) conn = made;
    }
    if (!conn.ok()) return fail("load", conn.status().WithContext("the database of service '" + options.service.name + "'"));
    writer.Start();
    Steady::time_point deadline = clock.Monotonic() + std::chrono::seconds(30);
    while (writer.acks().size() < options.commits_before_fault) {
      if (clock.Monotonic() > deadline || options.stop.stop_requested()) {
        return fail("load", Status(Code::kUnavailable, "the load generator got " + std::to_string(writer.acks().size()) +
                                                           " commits acknowledged in 30 s; the database does not take writes"));
      }
      clock.SleepFor(kPoll, options.stop);
    }

    phase("inject the fault");
    result.acknowledged_before_fault = writer.acks().size();
    Steady::time_point fault = clock.Monotonic();
    result.fault_at = FormatUtc(clock.Now(), true);
    say("drill " + result.drill_id + ": injecting the database fault");
    if (Status s = options.inject(); !s.ok()) return fail("inject", s.WithContext("injecting the fault"));

    phase("recover (database_failure runbook)");
    say("drill " + result.drill_id + ": recovering");
    Status recovered = options.recover(result.runbook);
    if (!recovered.ok()) {
      std::string step = FailedRunbookStep(result.runbook);
      return fail("recover", recovered.WithContext(step.empty() ? "recovery" : "recovery step '" + step + "'"));
    }

    phase("first commit through the name");
    Steady::time_point limit = fault + std::chrono::duration_cast<Steady::duration>(
                                           std::chrono::duration<double>(options.timeout_seconds));
    std::optional<Ack> first;
    while (!(first = writer.FirstConnectedAfter(fault))) {
      if (clock.Monotonic() > limit || options.stop.stop_requested()) {
        return fail("write_after_recovery",
                    Status(options.stop.stop_requested() ? Code::kCancelled : Code::kUnavailable,
                           "no commit through the name of service '" + options.service.name + "' was acknowledged " +
                               "within " + std::to_string(static_cast<int>(options.timeout_seconds)) + " s of the fault"));
      }
      clock.SleepFor(kPoll, options.stop);
    }
    result.rto_seconds = std::chrono::duration<double>(first->done - fault).count();
    // A few commits on the recovered database before the load stops.
    Steady::time_point settle = clock.Monotonic() + std::chrono::seconds(5);
    while (writer.acks().back().seq < first->seq + 5 && clock.Monotonic() < settle) clock.SleepFor(kPoll, options.stop);
    writer.Stop();

    phase("count the commits that survived");
    auto check = ConnectThroughName(options, &address);
    if (!check.ok()) return fail("verify", check.status().WithContext("the recovered database"));
    result.address_after = address;
    auto rows = (*check)->Query("select seq from " + std::string(kTable) + " where drill_id = $1", {result.drill_id});
    if (!rows.ok()) return fail("verify", rows.status().WithContext("reading the drill's commits back"));
    std::set<int64_t> present;
    for (const auto& row : *rows) present.insert(std::stoll(row.at(0)));
    std::optional<std::chrono::system_clock::time_point> oldest_lost;
    for (const auto& a : writer.acks()) {
      if (present.count(a.seq)) continue;
      result.lost.push_back({a.seq, FormatUtc(a.at, true)});
      if (!oldest_lost || a.at < *oldest_lost) oldest_lost = a.at;
    }
    auto fault_wall = ParseUtc(result.fault_at);
    result.rpo_seconds = oldest_lost && fault_wall ? std::max(0.0, std::chrono::duration<double>(*fault_wall - *oldest_lost).count())
                                                   : 0;
    if (!result.lost.empty()) {
      say("drill " + result.drill_id + ": " + std::to_string(result.lost.size()) + " acknowledged commits are lost");
    }
  }();
  writer.Stop();
  result.acknowledged = writer.acks().size();
  result.failed_attempts = writer.failures();

  phase("remove the drill's rows");
  std::string address;
  auto conn = ConnectThroughName(options, &address);
  Status removed = conn.ok() ? (*conn)->Exec("delete from " + std::string(kTable) + " where drill_id = '" +
                                             result.drill_id + "'")
                             : conn.status();
  if (removed.ok()) {
    result.removed.push_back("rows of " + result.drill_id + " in " + kTable + " on " + address);
    auto left = (*conn)->QueryValue("select count(*) from " + std::string(kTable));
    if (left.ok() && *left == "0") (void)(*conn)->Exec("drop table if exists " + std::string(kTable));
  } else {
    result.cleanup_errors.push_back("rows of " + result.drill_id + " in " + kTable + ": " + removed.message());
    if (open) open->status = "failed";
  }
  phase("");
  result.duration_seconds = since(clock.Monotonic());
  if (result.error.ok() && result.rto_seconds > options.rto_target_seconds) {
    result.error = Failed("recovery took " + std::to_string(result.rto_seconds) + " s, beyond the RTO target");
    result.failed_step = "rto";
  }
  if (result.error.ok() && result.rpo_seconds > options.rpo_target_seconds) {
    result.error = Failed(std::to_string(result.lost.size()) + " acknowledged commits lost, beyond the RPO target");
    result.failed_step = "rpo";
  }
  result.status = result.error.ok() ? "passed" : "failed";
  return result;
}

}  // namespace dr::drill
