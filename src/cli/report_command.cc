// `ecap-dr report compliance` and `report rto-rpo`.
#include <iostream>

#include <CLI/CLI.hpp>

#include "backup/compliance.h"
#include "cli/context.h"

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
      if (Status denied = ctx.Authorize("report.generate", *month); !denied.ok()) return ctx.Fail(denied);
      auto manager = ctx.NewManager();
      if (!manager.ok()) return ctx.Fail(manager.status());
      auto r = (*manager)->ComplianceReport(*month);
      if (!r.ok()) return ctx.Fail(r.status());
      bool passed = (*r)["overall_status"] == "passed";
      if (Status logged = ctx.Outcome(Status::Ok(), {{"overall_status", (*r)["overall_status"]}}); !logged.ok()) {
        return ctx.Fail(logged);
      }
      if (ctx.json_output || *format == "json") {
        std::cout << r->dump(2) << std::endl;
      } else if (*format == "html") {
        std::cout << backup::RenderHtml(*r);
      } else {
        std::cout << backup::RenderMarkdown(*r);
      }
      return passed ? 0 : 1;
    };
  });
  auto* rto = report->add_subcommand("rto-rpo", "every failover and drill against the RTO and RPO targets");
  rto->callback([&ctx] { ctx.run = [&ctx] { return ReportRtoRpo(ctx); }; });
}

}  // namespace dr::cli
