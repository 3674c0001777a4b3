// `ecap-dr backup create|list|show|delete`.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "base/encoding.h"
#include "cli/context.h"
#include "ops/backup_json.h"
#include "ops/backup_json_writer.h"
#include "ops/backup_ops.h"

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
  bool read_all = false;
  bool init = false;
};

// Sum of a "components" object's item counts.
uint64_t ItemCount(const json& components) {
  uint64_t items = 0;
  for (const auto& [name, c] : components.items()) items += c.value("items", uint64_t{0});
  return items;
}

int Create(CliContext& ctx, CreateArgs& args) {
  auto op = ctx.Ops();
  if (!op.ok()) return ctx.Fail(op.status());
  backup::BackupRequest request;
  request.components = args.components;
  request.paths = args.files;
  request.tags = args.tags;
  request.backup_type = args.type;
  request.physical = args.physical;
  request.read_all = args.read_all;
  request.init_repository = args.init;
  if (!args.stdin_name.empty()) {
    op->before_run = [&] {
      if (::isatty(STDIN_FILENO)) {
        return InvalidArgument("--stdin " + args.stdin_name + ": standard input is a terminal; pipe the data in");
      }
      return Status::Ok();
    };
    request.streams.push_back({args.stdin_name, STDIN_FILENO});
  }
  ops::OpResult r = ops::CreateBackup(*op, args.id, request);
  // The id is generated only once the repository is open: an earlier failure has none to name.
  std::string id = r.data.is_object() ? r.data.value("backup_id", "") : "";
  PrintOptions options;
  if (r.data.is_object()) options.error_prefix = (id.empty() ? "the backup" : "backup '" + id + "'") + " failed: ";
  return ctx.Print(r, [&] {
    const json& j = r.data;
    double duration = j["duration_seconds"].get<double>();
    double secs = std::max(duration, 1e-6);
    uint64_t input = j["size_bytes"].get<uint64_t>();
    // The size is what the backup holds: files and objects taken unread from the previous backup count.
    fmt::print("backup {} completed: {} of {}, {} new, {} stored, in {:.1f} s ({}/s)\n", id,
               Count(ItemCount(j["components"]), "item"), HumanBytes(input), HumanBytes(j["new_bytes"].get<uint64_t>()),
               HumanBytes(j["stored_bytes"].get<uint64_t>()), duration, HumanBytes(static_cast<uint64_t>(input / secs)));
  }, options);
}

// `backup show` in words: the summary, then a line per item under its component.
class ShowText {
 public:
  void Begin(const repo::Snapshot& summary) {
    j_ = ops::BackupJson(summary, /*with_items=*/false);
    names_.clear();
    for (const auto& c : summary.components) names_.push_back(c.name);
    cursor_ = std::make_unique<ops::ComponentCursor>(summary);
    auto str = [&](const char* key) { return j_[key].get<std::string>(); };
    fmt::print("backup {}\n  type: {}\n  status: {}\n  start: {}\n  end: {}\n  duration: {:.1f} s\n",
               str("backup_id"), str("backup_type"), str("status"), str("start_time"), str("end_time"),
               j_["duration_seconds"].get<double>());
    fmt::print("  host: {}\n  user: {}\n  size: {} ({} new, {} stored)\n", str("hostname"), str("username"),
               HumanBytes(j_["size_bytes"].get<uint64_t>()), HumanBytes(j_["new_bytes"].get<uint64_t>()),
               HumanBytes(j_["stored_bytes"].get<uint64_t>()));
  }
  void Item(size_t component, const repo::SnapshotItem& i) {
    if (!cursor_->MoveTo(component, [&](size_t c) { Open(c); }, [](size_t) {})) return;
    fmt::print("    {:<8} {:>11}  {}  {}\n", i.kind, i.kind == "dir" ? "" : HumanBytes(i.size),
               i.sha256.empty() ? std::string(16, ' ') : i.sha256.substr(0, 16), i.name);
  }
  void Finish() {
    cursor_->Finish([&](size_t c) { Open(c); }, [](size_t) {});
  }

 private:
  void Open(size_t component) {
    const json& c = j_["components"][names_[component]];
    fmt::print("  component {} ({})\n", names_[component], Count(c["items"].get<uint64_t>(), "item"));
  }
  json j_;
  std::vector<std::string> names_;
  std::unique_ptr<ops::ComponentCursor> cursor_;
};

// Printed as the backup is read (a backup of 100,000 files is not held in
// memory); the audit record is written once all of it was printed. A failure
// after the first line (the output, not the backup: its manifest was read and
// authenticated whole before the first line) leaves the output incomplete and
// is reported on stderr with its exit code.
int Show(CliContext& ctx, ops::OperationContext& op, const std::string& id) {
  bool started = false;
  ShowText text;
  ops::BackupJsonWriter writer(std::cout);
  bool print = ctx.json_output || !ctx.quiet;
  ops::BackupWalk walk{
      .header =
          [&](const repo::Snapshot& summary) {
            started = print;
            if (ctx.json_output) return writer.Begin(summary);
            if (print) text.Begin(summary);
            return Status::Ok();
          },
      .item =
          [&](size_t component, repo::SnapshotItem&& item) {
            if (ctx.json_output) return writer.Item(component, item);
            if (print) text.Item(component, item);
            return Status::Ok();
          }};
  ops::OpResult r = ops::ShowBackup(op, id, walk);
  if (!started) return ctx.Print(r, [] {});
  Status done = r.status;
  if (done.ok()) {
    if (ctx.json_output) {
      done = writer.Finish();
    } else {
      text.Finish();
      std::fflush(stdout);
    }
  }
  ctx.PrintWarnings(r.warnings);
  if (!r.audit_status.ok()) {
    std::cerr << "ecap-dr: error: unable to write the audit record: " << r.audit_status.message() << std::endl;
  }
  if (done.ok()) return 0;
  std::cerr << "ecap-dr: error: " << done.message() << std::endl;
  return done.exit_code();
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
  create->add_flag("--read-all", args->read_all,
                   "files, s3: read every file and object again (default: take those whose size, mtime, ctime and "
                   "inode, or ETag, match the previous backup from it unread)");
  create->add_flag("--init", args->init,
                   "create the repository first if there is none (default: refuse, so that a mistyped "
                   "backup_dir is an error rather than a new empty repository)");
  create->add_option("--type", args->type, "backup type recorded in the catalog")->capture_default_str();
  create->callback([&ctx, args] { ctx.run = [&ctx, args] { return Create(ctx, *args); }; });

  auto* list = backup->add_subcommand("list", "list the backups in the repository, oldest first");
  list->callback([&ctx] {
    ctx.run = [&ctx] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      ops::OpResult r = ops::ListBackups(*op);
      return ctx.Print(r, [&] {
        const json& backups = r.data["backups"];
        uint64_t damaged = r.data["damaged_count"].get<uint64_t>();
        if (backups.empty()) {
          fmt::print("no backups\n");
          return;
        }
        fmt::print("{:<36} {:<8} {:<10} {:<24} {:>11} {:>11}\n", "ID", "TYPE", "STATUS", "START (UTC)", "SIZE",
                   "STORED");
        for (const auto& b : backups) {
          if (b["status"] == "damaged") continue;
          fmt::print("{:<36} {:<8} {:<10} {:<24} {:>11} {:>11}\n", b["backup_id"].get<std::string>(),
                     b["backup_type"].get<std::string>(), b["status"].get<std::string>(),
                     b["start_time"].get<std::string>(), HumanBytes(b["size_bytes"].get<uint64_t>()),
                     HumanBytes(b["stored_bytes"].get<uint64_t>()));
        }
        for (const auto& b : backups) {
          if (b["status"] != "damaged") continue;
          fmt::print("{:<36} {:<8} {:<10} {:<24} {:>11} {:>11}\n", b["backup_id"].get<std::string>(), "?", "DAMAGED",
                     "?", "?", "?");
        }
        if (damaged > 0) {
          fmt::print("{} cannot be read (see the warnings above; 'ecap-dr repo check' tells more)\n",
                     Count(damaged, "damaged backup"));
        }
      });
    };
  });

  auto show_id = std::make_shared<std::string>();
  auto* show = backup->add_subcommand("show", "show one backup: components, items, sizes, checksums");
  show->add_option("backup_id", *show_id, "the backup to show")->required();
  show->callback([&ctx, show_id] {
    ctx.run = [&ctx, show_id] {
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      return Show(ctx, *op, *show_id);
    };
  });

  for (bool pin : {true, false}) {
    auto pin_id = std::make_shared<std::string>();
    auto* cmd = backup->add_subcommand(pin ? "pin" : "unpin", pin ? "keep a backup whatever retention says (tag 'pinned')"
                                                                   : "let retention expire a pinned backup again");
    cmd->add_option("backup_id", *pin_id, "the backup")->required();
    cmd->callback([&ctx, pin_id, pin] {
      ctx.run = [&ctx, pin_id, pin] {
        auto op = ctx.Ops();
        if (!op.ok()) return ctx.Fail(op.status());
        return ctx.Print(ops::PinBackup(*op, *pin_id, pin), [&] {
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
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      return ctx.Print(ops::DeleteBackup(*op, *delete_id), [&] { fmt::print("deleted backup {}\n", *delete_id); });
    };
  });
}

}  // namespace dr::cli
