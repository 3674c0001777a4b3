// How a source registers: one SourceSpec per component (files, postgresql, s3,
// kafka) says everything the backup layer needs to back it up and restore it,
// so that layer holds no per-component code. A spec lives in its source's
// folder (<source>/<source>_spec.cc); the one list of specs is
// backup/source_list.cc, because only the backup layer knows the restore
// request that carries each source's own options.
//
// Backup:  configured(config) chooses it by default; check(config, args) refuses
//          it when named but not configured; make(...) builds the Source, given
//          the previous backup's component when the spec is incremental.
// Restore: mode_for picks one of its restore modes (which decide the restore
//          options that apply, checked before anything is written); restore(...)
//          reads the component back and returns the common RestoreStats.
//
// Adding a source: its folder (the Source, its restore, <name>_spec.{h,cc}
// returning its SourceSpec) and one Bind(...) line in backup/source_list.cc.
// If it has restore options of its own: their struct in its _spec.h, one
// member of RestoreRequest (backup/backup_manager.h) and their flags in
// cli/restore_command.cc. Its configuration keys go where every key goes
// (config/options_table.h). Its conformance harness (test/conformance/
// source_suite.h) goes into the test binary that can run it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "dr/backend.h"
#include "dr/clock.h"
#include "dr/io.h"
#include "dr/source.h"
#include "source/files/files_source.h"

namespace dr::net::kafka {
class Admin;
}

namespace dr::source {

// What the caller provides every source: the configuration, and test doubles.
struct SourceEnv {
  const config::Config* config = nullptr;
  // Kafka admin operations; null: librdkafka's (tests substitute a scripted one).
  net::kafka::Admin* kafka_admin = nullptr;
  // Wall-clock time where a source compares with it (files: a file changed in the
  // last second is not trusted to be unchanged next time).
  const Clock* clock = &RealClock();
  // Opens a cursor over an item list of the repository (an incremental base,
  // or a component restored, given as a summary component: its `list` set and
  // no items). Unset: components come with their items loaded.
  std::function<std::unique_ptr<ItemCursor>(const repo::ItemList&)> open_list;
  // The repository's storage, on restore (postgresql: whether its WAL archive
  // reaches a --target-time). Null: not known.
  Backend* repository_storage = nullptr;
};

// `backup create`'s inputs besides the component names.
struct BackupArgs {
  std::vector<std::string> paths;     // files: paths to back up (empty: files.paths)
  std::vector<StreamInput> streams;   // files: named streams (stdin)
  bool physical = false;              // postgresql: pg_basebackup instead of pg_dump
  // files, s3: read everything again instead of reusing what the previous
  // backup holds unchanged (its size, times and inode or ETag still match).
  bool read_all = false;
};

// The restore options every source that writes items out as files or to a
// stream shares (--target, --item, --overwrite, --stdout).
struct ItemTarget {
  std::string target_dir;
  std::vector<std::string> items;
  bool overwrite = false;
  ByteSink* single_sink = nullptr;
};

// What every restore returns. `details` holds the source's own facts under the
// names of the public restore result (restore JSON): "databases", "files",
// "settings_changed", "topics", "messages_skipped", "consumer_groups_restored".
struct RestoreStats {
  uint64_t items = 0;
  uint64_t bytes = 0;
  std::vector<std::string> warnings;
  std::string target;  // where it went; "" leaves the request's (the directory, "stdout")
  nlohmann::json details = nlohmann::json::object();
};

// One way a component is restored ("postgresql.physical"), with the phrase
// that names it in messages ("component 'postgresql' (a physical backup ...)").
struct RestoreModeSpec {
  std::string id;
  std::string description;
};

// A restore option (its CLI flag), when it counts as given, and the modes it
// means something for. Options is the source's own restore options.
template <typename Options>
struct RestoreOptionSpec {
  const char* flag;
  std::function<bool(const ItemTarget&, const Options&)> given;
  std::vector<std::string> modes;
};

// A source without options of its own restores with these.
struct NoRestoreOptions {};

template <typename Options>
struct SourceSpec {
  std::string name;     // the component name, as in snapshots and --component
  std::string setting;  // what configures it, for "configure files.paths, postgresql, ..."
  std::function<bool(const config::Config&)> configured;  // part of a default backup
  // Why it cannot be backed up although named (kConfig, kInvalidArgument).
  std::function<Status(const config::Config&, const BackupArgs&)> check;
  // The request names this source's own inputs (--files, --stdin): a backup of
  // this source alone, whatever else is configured. Empty: never.
  std::function<bool(const BackupArgs&)> requested;
  bool incremental = false;  // make() is given the newest earlier backup's component
  // Set when that earlier component only saves reading (files, s3): --read-all
  // does without it, one that cannot be loaded is a warning rather than a failed
  // backup, and the base is the newest earlier component this says fits (files:
  // one whose paths cover this backup's). Unset: the newest, and it must load.
  std::function<bool(const repo::SnapshotComponent& earlier, const config::Config&, const BackupArgs&)> base_fits;
  // make() takes a format-2 base as a summary (its list, no items) and reads it
  // through SourceEnv::open_list, in order: memory does not grow with the base.
  bool reads_base_in_order = false;
  std::function<Result<std::unique_ptr<Source>>(const SourceEnv&, const BackupArgs&,
                                                const repo::SnapshotComponent* previous)>
      make;
  std::vector<RestoreModeSpec> modes;  // the first is the default
  // Which mode restores this component; empty: modes[0].
  std::function<std::string(const repo::SnapshotComponent&, const ItemTarget&)> mode_for;
  std::vector<RestoreOptionSpec<Options>> options;
  std::function<Result<RestoreStats>(const SourceEnv&, const repo::SnapshotComponent&, ItemReader&,
                                     const ItemTarget&, const Options&)>
      restore;
  // restore() takes a format-2 component as a summary (its list, no items) and
  // walks the list through SourceEnv::open_list: memory does not grow with it.
  bool restores_from_list = false;
};

}  // namespace dr::source
