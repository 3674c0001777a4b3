// The side effects of a failover, behind three small interfaces: the
// database pair (PostgreSQL), the DNS record, and the command hooks. The
// failover plan (failover.h) only talks to these, so its ordering and rollback
// are tested with fakes (failover_test.cc); the real implementations below
// use libpq, RFC 2136 updates (dns.h) and RunShell (base/subprocess.h), and are
// exercised against real servers by test/integration/coordinator.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "dr/result.h"

namespace dr::coordinator {

// The primary being failed away from and the standby being promoted.
// Errors are the server's (kUnavailable when it does not answer).
class DatabaseOps {
 public:
  virtual ~DatabaseOps() = default;

  struct StandbyState {
    std::string where;        // the server, as people name it ("10.0.0.2:5432")
    bool in_recovery = false;
    std::string replay_lsn;   // pg_last_wal_replay_lsn(), "" unknown
    std::string replayed_at;  // epoch seconds of the last replayed transaction, "" unknown
  };
  virtual Result<StandbyState> ReadStandby() = 0;
  // The primary's current WAL position; an error when it does not answer.
  virtual Result<std::string> PrimaryLsn() = 0;
  // pg_promote() on the standby; returns where it ran. Cannot be undone.
  virtual Result<std::string> Promote() = 0;
  // Clears synchronous_standby_names on the (promoted) standby and reloads;
  // returns what it was, "" when it was empty and nothing changed.
  virtual Result<std::string> ClearSynchronousStandbys() = 0;
  // A committed write through `conninfo`, as a client's; fails on a standby
  // or a fenced server.
  virtual Status ProbeWrite(const std::string& conninfo, int timeout_seconds) = 0;

  // A server's place in replication, read through `conninfo` (attaching a
  // rebuilt standby): its cluster, whether it is in recovery, its timeline (a
  // primary's current one; a standby's WAL receiver's, 0 when it receives
  // none), the receiver's status ("streaming"; "" without one) and its WAL
  // position (a primary's current one, a standby's replayed one).
  struct Lineage {
    std::string where;
    bool in_recovery = false;
    std::string system_identifier;
    int64_t timeline = 0;
    std::string receiver_status;
    bool receiver_running = false;  // a WAL receiver process exists (its status may be hidden from this user)
    std::string lsn;
  };
  virtual Result<Lineage> ReadLineage(const std::string& conninfo) = 0;
};

// The failover's DNS name (dr_coordinator dns_record).
class DnsOps {
 public:
  virtual ~DnsOps() = default;
  // Its A records; kNotFound when it has none.
  virtual Result<std::vector<std::string>> Resolve() = 0;
  // Points it from `from` to `to`, only if it holds exactly {from}
  // (compare-and-swap): kFailed naming what it holds otherwise.
  virtual Status Swap(const std::string& from, const std::string& to) = 0;
};

// Runs configured commands (fence, storage switch, compute hooks).
class HookRunner {
 public:
  virtual ~HookRunner() = default;
  // Through the shell, with `env` ("NAME=value") added; its exit code (124 when
  // it timed out), and its output's tail in `output`.
  virtual Result<int> Run(const std::string& command, double timeout_seconds, std::string* output,
                          const std::vector<std::string>& env) = 0;
};

// libpq connections to the two conninfos, opened per call with `timeout_seconds`
// (the primary, which may be down, with at most 3 s).
std::unique_ptr<DatabaseOps> NewPostgresOps(std::string primary, std::string standby, int timeout_seconds);
// RFC 2136 + TSIG against config.dns_server. The server address and the key
// file are read at the first call, so their errors surface in the step that
// made it (the preconditions). `config` must outlive the result.
std::unique_ptr<DnsOps> NewDnsOps(const config::DrCoordinatorConfig& config, double timeout_seconds);
std::unique_ptr<HookRunner> NewShellHookRunner();

}  // namespace dr::coordinator
