// `ecap-dr repo init|check`.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "base/encoding.h"
#include "cli/context.h"

namespace dr::cli {

using nlohmann::json;

void RegisterRepoCommands(CLI::App& app, CliContext& ctx) {
  auto* repo = app.add_subcommand("repo", "create and check the backup repository");
  repo->require_subcommand(1);

  auto* init = repo->add_subcommand("init", "create the repository at backup_manager.backup_dir");
  init->callback([&ctx] {
    ctx.run = [&ctx] {
      if (Status denied = ctx.Authorize("repo.init", ""); !denied.ok()) return ctx.Fail(denied);
      auto manager = ctx.NewManager();
      if (!manager.ok()) return ctx.Fail(manager.status());
      auto r = (*manager)->InitRepository();
      ctx.PrintWarnings((*manager)->warnings());
      if (!r.ok()) return ctx.Fail(r.status());
      json j{{"status", "completed"},       {"location", r->location},     {"repository_id", r->repository_id},
             {"encrypted", r->encrypted},   {"key_source", r->key_source}, {"key_generated", r->key_generated}};
      return ctx.Succeed(j, [&] {
        fmt::print("created repository {} at {}\n", r->repository_id, r->location);
        if (r->encrypted) {
          fmt::print("encrypted with AES-256-GCM; master key from {}\n", r->key_source);
        }
        if (r->key_generated) {
          fmt::print("a new master key was generated: keep a copy outside the backup location, "
                     "without it no backup can be restored\n");
        }
      });
    };
  });

  auto replicate_check = std::make_shared<bool>(true);
  auto replicate_read = std::make_shared<bool>(false);
  auto* replicate = repo->add_subcommand(
      "replicate", "copy to every replica (replicas: section, e.g. the backup region) what it lacks, then check it");
  replicate->add_flag("!--no-check", *replicate_check, "skip checking the replicas afterwards");
  replicate->add_flag("--read-data", *replicate_read, "check every byte of the replicas (slow)");
  replicate->callback([&ctx, replicate_check, replicate_read] {
    ctx.run = [&ctx, replicate_check, replicate_read] {
      if (Status denied = ctx.Authorize("repo.replicate", ""); !denied.ok()) return ctx.Fail(denied);
      auto manager = ctx.NewManager();
      if (!manager.ok()) return ctx.Fail(manager.status());
      auto results = (*manager)->Replicate(*replicate_check, *replicate_read);
      if (!results.ok()) return ctx.Fail(results.status());
      json j = json::array();
      bool failed = false;
      for (const auto& r : *results) {
        j.push_back(r.ToJson());
        failed = failed || r.check_status == "failed";
      }
      if (failed) {
        for (const auto& r : *results) {
          for (const auto& f : r.findings) std::cerr << "error: " << r.location << ": " << f << "\n";
        }
        return ctx.Fail(Corrupt("a replica failed its check after replication"));
      }
      return ctx.Succeed(json{{"status", "completed"}, {"replicas", j}}, [&] {
        for (const auto& r : *results) {
          fmt::print("{}: {} copied ({}), {} removed{}\n", r.location, Count(r.objects_copied, "object"),
                     HumanBytes(r.bytes_copied), r.objects_removed,
                     r.check_status.empty() ? "" : ", check " + r.check_status);
        }
      });
    };
  });

  auto* check = repo->add_subcommand("check", "check the repository's structure (and with --read-data, every byte)");
  auto read_data = std::make_shared<bool>(false);
  check->add_flag("--read-data", *read_data, "read, authenticate and decompress every pack (slow)");
  check->callback([&ctx, read_data] {
    ctx.run = [&ctx, read_data] {
      if (Status denied = ctx.Authorize("backup.verify", ""); !denied.ok()) return ctx.Fail(denied);
      auto manager = ctx.NewManager();
      if (!manager.ok()) return ctx.Fail(manager.status());
      auto report = (*manager)->CheckRepository(*read_data);
      ctx.PrintWarnings((*manager)->warnings());
      if (!report.ok()) return ctx.Fail(report.status());
      json j = report->ToJson();
      int errors = 0;
      Code first = Code::kOk;  // damage is exit 4; unreadable storage keeps its own code
      for (const auto& f : report->findings) {
        if (f.severity != "error") continue;
        if (errors++ == 0) first = f.code;
      }
      Status outcome = errors == 0 ? Status::Ok() : Status(first, Count(errors, "error") + " found");
      if (Status logged = ctx.Outcome(outcome, {{"errors", errors}}); !logged.ok()) return ctx.Fail(logged);
      if (ctx.json_output) std::cout << j.dump(2) << std::endl;
      if (!ctx.json_output) {
        for (const auto& f : report->findings) std::cerr << f.severity << ": " << f.message << "\n";
        if (!ctx.quiet) {
          fmt::print("checked {}, {}, {}{}\n", Count(report->snapshots, "snapshot"), Count(report->packs, "pack"),
                     Count(report->blobs, "blob"),
                     *read_data ? ", read " + HumanBytes(report->bytes_read) : "");
          if (errors == 0) {
            fmt::print("no errors were found\n");
          } else {
            fmt::print("{} {} found\n", Count(errors, "error"), errors == 1 ? "was" : "were");
          }
        }
      }
      return errors == 0 ? 0 : InfoOf(first).exit_code;
    };
  });
}

}  // namespace dr::cli
