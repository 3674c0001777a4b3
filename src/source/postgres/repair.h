// Repairing a damaged database in place, the way the data-corruption runbook
// does it: stop the writes that keep landing on it, put back the rows a clean
// copy (a point-in-time restore beside it) holds, and let writes resume.
//
// Pausing writes sets default_transaction_read_only on the database (ALTER
// DATABASE ... SET) and ends its open sessions so that clients reconnect
// read-only. It stops ordinary clients, not one that turns read-only off in
// its own session; the runbook's confirmation says so. ecap-dr's own repair
// session does turn it off (BEGIN READ WRITE).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "source/postgres/client.h"

namespace dr::source {

struct WritePause {
  bool was_paused = false;  // the database was read-only already (nothing changed)
  int sessions_ended = 0;   // client sessions on it that were terminated
};

// Errors: the connection's (kUnavailable, kPermissionDenied), kNotFound for a
// database that does not exist.
Result<WritePause> PauseWrites(const pg::ServerTarget& server, const std::string& database);
// Resets default_transaction_read_only on the database; `was_paused` says whether it was set.
Result<WritePause> ResumeWrites(const pg::ServerTarget& server, const std::string& database);
// Whether new sessions on the database start read-only.
Result<bool> WritesPaused(const pg::ServerTarget& server, const std::string& database);

// The number of rows of each table (name or schema.name) of `database`: a
// read-only look at the damage. A missing table is kInvalidArgument naming it.
Result<std::vector<std::pair<std::string, uint64_t>>> CountRows(const pg::ServerTarget& server,
                                                               const std::string& database,
                                                               const std::vector<std::string>& tables);

struct TableRepair {
  std::string table;
  uint64_t clean_rows = 0;  // rows in the clean copy
  uint64_t updated = 0;     // damaged rows put back as the clean copy has them
  uint64_t inserted = 0;    // rows deleted since the clean copy, put back
  // The damaged versions of the updated rows, kept beside the table
  // ("ecap_dr_repaired_<table>_<stamp>") so nothing is lost; "" when no row changed.
  std::string saved_as;
};

// For each table (name or schema.name) of `database` on `server`: the rows of
// the clean copy (`clean_conninfo`, the same table there) are compared with
// the live ones by primary key; a live row that differs is set back to the
// clean one (its damaged version copied to `saved_as` first), a row missing
// from the live table is inserted again, and a row the clean copy does not
// have (written since) is left alone. All tables in one transaction: the
// repair applies whole or not at all. `stamp` names the saved tables.
// Without `apply`, the same is done and rolled back: the counts say what a
// repair would change, and nothing changes (saved_as stays "").
// Errors: a table without a primary key or missing on either side is
// kInvalidArgument naming it; a connection's errors as above.
Result<std::vector<TableRepair>> RepairRows(const std::string& clean_conninfo, const pg::ServerTarget& server,
                                            const std::string& database, const std::vector<std::string>& tables,
                                            const std::string& stamp, bool apply = true);

}  // namespace dr::source
