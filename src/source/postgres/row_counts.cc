#include "source/postgres/row_counts.h"

namespace dr::source {

using nlohmann::json;

Result<json> CountRows(pg::Connection& conn, std::stop_token stop, bool lock) {
  DR_ASSIGN_OR_RETURN(auto tables,
                      conn.Query("SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c "
                                 "JOIN pg_namespace n ON n.oid = c.relnamespace "
                                 "WHERE c.relkind = 'r' AND c.relpersistence = 'p' "
                                 "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                                 "AND n.nspname !~ '^pg_(temp|toast)' "
                                 "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
                                 "AND d.objid = c.oid AND d.deptype = 'e') ORDER BY 1"));
  if (lock && !tables.empty()) {
    std::string list;
    for (const auto& t : tables) list += (list.empty() ? "" : ", ") + t[0];
    DR_RETURN_IF_ERROR(conn.Exec("LOCK TABLE " + list + " IN ACCESS SHARE MODE"));
  }
  uint64_t rows = 0;
  json per_table = json::object();
  for (const auto& t : tables) {
    if (stop.stop_requested()) return Status(Code::kCancelled, "the row count was stopped");
    DR_ASSIGN_OR_RETURN(std::string n, conn.QueryValue("SELECT count(*) FROM " + t[0]));
    uint64_t count = std::stoull(n.empty() ? "0" : n);
    per_table[t[0]] = count;
    rows += count;
  }
  return json{{"tables", tables.size()}, {"rows", rows}, {"rows_per_table", per_table}};
}

std::string CompareRowCounts(const json& backup, const json& restored) {
  const json want = backup.value("rows_per_table", json::object());
  const json got = restored.value("rows_per_table", json::object());
  std::vector<std::string> differ;
  for (const auto& [table, n] : want.items()) {
    if (!got.contains(table)) {
      differ.push_back(table + " is missing (the backup counted " + n.dump() + " rows)");
    } else if (got[table] != n) {
      differ.push_back(table + " has " + got[table].dump() + " rows, the backup counted " + n.dump());
    }
  }
  for (const auto& [table, n] : got.items()) {
    if (!want.contains(table)) differ.push_back(table + " was not in the backup");
  }
  if (differ.empty()) return "";
  std::string out = std::to_string(differ.size()) + (differ.size() == 1 ? " table differs" : " tables differ") +
                    " from the backup's counts: ";
  for (size_t i = 0; i < differ.size() && i < 5; ++i) out += (i ? "; " : "") + differ[i];
  if (differ.size() > 5) out += "; ...";
  return out;
}

}  // namespace dr::source
