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
  cmd->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      if (args->to_stdout == !args->target.empty()) {
        return ctx.Fail(InvalidArgument("give exactly one of --target DIR and --stdout"));
      }
      if (args->to_stdout && ctx.json_output) return ctx.Fail(InvalidArgument("--stdout and --json cannot be combined"));
      auto manager = ctx.NewManager();
      if (!manager.ok()) return ctx.Fail(manager.status());
      FdSink out(STDOUT_FILENO, "standard output");
      backup::RestoreRequest request{args->target, args->items, args->overwrite, args->to_stdout ? &out : nullptr};
      backup::RestoreResult r = (*manager)->RestoreBackup(args->backup_id, request);
      ctx.PrintWarnings((*manager)->warnings());
      if (!r.error.ok()) {
        std::cerr << "ecap-dr: error: " << r.error.message() << std::endl;
        if (ctx.json_output) std::cout << r.ToJson().dump(2) << std::endl;
        return r.error.exit_code();
      }
      if (args->to_stdout) return 0;
      return ctx.Succeed(r.ToJson(), [&] {
        fmt::print("restored backup {}: {} items, {} into {} in {:.1f} s\n", r.backup_id, r.items_restored,
                   HumanBytes(r.bytes_restored), r.target, r.duration_seconds);
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
      auto manager = ctx.NewManager();
      if (!manager.ok()) return ctx.Fail(manager.status());
      backup::VerifyResult r = (*manager)->VerifyBackupIntegrity(args->backup_id, args->full);
      ctx.PrintWarnings((*manager)->warnings());
      json j = r.ToJson();
      std::string overall = j["verification_results"]["overall_status"];
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
