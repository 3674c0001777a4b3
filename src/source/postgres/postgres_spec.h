// The "postgresql" component's registration (source/registry.h): logical and
// physical backups, restored into a server, laid out as a data directory, or
// extracted as raw items.
#pragma once

#include <string>
#include <vector>

#include "source/postgres/client.h"
#include "source/registry.h"

namespace dr::source {

// `restore`'s PostgreSQL options (the CLI flags in the comments). A field off
// its default counts as given.
struct PostgresRestoreArgs {
  std::vector<std::string> databases;  // --database: only these (original names)
  std::string target_db;               // --target-db
  std::string target_host;             // --target-host (default: postgresql.host)
  int target_port = 0;                 // --target-port (0: postgresql.port)
  bool clean = false;                  // --clean
  int jobs = 0;                        // --jobs (0: not given, one job)
  bool globals = false;                // --globals
  // Physical backups: point-in-time recovery into a new data directory.
  std::string pgdata;          // --pgdata
  std::string target_time;     // --target-time
  std::string target_lsn;      // --target-lsn
  std::string target_name;     // --target-name
  bool target_immediate = false;  // --target-immediate
  std::string target_action;   // --target-action ("": promote)
  bool keep_archiving = false;  // --keep-archiving
};

// The configured server (postgresql section) as a connection target.
pg::ServerTarget ServerFromConfig(const config::PostgresConfig& pg);

SourceSpec<PostgresRestoreArgs> PostgresSpec();

}  // namespace dr::source
