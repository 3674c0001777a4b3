// `ecap-dr report compliance` and `report rto-rpo`.
#include <iostream>

#include <CLI/CLI.hpp>

#include "backup/compliance.h"
#include "cli/context.h"
#include "ops/backup_ops.h"

namespace dr::cli {

using nlohmann::json;

void RegisterReportCommands(CLI::App& app, CliContext& ctx) {
  auto* report = app.add_subcommand("report", "reports for governance");
  report->require_subcommand(1);
  auto format = std::make_shared<std::string>("markdown");
  auto month = std::make_shared<std::string>();
  auto* compliance = report->add_subcommand(
      "compliance", "retention slots, security (encryption, key age, access control, audit chain), schedule and "
                    "verification; exit 1 when a check fails");
  compliance->add_option("--format", *format, "json, markdown or html (a self-contained page)")
      ->check(CLI::IsMember({"json", "markdown", "html"}))
      ->capture_default_str();
  compliance->add_option("--month", *month, "the month the schedule section covers, YYYY-MM (default: this month)");
  compliance->callback([&ctx, format, month] {
    ctx.run = [&ctx, format, month] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult res = ops::ComplianceReport(*op, *month);
      if (res.data.is_null()) return ctx.Print(res, [] {});
      const json* r = &res.data;
      if (ctx.json_output || *format == "json") {
        std::cout << r->dump(2) << std::endl;
      } else if (*format == "html") {
        std::cout << backup::RenderHtml(*r);
      } else {
        std::cout << backup::RenderMarkdown(*r);
      }
      return res.exit_code();  // 1 when a check failed
    };
  });
  auto* rto = report->add_subcommand("rto-rpo", "every failover and drill against the RTO and RPO targets");
  rto->callback([&ctx] { ctx.run = [&ctx] { return ReportRtoRpo(ctx); }; });
}

}  // namespace dr::cli
