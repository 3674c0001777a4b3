// The "postgresql" component, logical part: each database dumped with
// `pg_dump -Fc -Z0` straight into the repository (never staged on disk;
// uncompressed so that unchanged table data deduplicates between nights, zstd
// compresses it afterwards), plus `pg_dumpall --globals-only` (roles,
// tablespaces) so a restore into an empty server works.
//
// Items: "globals.sql" (kind "pg_globals") and "<database>.dump" (kind
// "pg_dump", meta: database, server and pg_dump versions, size, and
// "database_properties": owner, privileges, settings, ... (database_properties.h);
// "row_counts": every table's rows in the dump's own snapshot (row_counts.h),
// or "row_counts_error" saying why there are none; backups made before either
// was recorded lack them and still restore).
//
// Physical part (options.physical): one item "base.tar" (kind "pg_basebackup"),
// `pg_basebackup -D - -Ft -X fetch` streamed, with the WAL start and stop
// positions; together with the WAL archive (wal.h) it allows point-in-time
// recovery.
#pragma once

#include <string>
#include <vector>

#include "base/subprocess.h"
#include "dr/source.h"
#include "repo/snapshot/snapshot.h"
#include "source/postgres/client.h"

namespace dr::source {

struct PostgresOptions {
  pg::ServerTarget server;
  std::vector<std::string> databases;
  bool physical = false;
  // Each dump's row counts, taken in its own snapshot (row_counts.h).
  bool count_rows = true;
};

class PostgresSource : public Source {
 public:
  explicit PostgresSource(PostgresOptions options) : options_(std::move(options)) {}
  std::string component() const override { return "postgresql"; }
  // Fails (and the backup with it) when pg_dump fails or is older than the server.
  Status Backup(ItemWriter& writer) override;

 private:
  Status DumpGlobals(ItemWriter& writer, const std::string& dumpall);
  Status DumpDatabase(ItemWriter& writer, const std::string& db, nlohmann::json meta, SubprocessOptions opts);
  Status BackupPhysical(ItemWriter& writer);
  PostgresOptions options_;
};

struct PostgresRestoreOptions {
  pg::ServerTarget server;             // where to restore (default: the configured server)
  std::vector<std::string> databases;  // only these (by original name); empty = all in the backup
  std::string target_db;               // restore the one selected database under this name
  bool clean = false;                  // drop and re-create the objects of a non-empty target database
  int jobs = 1;                        // >1: pg_restore -j (the dump is staged in temp_dir first)
  bool globals = false;                // also apply globals.sql (roles, tablespaces) with psql
  std::string temp_dir = "/tmp";

  // Physical backups: lay out a data directory and the recovery settings.
  std::string pgdata;           // must not exist, or be empty
  std::string target_time;      // recovery_target_time, e.g. "2026-11-26 10:41:00+00"
  std::string target_lsn;       // recovery_target_lsn
  std::string target_name;      // recovery_target_name (a restore point)
  bool target_immediate = false;  // stop as soon as the base backup is consistent
  std::string target_action = "promote";  // promote, pause or shutdown
  std::string restore_command;  // 'ecap-dr -c CONFIG wal fetch %f %p'
  // Keep the backup's archive_mode / archive_command. Off by default (as
  // pgBackRest): a promoted copy would archive into the source's archive and
  // mix its timelines with production's.
  bool keep_archiving = false;
};

struct PostgresRestoreStats {
  uint64_t databases = 0;
  uint64_t bytes = 0;
  std::vector<std::string> restored;  // target database names
  std::string pgdata;                 // physical: the data directory laid out
  std::vector<std::string> changed;   // physical: the settings written ("archive_mode = off (was on)")
  std::vector<std::string> warnings;  // what could not be restored as it was (a missing owner role, ...)
};

// Restores the component's databases. A target database that does not exist is
// created with the backup's encoding and locale and, once filled, given the
// backup's owner, privileges and settings (under its own name or target_db);
// what cannot be (a role missing on the target) is a warning in the stats. An
// existing database keeps its own properties (also a warning). A new database
// is filled under "<name>_ecap_dr_partial" and renamed once complete, so an
// interrupted restore never leaves a half-filled database under the final
// name; one left behind is named and refused (kAlreadyExists) next time. One that holds
// tables is refused unless `clean` is set. With one job the restore is a single
// transaction: it applies whole or not at all, and a database this restore
// created is dropped again when it fails. A failed read of the backup is
// reported as such (kCorrupt, kUnavailable), not as pg_restore's exit.
Result<PostgresRestoreStats> RestorePostgres(const repo::SnapshotComponent& component, ItemReader& reader,
                                             const PostgresRestoreOptions& options);

}  // namespace dr::source
