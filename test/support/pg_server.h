// A real PostgreSQL 15 server for integration tests, started on 127.0.0.1 on a
// free port in its own directory (initdb and pg_ctl run as the `postgres` user,
// since they refuse root; see shared/TESTENV.md). Stopped when destroyed.
#pragma once

#include <memory>
#include <string>

#include "dr/result.h"

namespace dr {
class Subprocess;
}

namespace dr::test {

int FreePort();

// Waits until `url` answers 2xx (curl -sf), polling every 50 ms for at most
// `seconds`; else kUnavailable naming `what` with the tail of the server's stderr.
Status WaitForHttp(const std::string& url, int seconds, const std::string& what, Subprocess& server);

class PgServer {
 public:
  struct Options {
    std::string password;    // non-empty: TCP logins need this password (scram-sha-256) for role "app"
    std::string extra_conf;  // appended to postgresql.conf (archive_command, ...)
    std::string address = "127.0.0.1";  // another loopback address lets two servers share a port (DNS failover)
    int port = 0;                        // 0: a free one
  };
  static Result<std::unique_ptr<PgServer>> Start(const std::string& base_dir, const Options& options);
  // A streaming standby of primary (pg_basebackup -R), started in base_dir.
  static Result<std::unique_ptr<PgServer>> StartStandby(const std::string& base_dir, const PgServer& primary,
                                                        const Options& options);
  // SIGKILL to the postmaster: a crash, not a shutdown.
  Status Kill();
  const std::string& address() const { return address_; }
  // "host=... port=... user=postgres dbname=postgres"
  std::string Conninfo() const;
  ~PgServer();

  int port() const { return port_; }
  std::string host() const { return address_; }
  // Runs SQL with psql over the server's Unix socket as postgres; returns the unaligned output.
  Result<std::string> Psql(const std::string& database, const std::string& sql) const;
  // Runs a client tool (createdb, pgbench, ...) with -h/-p of this server (TCP, user postgres).
  Status Tool(const std::string& tool, const std::string& args) const;
  void Stop();

 private:
  PgServer() = default;
  std::string base_;
  std::string data_;
  int port_ = 0;
  std::string address_ = "127.0.0.1";
  bool running_ = false;
};

// The configuration the PostgreSQL CLI tests write: a local repository and key
// file, and the server on loopback; `extra` is appended as it is.
inline std::string PgCliConfig(const std::string& repo, const std::string& key, int port, const std::string& database,
                               const std::string& user, const std::string& extra = "") {
  return "backup_manager:\n  backup_dir: \"" + repo + "\"\nencryption:\n  auto_generate_key: true\n  key_file: \"" + key +
         "\"\npostgresql:\n  host: 127.0.0.1\n  port: " + std::to_string(port) + "\n  database: " + database +
         "\n  username: " + user + "\n  connect_timeout: 3\n" + extra;
}

}  // namespace dr::test
