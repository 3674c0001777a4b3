// `ecap-dr retention apply`.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "base/encoding.h"
#include "cli/context.h"

namespace dr::cli {

using nlohmann::json;

void RegisterRetentionCommands(CLI::App& app, CliContext& ctx) {
  auto* retention = app.add_subcommand("retention", "expire old backups and free the space they used");
  retention->require_subcommand(1);
  auto request = std::make_shared<backup::RetentionRequest>();
  auto no_prune = std::make_shared<bool>(false);
  auto* apply = retention->add_subcommand(
      "apply",
      "keep the newest backup of each of the last N days, ISO weeks and months (backup_manager.retention_policies), "
      "delete the others, then prune: remove data no kept backup uses, and WAL no kept base backup needs");
  apply->add_flag("--dry-run", request->dry_run, "show what would be kept and deleted, change nothing");
  apply->add_option("--keep-last", request->keep_last, "also keep the N newest backups");
  apply->add_option("--keep-within", request->keep_within, "also keep every backup within 30d, 12h, 2w of the newest");
  apply->add_flag("--no-prune", *no_prune, "only delete expired backups; free their data later");
  apply->footer("A backup tagged 'pinned' (backup create --tag pinned) is never expired.");
  apply->callback([&ctx, request, no_prune] {
    ctx.run = [&ctx, request, no_prune] {
      if (Status denied = ctx.Authorize("retention.apply", ""); !denied.ok()) return ctx.Fail(denied);
      auto manager = ctx.NewManager();
      if (!manager.ok()) return ctx.Fail(manager.status());
      request->prune = !*no_prune;
      auto r = (*manager)->ApplyRetention(*request);
      if (!r.ok()) return ctx.Fail(r.status());
      return ctx.Succeed(r->ToJson(), [&] {
        for (const auto& d : r->decisions) {
          std::string why;
          for (const auto& reason : d.reasons) why += (why.empty() ? "" : ", ") + reason;
          fmt::print("{:<6} {:<36} {}  {}\n", d.keep ? "keep" : "delete", d.backup_id, d.time, why);
        }
        const auto& p = r->prune;
        fmt::print("{}{} deleted; {} of {} deleted, {} repacked; {} -> {}", r->dry_run ? "dry run: " : "",
                   Count(r->forgotten.size(), "backup"), p.packs_deleted, Count(p.packs, "pack"), p.packs_repacked,
                   HumanBytes(p.bytes_before),
                   HumanBytes(p.bytes_after));
        if (r->wal_files_removed > 0) fmt::print("; {} removed", Count(r->wal_files_removed, "WAL file"));
        if (p.leftovers_removed > 0) fmt::print("; {} removed", Count(p.leftovers_removed, "temporary file"));
        fmt::print("\n");
      });
    };
  });
}

}  // namespace dr::cli
