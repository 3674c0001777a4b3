#include "coordinator/failover_ops.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "base/subprocess.h"
#include "coordinator/dns.h"
#include "coordinator/health_check.h"
#include "net/postgres/pg_client.h"

namespace dr::coordinator {

namespace {

using net::pg::Connection;

class PostgresOps : public DatabaseOps {
 public:
  PostgresOps(std::string primary, std::string standby, int timeout)
      : primary_(std::move(primary)), standby_(std::move(standby)), timeout_(timeout) {}

  Result<StandbyState> ReadStandby() override {
    // The failover target: bounded (a hung standby must not hold the failover
    // forever), but more generously than one health check.
    DR_ASSIGN_OR_RETURN(auto standby, Connection::OpenBounded(standby_, std::max(timeout_, 10)));
    DR_ASSIGN_OR_RETURN(auto rows, standby->Query(
        "SELECT pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn()::text, ''),"
        " coalesce(extract(epoch from pg_last_xact_replay_timestamp())::text, '')"));
    StandbyState state{.where = standby->where()};
    if (!rows.empty()) {
      state.in_recovery = rows[0][0] == "t";
      state.replay_lsn = rows[0][1];
      state.replayed_at = rows[0][2];
    }
    return state;
  }

  Result<std::string> PrimaryLsn() override {
    // A primary that is down, or hangs, must not hold the failover up for long.
    DR_ASSIGN_OR_RETURN(auto primary, Connection::OpenBounded(primary_, std::min(timeout_, 3)));
    return primary->QueryValue("SELECT pg_current_wal_lsn()::text");
  }

  Result<std::string> Promote() override {
    DR_ASSIGN_OR_RETURN(auto standby, Connection::OpenConninfo(standby_, timeout_));
    DR_ASSIGN_OR_RETURN(std::string promoted, standby->QueryValue("SELECT pg_promote(true, 60)"));
    if (promoted != "t") return Failed("pg_promote() on " + standby->where() + " returned " + promoted);
    return standby->where();
  }

  Result<std::string> ClearSynchronousStandbys() override {
    DR_ASSIGN_OR_RETURN(auto conn, Connection::OpenConninfo(standby_, timeout_));
    DR_ASSIGN_OR_RETURN(std::string names, conn->QueryValue("SHOW synchronous_standby_names"));
    if (names.empty()) return names;
    DR_RETURN_IF_ERROR(conn->Exec("ALTER SYSTEM SET synchronous_standby_names = ''"));
    DR_RETURN_IF_ERROR(conn->Exec("SELECT pg_reload_conf()"));
    return names;
  }

  // A committed write, as a client's: it fails on a standby, and (bounded by the
  // statement timeout) shows a commit that waits for a synchronous standby.
  // A temporary table leaves nothing behind in the user's database.
  Status ProbeWrite(const std::string& conninfo, int timeout_seconds) override {
    DR_ASSIGN_OR_RETURN(auto conn, Connection::OpenConninfo(conninfo, timeout_seconds));
    DR_RETURN_IF_ERROR(conn->Exec("SET statement_timeout = " + std::to_string(std::max(timeout_seconds, 1) * 1000)));
    DR_RETURN_IF_ERROR(conn->Exec("CREATE TEMP TABLE IF NOT EXISTS ecap_dr_write_probe (at timestamptz)"));
    return conn->Exec("INSERT INTO ecap_dr_write_probe VALUES (now())");
  }

  Result<Lineage> ReadLineage(const std::string& conninfo) override {
    DR_ASSIGN_OR_RETURN(auto conn, Connection::OpenBounded(conninfo, std::max(timeout_, 10)));
    // A primary's timeline is its current WAL file's first eight hex digits
    // (pg_walfile_name cannot run in recovery: the CASE keeps it out).
    DR_ASSIGN_OR_RETURN(auto rows, conn->Query(
        "SELECT pg_is_in_recovery(), (SELECT system_identifier::text FROM pg_control_system()),"
        " CASE WHEN pg_is_in_recovery() THEN coalesce((SELECT received_tli::text FROM pg_stat_wal_receiver), '0')"
        " ELSE (('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int)::text END,"
        " coalesce((SELECT status FROM pg_stat_wal_receiver), ''),"
        " CASE WHEN pg_is_in_recovery() THEN coalesce(pg_last_wal_replay_lsn()::text, '')"
        " ELSE pg_current_wal_lsn()::text END,"
        " EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE pid IS NOT NULL)"));
    Lineage l{.where = conn->where()};
    if (rows.empty() || rows[0].size() != 6) return Failed("no answer from " + conn->where());
    l.receiver_running = rows[0][5] == "t";
    l.in_recovery = rows[0][0] == "t";
    l.system_identifier = rows[0][1];
    l.timeline = std::strtoll(rows[0][2].c_str(), nullptr, 10);
    l.receiver_status = rows[0][3];
    l.lsn = rows[0][4];
    return l;
  }

 private:
  std::string primary_, standby_;
  int timeout_;
};

class Rfc2136Ops : public DnsOps {
 public:
  Rfc2136Ops(const config::DrCoordinatorConfig& c, double timeout) : config_(c), timeout_(timeout) {}

  Result<std::vector<std::string>> Resolve() override {
    DR_RETURN_IF_ERROR(Load());
    return ResolveA(*server_, config_.dns_record, timeout_);
  }

  Status Swap(const std::string& from, const std::string& to) override {
    DR_RETURN_IF_ERROR(Load());
    return SwapARecord(*server_, config_.dns_zone, config_.dns_record, from, to, config_.dns_ttl, key_, timeout_);
  }

 private:
  Status Load() {
    if (server_) return Status::Ok();
    DR_ASSIGN_OR_RETURN(Endpoint server, ParseEndpoint(config_.dns_server, 53));
    DR_ASSIGN_OR_RETURN(key_, LoadTsigKey(config_.dns_tsig_key_file));
    server_ = server;
    return Status::Ok();
  }

  const config::DrCoordinatorConfig& config_;
  double timeout_;
  std::optional<Endpoint> server_;
  TsigKey key_;
};

class ShellHooks : public HookRunner {
 public:
  Result<int> Run(const std::string& command, double timeout_seconds, std::string* output,
                  const std::vector<std::string>& env) override {
    return RunShell(command, timeout_seconds, output, env);
  }
};

}  // namespace

std::unique_ptr<DatabaseOps> NewPostgresOps(std::string primary, std::string standby, int timeout_seconds) {
  return std::make_unique<PostgresOps>(std::move(primary), std::move(standby), timeout_seconds);
}

std::unique_ptr<DnsOps> NewDnsOps(const config::DrCoordinatorConfig& config, double timeout_seconds) {
  return std::make_unique<Rfc2136Ops>(config, timeout_seconds);
}

std::unique_ptr<HookRunner> NewShellHookRunner() { return std::make_unique<ShellHooks>(); }

}  // namespace dr::coordinator
