#include "source/postgres/repair.h"

#include <algorithm>
#include <memory>

namespace dr::source {
namespace {

using pg::Connection;

// SET on a database applies to the sessions that start after it.
Result<WritePause> SetReadOnly(const pg::ServerTarget& server, const std::string& database, bool read_only) {
  DR_ASSIGN_OR_RETURN(auto conn, Connection::Open(server, "postgres"));
  // "postgres" may be the paused database itself: this session writes.
  DR_RETURN_IF_ERROR(conn->Exec("SET default_transaction_read_only = off"));
  DR_ASSIGN_OR_RETURN(std::string exists, conn->QueryValue("SELECT count(*) FROM pg_database WHERE datname = $1",
                                                           {database}));
  if (exists != "1") return NotFound("no database '" + database + "' on PostgreSQL at " + server.Where());
  WritePause out;
  DR_ASSIGN_OR_RETURN(bool paused, WritesPaused(server, database));
  out.was_paused = paused;
  std::string db = conn->QuoteIdent(database);
  if (!read_only) {
    DR_RETURN_IF_ERROR(conn->Exec("ALTER DATABASE " + db + " RESET default_transaction_read_only"));
    return out;
  }
  DR_RETURN_IF_ERROR(conn->Exec("ALTER DATABASE " + db + " SET default_transaction_read_only = on"));
  // Sessions already open keep writing until they reconnect: end them.
  DR_ASSIGN_OR_RETURN(std::string ended,
                      conn->QueryValue("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                       "WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
                                       {database}));
  out.sessions_ended = std::stoi(ended);
  return out;
}

struct TableInfo {
  std::string qualified;             // "schema"."name", quoted
  std::string relname;               // bare name, for the saved table's name
  std::string schema;                // quoted
  std::vector<std::string> columns;  // quoted, generated columns left out
  std::vector<std::string> key;      // quoted primary-key columns
  std::vector<std::string> identity_always;  // quoted: GENERATED ALWAYS AS IDENTITY (never SET)
};

Result<TableInfo> DescribeTable(Connection& conn, const std::string& table) {
  DR_ASSIGN_OR_RETURN(auto rows, conn.Query("SELECT n.nspname, c.relname, c.oid FROM pg_class c JOIN pg_namespace n "
                                            "ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)",
                                            {table}));
  if (rows.empty()) return InvalidArgument("no table '" + table + "' in the damaged database (" + conn.where() + ")");
  TableInfo t;
  t.schema = conn.QuoteIdent(rows[0][0]);
  t.relname = rows[0][1];
  t.qualified = t.schema + "." + conn.QuoteIdent(rows[0][1]);
  std::string oid = rows[0][2];
  DR_ASSIGN_OR_RETURN(auto cols, conn.Query("SELECT attname, attidentity = 'a' FROM pg_attribute WHERE attrelid = "
                                            "$1::oid AND attnum > 0 AND NOT attisdropped AND attgenerated = '' "
                                            "ORDER BY attnum",
                                            {oid}));
  for (const auto& c : cols) {
    t.columns.push_back(conn.QuoteIdent(c[0]));
    if (c[1] == "t") t.identity_always.push_back(t.columns.back());
  }
  DR_ASSIGN_OR_RETURN(auto key, conn.Query("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = "
                                           "i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = $1::oid AND "
                                           "i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)",
                                           {oid}));
  for (const auto& k : key) t.key.push_back(conn.QuoteIdent(k[0]));
  if (t.key.empty()) {
    return InvalidArgument("table '" + table + "' has no primary key: its rows cannot be matched with the clean copy's");
  }
  return t;
}

std::string Join(const std::vector<std::string>& parts, const std::string& sep, const std::string& prefix = "") {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + prefix + p;
  return out;
}

Result<TableRepair> RepairTable(Connection& clean, Connection& live, const std::string& table, size_t index,
                                const std::string& stamp) {
  DR_ASSIGN_OR_RETURN(TableInfo t, DescribeTable(live, table));
  TableRepair out{.table = table};
  std::string temp = "ecap_dr_clean_" + std::to_string(index);
  std::string cols = Join(t.columns, ", ");
  DR_RETURN_IF_ERROR(live.Exec("CREATE TEMP TABLE " + temp + " ON COMMIT DROP AS SELECT " + cols + " FROM " +
                               t.qualified + " WITH NO DATA"));
  auto copied = clean.CopyTo("COPY (SELECT " + cols + " FROM " + t.qualified + ") TO STDOUT", live,
                             "COPY " + temp + " (" + cols + ") FROM STDIN");
  if (!copied.ok()) return Status(copied.status().code(), "table '" + table + "': " + copied.status().message());
  DR_ASSIGN_OR_RETURN(std::string clean_rows, live.QueryValue("SELECT count(*) FROM " + temp));
  out.clean_rows = std::stoull(clean_rows);

  std::string match;
  for (const auto& k : t.key) match += (match.empty() ? "" : " AND ") + ("t." + k + " = c." + k);
  // As text: json and other types without an equality operator compare too.
  std::string differs = "ROW(" + Join(t.columns, ", ", "t.") + ")::text IS DISTINCT FROM ROW(" +
                        Join(t.columns, ", ", "c.") + ")::text";
  // At most 30 bytes of the name, cut between characters (UTF-8).
  size_t cut = std::min<size_t>(t.relname.size(), 30);
  while (cut > 0 && cut < t.relname.size() && (static_cast<unsigned char>(t.relname[cut]) & 0xC0) == 0x80) --cut;
  std::string saved = "ecap_dr_repaired_" + t.relname.substr(0, cut) + "_" + stamp;
  std::string saved_q = t.schema + "." + live.QuoteIdent(saved);
  DR_ASSIGN_OR_RETURN(std::string changed,
                      live.QueryValue("WITH s AS (SELECT t.* FROM " + t.qualified + " t JOIN " + temp + " c ON " +
                                      match + " WHERE " + differs + ") SELECT count(*) FROM s"));
  if (changed != "0") {
    DR_RETURN_IF_ERROR(live.Exec("CREATE TABLE " + saved_q + " AS SELECT t.* FROM " + t.qualified + " t JOIN " + temp +
                                 " c ON " + match + " WHERE " + differs));
    out.saved_as = saved;
    std::vector<std::string> sets;
    for (const auto& c : t.columns) {
      bool in_key = std::find(t.key.begin(), t.key.end(), c) != t.key.end();
      bool always = std::find(t.identity_always.begin(), t.identity_always.end(), c) != t.identity_always.end();
      if (!in_key && !always) sets.push_back(c + " = c." + c);
    }
    if (!sets.empty()) {  // every column in the key: equal keys are the same row
      DR_ASSIGN_OR_RETURN(std::string updated,
                          live.QueryValue("WITH u AS (UPDATE " + t.qualified + " t SET " + Join(sets, ", ") + " FROM " +
                                          temp + " c WHERE " + match + " AND " + differs +
                                          " RETURNING 1) SELECT count(*) FROM u"));
      out.updated = std::stoull(updated);
    }
  }
  DR_ASSIGN_OR_RETURN(std::string inserted,
                      live.QueryValue("WITH i AS (INSERT INTO " + t.qualified + " (" + cols +
                                      ") OVERRIDING SYSTEM VALUE SELECT " + Join(t.columns, ", ", "c.") + " FROM " +
                                      temp + " c WHERE NOT EXISTS (SELECT 1 FROM " + t.qualified + " t WHERE " +
                                      match + ") RETURNING 1) SELECT count(*) FROM i"));
  out.inserted = std::stoull(inserted);
  return out;
}

}  // namespace

Result<bool> WritesPaused(const pg::ServerTarget& server, const std::string& database) {
  DR_ASSIGN_OR_RETURN(auto conn, Connection::Open(server, database));
  auto rows = conn->Query("SHOW default_transaction_read_only");
  if (!rows.ok()) return rows.status();
  return !rows->empty() && !(*rows)[0].empty() && (*rows)[0][0] == "on";
}

Result<std::vector<std::pair<std::string, uint64_t>>> CountRows(const pg::ServerTarget& server,
                                                               const std::string& database,
                                                               const std::vector<std::string>& tables) {
  DR_ASSIGN_OR_RETURN(auto conn, Connection::Open(server, database));
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const auto& table : tables) {
    DR_ASSIGN_OR_RETURN(TableInfo t, DescribeTable(*conn, table));
    DR_ASSIGN_OR_RETURN(std::string n, conn->QueryValue("SELECT count(*) FROM " + t.qualified));
    out.emplace_back(table, std::stoull(n));
  }
  return out;
}

Result<WritePause> PauseWrites(const pg::ServerTarget& server, const std::string& database) {
  return SetReadOnly(server, database, true);
}

Result<WritePause> ResumeWrites(const pg::ServerTarget& server, const std::string& database) {
  return SetReadOnly(server, database, false);
}

Result<std::vector<TableRepair>> RepairRows(const std::string& clean_conninfo, const pg::ServerTarget& server,
                                            const std::string& database, const std::vector<std::string>& tables,
                                            const std::string& stamp, bool apply) {
  if (tables.empty()) return InvalidArgument("no table to repair was named");
  DR_ASSIGN_OR_RETURN(auto clean, Connection::OpenConninfo(clean_conninfo, server.connect_timeout));
  DR_ASSIGN_OR_RETURN(auto live, Connection::Open(server, database));
  // The database may be paused (read-only by default): this session writes.
  DR_RETURN_IF_ERROR(live->Exec("BEGIN READ WRITE"));
  std::vector<TableRepair> out;
  for (size_t i = 0; i < tables.size(); ++i) {
    auto repaired = RepairTable(*clean, *live, tables[i], i, stamp);
    if (!repaired.ok()) {
      (void)live->Exec("ROLLBACK");
      return repaired.status();
    }
    if (!apply) repaired->saved_as.clear();
    out.push_back(*repaired);
  }
  DR_RETURN_IF_ERROR(live->Exec(apply ? "COMMIT" : "ROLLBACK"));
  return out;
}

}  // namespace dr::source
