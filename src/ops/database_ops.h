// Operations on the configured PostgreSQL server (the postgresql section)
// that the recovery runbooks use besides backups and restores: pausing and
// resuming its writes, repairing damaged rows from a clean copy, and the
// scratch server a point-in-time restore runs on (source/postgres/repair.h,
// scratch_server.h). Each checks a permission, audits and emits an event.
#pragma once

#include <string>
#include <vector>

#include "ops/operation.h"

namespace dr::ops {

// dr.failover (writes are part of the service's availability, as a fence is);
// writes_paused / writes_resumed. data: {database, was_paused, sessions_ended}.
OpResult PauseWrites(OperationContext& ctx, const std::string& database);
OpResult ResumeWrites(OperationContext& ctx, const std::string& database);

// dr.health (a read-only look at a service). data: {database, server,
// writes_paused, tables: [{table, rows}]}.
OpResult InspectTables(OperationContext& ctx, const std::string& database, const std::vector<std::string>& tables);

// backup.restore; rows_repaired. `clean_conninfo` without user/password gets
// the configured ones; `database` empty: postgresql.database. data:
// {database, tables: [{table, clean_rows, updated, inserted, saved_as}], updated, inserted}.
// Without `apply`: what a repair would change, changing nothing (no event).
OpResult RepairRows(OperationContext& ctx, const std::string& clean_conninfo, const std::string& database,
                    const std::vector<std::string>& tables, bool apply = true);

// backup.restore; scratch_server_started. Starts PostgreSQL on a restored data
// directory (port 0: a free one) and waits until it has recovered and takes
// writes. data: {pgdata, port, conninfo (with the configured user and database), log_file}.
OpResult StartScratchServer(OperationContext& ctx, const std::string& pgdata, int port);
// backup.restore; scratch_server_stopped. With `remove`, the data directory goes too.
OpResult StopScratchServer(OperationContext& ctx, const std::string& pgdata, bool remove);

}  // namespace dr::ops
