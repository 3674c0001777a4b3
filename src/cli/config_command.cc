// `ecap-dr config check`, `ecap-dr config reference`.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/context.h"
#include "config/reference.h"

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
  // Needs no configuration file: it describes the keys, not a file's values.
  auto format = std::make_shared<std::string>("markdown");
  auto* reference = cfg->add_subcommand(
      "reference", "print every configuration key with its type, default, range and meaning (docs/configuration.md)");
  reference->add_option("--format", *format, "output format (default: markdown)")->check(CLI::IsMember({"markdown"}));
  reference->callback([&ctx, format] {
    ctx.run = [&ctx, format] {
      std::string text = config::ConfigurationReferenceMarkdown();
      return ctx.Succeed(json{{"format", *format}, {"reference", text}}, [&] { fmt::print("{}", text); });
    };
  });
}

}  // namespace dr::cli
