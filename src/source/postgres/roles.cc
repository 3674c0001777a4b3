#include "source/postgres/roles.h"

namespace dr::source {
namespace {

Result<LoginChange> SetLogin(const pg::ServerTarget& server, const std::string& role, bool login) {
  DR_ASSIGN_OR_RETURN(auto conn, pg::Connection::Open(server, "postgres"));
  DR_RETURN_IF_ERROR(conn->Exec("SET default_transaction_read_only = off"));
  DR_ASSIGN_OR_RETURN(auto rows, conn->Query("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1", {role}));
  if (rows.empty()) return NotFound("no role '" + role + "' on PostgreSQL at " + server.Where());
  LoginChange out{.could_login_before = rows[0][0] == "t"};
  DR_RETURN_IF_ERROR(conn->Exec("ALTER ROLE " + conn->QuoteIdent(role) + (login ? " LOGIN" : " NOLOGIN")));
  if (!login) {
    DR_ASSIGN_OR_RETURN(std::string ended,
                        conn->QueryValue("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                         "WHERE usename = $1 AND pid <> pg_backend_pid()",
                                         {role}));
    out.sessions_ended = std::stoi(ended);
  }
  return out;
}

}  // namespace

Result<LoginChange> DisableLogin(const pg::ServerTarget& server, const std::string& role) {
  return SetLogin(server, role, false);
}

Result<LoginChange> EnableLogin(const pg::ServerTarget& server, const std::string& role) {
  return SetLogin(server, role, true);
}

}  // namespace dr::source
