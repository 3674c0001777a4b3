// `ecap-dr backup create|list|show|delete`.
#include <unistd.h>

#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "base/encoding.h"
#include "cli/context.h"

namespace dr::cli {

using nlohmann::json;

namespace {

struct CreateArgs {
  std::vector<std::string> components;
  std::string id;
  std::vector<std::string> files;
  std::string stdin_name;
  std::vector<std::string> tags;
  std::string type = "full";
  bool physical = false;
  bool init = false;
};

json SnapshotSummary(const repo::Snapshot& s) {
  json comps = json::object();
  for (const auto& c : s.components) comps[c.name] = {{"items", c.item_count}, {"size_bytes", c.item_bytes}};
  return json{{"backup_id", s.backup_id},   {"backup_type", s.backup_type}, {"status", s.status},
              {"start_time", s.start_time}, {"end_time", s.end_time},     {"duration_seconds", s.duration_seconds},
              {"tags", s.tags},             {"hostname", s.hostname},     {"username", s.username},
              {"size_bytes", s.stats.input_bytes}, {"stored_bytes", s.stats.stored_bytes},
              {"components", comps}};
}

int Create(CliContext& ctx, CreateArgs& args) {
  if (Status denied = ctx.Authorize("backup.create", args.id); !denied.ok()) return ctx.Fail(denied);
  auto manager = ctx.NewManager();
  if (!manager.ok()) return ctx.Fail(manager.status());
  backup::BackupRequest request;
  request.components = args.components;
  request.paths = args.files;
  request.tags = args.tags;
  request.backup_type = args.type;
  request.physical = args.physical;
  request.init_repository = args.init;
  if (!args.stdin_name.empty()) {
    if (::isatty(STDIN_FILENO)) {
      return ctx.Fail(InvalidArgument("--stdin " + args.stdin_name + ": standard input is a terminal; pipe the data in"));
    }
    request.streams.push_back({args.stdin_name, STDIN_FILENO});
  }
  backup::BackupResult r = (*manager)->CreateFullBackup(args.id, request);
  ctx.PrintWarnings(r.warnings);
  if (!r.error.ok()) {
    if (Status logged = ctx.Outcome(r.error, {{"backup_id", r.backup_id}}); !logged.ok()) {
      std::cerr << "ecap-dr: error: unable to write the audit record: " << logged.message() << std::endl;
    }
    // The id is generated only once the repository is open: an earlier failure has none to name.
    std::string what = r.backup_id.empty() ? "the backup" : "backup '" + r.backup_id + "'";
    std::cerr << "ecap-dr: error: " << what << " failed: " << r.error.message() << std::endl;
    if (ctx.json_output) std::cout << r.ToJson().dump(2) << std::endl;
    return r.error.exit_code();
  }
  return ctx.Succeed(r.ToJson(), [&] {
    uint64_t items = 0;
    for (const auto& c : r.components) items += c.items;
    double secs = std::max(r.duration_seconds, 1e-6);
    fmt::print("backup {} completed: {}, {} read, {} new, {} stored, in {:.1f} s ({}/s)\n", r.backup_id, Count(items, "item"),
               HumanBytes(r.stats.input_bytes), HumanBytes(r.stats.new_bytes), HumanBytes(r.stats.stored_bytes),
               r.duration_seconds, HumanBytes(static_cast<uint64_t>(r.stats.input_bytes / secs)));
  });
}

}  // namespace

void RegisterBackupCommands(CLI::App& app, CliContext& ctx) {
  auto* backup = app.add_subcommand("backup", "create, list, show and delete backups");
  backup->require_subcommand(1);

  auto args = std::make_shared<CreateArgs>();
  auto* create = backup->add_subcommand(
      "create", "back up PostgreSQL, the S3 data lake, Kafka, files and standard input into the repository");
  create->add_option("--component", args->components,
                     "what to back up: files, postgresql, s3, kafka; repeatable (default: --files/--stdin if given, "
                     "else every configured component)");
  create->add_option("--id", args->id, "backup id (default: <type>_<UTC time>, e.g. full_20261126T104100Z)");
  create->add_option("--files", args->files, "files or directories to back up (default: files.paths)")
      ->expected(1, -1);
  create->add_option("--stdin", args->stdin_name, "also back up standard input, as an item of this name");
  create->add_option("--tag", args->tags, "tag the backup (daily, weekly, monthly, ...); repeatable");
  create->add_flag("--physical", args->physical,
                   "postgresql: a physical base backup (pg_basebackup) for point-in-time recovery with the WAL "
                   "archive, instead of pg_dump");
  create->add_flag("--init", args->init,
                   "create the repository first if there is none (default: refuse, so that a mistyped "
                   "backup_dir is an error rather than a new empty repository)");
  create->add_option("--type", args->type, "backup type recorded in the catalog")->capture_default_str();
  create->callback([&ctx, args] { ctx.run = [&ctx, args] { return Create(ctx, *args); }; });

  auto* list = backup->add_subcommand("list", "list the backups in the repository, oldest first");
  list->callback([&ctx] {
    ctx.run = [&ctx] {
      if (Status denied = ctx.Authorize("backup.list", ""); !denied.ok()) return ctx.Fail(denied);
      auto manager = ctx.NewManager();
      if (!manager.ok()) return ctx.Fail(manager.status());
      auto listing = (*manager)->ListAllBackups();
      ctx.PrintWarnings((*manager)->warnings());
      if (!listing.ok()) return ctx.Fail(listing.status());
      const auto& backups = listing->backups;
      // A damaged snapshot is listed and marked, never a reason to hide the others.
      json j = json::array();
      for (const auto& s : backups) j.push_back(SnapshotSummary(s));
      for (const auto& d : listing->damaged) {
        j.push_back({{"backup_id", d.backup_id},
                     {"status", "damaged"},
                     {"error", {{"code", d.error.code_name()}, {"message", d.error.message()}}}});
        ctx.Warn("backup '" + d.backup_id + "' is damaged: " + d.error.message());
      }
      json result{{"backups", j}, {"damaged_count", listing->damaged.size()}};
      return ctx.Succeed(result, [&] {
        if (backups.empty() && listing->damaged.empty()) {
          fmt::print("no backups\n");
          return;
        }
        fmt::print("{:<36} {:<8} {:<10} {:<24} {:>11} {:>11}\n", "ID", "TYPE", "STATUS", "START (UTC)", "SIZE",
                   "STORED");
        for (const auto& s : backups) {
          fmt::print("{:<36} {:<8} {:<10} {:<24} {:>11} {:>11}\n", s.backup_id, s.backup_type, s.status, s.start_time,
                     HumanBytes(s.stats.input_bytes), HumanBytes(s.stats.stored_bytes));
        }
        for (const auto& d : listing->damaged) {
          fmt::print("{:<36} {:<8} {:<10} {:<24} {:>11} {:>11}\n", d.backup_id, "?", "DAMAGED", "?", "?", "?");
        }
        if (!listing->damaged.empty()) {
          fmt::print("{} cannot be read (see the warnings above; 'ecap-dr repo check' tells more)\n",
                     Count(listing->damaged.size(), "damaged backup"));
        }
      });
    };
  });

  auto show_id = std::make_shared<std::string>();
  auto* show = backup->add_subcommand("show", "show one backup: components, items, sizes, checksums");
  show->add_option("backup_id", *show_id, "the backup to show")->required();
  show->callback([&ctx, show_id] {
    ctx.run = [&ctx, show_id] {
      if (Status denied = ctx.Authorize("backup.list", *show_id); !denied.ok()) return ctx.Fail(denied);
      auto manager = ctx.NewManager();
      if (!manager.ok()) return ctx.Fail(manager.status());
      auto s = (*manager)->GetBackup(*show_id);
      if (!s.ok()) return ctx.Fail(s.status());
      json j = s->ToJson(/*with_blobs=*/false);
      return ctx.Succeed(j, [&] {
        fmt::print("backup {}\n  type: {}\n  status: {}\n  start: {}\n  end: {}\n  duration: {:.1f} s\n", s->backup_id,
                   s->backup_type, s->status, s->start_time, s->end_time, s->duration_seconds);
        fmt::print("  host: {}\n  user: {}\n  size: {} read, {} new, {} stored\n", s->hostname, s->username,
                   HumanBytes(s->stats.input_bytes), HumanBytes(s->stats.new_bytes), HumanBytes(s->stats.stored_bytes));
        for (const auto& c : s->components) {
          fmt::print("  component {} ({})\n", c.name, Count(c.items.size(), "item"));
          for (const auto& i : c.items) {
            fmt::print("    {:<8} {:>11}  {}  {}\n", i.kind, i.kind == "dir" ? "" : HumanBytes(i.size),
                       i.sha256.empty() ? std::string(16, ' ') : i.sha256.substr(0, 16), i.name);
          }
        }
      });
    };
  });

  for (bool pin : {true, false}) {
    auto pin_id = std::make_shared<std::string>();
    auto* cmd = backup->add_subcommand(pin ? "pin" : "unpin", pin ? "keep a backup whatever retention says (tag 'pinned')"
                                                                   : "let retention expire a pinned backup again");
    cmd->add_option("backup_id", *pin_id, "the backup")->required();
    cmd->callback([&ctx, pin_id, pin] {
      ctx.run = [&ctx, pin_id, pin] {
        if (Status denied = ctx.Authorize("backup.pin", *pin_id); !denied.ok()) return ctx.Fail(denied);
        auto manager = ctx.NewManager();
        if (!manager.ok()) return ctx.Fail(manager.status());
        auto s = (*manager)->PinBackup(*pin_id, pin);
        if (Status logged = ctx.Outcome(s.status(), {{"pinned", pin}}); !logged.ok()) return ctx.Fail(logged);
        if (!s.ok()) return ctx.Fail(s.status());
        return ctx.Succeed(json{{"backup_id", *pin_id}, {"pinned", pin}, {"tags", s->tags}}, [&] {
          fmt::print("backup {} {}\n", *pin_id, pin ? "pinned: retention keeps it" : "unpinned");
        });
      };
    });
  }

  auto delete_id = std::make_shared<std::string>();
  auto* del = backup->add_subcommand("delete", "delete a backup (its data is freed by 'retention apply')");
  del->add_option("backup_id", *delete_id, "the backup to delete")->required();
  del->callback([&ctx, delete_id] {
    ctx.run = [&ctx, delete_id] {
      if (Status denied = ctx.Authorize("backup.delete", *delete_id); !denied.ok()) return ctx.Fail(denied);
      auto manager = ctx.NewManager();
      if (!manager.ok()) return ctx.Fail(manager.status());
      Status s = (*manager)->DeleteBackup(*delete_id);
      if (!s.ok()) return ctx.Fail(s);
      return ctx.Succeed(json{{"status", "completed"}, {"backup_id", *delete_id}},
                         [&] { fmt::print("deleted backup {}\n", *delete_id); });
    };
  });
}

}  // namespace dr::cli
