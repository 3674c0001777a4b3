// `ecap-dr wal push|fetch|status`: PostgreSQL's archive_command and
// restore_command, and how far the archive is behind.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/context.h"
#include "ops/backup_ops.h"

namespace dr::cli {

using nlohmann::json;

namespace {
struct WalArgs {
  std::string path;
  std::string name;
  std::string dest;
};

}  // namespace

void RegisterWalCommands(CLI::App& app, CliContext& ctx) {
  auto* wal = app.add_subcommand("wal", "PostgreSQL WAL archiving: archive_command, restore_command, status");
  wal->require_subcommand(1);
  wal->footer(
      "In postgresql.conf:\n"
      "  archive_mode = on\n"
      "  archive_command = 'ecap-dr -c /etc/ecap-dr/ecap-dr.yaml wal push %p'\n"
      "  archive_timeout = 60      # bounds the RPO when the database is quiet\n"
      "The configuration, the key file and the repository must be readable (and the repository\n"
      "writable) by the user PostgreSQL runs as.");
  auto args = std::make_shared<WalArgs>();

  auto* push = wal->add_subcommand("push", "archive one WAL file (archive_command = '... wal push %p')");
  push->add_option("path", args->path, "the WAL file; relative to the current directory (PostgreSQL's data directory)")
      ->required();
  push->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      return ctx.Print(ops::WalPush(*op, args->path), [] {});
    };
  });

  auto* fetch = wal->add_subcommand("fetch", "restore one WAL file (restore_command = '... wal fetch %f %p')");
  fetch->add_option("name", args->name, "the WAL file name PostgreSQL asks for (%f)")->required();
  fetch->add_option("dest", args->dest, "where to write it (%p)")->required();
  fetch->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::WalFetch(*op, args->name, args->dest);
      if (r.status.code() == Code::kNotFound && !r.data.is_null()) {
        // PostgreSQL asks for files that may not exist (the next timeline's history,
        // the segment after the last) and takes a nonzero exit as "not there": that
        // is normal recovery, so no error line in its log, as other archivers do.
        // A missing repository is a real error, said loudly (no data: Print's error line).
        if (!r.audit_status.ok()) {
          std::cerr << "ecap-dr: error: unable to write the audit record: " << r.audit_status.message() << std::endl;
        }
        if (ctx.json_output) std::cout << r.data.dump(2) << std::endl;
        return r.exit_code();
      }
      return ctx.Print(r, [] {});
    };
  });

  auto* status = wal->add_subcommand("status", "the newest archived WAL and how far the archive is behind (the RPO now)");
  status->callback([&ctx] {
    ctx.run = [&ctx] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::WalStatus(*op);
      auto archive = [&] {
        const json& j = r.data;
        std::string last = j["last_archived_wal"].get<std::string>();
        fmt::print("archive: {}, newest segment {}\n", Count(j["archived_files"].get<uint64_t>(), "WAL file"),
                   last.empty() ? "(none)" : last);
      };
      if (!r.ok() && !r.data.is_null()) {
        // The server does not answer: the archive's state, then the error (exit 5).
        if (!r.audit_status.ok()) {
          std::cerr << "ecap-dr: error: unable to write the audit record: " << r.audit_status.message() << std::endl;
        }
        if (ctx.json_output) {
          std::cout << r.data.dump(2) << std::endl;
        } else if (!ctx.quiet) {
          archive();
        }
        std::cerr << "ecap-dr: error: " << r.status.message() << std::endl;
        return r.exit_code();
      }
      return ctx.Print(r, [&] {
        const json& j = r.data;
        archive();
        auto str = [&](const char* key) { return j.value(key, ""); };
        if (!j["server_reachable"].get<bool>()) {
          fmt::print("server: {}\n", str("server_error").empty() ? "not configured" : str("server_error"));
          return;
        }
        fmt::print("server: writing {}, last archived {} at {}\n", str("current_wal"), str("server_last_archived_wal"),
                   str("server_last_archived_time"));
        uint64_t failed = j.value("failed_count", uint64_t{0});
        if (failed > 0) fmt::print("server: {}, last {}\n", Count(failed, "failed attempt"), str("last_failed_wal"));
        fmt::print("archive lag (current RPO): {:.0f} s\n", j["archive_lag_seconds"].get<double>());
      });
    };
  });
}

}  // namespace dr::cli
