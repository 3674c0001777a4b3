// `ecap-dr restore` and `ecap-dr verify`.
#include <unistd.h>

#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "base/encoding.h"
#include "base/interrupt.h"
#include "cli/context.h"
#include "ops/backup_ops.h"

namespace dr::cli {

using nlohmann::json;

namespace {
// The options bind straight into the request the BackupManager takes.
struct RestoreArgs {
  std::string backup_id;
  bool to_stdout = false;
  backup::RestoreRequest request;
};
struct VerifyArgs {
  std::string backup_id;
  bool full = false;
};

// `restore --to-time T`: a line per component, then the effective RPO.
void PrintPointInTime(const json& j) {
  fmt::print("restored as of {}:\n", j.value("target_time", ""));
  for (const auto& c : j.value("components", json::array())) {
    std::string how = c.value("how", "");
    std::string detail = how == "wal_replay"          ? "WAL replayed to the target"
                         : how == "messages_to_time" ? "messages up to the target"
                                                     : fmt::format("{:.0f} s before the target",
                                                                   c.value("seconds_before_target", 0.0));
    fmt::print("  {:<10} backup {} ({}, recovery point {}): {}\n", c.value("component", ""), c.value("backup_id", ""),
               detail, c.value("recovery_point", ""), c.value("status", ""));
  }
  if (j.contains("rpo_seconds") && j.at("rpo_seconds").is_number()) {
    fmt::print("effective recovery point objective: {:.0f} s\n", j.at("rpo_seconds").get<double>());
  }
}
}  // namespace

void RegisterRestoreCommand(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<RestoreArgs>();
  auto* cmd = app.add_subcommand("restore", "restore a backup into a directory, or one item to standard output");
  cmd->add_option("backup_id", args->backup_id,
                  "the backup to restore (without it, --to-time TIME restores each component as of that time)");
  cmd->add_option("--target", args->request.target_dir,
                  "directory to restore into (created if missing); for postgresql: extract the raw items there "
                  "(globals.sql, <database>.dump for pg_restore, base.tar) instead of restoring into a server");
  cmd->add_option("--item", args->request.items, "restore only this item (a file, a stream, or a directory and what is "
                                         "under it; for postgresql an item such as shop.dump); repeatable");
  cmd->add_flag("--stdout", args->to_stdout,
                "write the one selected item to standard output (for postgresql: the raw item, e.g. the pg_dump archive)");
  cmd->add_flag("--overwrite", args->request.overwrite, "replace files that exist in the target (default: refuse)");
  cmd->add_option("--component", args->request.components,
                  "what to restore: files, postgresql, s3, kafka or all; repeatable (default: the backup's only "
                  "component; with --to-time and no backup id: all)");
  cmd->add_option("--target-bucket", args->request.s3.target_bucket,
                  "s3: restore the objects into this bucket (default: the buckets they came from)");
  cmd->add_option("--prefix", args->request.s3.prefix, "s3: restore only keys starting with this prefix");
  cmd->add_option("--database", args->request.postgres.databases, "postgresql: restore only this database; repeatable");
  cmd->add_option("--target-db", args->request.postgres.target_db,
                  "postgresql: restore the one selected database under this name (it is created if missing)");
  cmd->add_option("--target-host", args->request.postgres.target_host, "postgresql: restore to this server (default: postgresql.host)");
  cmd->add_option("--target-port", args->request.postgres.target_port, "postgresql: port of that server (default: postgresql.port)");
  cmd->add_flag("--clean", args->request.postgres.clean,
                "postgresql: the target database may hold data; drop and re-create the objects the backup holds "
                "(others are left alone). Without --clean a non-empty target is refused, and a missing one is "
                "created");
  cmd->add_option("--jobs", args->request.postgres.jobs,
                  "postgresql: parallel pg_restore jobs; above 1 the dump is staged in $TMPDIR and the restore is "
                  "no longer a single transaction")
      ->check(CLI::Range(1, 64));
  cmd->add_flag("--globals", args->request.postgres.globals, "postgresql: also restore roles and tablespaces (pg_dumpall --globals-only)");
  cmd->add_option("--pgdata", args->request.postgres.pgdata,
                  "postgresql, physical backup: lay out a data directory here (new or empty) with the recovery "
                  "settings; then start PostgreSQL on it and it recovers from the WAL archive");
  cmd->add_option("--target-time", args->request.postgres.target_time,
                  "physical: recover up to this time, e.g. \"2026-11-26 10:41:00+00\" (default: the end of the archive)");
  cmd->add_option("--target-lsn", args->request.postgres.target_lsn, "physical: recover up to this WAL position");
  cmd->add_option("--target-name", args->request.postgres.target_name, "physical: recover up to this restore point");
  cmd->add_flag("--target-immediate", args->request.postgres.target_immediate,
                "physical: stop as soon as the base backup is consistent");
  cmd->add_option("--target-action", args->request.postgres.target_action,
                  "physical: what the server does at the target: promote (default), pause or shutdown");
  cmd->add_flag("--keep-archiving", args->request.postgres.keep_archiving,
                "physical: keep the backup's archive_mode and archive_command (default: archive_mode = off, so a "
                "promoted copy does not archive into the source's WAL archive)");
  cmd->add_option("--bootstrap-servers", args->request.kafka.bootstrap_servers,
                  "kafka: restore into this cluster (default: kafka.bootstrap_servers)");
  cmd->add_option("--topics", args->request.kafka.topics,
                  "kafka: restore only topics matching these glob patterns (original names); repeatable")
      ->delimiter(',');
  cmd->add_option("--topic-prefix", args->request.kafka.topic_prefix,
                  "kafka: restore each topic as <prefix><name>, e.g. restored. (group offsets follow)");
  cmd->add_option("--to-time", args->request.kafka.to_time,
                  "kafka: point in time, e.g. 2026-11-26T10:41:00Z; each partition is restored up to its first "
                  "message stamped later. Without a backup id: every component as of this time, each from the "
                  "backup that reaches closest to it (kafka cut at it, postgresql with --pgdata replayed to it), "
                  "with how far before it each one's recovery point is");
  cmd->add_flag("--allow-existing-data", args->request.kafka.allow_existing_data,
                "kafka: append to target topics that already hold messages (default: refuse)");
  cmd->add_flag("!--no-group-offsets", args->request.kafka.groups,
                "kafka: leave the consumer groups alone (default: commit their offsets translated onto the "
                "restored topics)");
  cmd->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      // Ctrl-C or SIGTERM stops the work at its next blob: partial output is
      // removed and the exit code is the documented one. Only commands that
      // poll the flag install it (a command that did not would ignore a signal).
      InstallInterruptHandlers();
      backup::RestoreRequest request = args->request;
      const auto& components = request.components;
      bool wants_files = components.empty() || std::find(components.begin(), components.end(), "files") != components.end();
      if (args->to_stdout && !request.target_dir.empty()) {
        return ctx.Fail(InvalidArgument("give only one of --target DIR and --stdout"));
      }
      if (wants_files && !components.empty() && !args->to_stdout && request.target_dir.empty()) {
        return ctx.Fail(InvalidArgument("restoring files needs --target DIR or --stdout"));
      }
      if (args->to_stdout && ctx.json_output) return ctx.Fail(InvalidArgument("--stdout and --json cannot be combined"));
      if (args->backup_id.empty() && request.kafka.to_time.empty()) {
        return ctx.Fail(InvalidArgument("give the backup to restore, or --to-time TIME to restore every component "
                                        "as of that time"));
      }
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      FdSink out(STDOUT_FILENO, "standard output");
      if (args->to_stdout) request.single_sink = &out;
      if (args->backup_id.empty()) {
        std::string time = std::exchange(request.kafka.to_time, "");
        ops::OpResult r = ops::RestoreToTime(*op, time, request);
        if (args->to_stdout && r.ok()) {  // standard output holds the item: nothing else goes there
          ctx.PrintWarnings(r.warnings);
          return 0;
        }
        return ctx.Print(r, [&] { PrintPointInTime(r.data); });
      }
      ops::OpResult r = ops::Restore(*op, args->backup_id, request);
      if (args->to_stdout && r.ok()) {
        ctx.PrintWarnings(r.warnings);
        return 0;
      }
      return ctx.Print(r, [&] {
        const json& j = r.data;
        fmt::print("restored backup {}: {}, {} into {} in {:.1f} s\n", j["backup_id"].get<std::string>(),
                   Count(j["items_restored"].get<uint64_t>(), "item"), HumanBytes(j["bytes_restored"].get<uint64_t>()),
                   j["target"].get<std::string>(), j["duration_seconds"].get<double>());
        for (const auto& db : j["databases"]) fmt::print("  database {} restored\n", db.get<std::string>());
        for (const auto& f : j.value("files", json::array())) fmt::print("  {} written\n", f.get<std::string>());
        for (const auto& c : j.value("settings_changed", json::array())) fmt::print("  changed: {}\n", c.get<std::string>());
        json topics = j.value("topics", json::array());
        for (const auto& t : topics) fmt::print("  topic {} restored\n", t.get<std::string>());
        uint64_t skipped = j.value("messages_skipped", uint64_t{0});
        if (skipped > 0) fmt::print("  {} after --to-time left out\n", Count(skipped, "message"));
        if (!topics.empty() && !request.kafka.groups) {
          fmt::print("  consumer groups left alone (--no-group-offsets)\n");
        } else if (!topics.empty()) {
          fmt::print("  offsets of {} committed\n", Count(j.value("consumer_groups_restored", uint64_t{0}), "consumer group"));
        }
      });
    };
  });
}

void RegisterVerifyCommand(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<VerifyArgs>();
  auto* cmd = app.add_subcommand("verify", "verify a backup's integrity");
  cmd->add_option("backup_id", args->backup_id, "the backup to verify")->required();
  cmd->add_flag("--full", args->full,
                "read, authenticate and decompress every blob and compare each item's SHA-256 "
                "(default: check that every blob is indexed and every pack present with its size)");
  cmd->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      // Ctrl-C or SIGTERM stops the work at its next blob: partial output is
      // removed and the exit code is the documented one. Only commands that
      // poll the flag install it (a command that did not would ignore a signal).
      InstallInterruptHandlers();
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::Verify(*op, args->backup_id, args->full);
      if (r.data.is_null()) return ctx.Print(r, [] {});  // denied, or the audit record not written
      ctx.PrintWarnings(r.warnings);
      if (!r.audit_status.ok()) {
        std::cerr << "ecap-dr: error: unable to write the audit record: " << r.audit_status.message() << std::endl;
      }
      const json& j = r.data;
      std::string overall = j["verification_results"]["overall_status"];
      if (ctx.json_output) {
        std::cout << j.dump(2) << std::endl;
      } else {
        for (const auto& f : j["verification_results"]["findings"]) {
          std::cerr << "error: " << f["message"].get<std::string>() << "\n";
        }
        for (const auto& item : j["verification_results"]["items"]) {
          for (const auto& f : item["findings"]) std::cerr << "error: " << f["message"].get<std::string>() << "\n";
        }
        if (!r.ok() && j["status"] != "completed") std::cerr << "ecap-dr: error: " << r.status.message() << "\n";
        if (!ctx.quiet) {
          fmt::print("verification of backup {} ({}): {} ({})\n", args->backup_id, args->full ? "full" : "quick",
                     overall, Count(j["verification_results"]["items"].size(), "item"));
        }
      }
      return r.exit_code();
    };
  });
}

}  // namespace dr::cli
