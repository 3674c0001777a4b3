// Talking to PostgreSQL: a libpq connection for the small queries ecap-dr needs
// (versions, sizes, whether a database is empty), and how to run the client
// tools (pg_dump, pg_restore, pg_dumpall, psql) against the same server: the
// binaries of the right major version, connection arguments, and the password
// passed in PGPASSWORD (never on a command line).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dr/result.h"

namespace dr::net::pg {

struct ServerTarget {
  std::string host = "localhost";
  int port = 5432;
  std::string user;
  std::string password;
  std::string sslmode;
  int connect_timeout = 10;
  std::string bin_dir;  // where pg_dump & co. live; empty: the newest /usr/lib/postgresql/*/bin, then PATH

  std::string Where() const { return host + ":" + std::to_string(port); }
  // -h -p -U for the client tools.
  std::vector<std::string> ToolArgs() const;
  // PGPASSWORD, PGSSLMODE, PGCONNECT_TIMEOUT for the client tools.
  std::vector<std::string> ToolEnv() const;
};

// Errors: kUnavailable when the server cannot be reached ("unable to connect to
// PostgreSQL at host:port: ..."), kPermissionDenied for a rejected password,
// kNotFound for a database that does not exist. A query the server refuses for
// lack of privilege (SQLSTATE 42501) is kPermissionDenied.
class Connection {
 public:
  ~Connection();
  static Result<std::unique_ptr<Connection>> Open(const ServerTarget& server, const std::string& database);
  // A libpq connection string ("host=10.0.0.10 port=5432 user=postgres dbname=postgres").
  static Result<std::unique_ptr<Connection>> OpenConninfo(const std::string& conninfo, int connect_timeout);
  // The same with every wait bounded by `seconds` (fractions too): the
  // connection, then each statement's reply. A server that does not answer
  // in time (hung, stopped, behind a network that holds its packets) is
  // kUnavailable, and the connection is not used again. For health checks
  // and the failover's look at the old primary, which must conclude: libpq's
  // own connect_timeout counts whole seconds (at least 2), and a statement
  // sent to a server that stops answering would wait for it forever.
  // One deadline covers every host of a multi-host conninfo, and resolving a
  // host name is not bounded (libpq resolves synchronously): give hostaddr
  // for a strict bound.
  static Result<std::unique_ptr<Connection>> OpenBounded(const std::string& conninfo, double seconds);
  const std::string& where() const { return where_; }

  // Rows of text values; NULL is "".
  Result<std::vector<std::vector<std::string>>> Query(const std::string& sql,
                                                      const std::vector<std::string>& params = {});
  Result<std::string> QueryValue(const std::string& sql, const std::vector<std::string>& params = {});
  Status Exec(const std::string& sql);
  // Runs `copy_out` (COPY ... TO STDOUT) here and feeds what it yields to
  // `to` through `copy_in` (COPY ... FROM STDIN), chunk by chunk, so a table
  // of any size passes without being held in memory. Returns the bytes
  // copied. A failure on either side ends both COPYs (`to` reports the
  // error; its transaction, if any, is then aborted).
  Result<uint64_t> CopyTo(const std::string& copy_out, Connection& to, const std::string& copy_in);
  // Asks the server to stop the statement this connection runs now, from the
  // thread that uses the connection (between two of its own calls).
  void Cancel();
  // The same from any other thread: made here, on the connection's thread,
  // the returned function only calls PQcancel, which libpq allows while
  // another thread uses the connection. A cancel that finds no statement
  // running is lost: the caller also tells its worker to stop.
  std::function<void()> MakeCanceller();
  std::string QuoteIdent(const std::string& name);
  std::string QuoteLiteral(const std::string& value);  // 'it''s', E'...' where needed
  int server_version() const;  // e.g. 150018

 private:
  Connection() = default;
  // OpenConninfo (bound_seconds 0: libpq's waits) and OpenBounded.
  static Result<std::unique_ptr<Connection>> FromConninfo(const std::string& conninfo, int connect_timeout,
                                                          double bound_seconds);
  static Result<std::unique_ptr<Connection>> Connect(std::vector<const char*> keys, std::vector<const char*> values,
                                                     const std::string& where, const std::string& what,
                                                     bool expand = false, double within_seconds = 0);
  // The statement's result, waited for at most reply_timeout_ (OpenBounded).
  Result<void*> ExecBounded(const std::string& sql, const std::vector<const char*>& params);
  void* conn_ = nullptr;  // PGconn*
  std::string where_;
  double reply_timeout_ = 0;  // seconds; 0: wait as long as the server takes
  bool timed_out_ = false;    // a reply did not come in time: the connection's state is unknown
};

// The settings of a libpq connection string (host, port, user, ...), and one made from settings.
Result<std::map<std::string, std::string>> ParseConninfo(const std::string& conninfo);
std::string MakeConninfo(const std::map<std::string, std::string>& settings);

// The path of a client tool; kNotFound names where it looked.
Result<std::string> ToolPath(const ServerTarget& server, const std::string& tool);
// Parses "pg_dump (PostgreSQL) 15.18 (Debian ...)" into 150018.
Result<int> ToolVersion(const std::string& path);
std::string VersionString(int version_num);  // 150018 -> "15.18"

}  // namespace dr::net::pg
