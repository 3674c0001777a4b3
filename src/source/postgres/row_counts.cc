#include "source/postgres/row_counts.h"

namespace dr::source {

using nlohmann::json;

Result<json> CountRows(pg::Connection& conn) {
  DR_ASSIGN_OR_RETURN(auto tables, conn.Query("SELECT quote_ident(schemaname) || '.' || quote_ident(relname) FROM "
                                              "pg_stat_user_tables ORDER BY 1"));
  uint64_t rows = 0;
  json per_table = json::object();
  for (const auto& t : tables) {
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
