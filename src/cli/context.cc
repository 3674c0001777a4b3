#include "cli/context.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

namespace dr::cli {

using nlohmann::json;

Result<config::Config> CliContext::LoadConfig() const {
  std::string path = config::ResolveConfigPath(config_flag);
  if (config_flag.empty() && ::access(path.c_str(), F_OK) != 0) {
    return ConfigError("no configuration file: " + path + " does not exist (give -c FILE or set ECAP_DR_CONFIG)");
  }
  return config::LoadConfigFile(path);
}

static std::string CurrentUser() {
  if (passwd* pw = ::getpwuid(::geteuid())) return pw->pw_name;
  return std::to_string(::geteuid());
}

Result<std::unique_ptr<backup::BackupManager>> CliContext::NewManager() const {
  DR_ASSIGN_OR_RETURN(config::Config cfg, LoadConfig());
  backup::ManagerOptions options;
  options.progress = !json_output && !quiet;
  options.username = CurrentUser();
  return std::make_unique<backup::BackupManager>(std::move(cfg), std::move(options));
}

int CliContext::Fail(const Status& status) const {
  std::cerr << "ecap-dr: error: " << status.message() << std::endl;
  if (json_output) {
    std::cout << json::object({{"status", "failed"},
                               {"error", {{"code", status.code_name()}, {"message", status.message()}}}})
                     .dump(2)
              << std::endl;
  }
  return status.exit_code();
}

int CliContext::Succeed(const json& result, const std::function<void()>& human) const {
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

int RunCli(int argc, char** argv) {
  CLI::App app{"ecap-dr: backup and disaster recovery for the e-commerce analytics platform", "ecap-dr"};
  app.require_subcommand(1);
  app.fallthrough();  // global options (--json, -c, -q) may also follow the subcommand
  app.set_version_flag("--version", std::string("ecap-dr ") + DR_VERSION);
  CliContext ctx;
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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (!ctx.run) return ctx.Fail(InvalidArgument("no command given (see --help)"));
  return ctx.run();
}

}  // namespace dr::cli
