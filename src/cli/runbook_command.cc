// `ecap-dr runbook list|show|run|resume|history`: the recovery runbooks
// (ops/runbook_ops.h). A run asks on the terminal before each step unless
// told otherwise; without a terminal it must be told (--auto-execute).
#include <poll.h>
#include <unistd.h>

#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "base/interrupt.h"
#include "cli/context.h"
#include "ops/runbook_ops.h"

namespace dr::cli {

using nlohmann::json;

namespace {

struct RunArgs {
  ops::RunbookRunRequest request;
  std::vector<std::string> params;  // k=v
  int confirm_timeout = 300;
};

// One line from standard input within `timeout_seconds`; nullopt on timeout or end of input.
std::optional<std::string> ReadLine(int timeout_seconds) {
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{.fd = STDIN_FILENO, .events = POLLIN, .revents = 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) {
      if (Interrupted()) return std::nullopt;
      continue;
    }
    if (n <= 0) return std::nullopt;
    char c;
    ssize_t r = ::read(STDIN_FILENO, &c, 1);
    if (r <= 0) return std::nullopt;
    if (c == '\n') return line;
    if (c != '\r') line += c;
  }
}

// The terminal's question before a step: yes, no, skip or abort; no answer
// within the timeout (or the end of input) aborts.
engine::Answer Ask(const engine::Step& step, int timeout_seconds) {
  if (!::isatty(STDIN_FILENO)) {
    std::cerr << "ecap-dr: step '" << step.id << "' needs a confirmation and there is no terminal to ask: declined"
              << std::endl;
    return engine::Answer::kNo;
  }
  std::cerr << "\n== " << step.id << ": " << step.title << "\n   " << step.description << "\n";
  for (;;) {
    std::cerr << "Run it? [y]es / [n]o, stop here / [s]kip it / [a]bort and roll back (" << timeout_seconds
              << " s, then abort): " << std::flush;
    auto line = ReadLine(timeout_seconds);
    if (!line && Interrupted()) {
      // Ctrl-C: stop here, as the run's stop does; what completed stays done.
      std::cerr << "\ninterrupted: stop" << std::endl;
      return engine::Answer::kNo;
    }
    if (!line) {
      std::cerr << "\nno answer: abort" << std::endl;
      return engine::Answer::kAbort;
    }
    std::string a = *line;
    if (a == "y" || a == "yes") return engine::Answer::kYes;
    if (a == "n" || a == "no") return engine::Answer::kNo;
    if (a == "s" || a == "skip") return engine::Answer::kSkip;
    if (a == "a" || a == "abort") return engine::Answer::kAbort;
  }
}

// --confirm-timeout, as run and resume both take it.
void AddConfirmTimeout(CLI::App* command, int& seconds) {
  command->add_option("--confirm-timeout", seconds, "seconds to wait for an answer before aborting")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
}

Status ParseParams(const std::vector<std::string>& given, std::map<std::string, std::string>& out) {
  for (const auto& p : given) {
    size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0) return InvalidArgument("--param " + p + ": expected NAME=VALUE");
    out[p.substr(0, eq)] = p.substr(eq + 1);
  }
  return Status::Ok();
}

void PrintExecution(const json& j) {
  const json& log = j["execution_log"];
  for (const auto& s : log["steps"]) {
    fmt::print("  {:<26} {:<10} {:>8.2f} s  {}\n", s.value("id", ""), s.value("state", ""),
               s.value("duration_seconds", 0.0), s.value("details", ""));
  }
  for (const auto& u : log.value("rollback", json::array())) {
    fmt::print("  rollback {:<17} {:<12} {}\n", u.value("id", ""), u.value("state", ""), u.value("details", ""));
  }
  fmt::print("runbook {} {}: {:.1f} s (estimate {} min, RTO target {} min); execution {}\n", j.value("runbook", ""),
             log.value("overall_status", ""), log.value("duration_seconds", 0.0), log.value("estimated_minutes", 0.0),
             log.value("rto_target_minutes", 0), j.value("execution_id", ""));
}

// Runs or resumes with the terminal's prompt and progress lines.
int Execute(CliContext& ctx, const std::shared_ptr<RunArgs>& args, const std::string& resume_id) {
  auto op = ctx.Ops();
  if (!op.ok()) return ctx.Fail(op.status());
  ops::RunbookRunRequest& request = args->request;
  if (Status s = ParseParams(args->params, request.params); !s.ok()) return ctx.Fail(s);
  if (resume_id.empty() && !request.dry_run && !request.auto_execute && !::isatty(STDIN_FILENO)) {
    return ctx.Fail(InvalidArgument(
        "runbook run asks before each step and there is no terminal: pass --auto-execute (steps that require a "
        "confirmation still ask; add --skip-confirmations to run those unasked too), or --dry-run"));
  }
  int timeout = args->confirm_timeout;
  request.confirm = [timeout](const engine::Step& step) { return Ask(step, timeout); };
  if (!ctx.quiet) request.progress = [](const std::string& line) { std::cerr << line << std::endl; };
  InstallInterruptHandlers();
  op->stop = InterruptToken();
  ops::OpResult r = resume_id.empty() ? ops::RunRunbook(*op, request) : ops::ResumeRunbook(*op, resume_id, request);
  return ctx.Print(r, [&] { PrintExecution(r.data); }, {.human_on_failure = true});
}

}  // namespace

void RegisterRunbookCommands(CLI::App& app, CliContext& ctx) {
  auto* runbook = app.add_subcommand("runbook", "the recovery runbooks: list, show, run, resume, history, docs");
  runbook->require_subcommand(1);

  runbook->add_subcommand("list", "the runbooks there are (shipped, and the user's from runbooks.directory)")
      ->callback([&ctx] {
        ctx.run = [&ctx] {
          auto op = ctx.Ops();
          if (!op.ok()) return ctx.Fail(op.status());
          ops::OpResult r = ops::RunbookList(*op);
          return ctx.Print(r, [&] {
            for (const auto& rb : r.data["runbooks"]) {
              fmt::print("{:<26} {:>4} min  {:>2} steps  {}{}\n", rb["name"].get<std::string>(),
                         rb["estimated_minutes"].get<double>(), rb["steps"].get<int>(), rb["title"].get<std::string>(),
                         rb["source"] == "shipped" ? "" : "  (" + rb["source"].get<std::string>() + ")");
            }
          });
        };
      });

  auto name = std::make_shared<std::string>();
  auto* show = runbook->add_subcommand("show", "one runbook: its steps, what each runs, verifies and rolls back");
  show->add_option("name", *name, "the runbook (database_failure, DATABASE_FAILURE, ...)")->required();
  show->callback([&ctx, name] {
    ctx.run = [&ctx, name] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::RunbookShow(*op, *name);
      return ctx.Print(r, [&] {
        const json& rb = r.data;
        fmt::print("{} ({}): {} min\n{}\n", rb["title"].get<std::string>(), rb["failure_type"].get<std::string>(),
                   rb["estimated_minutes"].get<double>(), rb["description"].get<std::string>());
        for (const auto& p : rb["parameters"]) {
          fmt::print("  --param {}={}  {}\n", p["name"].get<std::string>(),
                     p["required"].get<bool>() ? "(required)" : p["default"].get<std::string>(),
                     p["description"].get<std::string>());
        }
        int n = 1;
        for (const auto& s : rb["steps"]) {
          fmt::print("{:>2}. {} [{}] {} min{}\n", n++, s["title"].get<std::string>(), s["id"].get<std::string>(),
                     s["estimated_minutes"].get<double>(), s["requires_confirmation"].get<bool>() ? ", asks" : "");
          const json& a = s["action"];
          fmt::print("    does:     {}{}\n", a["action"].get<std::string>(), a["with"].empty() ? "" : " " + a["with"].dump());
          if (!s["verify"].is_null()) fmt::print("    verifies: {} {}\n", s["verify"]["action"].get<std::string>(), s["verify"]["with"].dump());
          if (!s["rollback"].is_null()) {
            fmt::print("    rollback: {} {}\n", s["rollback"]["action"].get<std::string>(), s["rollback"]["with"].dump());
          } else if (!a.value("cannot_undo", "").empty()) {
            fmt::print("    no undo:  {}\n", a["cannot_undo"].get<std::string>());
          }
        }
        for (const auto& p : rb["problems"]) fmt::print("problem: {}\n", p.get<std::string>());
      });
    };
  });

  auto args = std::make_shared<RunArgs>();
  auto* run = runbook->add_subcommand("run", "execute a runbook, asking before each step unless --auto-execute");
  run->add_option("name", args->request.name, "the runbook (database_failure, DATABASE_FAILURE, ...)")->required();
  run->add_flag("--dry-run", args->request.dry_run,
                "check the whole runbook, run its read-only checks and show the plan; change nothing");
  run->add_flag("--auto-execute", args->request.auto_execute,
                "run the steps without asking, except those that require a confirmation");
  run->add_flag("--skip-confirmations", args->request.skip_confirmations,
                "do not ask before steps that do not require it; with --auto-execute, ask before none");
  run->add_option("--param", args->params, "NAME=VALUE for a parameter of the runbook; repeatable");
  AddConfirmTimeout(run, args->confirm_timeout);
  run->callback([&ctx, args] { ctx.run = [&ctx, args] { return Execute(ctx, args, ""); }; });

  auto resume_args = std::make_shared<RunArgs>();
  auto execution_id = std::make_shared<std::string>();
  auto* resume = runbook->add_subcommand(
      "resume", "continue an execution that did not finish, from its first step that did not complete");
  resume->add_option("execution_id", *execution_id, "as runbook history lists it")->required();
  AddConfirmTimeout(resume, resume_args->confirm_timeout);
  resume->callback([&ctx, resume_args, execution_id] {
    ctx.run = [&ctx, resume_args, execution_id] { return Execute(ctx, resume_args, *execution_id); };
  });

  auto format = std::make_shared<std::string>("markdown");
  auto out_dir = std::make_shared<std::string>();
  auto* docs = runbook->add_subcommand(
      "docs", "the runbooks' documentation, generated from the definitions that run (Markdown, or HTML with the "
              "dependency graph drawn when Graphviz is installed)");
  docs->add_option("--format", *format, "markdown or html")->capture_default_str()->check(CLI::IsMember({"markdown", "html"}));
  docs->add_option("--out", *out_dir, "write one file per runbook and an index into this directory (default: print)");
  docs->callback([&ctx, format, out_dir] {
    ctx.run = [&ctx, format, out_dir] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::RunbookDocs(*op, *format, *out_dir);
      return ctx.Print(r, [&] {
        if (r.data.contains("files")) {
          for (const auto& f : r.data["files"]) fmt::print("{}\n", f.get<std::string>());
          return;
        }
        for (const auto& [name, text] : r.data["documents"].items()) fmt::print("{}\n", text.get<std::string>());
      });
    };
  });

  auto limit = std::make_shared<int>(20);
  auto* history = runbook->add_subcommand("history", "past executions, newest first, with each step's outcome and time");
  history->add_option("--limit", *limit, "how many")->capture_default_str()->check(CLI::Range(1, 100000));
  history->callback([&ctx, limit] {
    ctx.run = [&ctx, limit] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::RunbookHistory(*op, *limit);
      return ctx.Print(r, [&] {
        for (const auto& e : r.data["executions"]) {
          fmt::print("{}  {:<24} {:<10} {:>8.1f} s  {}  {}{}\n", e["started_at"].get<std::string>(),
                     e["runbook"].get<std::string>(), e["status"].get<std::string>(),
                     e["duration_seconds"].get<double>(), e["execution_id"].get<std::string>(),
                     e["user"].get<std::string>(), e["dry_run"].get<bool>() ? " (dry run)" : "");
        }
      });
    };
  });
}

}  // namespace dr::cli
