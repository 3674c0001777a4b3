#include "backup/source_list.h"

#include "source/files/files_spec.h"
#include "source/kafka/kafka_spec.h"
#include "source/postgres/postgres_spec.h"
#include "source/s3lake/s3lake_spec.h"

namespace dr::backup {

namespace {

// A spec with its own restore options taken from `own` of the request.
template <typename Options>
SourceEntry Bind(source::SourceSpec<Options> spec, std::function<const Options&(const RestoreRequest&)> own) {
  SourceEntry e;
  e.name = spec.name;
  e.setting = spec.setting;
  e.configured = spec.configured;
  e.check = spec.check;
  e.requested = spec.requested;
  e.incremental = spec.incremental;
  e.base_fits = spec.base_fits;
  e.reads_base_in_order = spec.reads_base_in_order;
  e.restores_from_list = spec.restores_from_list;
  e.make = spec.make;
  e.modes = spec.modes;
  std::string first = spec.modes.front().id;
  e.mode_for = [mode_for = spec.mode_for, first](const repo::SnapshotComponent& c, const RestoreRequest& r) {
    return mode_for ? mode_for(c, ItemTargetOf(r)) : first;
  };
  for (const auto& o : spec.options) {
    e.options.push_back({o.flag, [given = o.given, own](const RestoreRequest& r) { return given(ItemTargetOf(r), own(r)); },
                         o.modes});
  }
  e.restore = [restore = spec.restore, own](const source::SourceEnv& env, const repo::SnapshotComponent& c,
                                            ItemReader& reader, const RestoreRequest& r) {
    return restore(env, c, reader, ItemTargetOf(r), own(r));
  };
  return e;
}

template <typename Options>
SourceEntry Bind(source::SourceSpec<Options> spec, Options RestoreRequest::*member) {
  return Bind<Options>(std::move(spec), [member](const RestoreRequest& r) -> const Options& { return r.*member; });
}

SourceEntry Bind(source::SourceSpec<source::NoRestoreOptions> spec) {
  static const source::NoRestoreOptions kNone;
  return Bind<source::NoRestoreOptions>(std::move(spec),
                                        [](const RestoreRequest&) -> const source::NoRestoreOptions& { return kNone; });
}

}  // namespace

// One line per source. Adding a source: its folder (the Source, its restore,
// its spec) and a line here (plus, if it has restore options, their member in
// RestoreRequest and their flags in cli/restore_command.cc).
const std::vector<SourceEntry>& Sources() {
  static const std::vector<SourceEntry> kSources = {
      Bind(source::FilesSpec()),
      Bind(source::PostgresSpec(), &RestoreRequest::postgres),
      Bind(source::S3LakeSpec(), &RestoreRequest::s3),
      Bind(source::kafka::KafkaSpec(), &RestoreRequest::kafka),
  };
  return kSources;
}

const SourceEntry* FindSource(std::string_view name) {
  for (const auto& s : Sources()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string KnownSourceNames() {
  std::string out;
  for (const auto& s : Sources()) out += (out.empty() ? "" : ", ") + s.name;
  return out;
}

source::BackupArgs BackupArgsOf(const BackupRequest& request) {
  return {.paths = request.paths, .streams = request.streams, .physical = request.physical,
          .read_all = request.read_all};
}

source::ItemTarget ItemTargetOf(const RestoreRequest& request) {
  return {.target_dir = request.target_dir, .items = request.items, .overwrite = request.overwrite,
          .single_sink = request.single_sink};
}

}  // namespace dr::backup
