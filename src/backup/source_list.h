// The sources this ecap-dr backs up and restores, in the order a default
// backup takes them: each one's SourceSpec (source/registry.h) bound to its
// own options in RestoreRequest. Internal to the backup layer: BackupManager
// reads this list and holds no per-component code.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backup/backup_manager.h"
#include "source/registry.h"

namespace dr::backup {

struct SourceEntry {
  struct Option {
    const char* flag;
    std::function<bool(const RestoreRequest&)> given;
    std::vector<std::string> modes;
  };
  std::string name;
  std::string setting;
  std::function<bool(const config::Config&)> configured;
  std::function<Status(const config::Config&, const source::BackupArgs&)> check;
  std::function<bool(const source::BackupArgs&)> requested;
  bool incremental = false;
  std::function<bool(const repo::SnapshotComponent&, const config::Config&, const source::BackupArgs&)> base_fits;
  bool reads_base_in_order = false;
  std::function<Result<std::unique_ptr<Source>>(const source::SourceEnv&, const source::BackupArgs&,
                                                const repo::SnapshotComponent*)>
      make;
  std::vector<source::RestoreModeSpec> modes;
  std::function<std::string(const repo::SnapshotComponent&, const RestoreRequest&)> mode_for;
  std::vector<Option> options;
  std::function<Result<source::RestoreStats>(const source::SourceEnv&, const repo::SnapshotComponent&, ItemReader&,
                                             const RestoreRequest&)>
      restore;
  bool restores_from_list = false;
};

// Every registered source, in the default backup order.
const std::vector<SourceEntry>& Sources();
// The source of that component name, or null.
const SourceEntry* FindSource(std::string_view name);
// "files, postgresql, s3, kafka".
std::string KnownSourceNames();

// The parts of a request every source reads.
source::BackupArgs BackupArgsOf(const BackupRequest& request);
source::ItemTarget ItemTargetOf(const RestoreRequest& request);

}  // namespace dr::backup
