// Which `restore` options apply to which component, and the check that refuses
// an option that applies to none of those being restored. Without it
// `restore ID --item X --stdout` on a PostgreSQL backup was silently ignored and
// a database was created and filled instead. The table is the sources' own
// (each SourceSpec lists its options and restore modes, source/registry.h), so
// the CLI, the API and this check cannot drift apart. Internal to the backup layer.
#pragma once

#include <string>
#include <vector>

#include "backup/backup_manager.h"

namespace dr::backup {

// How one component of a backup is restored, which decides the options that
// apply: a restore mode id of a registered source ("files", "postgresql.server",
// "postgresql.physical", "postgresql.extract", "s3", "kafka").
using RestoreMode = std::string;

// "component 'postgresql' (a physical backup ...)" and the like, for messages.
std::string DescribeMode(const RestoreMode& mode);

// The mode of `component` for this request (its source decides: postgresql is
// extracted when --target or --stdout is given, physical when its backup is a
// base backup). "" for a component no registered source restores.
RestoreMode ModeFor(const repo::SnapshotComponent& component, const RestoreRequest& request);

// kInvalidArgument (exit 2) naming the first option given in `request` that
// applies to none of `modes`, and what is being restored.
Status CheckRestoreOptions(const RestoreRequest& request, const std::vector<RestoreMode>& modes);

}  // namespace dr::backup
