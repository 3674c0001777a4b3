// `ecap-dr wal push|fetch|status`: PostgreSQL's archive_command and
// restore_command, and how far the archive is behind.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/context.h"

namespace dr::cli {

using nlohmann::json;

namespace {
struct WalArgs {
  std::string path;
  std::string name;
  std::string dest;
};

// Whether the configured repository exists (a cheap stat of its config object).
bool RepositoryExists(const config::Config& cfg) {
  auto backend = backup::OpenBackend(cfg.repository);
  if (!backend.ok()) return false;
  auto exists = repo::Repository::Exists(**backend);
  return exists.ok() && *exists;
}
}  // namespace

void RegisterWalCommands(CLI::App& app, CliContext& ctx) {
  auto* wal = app.add_subcommand("wal", "PostgreSQL WAL archiving: archive_command, restore_command, status");
  wal->require_subcommand(1);
  wal->footer(
      "In postgresql.conf:\n"
      "  archive_mode = on\n"
      "  archive_command = 'ecap-dr -c /etc/ecap-dr/ecap-dr.yaml wal push %p'\n"
      "  archive_timeout = 60      # bounds the RPO when the database is quiet\n"
      "The configuration, the key file and the repository must be readable (and the repository\n"
      "writable) by the user PostgreSQL runs as.");
  auto args = std::make_shared<WalArgs>();

  auto* push = wal->add_subcommand("push", "archive one WAL file (archive_command = '... wal push %p')");
  push->add_option("path", args->path, "the WAL file; relative to the current directory (PostgreSQL's data directory)")
      ->required();
  push->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      if (Status denied = ctx.Authorize("wal.push", args->path); !denied.ok()) return ctx.Fail(denied);
      auto manager = ctx.NewManager();
      if (!manager.ok()) return ctx.Fail(manager.status());
      Status s = (*manager)->WalPush(args->path);
      if (!s.ok()) return ctx.Fail(s);
      return ctx.Succeed(json{{"status", "completed"}, {"wal", args->path}}, [] {});
    };
  });

  auto* fetch = wal->add_subcommand("fetch", "restore one WAL file (restore_command = '... wal fetch %f %p')");
  fetch->add_option("name", args->name, "the WAL file name PostgreSQL asks for (%f)")->required();
  fetch->add_option("dest", args->dest, "where to write it (%p)")->required();
  fetch->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      if (Status denied = ctx.Authorize("wal.fetch", args->name); !denied.ok()) return ctx.Fail(denied);
      auto manager = ctx.NewManager();
      if (!manager.ok()) return ctx.Fail(manager.status());
      Status s = (*manager)->WalFetch(args->name, args->dest);
      if (s.code() == Code::kNotFound && RepositoryExists((*manager)->config())) {
        // PostgreSQL asks for files that may not exist (the next timeline's history,
        // the segment after the last) and takes a nonzero exit as "not there": that
        // is normal recovery, so no error line in its log, as other archivers do.
        // A missing repository is a real error, said loudly below.
        if (Status logged = ctx.Outcome(s); !logged.ok()) return ctx.Fail(logged);
        if (ctx.json_output) {
          std::cout << json{{"status", "not_found"}, {"wal", args->name}}.dump(2) << std::endl;
        }
        return InfoOf(Code::kNotFound).exit_code;
      }
      if (!s.ok()) return ctx.Fail(s);
      return ctx.Succeed(json{{"status", "completed"}, {"wal", args->name}}, [] {});
    };
  });

  auto* status = wal->add_subcommand("status", "the newest archived WAL and how far the archive is behind (the RPO now)");
  status->callback([&ctx] {
    ctx.run = [&ctx] {
      if (Status denied = ctx.Authorize("backup.list", ""); !denied.ok()) return ctx.Fail(denied);
      auto manager = ctx.NewManager();
      if (!manager.ok()) return ctx.Fail(manager.status());
      auto r = (*manager)->WalStatus();
      if (!r.ok()) return ctx.Fail(r.status());
      // A configured server that does not answer leaves the RPO unknown: RPO
      // monitoring must see a failure (exit 5), with the archive's state still shown.
      if ((*manager)->config().postgresql_configured && !r->server_reachable) {
        const auto& pg = (*manager)->config().postgresql;
        Status down = Unavailable("the archive lag (current RPO) is unknown: PostgreSQL server " + pg.host + ":" +
                                  std::to_string(pg.port) + ": " + r->server_error);
        if (Status logged = ctx.Outcome(down); !logged.ok()) return ctx.Fail(logged);
        json j = r->ToJson();
        j["status"] = "failed";
        j["error"] = {{"code", down.code_name()}, {"message", down.message()}};
        if (ctx.json_output) {
          std::cout << j.dump(2) << std::endl;
        } else if (!ctx.quiet) {
          fmt::print("archive: {}, newest segment {}\n", Count(r->archived_files, "WAL file"),
                     r->last_archived_wal.empty() ? "(none)" : r->last_archived_wal);
        }
        std::cerr << "ecap-dr: error: " << down.message() << std::endl;
        return down.exit_code();
      }
      return ctx.Succeed(r->ToJson(), [&] {
        fmt::print("archive: {}, newest segment {}\n", Count(r->archived_files, "WAL file"),
                   r->last_archived_wal.empty() ? "(none)" : r->last_archived_wal);
        if (!r->server_reachable) {
          fmt::print("server: {}\n", r->server_error.empty() ? "not configured" : r->server_error);
          return;
        }
        fmt::print("server: writing {}, last archived {} at {}\n", r->current_wal, r->server_last_archived_wal,
                   r->server_last_archived_time);
        if (r->failed_count > 0) fmt::print("server: {}, last {}\n", Count(r->failed_count, "failed attempt"), r->last_failed_wal);
        fmt::print("archive lag (current RPO): {:.0f} s\n", r->archive_lag_seconds);
      });
    };
  });
}

}  // namespace dr::cli
