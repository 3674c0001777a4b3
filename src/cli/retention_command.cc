// `ecap-dr retention apply`.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "base/encoding.h"
#include "cli/context.h"
#include "ops/backup_ops.h"

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
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      request->prune = !*no_prune;
      ops::OpResult r = ops::ApplyRetention(*op, *request);
      return ctx.Print(r, [&] {
        const json& j = r.data;
        for (const auto& d : j["decisions"]) {
          std::string why;
          for (const auto& reason : d["reasons"]) why += (why.empty() ? "" : ", ") + reason.get<std::string>();
          fmt::print("{:<6} {:<36} {}  {}\n", d["keep"].get<bool>() ? "keep" : "delete", d["backup_id"].get<std::string>(),
                     d["time"].get<std::string>(), why);
        }
        const json& p = j["prune"];
        auto n = [&](const char* key) { return p[key].get<uint64_t>(); };
        fmt::print("{}{} deleted; {} of {} deleted, {} repacked; {} -> {}", j["dry_run"].get<bool>() ? "dry run: " : "",
                   Count(j["forgotten"].size(), "backup"), n("packs_deleted"), Count(n("packs"), "pack"),
                   n("packs_repacked"), HumanBytes(n("bytes_before")), HumanBytes(n("bytes_after")));
        uint64_t wal_removed = j["wal_files_removed"].get<uint64_t>();
        if (wal_removed > 0) fmt::print("; {} removed", Count(wal_removed, "WAL file"));
        uint64_t leftovers_removed = p.value("leftovers_removed", uint64_t{0});
        if (leftovers_removed > 0) fmt::print("; {} removed", Count(leftovers_removed, "temporary file"));
        fmt::print("\n");
      });
    };
  });
}

}  // namespace dr::cli
