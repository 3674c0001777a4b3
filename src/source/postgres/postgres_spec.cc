#include "source/postgres/postgres_spec.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "base/time_util.h"
#include "source/postgres/extract.h"
#include "source/postgres/postgres_source.h"
#include "source/postgres/wal.h"

namespace dr::source {

namespace {

constexpr const char* kServer = "postgresql.server";
constexpr const char* kPhysical = "postgresql.physical";
constexpr const char* kExtract = "postgresql.extract";

// PostgreSQL's restore_command for a laid-out data directory. Absolute paths:
// PostgreSQL runs the command from its data directory.
std::string WalRestoreCommand(const config::Config& config) {
  char exe[4096] = {0};
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  std::string cmd = n > 0 ? std::string(exe, static_cast<size_t>(n)) : "ecap-dr";
  if (!config.source.empty()) {
    std::error_code ec;
    cmd += " -c " + std::filesystem::absolute(config.source, ec).string();
  }
  return cmd + " wal fetch %f %p";
}

}  // namespace

pg::ServerTarget ServerFromConfig(const config::PostgresConfig& pg) {
  return {.host = pg.host, .port = pg.port, .user = pg.username, .password = pg.password, .sslmode = pg.sslmode,
          .connect_timeout = pg.connect_timeout, .bin_dir = pg.bin_dir};
}

SourceSpec<PostgresRestoreArgs> PostgresSpec() {
  using Opts = PostgresRestoreArgs;
  SourceSpec<Opts> spec;
  spec.name = "postgresql";
  spec.setting = "postgresql";
  spec.configured = [](const config::Config& c) { return c.postgresql_configured; };
  spec.check = [](const config::Config& c, const BackupArgs&) {
    if (!c.postgresql_configured) {
      return ConfigError("component 'postgresql' needs the postgresql section in the configuration");
    }
    return Status::Ok();
  };
  spec.make = [](const SourceEnv& env, const BackupArgs& args,
                 const repo::SnapshotComponent*) -> Result<std::unique_ptr<Source>> {
    const auto& pg = env.config->postgresql;
    return std::unique_ptr<Source>(
        std::make_unique<PostgresSource>(PostgresOptions{ServerFromConfig(pg), pg.databases, args.physical, pg.count_rows}));
  };
  spec.modes = {
      {kServer, "component 'postgresql' (a logical backup restored into a server)"},
      {kPhysical, "component 'postgresql' (a physical backup laid out with --pgdata)"},
      {kExtract, "component 'postgresql' (its items extracted with --target or --stdout)"},
  };
  // Extracted when --target or --stdout is given, laid out when it is a base backup.
  spec.mode_for = [](const repo::SnapshotComponent& component, const ItemTarget& t) -> std::string {
    if (t.single_sink != nullptr || !t.target_dir.empty()) return kExtract;
    bool physical = std::any_of(component.items.begin(), component.items.end(),
                                [](const auto& item) { return item.kind == "pg_basebackup"; });
    return physical ? kPhysical : kServer;
  };
  spec.options = {
      {"--target", [](const ItemTarget& t, const Opts&) { return !t.target_dir.empty(); }, {kExtract}},
      {"--stdout", [](const ItemTarget& t, const Opts&) { return t.single_sink != nullptr; }, {kExtract}},
      {"--item", [](const ItemTarget& t, const Opts&) { return !t.items.empty(); }, {kExtract}},
      {"--overwrite", [](const ItemTarget& t, const Opts&) { return t.overwrite; }, {kExtract}},
      {"--database", [](const ItemTarget&, const Opts& o) { return !o.databases.empty(); }, {kServer, kExtract}},
      {"--target-db", [](const ItemTarget&, const Opts& o) { return !o.target_db.empty(); }, {kServer}},
      {"--target-host", [](const ItemTarget&, const Opts& o) { return !o.target_host.empty(); }, {kServer}},
      {"--target-port", [](const ItemTarget&, const Opts& o) { return o.target_port != 0; }, {kServer}},
      {"--clean", [](const ItemTarget&, const Opts& o) { return o.clean; }, {kServer}},
      {"--jobs", [](const ItemTarget&, const Opts& o) { return o.jobs != 0; }, {kServer}},
      {"--globals", [](const ItemTarget&, const Opts& o) { return o.globals; }, {kServer}},
      {"--pgdata", [](const ItemTarget&, const Opts& o) { return !o.pgdata.empty(); }, {kPhysical}},
      {"--target-time", [](const ItemTarget&, const Opts& o) { return !o.target_time.empty(); }, {kPhysical}},
      {"--target-lsn", [](const ItemTarget&, const Opts& o) { return !o.target_lsn.empty(); }, {kPhysical}},
      {"--target-name", [](const ItemTarget&, const Opts& o) { return !o.target_name.empty(); }, {kPhysical}},
      {"--target-immediate", [](const ItemTarget&, const Opts& o) { return o.target_immediate; }, {kPhysical}},
      {"--target-action", [](const ItemTarget&, const Opts& o) { return !o.target_action.empty(); }, {kPhysical}},
      {"--keep-archiving", [](const ItemTarget&, const Opts& o) { return o.keep_archiving; }, {kPhysical}},
  };
  spec.restore = [mode_for = spec.mode_for](const SourceEnv& env, const repo::SnapshotComponent& component,
                                            ItemReader& reader, const ItemTarget& t,
                                            const Opts& o) -> Result<RestoreStats> {
    if (mode_for(component, t) == kExtract) {
      DR_ASSIGN_OR_RETURN(PostgresExtractStats stats,
                          ExtractPostgres(component, reader, {.target_dir = t.target_dir,
                                                              .single_sink = t.single_sink,
                                                              .items = t.items,
                                                              .databases = o.databases,
                                                              .overwrite = t.overwrite}));
      return RestoreStats{.items = stats.items, .bytes = stats.bytes, .details = {{"files", stats.written}}};
    }
    PostgresRestoreOptions pg{.server = ServerFromConfig(env.config->postgresql), .databases = o.databases,
                              .target_db = o.target_db, .clean = o.clean, .jobs = std::max(o.jobs, 1),
                              .globals = o.globals};
    pg.pgdata = o.pgdata;
    pg.target_time = o.target_time;
    pg.target_lsn = o.target_lsn;
    pg.target_name = o.target_name;
    pg.target_immediate = o.target_immediate;
    if (!o.target_action.empty()) pg.target_action = o.target_action;
    pg.keep_archiving = o.keep_archiving;
    pg.restore_command = WalRestoreCommand(*env.config);
    if (!o.target_host.empty()) pg.server.host = o.target_host;
    if (o.target_port > 0) pg.server.port = o.target_port;
    if (const char* tmp = std::getenv("TMPDIR"); tmp && *tmp) pg.temp_dir = tmp;
    // Before the base backup is laid out: a target the archive cannot reach
    // would only show once the server has replayed all of it. A time in a form
    // only PostgreSQL reads is left to it.
    if (!pg.pgdata.empty() && !pg.target_time.empty() && env.repository_storage != nullptr) {
      if (auto target = ParseTimeArg(pg.target_time); target.ok()) {
        auto archive = pg::ReadArchiveState(*env.repository_storage);
        if (!archive.ok()) return archive.status().WithContext("reading the WAL archive");
        DR_RETURN_IF_ERROR(pg::CheckArchiveReaches(*archive, *target));
      }
    }
    DR_ASSIGN_OR_RETURN(PostgresRestoreStats stats, RestorePostgres(component, reader, pg));
    return RestoreStats{.items = stats.databases,
                        .bytes = stats.bytes,
                        .warnings = stats.warnings,
                        .target = stats.pgdata.empty() ? pg.server.Where() : stats.pgdata,
                        .details = {{"databases", stats.restored}, {"settings_changed", stats.changed}}};
  };
  return spec;
}

}  // namespace dr::source
