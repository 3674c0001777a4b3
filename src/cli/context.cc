#include "cli/context.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>

#include "events/event_store.h"

namespace dr::cli {

using nlohmann::json;

std::string Count(uint64_t n, std::string_view singular, std::string_view plural) {
  std::string out = std::to_string(n) + " ";
  if (n == 1) return out.append(singular);
  if (!plural.empty()) return out.append(plural);
  return out.append(singular).append("s");
}

Result<config::Config> CliContext::LoadConfig() const {
  // Read once per process: authorization, the operation and its audit record all use it.
  if (!loaded_config_) {
    std::string path = config::ResolveConfigPath(config_flag);
    if (config_flag.empty() && ::access(path.c_str(), F_OK) != 0) {
      loaded_config_ = Result<config::Config>(
          ConfigError("no configuration file: " + path + " does not exist (give -c FILE or set ECAP_DR_CONFIG)"));
    } else {
      loaded_config_ = config::LoadConfigFile(path);
    }
  }
  return *loaded_config_;
}

Result<ops::OperationContext> CliContext::Ops() {
  DR_ASSIGN_OR_RETURN(config::Config cfg, LoadConfig());
  if (!events_) events_ = std::make_unique<events::LazyStoreSink>(events::HistoryPath(cfg));
  ops::OperationContext ctx;
  ctx.config = std::move(cfg);
  ctx.identity = identity;
  ctx.events = events_.get();
  ctx.progress = !json_output && !quiet;
  return ctx;
}

int CliContext::Print(const ops::OpResult& r, const std::function<void()>& human, const PrintOptions& options) {
  PrintWarnings(r.warnings);
  if (!r.audit_status.ok()) {
    std::cerr << "ecap-dr: error: unable to write the audit record: " << r.audit_status.message() << std::endl;
  }
  if (r.ok()) {
    if (json_output) {
      std::cout << r.data.dump(2) << std::endl;
    } else if (!quiet) {
      human();
    }
    return 0;
  }
  if (options.error_line) std::cerr << "ecap-dr: error: " << options.error_prefix << r.status.message() << std::endl;
  if (json_output) {
    std::cout << r.ToJson().dump(2) << std::endl;
  } else if (options.human_on_failure && !r.data.is_null() && !quiet) {
    human();
  }
  return r.exit_code();
}

int CliContext::Fail(const Status& status) {
  std::cerr << "ecap-dr: error: " << status.message() << std::endl;
  if (json_output) std::cout << ops::ErrorResult(status).ToJson().dump(2) << std::endl;
  return status.exit_code();
}

int CliContext::Succeed(const json& result, const std::function<void()>& human) {
  if (json_output) {
    std::cout << result.dump(2) << std::endl;
  } else if (!quiet) {
    human();
  }
  return 0;
}

void CliContext::Warn(const std::string& message) const { std::cerr << "ecap-dr: WARNING: " << message << std::endl; }

void CliContext::PrintWarnings(const std::vector<std::string>& warnings) const {
  for (const auto& w : warnings) Warn(w);
}

namespace {

// CLI11 reports a mistyped command ("backup creat") and a missing one alike as
// "A subcommand is required". Walks argv as CLI11 would and names the first
// word that is not a command of the command before it (or the missing command),
// with the commands there are.
std::optional<std::string> CommandError(CLI::App& app, int argc, char** argv) {
  CLI::App* current = &app;
  std::string path = "ecap-dr";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") break;
    if (arg.size() > 1 && arg[0] == '-') {
      // The option's value is the next word, unless given as --opt=value.
      if (arg.find('=') != std::string::npos) continue;
      for (CLI::App* a = current; a != nullptr; a = a->get_parent()) {
        if (const CLI::Option* opt = a->get_option_no_throw(arg); opt != nullptr) {
          if (opt->get_items_expected_max() > 0) ++i;  // 0 for a flag
          break;
        }
      }
      continue;
    }
    auto commands = current->get_subcommands([](CLI::App*) { return true; });
    if (commands.empty()) return std::nullopt;  // a positional argument of the command
    auto next = std::find_if(commands.begin(), commands.end(), [&](CLI::App* c) { return c->check_name(arg); });
    if (next == commands.end()) {
      std::string known;
      for (CLI::App* c : commands) known += (known.empty() ? "" : ", ") + c->get_name();
      return "unknown command '" + path + " " + arg + "' (the commands of '" + path + "' are: " + known + ")";
    }
    current = *next;
    path += " " + arg;
  }
  auto commands = current->get_subcommands([](CLI::App*) { return true; });
  if (commands.empty() || current->get_require_subcommand_min() == 0) return std::nullopt;
  std::string known;
  for (CLI::App* c : commands) known += (known.empty() ? "" : ", ") + c->get_name();
  return "'" + path + "' needs a command: one of " + known;
}

// Every option value and positional argument must be non-empty: an empty value
// means "not given" to every command (an empty --id would silently become a
// generated one), so "" is most likely an unset shell variable.
void RejectEmptyValues(CLI::App& app) {
  CLI::Validator non_empty(
      [](std::string& value) {
        return value.empty() ? std::string("an empty value is not allowed (leave the option out for its default)")
                             : std::string();
      },
      "", "NON_EMPTY");
  for (CLI::Option* opt : app.get_options()) {
    if (opt->get_items_expected_max() > 0) opt->check(non_empty);  // not flags
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) RejectEmptyValues(*sub);
}

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App app{"ecap-dr: backup and disaster recovery for the e-commerce analytics platform", "ecap-dr"};
  app.require_subcommand(1);
  app.fallthrough();  // global options (--json, -c, -q) may also follow the subcommand
  app.set_version_flag("--version", std::string("ecap-dr ") + DR_VERSION);
  CliContext ctx;
  ctx.identity = security::ProcessIdentity();
  app.add_option("-c,--config", ctx.config_flag,
                 "configuration file (default: $ECAP_DR_CONFIG, then /etc/ecap-dr/ecap-dr.yaml)");
  app.add_flag("--json", ctx.json_output, "print the result as JSON on stdout");
  app.add_flag("-q,--quiet", ctx.quiet, "print nothing but errors");
  app.footer(
      "Exit codes: 0 ok, 1 operation failed, 2 usage or configuration error, 3 permission denied,\n"
      "            4 data corrupt, 5 server or storage unavailable, 6 no space left.");
  RegisterRepoCommands(app, ctx);
  RegisterBackupCommands(app, ctx);
  RegisterRestoreCommand(app, ctx);
  RegisterVerifyCommand(app, ctx);
  RegisterKeyCommands(app, ctx);
  RegisterConfigCommands(app, ctx);
  RegisterWalCommands(app, ctx);
  RegisterGovernanceCommands(app, ctx);
  RegisterRetentionCommands(app, ctx);
  RegisterReportCommands(app, ctx);
  RegisterS3Commands(app, ctx);
  RegisterSwitchCommands(app, ctx);
  RegisterCoordinatorCommands(app, ctx);
  RegisterAlertCommands(app, ctx);
  RegisterRunbookCommands(app, ctx);
  RegisterDrillCommands(app, ctx);
  RegisterServeCommands(app, ctx);
  RejectEmptyValues(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // A usage error is an error like any other: "ecap-dr: error: ..." on stderr,
    // and with --json (which CLI11 may not have reached) the error object on stdout.
    ctx.json_output = std::any_of(argv + 1, argv + argc, [](const char* a) { return std::string_view(a) == "--json"; });
    std::string message = CommandError(app, argc, argv).value_or(e.what());
    int rc = ctx.Fail(InvalidArgument(message));
    if (!ctx.json_output) std::cerr << "run 'ecap-dr --help' (or 'ecap-dr COMMAND --help') for usage" << std::endl;
    return rc;
  }
  if (!ctx.run) return ctx.Fail(InvalidArgument("no command given (see --help)"));
  return ctx.run();
}

}  // namespace dr::cli
