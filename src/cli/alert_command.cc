// `ecap-dr alert test`: a test notification through each channel.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/context.h"
#include "ops/alert_ops.h"

namespace dr::cli {

void RegisterAlertCommands(CLI::App& app, CliContext& ctx) {
  auto* alert = app.add_subcommand("alert", "alerts and notifications");
  alert->require_subcommand(1);
  auto channel = std::make_shared<std::string>();
  auto* test = alert->add_subcommand(
      "test", "send a test alert through each enabled notification channel (or the one named) and wait for the "
              "outcome; exit 5 when a channel fails, 2 when it is not configured");
  test->add_option("--channel", *channel, "only this channel")
      ->check(CLI::IsMember({"email", "slack", "webhook", "alertmanager"}));
  test->callback([&ctx, channel] {
    ctx.run = [&ctx, channel] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::AlertTest(*op, *channel);
      return ctx.Print(
          r,
          [&] {
            for (const auto& row : r.data["channels"]) {
              std::string name = row["channel"];
              if (row["success"].get<bool>()) {
                fmt::print("{}: ok ({})\n", name, row["target"].get<std::string>());
              } else {
                fmt::print("{}: {}\n", name, row["error"].get<std::string>());
              }
            }
          },
          {.error_line = r.data.is_null(), .human_on_failure = true});
    };
  });
}

}  // namespace dr::cli
