// The exact row count of every table in a database's own schemas: a logical
// backup counts them in pg_dump's snapshot and keeps them with the dump
// (item meta "row_counts"), a drill counts the restored database the same way
// and compares. One query for both sides, so they count the same tables.
#pragma once

#include <stop_token>

#include <nlohmann/json.hpp>

#include "source/postgres/client.h"

namespace dr::source {

// {"tables": N, "rows": N, "rows_per_table": {"public.orders": N, ...}} over
// the tables that hold rows a dump carries and a restore brings back: plain,
// permanent tables (partitions each, not their parents; no unlogged, temporary
// or TOAST table, no materialized view, which a restore refreshes anew; no
// table of an extension, which CREATE EXTENSION fills) outside the system
// schemas. `lock`: first LOCK them all IN ACCESS SHARE MODE, as pg_dump does,
// so that no TRUNCATE (which ignores snapshots) empties one meanwhile.
// `stop`: checked before each table (kCancelled).
Result<nlohmann::json> CountRows(pg::Connection& conn, std::stop_token stop = {}, bool lock = false);

// Where the restored counts differ from the backup's: "" when they match,
// else a sentence naming the first tables that differ (and how).
std::string CompareRowCounts(const nlohmann::json& backup, const nlohmann::json& restored);

}  // namespace dr::source
