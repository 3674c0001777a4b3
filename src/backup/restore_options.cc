#include "backup/restore_options.h"

#include <algorithm>

namespace dr::backup {

namespace {

using enum RestoreMode;

struct OptionUse {
  const char* option;
  bool (*given)(const RestoreRequest&);
  std::vector<RestoreMode> applies_to;
};

// Every restore option with the modes it means something for. An option is
// "given" when its value differs from the request's default.
const std::vector<OptionUse>& Table() {
  static const std::vector<OptionUse> kTable = {
      {"--target", [](const RestoreRequest& r) { return !r.target_dir.empty(); }, {kFiles, kPostgresExtract}},
      {"--stdout", [](const RestoreRequest& r) { return r.single_sink != nullptr; }, {kFiles, kPostgresExtract}},
      {"--item", [](const RestoreRequest& r) { return !r.items.empty(); }, {kFiles, kPostgresExtract}},
      {"--overwrite", [](const RestoreRequest& r) { return r.overwrite; }, {kFiles, kPostgresExtract}},
      {"--database", [](const RestoreRequest& r) { return !r.databases.empty(); }, {kPostgresServer, kPostgresExtract}},
      {"--target-db", [](const RestoreRequest& r) { return !r.target_db.empty(); }, {kPostgresServer}},
      {"--target-host", [](const RestoreRequest& r) { return !r.target_host.empty(); }, {kPostgresServer}},
      {"--target-port", [](const RestoreRequest& r) { return r.target_port != 0; }, {kPostgresServer}},
      {"--clean", [](const RestoreRequest& r) { return r.clean; }, {kPostgresServer}},
      {"--jobs", [](const RestoreRequest& r) { return r.jobs != 0; }, {kPostgresServer}},
      {"--globals", [](const RestoreRequest& r) { return r.globals; }, {kPostgresServer}},
      {"--pgdata", [](const RestoreRequest& r) { return !r.pgdata.empty(); }, {kPostgresPhysical}},
      {"--target-time", [](const RestoreRequest& r) { return !r.target_time.empty(); }, {kPostgresPhysical}},
      {"--target-lsn", [](const RestoreRequest& r) { return !r.target_lsn.empty(); }, {kPostgresPhysical}},
      {"--target-name", [](const RestoreRequest& r) { return !r.target_name.empty(); }, {kPostgresPhysical}},
      {"--target-immediate", [](const RestoreRequest& r) { return r.target_immediate; }, {kPostgresPhysical}},
      {"--target-action", [](const RestoreRequest& r) { return !r.target_action.empty(); }, {kPostgresPhysical}},
      {"--keep-archiving", [](const RestoreRequest& r) { return r.keep_archiving; }, {kPostgresPhysical}},
      {"--target-bucket", [](const RestoreRequest& r) { return !r.target_bucket.empty(); }, {kS3}},
      {"--prefix", [](const RestoreRequest& r) { return !r.prefix.empty(); }, {kS3}},
      {"--bootstrap-servers", [](const RestoreRequest& r) { return !r.bootstrap_servers.empty(); }, {kKafka}},
      {"--topics", [](const RestoreRequest& r) { return !r.topics.empty(); }, {kKafka}},
      {"--topic-prefix", [](const RestoreRequest& r) { return !r.topic_prefix.empty(); }, {kKafka}},
      {"--to-time", [](const RestoreRequest& r) { return !r.to_time.empty(); }, {kKafka}},
      {"--allow-existing-data", [](const RestoreRequest& r) { return r.allow_existing_data; }, {kKafka}},
  };
  return kTable;
}

}  // namespace

std::string DescribeMode(RestoreMode mode) {
  switch (mode) {
    case kFiles: return "component 'files'";
    case kPostgresServer: return "component 'postgresql' (a logical backup restored into a server)";
    case kPostgresPhysical: return "component 'postgresql' (a physical backup laid out with --pgdata)";
    case kPostgresExtract: return "component 'postgresql' (its items extracted with --target or --stdout)";
    case kS3: return "component 's3'";
    case kKafka: return "component 'kafka'";
  }
  return "component '?'";
}

RestoreMode ModeFor(const repo::SnapshotComponent& component, const RestoreRequest& request) {
  if (component.name == "files") return kFiles;
  if (component.name == "s3") return kS3;
  if (component.name == "kafka") return kKafka;
  if (request.single_sink != nullptr || !request.target_dir.empty()) return kPostgresExtract;
  bool physical = std::any_of(component.items.begin(), component.items.end(),
                              [](const auto& item) { return item.kind == "pg_basebackup"; });
  return physical ? kPostgresPhysical : kPostgresServer;
}

Status CheckRestoreOptions(const RestoreRequest& request, const std::vector<RestoreMode>& modes) {
  for (const auto& use : Table()) {
    if (!use.given(request)) continue;
    bool applies = std::any_of(modes.begin(), modes.end(), [&](RestoreMode m) {
      return std::find(use.applies_to.begin(), use.applies_to.end(), m) != use.applies_to.end();
    });
    if (applies) continue;
    std::string what;
    for (RestoreMode m : modes) what += (what.empty() ? "" : ", ") + DescribeMode(m);
    std::string where;
    for (RestoreMode m : use.applies_to) where += (where.empty() ? "" : "; ") + DescribeMode(m);
    return InvalidArgument("option " + std::string(use.option) + " does not apply to " + what + "; it applies to " +
                           where);
  }
  return Status::Ok();
}

}  // namespace dr::backup
