// `ecap-dr s3 switch` and `ecap-dr kafka switch`: the lake's bucket and Kafka's
// brokers in use, by hand, as the runbooks' storage_switch and kafka_switch
// steps make them (permission dr.failover; recorded in the coordinator's
// state). A switch back after the primary region returns is the same command
// with --to primary. Neither copies data: that is the mirror's and restore's.
// AddSwitchCommand also serves `repo switch` (repo_command.cc).
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/context.h"
#include "ops/coordinator_ops.h"

namespace dr::cli {

void AddSwitchCommand(CLI::App* parent, CliContext& ctx, const char* part, const std::string& help,
                      const std::string& to_help, void (*done)(const nlohmann::json&)) {
  auto to = std::make_shared<std::string>("replica");
  auto* cmd = parent->add_subcommand("switch", help);
  cmd->add_option("--to", *to, to_help)->capture_default_str();
  cmd->callback([&ctx, to, part, done] {
    ctx.run = [&ctx, to, part, done] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::FailoverPart(*op, part, *to);
      // Asked for by hand, a switch with nothing configured to switch to is a configuration error.
      if (r.ok() && r.data.contains("skipped")) {
        return ctx.Fail(ConfigError("nothing was switched: " + r.data["skipped"].get<std::string>()));
      }
      return ctx.Print(r, [&] { done(r.data); });
    };
  });
}

void RegisterSwitchCommands(CLI::App& app, CliContext& ctx) {
  // `s3` is registered by RegisterS3Commands; its switch sits beside mirror.
  AddSwitchCommand(app.get_subcommand("s3"), ctx, "storage_switch",
            "make another bucket the lake's bucket in use (permission dr.failover), e.g. the mirror after the primary "
            "region is lost, or the primary again when it is back; runs the storage switch hook with "
            "ECAP_DR_ACTIVE_BUCKET and records it in dr_coordinator.state_dir. Nothing is copied: mirror first",
            "replica (dr_coordinator.failover.storage.replica_bucket), primary, or a bucket name",
            [](const nlohmann::json& d) {
              fmt::print("the lake is now served from {} (was {})\n", d["active_bucket"].get<std::string>(),
                         d["previous"].get<std::string>());
            });
  auto* kafka = app.add_subcommand("kafka", "Kafka's brokers in use");
  kafka->require_subcommand(1);
  AddSwitchCommand(kafka, ctx, "kafka_switch",
            "make another Kafka cluster the one in use (permission dr.failover), e.g. the brokers in the backup "
            "region, or the primary ones again when they are back; runs the Kafka switch hook with "
            "ECAP_DR_ACTIVE_KAFKA and records it in dr_coordinator.state_dir. Nothing is copied: restore into them "
            "first (restore ID --component kafka --bootstrap-servers ...)",
            "replica (dr_coordinator.failover.kafka.replica_bootstrap_servers), primary (kafka.bootstrap_servers), "
            "or either's bootstrap list",
            [](const nlohmann::json& d) {
              fmt::print("Kafka is now served from {} (was {})\n", d["active_bootstrap_servers"].get<std::string>(),
                         d["previous"].get<std::string>());
            });
}

}  // namespace dr::cli
