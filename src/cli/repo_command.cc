// `ecap-dr repo init|upgrade|replicate|switch|check`.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "base/encoding.h"
#include "cli/context.h"
#include "ops/backup_ops.h"

namespace dr::cli {

using nlohmann::json;

void RegisterRepoCommands(CLI::App& app, CliContext& ctx) {
  auto* repo = app.add_subcommand("repo", "create and check the backup repository");
  repo->require_subcommand(1);

  auto* init = repo->add_subcommand("init", "create the repository at backup_manager.backup_dir");
  init->callback([&ctx] {
    ctx.run = [&ctx] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult res = ops::InitRepository(*op);
      const json& j = res.data;
      return ctx.Print(res, [&] {
        fmt::print("created repository {} at {}\n", j["repository_id"].get<std::string>(), j["location"].get<std::string>());
        if (j["encrypted"].get<bool>()) {
          fmt::print("encrypted with AES-256-GCM; master key from {}\n", j["key_source"].get<std::string>());
        }
        if (j["key_generated"].get<bool>()) {
          fmt::print("a new master key was generated: keep a copy outside the backup location, "
                     "without it no backup can be restored\n");
        }
      });
    };
  });

  auto* upgrade = repo->add_subcommand(
      "upgrade", "raise a repository made by an older ecap-dr to this version's format (permission repo.init): "
                 "later backups store their items as item lists, and older versions refuse the repository");
  upgrade->callback([&ctx] {
    ctx.run = [&ctx] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult res = ops::UpgradeRepository(*op);
      const json& j = res.data;
      return ctx.Print(res, [&] {
        if (j["upgraded"].get<bool>()) {
          fmt::print("repository upgraded from format version {} to {}: existing backups are unchanged, "
                     "new ones store their items as item lists; ecap-dr versions older than snapshot format 2 refuse it\n",
                     j["from_version"].get<int>(), j["version"].get<int>());
        } else {
          fmt::print("repository is at format version {} already: nothing to do\n", j["version"].get<int>());
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
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::Replicate(*op, *replicate_check, *replicate_read);
      return ctx.Print(r, [&] {
        for (const auto& rep : r.data["replicas"]) {
          std::string check = rep["check_status"].get<std::string>();
          fmt::print("{}: {} copied ({}), {} removed{}\n", rep["location"].get<std::string>(),
                     Count(rep["objects_copied"].get<uint64_t>(), "object"), HumanBytes(rep["bytes_copied"].get<uint64_t>()),
                     rep["objects_removed"].get<uint64_t>(), check.empty() ? "" : ", check " + check);
        }
      });
    };
  });

  AddSwitchCommand(repo, ctx, "repository_switch",
                   "make another repository the one backups and restores use (permission dr.failover), e.g. its "
                   "replica after the primary region is lost; recorded in dr_coordinator.state_dir",
                   "replica (the first of replicas:), primary, or the location of one of replicas: (a path, "
                   "s3://bucket/prefix); it must hold every backup and WAL segment of the one in use when that one "
                   "still answers",
                   [](const json& d) {
                     fmt::print("backups and restores now use {} (was {})\n", d["active_repository"].get<std::string>(),
                                d["previous"].get<std::string>());
                   });

  auto* check = repo->add_subcommand("check", "check the repository's structure (and with --read-data, every byte)");
  auto read_data = std::make_shared<bool>(false);
  check->add_flag("--read-data", *read_data, "read, authenticate and decompress every pack (slow)");
  check->callback([&ctx, read_data] {
    ctx.run = [&ctx, read_data] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::CheckRepository(*op, *read_data);
      if (r.data.is_null()) return ctx.Print(r, [] {});  // denied, unreadable, or the audit record not written
      ctx.PrintWarnings(r.warnings);
      if (!r.audit_status.ok()) {
        std::cerr << "ecap-dr: error: unable to write the audit record: " << r.audit_status.message() << std::endl;
      }
      const json& j = r.data;
      if (ctx.json_output) {
        std::cout << j.dump(2) << std::endl;
      } else {
        uint64_t errors = 0;
        for (const auto& f : j["findings"]) {
          std::cerr << f["severity"].get<std::string>() << ": " << f["message"].get<std::string>() << "\n";
          errors += f["severity"] == "error";
        }
        if (!ctx.quiet) {
          fmt::print("checked {}, {}, {}{}\n", Count(j["snapshots"].get<uint64_t>(), "snapshot"),
                     Count(j["packs"].get<uint64_t>(), "pack"), Count(j["blobs"].get<uint64_t>(), "blob"),
                     *read_data ? ", read " + HumanBytes(j["bytes_read"].get<uint64_t>()) : "");
          if (errors == 0) {
            fmt::print("no errors were found\n");
          } else {
            fmt::print("{} {} found\n", Count(errors, "error"), errors == 1 ? "was" : "were");
          }
        }
      }
      return r.exit_code();
    };
  });
}

}  // namespace dr::cli
