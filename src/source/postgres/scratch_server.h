// A PostgreSQL server of ecap-dr's own on a restored data directory (a
// point-in-time restore laid out by RestorePostgres with pgdata): started on
// loopback at a port of its choosing, waited for until its recovery has
// reached the target and it was promoted, and stopped again. The
// data-corruption runbook reads the clean rows from it; a drill restores into
// it. The server runs as the data directory's owner (through runuser when
// ecap-dr runs as root, since PostgreSQL refuses to run as root).
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "source/postgres/client.h"

namespace dr::source {

struct ScratchServerOptions {
  std::string pgdata;       // a restored data directory (recovery.signal and the recovery target in it)
  int port = 0;             // 0: a free port on 127.0.0.1
  std::string bin_dir;      // where pg_ctl lives; empty: as for the other client tools
  std::chrono::seconds recovery_timeout{3600};
  // Called between checks while the server recovers (the step's wait, a fake clock's advance).
  std::function<void(std::chrono::milliseconds)> sleep;
};

struct ScratchServer {
  std::string pgdata;
  int port = 0;
  std::string log_file;  // the server's log (beside the data directory)
  // host=127.0.0.1 port=N; the caller adds user, password and dbname.
  std::string conninfo() const { return "host=127.0.0.1 port=" + std::to_string(port); }
};

// Starts the server and returns when it takes writes (recovery done, promoted).
// A server that stops during recovery (its target lies beyond the archive) or
// does not finish within the timeout is stopped again, and the error quotes
// the end of its log.
Result<ScratchServer> StartScratchServer(const ScratchServerOptions& options, const pg::ServerTarget& login);

// Stops the server on `pgdata` (fast shutdown); Ok when it was not running.
// With `remove`, the data directory and the log go too.
Status StopScratchServer(const std::string& pgdata, const std::string& bin_dir, bool remove);

}  // namespace dr::source
