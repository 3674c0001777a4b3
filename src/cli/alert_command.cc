// `ecap-dr alert test` (a test notification through each channel), `alert
// list` (what the daemon's rules find now) and `alert rules --format
// prometheus` (the same rules for Prometheus).
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/context.h"
#include "automation/alert_rules.h"
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
      ->check(CLI::IsMember({"email", "slack", "webhook", "alertmanager", "pagerduty"}));
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
  auto* list = alert->add_subcommand("list", "the alerts the daemon's rules find now, with since-when");
  list->callback([&ctx] {
    ctx.run = [&ctx] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::AlertList(*op);
      return ctx.Print(r, [&] {
        if (r.data["alerts"].empty()) fmt::print("no alert is firing\n");
        for (const auto& a : r.data["alerts"]) {
          std::string labels;
          for (const auto& [k, v] : a["labels"].items()) labels += (labels.empty() ? "" : ",") + k + "=" + v.get<std::string>();
          fmt::print("{:<20} {:<8} {:<24} {}\n", a["name"].get<std::string>(), a["severity"].get<std::string>(), labels,
                     a["annotations"].value("summary", ""));
        }
      });
    };
  });
  auto format = std::make_shared<std::string>("prometheus");
  auto* rules = alert->add_subcommand("rules", "print the alert rules as a Prometheus rules file");
  rules->add_option("--format", *format, "prometheus (the only format)")->check(CLI::IsMember({"prometheus"}));
  rules->callback([&ctx, format] {  // the option writes into *format: keep it alive
    ctx.run = [&ctx, format] {
      auto config = ctx.LoadConfig();
      if (!config.ok()) return ctx.Fail(config.status());
      std::cout << automation::PrometheusRules(config->alerting.rules);
      return 0;
    };
  });
}

}  // namespace dr::cli
