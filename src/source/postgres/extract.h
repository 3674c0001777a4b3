// Extracting a PostgreSQL backup's raw items for users who restore with their
// own tools: `restore ID --target DIR` writes the selected items as files
// (globals.sql, <database>.dump, base.tar), and `--item X --stdout` writes one
// to standard output. The bytes are exactly what pg_dumpall, pg_dump -Fc or
// pg_basebackup produced, so `pg_restore -l FILE`, `pg_restore -d DB FILE`,
// `psql -f globals.sql` and `tar -x` work on them.
#pragma once

#include <string>
#include <vector>

#include "dr/io.h"
#include "dr/source.h"
#include "repo/snapshot/snapshot.h"

namespace dr::source {

struct PostgresExtractOptions {
  std::string target_dir;              // write the items here as files (created if missing)
  ByteSink* single_sink = nullptr;     // or the one selected item here (--stdout)
  std::vector<std::string> items;      // item names; empty: all (or those of `databases`)
  std::vector<std::string> databases;  // the dumps of these databases (original names)
  bool overwrite = false;              // replace existing files instead of refusing
};

struct PostgresExtractStats {
  uint64_t items = 0;
  uint64_t bytes = 0;
  std::vector<std::string> written;  // the files written (or the one item sent to the sink)
};

// Every conflict is checked before the first byte is written: an existing file
// without `overwrite` is kAlreadyExists naming it. Each file is written under
// ".ecap-dr-partial-<name>" and renamed into place only once all its bytes
// were authenticated and its size matched; a failure removes the partial file. kNotFound names an item or
// database the backup does not hold; kInvalidArgument when --stdout selects
// other than exactly one item.
Result<PostgresExtractStats> ExtractPostgres(const repo::SnapshotComponent& component, ItemReader& reader,
                                             const PostgresExtractOptions& options);

}  // namespace dr::source
