#include "drill/breach_scenario.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "base/crypto.h"
#include "base/encoding.h"
#include "base/time_util.h"
#include "drill/load_writer.h"
#include "drill/scratch_dir.h"
#include "net/postgres/pg_client.h"

namespace dr::drill {
namespace {

using nlohmann::json;
using Steady = std::chrono::steady_clock;

// "drill-20261203T223224Z-13f5" -> "20261203t223224z_13f5": part of the
// role's and the clean database's names. Neither starts with ecap_dr_drill_,
// whose databases the restore test's stale pass removes.
std::string NameKey(const std::string& drill_id) {
  std::string key = drill_id.rfind("drill-", 0) == 0 ? drill_id.substr(6) : drill_id;
  for (char& c : key) c = c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

// A connection to the configured database, as another user or to another database.
Result<std::unique_ptr<net::pg::Connection>> Open(const std::string& conninfo,
                                                  const std::map<std::string, std::string>& changes = {}) {
  return OpenDrillConnection(conninfo, "", changes);
}

// The name keys of the drills running now: those whose scratch directory is
// held (a drill holds its own before it makes anything).
std::set<std::string> LiveDrillKeys(const std::string& scratch_root) {
  std::set<std::string> live;
  std::error_code ec;
  std::filesystem::directory_iterator it(ScratchBase(scratch_root), ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const auto& entry = *it;
    if (!IsDrillDirectory(entry)) continue;
    int fd = LockDirectory(entry.path().string(), /*wait=*/false);
    if (fd < 0) {
      live.insert(NameKey(entry.path().filename().string()));
    } else {
      ::close(fd);
    }
  }
  return live;
}

// What breach drills killed before their cleanup left on the server: the
// intruders' roles and the clean databases of drills that no longer run, and
// their ecap-dr users' revocations. Named in details.stale_removed.
void RemoveStaleBreaches(const BreachScenarioOptions& options, DisruptiveResult& result, Timeline& timeline) {
  auto admin = Open(options.conninfo, {{"dbname", "postgres"}});
  if (!admin.ok()) return;  // the load phase names an unreachable server
  // The objects first, the running drills after: a drill holds its directory
  // before it makes anything, so whatever is seen here belongs to a drill
  // whose directory is held by then, or to none.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> found;  // key -> (kind, name)
  for (auto [kind, prefix, query] :
       {std::tuple{"database", "ecap_dr_clean_", "select datname from pg_database where starts_with(datname, $1)"},
        std::tuple{"role", "ecap_dr_intruder_", "select rolname from pg_roles where starts_with(rolname, $1)"}}) {
    auto rows = (*admin)->Query(query, {prefix});
    if (!rows.ok()) continue;
    for (const auto& row : *rows) found[row.at(0).substr(std::string(prefix).size())].push_back({kind, row.at(0)});
  }
  const std::set<std::string> live = LiveDrillKeys(options.scratch_root);
  json stale = json::array();
  auto failed = [&](const std::string& what, const Status& s) {
    result.cleanup_errors.push_back(what + " (left by an interrupted drill): " + s.message());
    timeline.MarkFailed();
  };
  for (const auto& [key, items] : found) {
    if (live.count(key)) continue;
    // The revocation first: the role is how a later pass finds the key again.
    const std::string user = "drill-intruder-" + key;
    if (Status s = options.reinstate(user, ""); !s.ok()) {
      failed("the revocation of " + user, s);
      continue;
    }
    stale.push_back("the revocation of " + user + ", if any");
    for (const auto& [kind, name] : items) {  // databases first: a role cannot go while it owns one
      const bool database = kind == std::string("database");
      Status s = (*admin)->Exec(std::string(database ? "drop database if exists " : "drop role if exists ") +
                                (*admin)->QuoteIdent(name) + (database ? " with (force)" : ""));
      if (s.ok()) {
        stale.push_back(kind + std::string(" ") + name);
      } else {
        failed(kind + std::string(" ") + name, s);
      }
    }
  }
  if (!stale.empty()) {
    result.details["stale_removed"] = stale;
    timeline.Say("drill " + result.drill_id + ": removed what an interrupted breach drill left: " + stale.dump());
  }
}

}  // namespace

DisruptiveResult RunBreachScenario(Clock& clock, const BreachScenarioOptions& options) {
  DisruptiveResult result = NewResult(clock, options, "breach", options.service);
  Timeline timeline(clock, result, options.progress);
  const std::string key = NameKey(result.drill_id);
  const std::string role = "ecap_dr_intruder_" + key, clean = "ecap_dr_clean_" + key;
  const std::string user = "drill-intruder-" + key;
  const std::string password = HexEncode(crypto::RandomBytes(16));
  result.details["intruder"] = {{"database_role", role}, {"user", user}};
  result.details["clean_database"] = clean;
  bool role_made = false, revoked = false;
  LoadWriter writer({.drill_id = result.drill_id, .conninfo = options.conninfo,
                     .resolve = []() -> Result<std::string> { return std::string(); }},
                    clock);
  std::unique_ptr<net::pg::Connection> intruder;
  timeline.Begin("remove what interrupted drills left");
  RemoveStaleBreaches(options, result, timeline);
  [&] {
    timeline.Begin("start the load generator");
    timeline.Say("drill " + result.drill_id + ": committing rows to " + options.service);
    auto conn = Open(options.conninfo);
    Status loaded = conn.ok() ? StartLoad(**conn, writer, clock, options) : conn.status();
    if (!loaded.ok()) return timeline.Fail("load", loaded.WithContext("the database " + options.service));

    timeline.Begin("clean backup under load");
    auto backup = options.backup();
    if (!backup.ok()) return timeline.Fail("backup", backup.status().WithContext("the clean backup"));
    result.details["clean_backup"] = *backup;
    size_t wanted = writer.ack_count() + std::max<size_t>(1, options.commits_before_fault / 2);
    if (Status s = AwaitWrites(writer, wanted, clock, options, "the database"); !s.ok()) return timeline.Fail("load", s);

    timeline.Begin("the breach");
    Status made = (*conn)->Exec("create role " + (*conn)->QuoteIdent(role) + " login password " +
                                (*conn)->QuoteLiteral(password));
    if (!made.ok()) return timeline.Fail("inject", made.WithContext("making the intruder's role " + role));
    role_made = true;
    auto session = Open(options.conninfo, {{"user", role}, {"password", password}});
    if (!session.ok()) return timeline.Fail("inject", session.status().WithContext("the intruder's session as " + role));
    intruder = std::move(*session);
    writer.Stop();  // every commit on record was acknowledged before the breach
    result.acknowledged_before_fault = writer.ack_count();
    Steady::time_point breach = clock.Monotonic();
    result.fault_at = FormatUtc(clock.Now(), true);
    timeline.Say("drill " + result.drill_id + ": intruder " + role + " / " + user + " found at " + result.fault_at);

    timeline.Begin("recover (security_breach runbook)");
    Status recovered = options.recover(user, role, result.fault_at, clean, result.runbook);
    // Revoked also when a later step failed: reinstated at the end either way.
    json revoke = RunbookStep(result.runbook, "revoke_access");
    revoked = revoke.is_object() && revoke.value("state", "") == "ok";
    json restore = RunbookStep(result.runbook, "clean_restoration");
    if (restore.is_object() && restore.value("output", json()).is_object()) {
      result.details["restored_backup"] = restore["output"].value("backup_id", "");
    }
    if (!recovered.ok()) return timeline.Fail("recover", RecoveryFailure(recovered, result.runbook));
    result.rto_seconds = std::chrono::duration<double>(clock.Monotonic() - breach).count();

    timeline.Begin("check the containment");
    // Each counts only for the reason it is looked for: an unrelated error
    // (a timeout, a network failure) proves nothing about the containment.
    auto query = intruder->Query("select 1");
    std::string session_error = query.ok() ? "the session still answers" : query.status().message();
    auto login = Open(options.conninfo, {{"user", role}, {"password", password}});
    std::string login_error = login.ok() ? "the role still logs in" : login.status().message();
    Status refused = options.refused(user);
    auto has = [](const std::string& text, std::initializer_list<const char*> any) {
      for (const char* s : any) {
        if (text.find(s) != std::string::npos) return true;
      }
      return false;
    };
    json containment;
    containment["session_ended"] = !query.ok() && has(session_error, {"administrator command", "closed the connection",
                                                                      "no connection to the server"});
    containment["login_refused"] = !login.ok() && has(login_error, {"not permitted to log in"});
    containment["user_refused"] = refused.ok();
    result.details["containment"] = containment;
    result.details["containment_evidence"] = {
        {"session", session_error}, {"login", login_error}, {"user", refused.ok() ? "refused" : refused.message()}};
    for (const auto& [what, held] : containment.items()) {
      if (!held.get<bool>()) {
        return timeline.Fail("verify", Failed("containment failed: " + what + " is false" +
                                              (what == "user_refused" ? ": " + refused.message() : "")));
      }
    }

    timeline.Begin("count the commits in the clean state");
    auto restored = Open(options.conninfo, {{"dbname", clean}});
    if (!restored.ok()) return timeline.Fail("verify", restored.status().WithContext("the clean database " + clean));
    if (Status s = CountSurvivors(**restored, writer.acks(), result, timeline); !s.ok()) {
      return timeline.Fail("verify", s);
    }
  }();
  StopLoad(writer, result);
  intruder.reset();

  timeline.Begin("remove the role, database and rows");
  auto admin = Open(options.conninfo, {{"dbname", "postgres"}});
  auto note = [&](const std::string& what, Status s) {
    if (s.ok()) {
      result.removed.push_back(what);
    } else {
      result.cleanup_errors.push_back(what + ": " + s.message());
      timeline.MarkFailed();
    }
  };
  if (revoked) note("the revocations of " + user + " and " + role + " (reinstated)", options.reinstate(user, role));
  // Kept: the clean backup (retention removes it in time) and the rotated key.
  if (admin.ok()) {
    auto exists = (*admin)->QueryValue("select count(*) from pg_database where datname = $1", {clean});
    if (exists.ok() && *exists != "0") {
      note("database " + clean, (*admin)->Exec("drop database " + (*admin)->QuoteIdent(clean) + " with (force)"));
    }
    if (role_made) note("role " + role, (*admin)->Exec("drop role if exists " + (*admin)->QuoteIdent(role)));
  } else if (role_made) {
    note("role " + role + " and database " + clean, admin.status());
  }
  RemoveDrillRows(Open(options.conninfo), options.service, result, timeline);
  timeline.Finish();
  return result;
}

}  // namespace dr::drill
