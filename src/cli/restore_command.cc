// `ecap-dr restore` and `ecap-dr verify`.
#include <unistd.h>

#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "base/encoding.h"
#include "cli/context.h"

namespace dr::cli {

using nlohmann::json;

namespace {
struct RestoreArgs {
  std::vector<std::string> components;
  std::vector<std::string> databases;
  std::string target_db;
  std::string target_host;
  int target_port = 0;
  bool clean = false;
  int jobs = 1;
  bool globals = false;
  std::string pgdata;
  std::string target_time;
  std::string target_lsn;
  std::string target_name;
  bool target_immediate = false;
  std::string target_action = "promote";
  std::string backup_id;
  std::string target;
  std::vector<std::string> items;
  bool to_stdout = false;
  bool overwrite = false;
};
struct VerifyArgs {
  std::string backup_id;
  bool full = false;
};
}  // namespace

void RegisterRestoreCommand(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<RestoreArgs>();
  auto* cmd = app.add_subcommand("restore", "restore a backup into a directory, or one item to standard output");
  cmd->add_option("backup_id", args->backup_id, "the backup to restore")->required();
  cmd->add_option("--target", args->target, "directory to restore into (created if missing)");
  cmd->add_option("--item", args->items, "restore only this item (a file, a stream, or a directory and what is "
                                         "under it); repeatable");
  cmd->add_flag("--stdout", args->to_stdout, "write the one selected item to standard output");
  cmd->add_flag("--overwrite", args->overwrite, "replace files that exist in the target (default: refuse)");
  cmd->add_option("--component", args->components,
                  "what to restore: files, postgresql; repeatable (default: the backup's only component)");
  cmd->add_option("--database", args->databases, "postgresql: restore only this database; repeatable");
  cmd->add_option("--target-db", args->target_db,
                  "postgresql: restore the one selected database under this name (it is created if missing)");
  cmd->add_option("--target-host", args->target_host, "postgresql: restore to this server (default: postgresql.host)");
  cmd->add_option("--target-port", args->target_port, "postgresql: port of that server (default: postgresql.port)");
  cmd->add_flag("--clean", args->clean,
                "postgresql: the target database may hold data; drop and re-create the objects the backup holds "
                "(others are left alone). Without --clean a non-empty target is refused, and a missing one is "
                "created");
  cmd->add_option("--jobs", args->jobs,
                  "postgresql: parallel pg_restore jobs; above 1 the dump is staged in $TMPDIR and the restore is "
                  "no longer a single transaction")
      ->check(CLI::Range(1, 64));
  cmd->add_flag("--globals", args->globals, "postgresql: also restore roles and tablespaces (pg_dumpall --globals-only)");
  cmd->add_option("--pgdata", args->pgdata,
                  "postgresql, physical backup: lay out a data directory here (new or empty) with the recovery "
                  "settings; then start PostgreSQL on it and it recovers from the WAL archive");
  cmd->add_option("--target-time", args->target_time,
                  "physical: recover up to this time, e.g. \"2026-11-26 10:41:00+00\" (default: the end of the archive)");
  cmd->add_option("--target-lsn", args->target_lsn, "physical: recover up to this WAL position");
  cmd->add_option("--target-name", args->target_name, "physical: recover up to this restore point");
  cmd->add_flag("--target-immediate", args->target_immediate,
                "physical: stop as soon as the base backup is consistent");
  cmd->add_option("--target-action", args->target_action,
                  "physical: what the server does at the target: promote (default), pause or shutdown");
  cmd->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      bool wants_files = args->components.empty() ||
                         std::find(args->components.begin(), args->components.end(), "files") != args->components.end();
      if (args->to_stdout && !args->target.empty()) {
        return ctx.Fail(InvalidArgument("give only one of --target DIR and --stdout"));
      }
      if (wants_files && !args->components.empty() && !args->to_stdout && args->target.empty()) {
        return ctx.Fail(InvalidArgument("restoring files needs --target DIR or --stdout"));
      }
      if (args->to_stdout && ctx.json_output) return ctx.Fail(InvalidArgument("--stdout and --json cannot be combined"));
      if (Status denied = ctx.Authorize("backup.restore", args->backup_id); !denied.ok()) return ctx.Fail(denied);
      auto manager = ctx.NewManager();
      if (!manager.ok()) return ctx.Fail(manager.status());
      FdSink out(STDOUT_FILENO, "standard output");
      backup::RestoreRequest request{args->target, args->items, args->overwrite, args->to_stdout ? &out : nullptr};
      request.components = args->components;
      request.databases = args->databases;
      request.target_db = args->target_db;
      request.target_host = args->target_host;
      request.target_port = args->target_port;
      request.clean = args->clean;
      request.jobs = args->jobs;
      request.globals = args->globals;
      request.pgdata = args->pgdata;
      request.target_time = args->target_time;
      request.target_lsn = args->target_lsn;
      request.target_name = args->target_name;
      request.target_immediate = args->target_immediate;
      request.target_action = args->target_action;
      backup::RestoreResult r = (*manager)->RestoreBackup(args->backup_id, request);
      ctx.PrintWarnings((*manager)->warnings());
      Status logged = ctx.Outcome(r.error, {{"items", r.items_restored}, {"bytes", r.bytes_restored}});
      if (!logged.ok()) std::cerr << "ecap-dr: error: unable to write the audit record: " << logged.message() << std::endl;
      if (!r.error.ok()) {
        std::cerr << "ecap-dr: error: " << r.error.message() << std::endl;
        if (ctx.json_output) std::cout << r.ToJson().dump(2) << std::endl;
        return r.error.exit_code();
      }
      if (!logged.ok()) return 1;
      if (args->to_stdout) return 0;
      return ctx.Succeed(r.ToJson(), [&] {
        fmt::print("restored backup {}: {} items, {} into {} in {:.1f} s\n", r.backup_id, r.items_restored,
                   HumanBytes(r.bytes_restored), r.target, r.duration_seconds);
        for (const auto& db : r.databases) fmt::print("  database {} restored\n", db);
      });
    };
  });
}

void RegisterVerifyCommand(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<VerifyArgs>();
  auto* cmd = app.add_subcommand("verify", "verify a backup's integrity");
  cmd->add_option("backup_id", args->backup_id, "the backup to verify")->required();
  cmd->add_flag("--full", args->full,
                "read, authenticate and decompress every blob and compare each item's SHA-256 "
                "(default: check that every blob is indexed and every pack present with its size)");
  cmd->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      if (Status denied = ctx.Authorize("backup.verify", args->backup_id); !denied.ok()) return ctx.Fail(denied);
      auto manager = ctx.NewManager();
      if (!manager.ok()) return ctx.Fail(manager.status());
      backup::VerifyResult r = (*manager)->VerifyBackupIntegrity(args->backup_id, args->full);
      ctx.PrintWarnings((*manager)->warnings());
      json j = r.ToJson();
      std::string overall = j["verification_results"]["overall_status"];
      if (Status logged = ctx.Outcome(r.error, {{"overall_status", overall}, {"full", args->full}}); !logged.ok()) {
        return ctx.Fail(logged);
      }
      if (ctx.json_output) {
        std::cout << j.dump(2) << std::endl;
      } else {
        for (const auto& f : r.verification.findings) std::cerr << "error: " << f.message << "\n";
        for (const auto& item : r.verification.items) {
          for (const auto& f : item.findings) std::cerr << "error: " << f.message << "\n";
        }
        if (!r.error.ok() && r.status != "completed") std::cerr << "ecap-dr: error: " << r.error.message() << "\n";
        if (!ctx.quiet) {
          fmt::print("verification of backup {} ({}): {} ({} items)\n", r.backup_id, args->full ? "full" : "quick",
                     overall, r.verification.items.size());
        }
      }
      return r.error.ok() ? 0 : r.error.exit_code();
    };
  });
}

}  // namespace dr::cli
