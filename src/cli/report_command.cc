// `ecap-dr report compliance`, `report rto-rpo` and `report drill`.
#include <iostream>

#include <CLI/CLI.hpp>

#include "backup/compliance.h"
#include "cli/context.h"
#include "drill/report.h"
#include "ops/backup_ops.h"
#include "ops/drill_ops.h"

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
  auto drill_format = std::make_shared<std::string>("markdown");
  auto drill_month = std::make_shared<std::string>();
  auto drill_id = std::make_shared<std::string>();
  auto* drills = report->add_subcommand(
      "drill", "the month's drills per scenario (count, passed, RTO and RPO against the targets) for the compliance "
               "report, or one drill's own report; exit 1 when the last drill of a scenario failed or none ran");
  drills->add_option("--format", *drill_format, "json, markdown or html (a self-contained page)")
      ->check(CLI::IsMember({"json", "markdown", "html"}))
      ->capture_default_str();
  drills->add_option("--month", *drill_month, "YYYY-MM (default: this month)");
  drills->add_option("--drill", *drill_id, "one drill (its id, as `drill` printed it): its whole report, "
                                           "as a page (html, the default here) or json")
      ->excludes("--month");
  drills->callback([&ctx, drill_format, drill_month, drill_id] {
    ctx.run = [&ctx, drill_format, drill_month, drill_id] {
      if (!drill_id->empty() && *drill_format == "markdown" && !ctx.json_output) {
        *drill_format = "html";  // one drill's report is a page (or json); markdown is the month's
      }
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult res = ops::DrillReport(*op, *drill_month, *drill_id);
      if (res.data.is_null()) return ctx.Print(res, [] {});
      if (ctx.json_output || *drill_format == "json") {
        std::cout << res.data.dump(2) << std::endl;
      } else if (!drill_id->empty()) {
        std::cout << drill::DrillHtml(res.data);
      } else if (*drill_format == "html") {
        std::cout << drill::MonthlyHtml(res.data);
      } else {
        std::cout << drill::MonthlyMarkdown(res.data);
      }
      if (!res.ok()) std::cerr << "ecap-dr: " << res.status.message() << std::endl;
      return res.exit_code();
    };
  });
  auto* rto = report->add_subcommand("rto-rpo", "every failover and drill against the RTO and RPO targets");
  rto->callback([&ctx] { ctx.run = [&ctx] { return ReportRtoRpo(ctx); }; });
}

}  // namespace dr::cli
