#include "net/postgres/pg_client.h"

#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string_view>

#include "base/encoding.h"
#include "base/subprocess.h"

namespace dr::net::pg {

std::vector<std::string> ServerTarget::ToolArgs() const {
  std::vector<std::string> args{"-h", host, "-p", std::to_string(port)};
  if (!user.empty()) {
    args.push_back("-U");
    args.push_back(user);
  }
  return args;
}

std::vector<std::string> ServerTarget::ToolEnv() const {
  std::vector<std::string> env{"PGCONNECT_TIMEOUT=" + std::to_string(connect_timeout)};
  if (!password.empty()) env.push_back("PGPASSWORD=" + password);
  if (!sslmode.empty()) env.push_back("PGSSLMODE=" + sslmode);
  return env;
}

namespace {

using Steady = std::chrono::steady_clock;

Steady::time_point DeadlineIn(double seconds) {
  return Steady::now() + std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(seconds));
}

std::string SecondsText(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%g s", seconds);
  return text;
}

// Waits until the connection's socket is ready for `events`; false when the
// deadline passed first. An error of poll() itself is left for libpq to find.
bool AwaitSocket(PGconn* conn, short events, Steady::time_point deadline) {
  while (true) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Steady::now()).count();
    if (left <= 0) return false;
    pollfd p{PQsocket(conn), events, 0};
    int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1 << 30)));
    if (rc > 0 || (rc < 0 && errno != EINTR)) return true;
  }
}

// Drives a connection begun with PQconnectStartParams until it is made or
// has failed (PQstatus says which); false when the deadline passed first.
bool AwaitConnection(PGconn* conn, Steady::time_point deadline) {
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  while (PQstatus(conn) != CONNECTION_BAD && st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
    if (!AwaitSocket(conn, st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline)) return false;
    st = PQconnectPoll(conn);
  }
  return true;
}

}  // namespace

Connection::~Connection() {
  if (conn_ != nullptr) PQfinish(static_cast<PGconn*>(conn_));
}

Result<std::unique_ptr<Connection>> Connection::Open(const ServerTarget& server, const std::string& database) {
  std::string port = std::to_string(server.port), timeout = std::to_string(server.connect_timeout);
  std::vector<const char*> keys{"host", "port", "dbname", "connect_timeout", "application_name"};
  std::vector<const char*> values{server.host.c_str(), port.c_str(), database.c_str(), timeout.c_str(), "ecap-dr"};
  if (!server.user.empty()) {
    keys.push_back("user");
    values.push_back(server.user.c_str());
  }
  if (!server.password.empty()) {
    keys.push_back("password");
    values.push_back(server.password.c_str());
  }
  if (!server.sslmode.empty()) {
    keys.push_back("sslmode");
    values.push_back(server.sslmode.c_str());
  }
  return Connect(keys, values, server.Where(), "database '" + database + "'");
}

Result<std::unique_ptr<Connection>> Connection::OpenConninfo(const std::string& conninfo, int connect_timeout) {
  return FromConninfo(conninfo, connect_timeout, 0);
}

Result<std::unique_ptr<Connection>> Connection::OpenBounded(const std::string& conninfo, double seconds) {
  // (libpq ignores connect_timeout when the connection is polled: the deadline is ours alone.)
  return FromConninfo(conninfo, static_cast<int>(std::ceil(seconds)), seconds);
}

Result<std::unique_ptr<Connection>> Connection::FromConninfo(const std::string& conninfo, int connect_timeout,
                                                             double bound_seconds) {
  // The conninfo is expanded in dbname's place, so its own settings win over the default timeout before it.
  std::string timeout = std::to_string(connect_timeout);
  std::vector<const char*> keys{"connect_timeout", "application_name", "dbname"};
  std::vector<const char*> values{timeout.c_str(), "ecap-dr", conninfo.c_str()};
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), nullptr);
  if (opts == nullptr) return ConfigError("malformed PostgreSQL connection string '" + conninfo + "'");
  std::string host = "localhost", port = "5432";
  for (auto* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (std::string(o->keyword) == "host" || std::string(o->keyword) == "hostaddr") host = o->val;
    if (std::string(o->keyword) == "port") port = o->val;
  }
  PQconninfoFree(opts);
  DR_ASSIGN_OR_RETURN(auto c, Connect(keys, values, host + ":" + port, "", /*expand=*/true, bound_seconds));
  c->reply_timeout_ = bound_seconds;
  return c;
}

Result<std::map<std::string, std::string>> ParseConninfo(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (opts == nullptr) {
    std::string why(err ? TrimWhitespace(err) : std::string_view("malformed"));
    PQfreemem(err);
    return ConfigError("PostgreSQL connection string '" + conninfo + "': " + why);
  }
  std::map<std::string, std::string> out;
  for (auto* o = opts; o->keyword != nullptr; ++o) {
    if (o->val != nullptr) out[o->keyword] = o->val;
  }
  PQconninfoFree(opts);
  return out;
}

std::string MakeConninfo(const std::map<std::string, std::string>& settings) {
  std::string out;
  for (const auto& [k, v] : settings) {
    std::string quoted;
    for (char c : v) {
      if (c == '\\' || c == '\'') quoted += '\\';
      quoted += c;
    }
    out += (out.empty() ? "" : " ") + k + "='" + quoted + "'";
  }
  return out;
}

Result<std::unique_ptr<Connection>> Connection::Connect(std::vector<const char*> keys, std::vector<const char*> values,
                                                        const std::string& where, const std::string& what, bool expand,
                                                        double within_seconds) {
  keys.push_back(nullptr);
  values.push_back(nullptr);
  std::unique_ptr<Connection> c(new Connection());
  c->where_ = where;
  if (within_seconds > 0) {
    c->conn_ = PQconnectStartParams(keys.data(), values.data(), expand ? 1 : 0);
    if (c->conn_ == nullptr) return Failed("out of memory connecting to PostgreSQL at " + where);
    if (!AwaitConnection(static_cast<PGconn*>(c->conn_), DeadlineIn(within_seconds))) {
      return Unavailable("unable to connect to PostgreSQL at " + where + (what.empty() ? "" : " (" + what + ")") +
                         ": no answer within " + SecondsText(within_seconds));
    }
  } else {
    c->conn_ = PQconnectdbParams(keys.data(), values.data(), expand ? 1 : 0);
  }
  auto* conn = static_cast<PGconn*>(c->conn_);
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg(TrimWhitespace(PQerrorMessage(conn)));
    std::string text = "unable to connect to PostgreSQL at " + where + (what.empty() ? "" : " (" + what + ")") + ": " + msg;
    if (msg.find("password authentication failed") != std::string::npos ||
        msg.find("no password supplied") != std::string::npos) {
      return Status(Code::kPermissionDenied, text);
    }
    if (msg.find("does not exist") != std::string::npos && msg.find("database") != std::string::npos) {
      return NotFound(text);
    }
    return Unavailable(text);
  }
  // Server notices: a NOTICE ("relation ... already exists, skipping") or a
  // FATAL that arrives between statements when the server goes away is not
  // ecap-dr's output (libpq's default prints every one on stderr; errors
  // reach the caller through the statement that fails). A WARNING is said:
  // "canceling wait for synchronous replication ... committed locally" is
  // news the user needs.
  PQsetNoticeReceiver(
      conn,
      [](void* where, const PGresult* res) {
        const char* severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
        if (severity != nullptr && std::string_view(severity) == "WARNING") {
          std::fprintf(stderr, "PostgreSQL at %s: %s", static_cast<const std::string*>(where)->c_str(),
                       PQresultErrorMessage(res));
        }
      },
      &c->where_);  // the Connection owns the PGconn: where_ outlives it
  return c;
}

Result<std::vector<std::vector<std::string>>> Connection::Query(const std::string& sql,
                                                                const std::vector<std::string>& params) {
  std::vector<const char*> p;
  for (const auto& s : params) p.push_back(s.c_str());
  auto* conn = static_cast<PGconn*>(conn_);
  if (timed_out_) return Unavailable("PostgreSQL at " + where_ + " did not answer in time before: the connection is closed");
  PGresult* res = nullptr;
  if (reply_timeout_ > 0) {
    DR_ASSIGN_OR_RETURN(void* bounded, ExecBounded(sql, p));
    res = static_cast<PGresult*>(bounded);
  } else {
    res = PQexecParams(conn, sql.c_str(), static_cast<int>(p.size()), nullptr, p.data(), nullptr, nullptr, 0);
  }
  ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    std::string msg(TrimWhitespace(PQresultErrorMessage(res)));
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    // 42501 insufficient_privilege: the documented exit code 3, not a generic failure.
    bool denied = state != nullptr && std::string_view(state) == "42501";
    PQclear(res);
    if (PQstatus(conn) != CONNECTION_OK) return Unavailable("lost the connection to PostgreSQL at " + where_ + ": " + msg);
    if (denied) return Status(Code::kPermissionDenied, "query on PostgreSQL at " + where_ + " was refused: " + msg);
    return Failed("query on PostgreSQL at " + where_ + " failed: " + msg);
  }
  std::vector<std::vector<std::string>> rows(static_cast<size_t>(PQntuples(res)));
  for (int r = 0; r < PQntuples(res); ++r) {
    for (int f = 0; f < PQnfields(res); ++f) rows[static_cast<size_t>(r)].emplace_back(PQgetvalue(res, r, f));
  }
  PQclear(res);
  return rows;
}

Result<void*> Connection::ExecBounded(const std::string& sql, const std::vector<const char*>& params) {
  auto* conn = static_cast<PGconn*>(conn_);
  auto deadline = DeadlineIn(reply_timeout_);
  if (PQsendQueryParams(conn, sql.c_str(), static_cast<int>(params.size()), nullptr, params.data(), nullptr, nullptr,
                        0) == 0) {
    return Unavailable("lost the connection to PostgreSQL at " + where_ + ": " +
                       std::string(TrimWhitespace(PQerrorMessage(conn))));
  }
  // As PQexec: every result is read, the last one kept.
  PGresult* last = nullptr;
  while (true) {
    while (PQisBusy(conn)) {
      if (!AwaitSocket(conn, POLLIN, deadline)) {
        PQclear(last);
        timed_out_ = true;
        return Unavailable("PostgreSQL at " + where_ + " did not answer within " + SecondsText(reply_timeout_));
      }
      if (PQconsumeInput(conn) == 0) break;  // the connection broke: PQgetResult says how
    }
    PGresult* res = PQgetResult(conn);
    if (res == nullptr) break;
    PQclear(last);
    last = res;
    if (PQstatus(conn) == CONNECTION_BAD) break;
    // A COPY's result comes back forever: the caller sees it (and fails on it).
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COPY_OUT || st == PGRES_COPY_IN || st == PGRES_COPY_BOTH) break;
  }
  return static_cast<void*>(last);
}

Result<std::string> Connection::QueryValue(const std::string& sql, const std::vector<std::string>& params) {
  DR_ASSIGN_OR_RETURN(auto rows, Query(sql, params));
  if (rows.empty() || rows[0].empty()) return std::string();
  return rows[0][0];
}

Status Connection::Exec(const std::string& sql) { return Query(sql).status(); }

namespace {

// The error of the result a COPY ended with, or Ok. Stops at a result that is
// still a COPY (PQgetResult would return it forever).
Status CopyOutcome(PGconn* conn, const std::string& where, const std::string& what) {
  Status status = Status::Ok();
  while (PGresult* res = PQgetResult(conn)) {
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COPY_OUT || st == PGRES_COPY_IN || st == PGRES_COPY_BOTH) {
      PQclear(res);
      return Failed(what + " on PostgreSQL at " + where + " did not end");
    }
    if (status.ok() && st != PGRES_COMMAND_OK) {
      status = Failed(what + " on PostgreSQL at " + where + " failed: " +
                      std::string(TrimWhitespace(PQresultErrorMessage(res))));
    }
    PQclear(res);
  }
  return status;
}

}  // namespace

std::function<void()> Connection::MakeCanceller() {
  std::shared_ptr<PGcancel> cancel(PQgetCancel(static_cast<PGconn*>(conn_)), [](PGcancel* c) {
    if (c != nullptr) PQfreeCancel(c);
  });
  return [cancel] {
    if (!cancel) return;
    char err[256];
    (void)PQcancel(cancel.get(), err, sizeof err);
  };
}

void Connection::Cancel() {
  if (PGcancel* cancel = PQgetCancel(static_cast<PGconn*>(conn_))) {
    char err[256];
    (void)PQcancel(cancel, err, sizeof err);
    PQfreeCancel(cancel);
  }
}

Result<uint64_t> Connection::CopyTo(const std::string& copy_out, Connection& to, const std::string& copy_in) {
  auto* src = static_cast<PGconn*>(conn_);
  auto* dst = static_cast<PGconn*>(to.conn_);
  PGresult* res = PQexec(dst, copy_in.c_str());
  bool in_ok = PQresultStatus(res) == PGRES_COPY_IN;
  std::string in_error = in_ok ? "" : std::string(TrimWhitespace(PQresultErrorMessage(res)));
  PQclear(res);
  if (!in_ok) return Failed("COPY into PostgreSQL at " + to.where_ + " failed: " + in_error);
  res = PQexec(src, copy_out.c_str());
  bool out_ok = PQresultStatus(res) == PGRES_COPY_OUT;
  std::string out_error = out_ok ? "" : std::string(TrimWhitespace(PQresultErrorMessage(res)));
  PQclear(res);
  if (!out_ok) {
    PQputCopyEnd(dst, "the source of the copy failed");
    (void)CopyOutcome(dst, to.where_, "COPY");
    return Failed("COPY from PostgreSQL at " + where_ + " failed: " + out_error);
  }
  uint64_t bytes = 0;
  Status status = Status::Ok();
  for (;;) {
    char* buffer = nullptr;
    int n = PQgetCopyData(src, &buffer, 0);
    if (n == -1) break;  // done
    if (n < 0) {
      status = Unavailable("COPY from PostgreSQL at " + where_ + " failed: " +
                           std::string(TrimWhitespace(PQerrorMessage(src))));
      break;
    }
    bytes += static_cast<uint64_t>(n);
    int put = PQputCopyData(dst, buffer, n);
    PQfreemem(buffer);
    if (put != 1) {
      status = Unavailable("COPY into PostgreSQL at " + to.where_ + " failed: " +
                           std::string(TrimWhitespace(PQerrorMessage(dst))));
      // The source is still sending: cancel it and read to the end, so it
      // leaves its COPY and the connection can be used (or closed) cleanly.
      Cancel();
      for (int n = 0; n >= 0;) {
        char* rest = nullptr;
        n = PQgetCopyData(src, &rest, 0);
        if (rest != nullptr) PQfreemem(rest);
      }
      break;
    }
  }
  if (Status s = CopyOutcome(src, where_, "COPY"); status.ok() && !s.ok()) status = s;
  PQputCopyEnd(dst, status.ok() ? nullptr : "the source of the copy failed");
  if (Status s = CopyOutcome(dst, to.where_, "COPY"); status.ok() && !s.ok()) status = s;
  if (!status.ok()) return status;
  return bytes;
}

std::string Connection::QuoteIdent(const std::string& name) {
  char* q = PQescapeIdentifier(static_cast<PGconn*>(conn_), name.c_str(), name.size());
  std::string out = q ? q : "\"\"";
  PQfreemem(q);
  return out;
}

std::string Connection::QuoteLiteral(const std::string& value) {
  char* q = PQescapeLiteral(static_cast<PGconn*>(conn_), value.c_str(), value.size());
  std::string out = q ? q : "''";
  PQfreemem(q);
  return out;
}

int Connection::server_version() const { return PQserverVersion(static_cast<PGconn*>(conn_)); }

Result<std::string> ToolPath(const ServerTarget& server, const std::string& tool) {
  namespace fs = std::filesystem;
  if (!server.bin_dir.empty()) {
    std::string p = server.bin_dir + "/" + tool;
    if (::access(p.c_str(), X_OK) == 0) return p;
    return NotFound(tool + " not found in postgresql.bin_dir '" + server.bin_dir + "'");
  }
  // Debian keeps each major version apart; prefer the newest, as pg_dump must be at least the server's.
  std::vector<int> majors;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    try {
      majors.push_back(std::stoi(e.path().filename().string()));
    } catch (const std::exception&) {
    }
  }
  std::sort(majors.rbegin(), majors.rend());
  for (int m : majors) {
    std::string p = "/usr/lib/postgresql/" + std::to_string(m) + "/bin/" + tool;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  auto which = RunCommand({.argv = {"sh", "-c", "command -v " + tool}});
  if (which.ok() && !TrimWhitespace(*which).empty()) return std::string(TrimWhitespace(*which));
  return NotFound(tool + " not found (install postgresql-client or set postgresql.bin_dir)");
}

Result<int> ToolVersion(const std::string& path) {
  DR_ASSIGN_OR_RETURN(std::string out, RunCommand({.argv = {path, "--version"}}));
  int major = 0, minor = 0;
  auto paren = out.find(") ");
  if (paren == std::string::npos || std::sscanf(out.c_str() + paren + 2, "%d.%d", &major, &minor) < 1) {
    return Failed("unable to read the version of " + path + " from '" + std::string(TrimWhitespace(out)) + "'");
  }
  return major * 10000 + minor;
}

std::string VersionString(int v) { return std::to_string(v / 10000) + "." + std::to_string(v % 10000); }

}  // namespace dr::net::pg
