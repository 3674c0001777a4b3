#include "source/files/files_spec.h"

namespace dr::source {

SourceSpec<NoRestoreOptions> FilesSpec() {
  using Opts = NoRestoreOptions;
  SourceSpec<Opts> spec;
  spec.name = "files";
  spec.setting = "files.paths";
  spec.configured = [](const config::Config& c) { return !c.files.paths.empty(); };
  spec.check = [](const config::Config& c, const BackupArgs& args) {
    if (args.paths.empty() && args.streams.empty() && c.files.paths.empty()) {
      return InvalidArgument("nothing to back up for component 'files': give --files or --stdin, or set files.paths");
    }
    return Status::Ok();
  };
  spec.requested = [](const BackupArgs& args) { return !args.paths.empty() || !args.streams.empty(); };
  // Files whose size, mtime, ctime and inode match the newest earlier backup are not read again.
  spec.incremental = true;
  spec.base_fits = [](const repo::SnapshotComponent& earlier, const config::Config& c, const BackupArgs& args) {
    return FilesBaseFits(earlier, args.paths.empty() ? c.files.paths : args.paths);
  };
  spec.reads_base_in_order = true;
  spec.make = [](const SourceEnv& env, const BackupArgs& args,
                 const repo::SnapshotComponent* previous) -> Result<std::unique_ptr<Source>> {
    const auto& files = env.config->files;
    return std::unique_ptr<Source>(std::make_unique<FilesSource>(
        FilesOptions{args.paths.empty() ? files.paths : args.paths, files.exclude, args.streams,
                     args.read_all ? nullptr : previous, env.clock, env.open_list}));
  };
  spec.modes = {{"files", "component 'files'"}};
  spec.options = {
      {"--target", [](const ItemTarget& t, const Opts&) { return !t.target_dir.empty(); }, {"files"}},
      {"--stdout", [](const ItemTarget& t, const Opts&) { return t.single_sink != nullptr; }, {"files"}},
      {"--item", [](const ItemTarget& t, const Opts&) { return !t.items.empty(); }, {"files"}},
      {"--overwrite", [](const ItemTarget& t, const Opts&) { return t.overwrite; }, {"files"}},
  };
  spec.restore = [](const SourceEnv& env, const repo::SnapshotComponent& component, ItemReader& reader,
                    const ItemTarget& t, const Opts&) -> Result<RestoreStats> {
    DR_ASSIGN_OR_RETURN(FilesRestoreStats stats, RestoreFiles(component, reader,
                                                              {t.target_dir, t.items, t.overwrite, t.single_sink,
                                                               env.open_list}));
    return RestoreStats{.items = stats.items, .bytes = stats.bytes};
  };
  spec.restores_from_list = true;
  return spec;
}

}  // namespace dr::source
