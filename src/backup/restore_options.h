// Which `restore` options apply to which component, and the check that refuses
// an option that applies to none of those being restored. Without it
// `restore ID --item X --stdout` on a PostgreSQL backup was silently ignored and
// a database was created and filled instead. One table, so the CLI, the API
// and this check cannot drift apart. Internal to the backup layer.
#pragma once

#include <string>
#include <vector>

#include "backup/backup_manager.h"

namespace dr::backup {

// How one component of a backup is restored, which decides the options that apply.
enum class RestoreMode {
  kFiles,            // files: into --target DIR or to --stdout
  kPostgresServer,   // postgresql, logical: pg_restore into a server
  kPostgresPhysical, // postgresql, physical: a data directory laid out at --pgdata
  kPostgresExtract,  // postgresql: the raw items to --target DIR or --stdout
  kS3,               // s3: into the original or another bucket
  kKafka,            // kafka: into a cluster
};

// "component 'postgresql' (physical backup)" and the like, for messages.
std::string DescribeMode(RestoreMode mode);

// The mode of component `name` for this request: postgresql is extracted when
// --target or --stdout is given, physical when its backup is a base backup.
RestoreMode ModeFor(const repo::SnapshotComponent& component, const RestoreRequest& request);

// kInvalidArgument (exit 2) naming the first option given in `request` that
// applies to none of `modes`, and what is being restored.
Status CheckRestoreOptions(const RestoreRequest& request, const std::vector<RestoreMode>& modes);

}  // namespace dr::backup
