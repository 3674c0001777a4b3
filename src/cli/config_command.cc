// `ecap-dr config check`.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/context.h"

namespace dr::cli {

using nlohmann::json;

void RegisterConfigCommands(CLI::App& app, CliContext& ctx) {
  auto* cfg = app.add_subcommand("config", "inspect the configuration");
  cfg->require_subcommand(1);
  auto* check = cfg->add_subcommand("check", "load and validate the configuration; print it with secrets hidden");
  check->callback([&ctx] {
    ctx.run = [&ctx] {
      auto c = ctx.LoadConfig();
      if (!c.ok()) return ctx.Fail(c.status());
      json j{{"status", "valid"}, {"file", c->source}, {"config", c->ToJson(/*redact=*/true)}};
      return ctx.Succeed(j, [&] {
        fmt::print("configuration {} is valid\n", c->source);
        fmt::print("  repository: {}\n", c->backup_manager.backup_dir);
        fmt::print("  encryption: {}\n", c->encryption.enabled ? "AES-256-GCM" : "DISABLED");
        fmt::print("  retention: daily {}, weekly {}, monthly {}\n", c->backup_manager.retention_policies.daily,
                   c->backup_manager.retention_policies.weekly, c->backup_manager.retention_policies.monthly);
      });
    };
  });
}

}  // namespace dr::cli
