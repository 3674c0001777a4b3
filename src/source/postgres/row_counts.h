// The exact row count of every table in a database's own schemas: a logical
// backup counts them in pg_dump's snapshot and keeps them with the dump
// (item meta "row_counts"), a drill counts the restored database the same way
// and compares. One query for both sides, so they count the same tables.
#pragma once

#include <nlohmann/json.hpp>

#include "source/postgres/client.h"

namespace dr::source {

// {"tables": N, "rows": N, "rows_per_table": {"public.orders": N, ...}} over
// the tables of pg_stat_user_tables (partitions each, not their parents).
Result<nlohmann::json> CountRows(pg::Connection& conn);

// Where the restored counts differ from the backup's: "" when they match,
// else a sentence naming the first tables that differ (and how).
std::string CompareRowCounts(const nlohmann::json& backup, const nlohmann::json& restored);

}  // namespace dr::source
