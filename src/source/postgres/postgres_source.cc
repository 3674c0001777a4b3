#include "source/postgres/postgres_source.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <future>

#include "base/crypto.h"
#include "base/encoding.h"
#include "base/fs.h"
#include "base/subprocess.h"
#include "source/postgres/database_properties.h"
#include "source/postgres/row_counts.h"

namespace dr::source {

using nlohmann::json;

namespace {

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Streams a child's stdout into the writer as one item, then checks how the child ended.
// `amend` adds to the item's meta once the stream is consumed (ItemWriter::AddStream).
Status StreamChild(ItemWriter& writer, ItemHeader header, const SubprocessOptions& options,
                   const std::function<void(json&)>& amend = {}) {
  DR_ASSIGN_OR_RETURN(auto child, Subprocess::Start(options));
  FdSource out(child->stdout_fd(), header.name);
  std::string name = header.name;
  Status stored;
  {
    // A cancelled backup stops the child: pg_dump waiting for a table lock
    // writes nothing, so the read would wait as long as the lock is held.
    std::stop_callback stop_child(writer.stop_token(), [&child] { child->Kill(SIGKILL); });
    stored = writer.AddStream(std::move(header), out, amend);
  }
  if (!stored.ok()) child->Kill(SIGKILL);
  child->CloseStdout();
  DR_ASSIGN_OR_RETURN(int code, child->Wait());
  if (writer.stop_token().stop_requested()) return Status(Code::kCancelled, "dump of '" + name + "' cancelled");
  if (!stored.ok()) return stored;
  if (code != 0) return child->ExitError(code).WithContext("dump of '" + name + "'");
  return Status::Ok();
}

}  // namespace

Status PostgresSource::DumpGlobals(ItemWriter& writer, const std::string& dumpall) {
  SubprocessOptions opts{.argv = Concat({dumpall, "--globals-only"}, options_.server.ToolArgs()),
                         .env = options_.server.ToolEnv()};
  return StreamChild(writer, {"globals.sql", "pg_globals", json::object()}, opts);
}

Status PostgresSource::BackupPhysical(ItemWriter& writer) {
  const auto& server = options_.server;
  DR_ASSIGN_OR_RETURN(auto conn, pg::Connection::Open(server, "postgres"));
  int server_version = conn->server_version();
  DR_ASSIGN_OR_RETURN(std::string basebackup, pg::ToolPath(server, "pg_basebackup"));
  DR_ASSIGN_OR_RETURN(int tool_version, pg::ToolVersion(basebackup));
  if (tool_version / 10000 != server_version / 10000) {
    return Failed("pg_basebackup " + pg::VersionString(tool_version) + " (" + basebackup +
                  ") does not match the server " + pg::VersionString(server_version) + " at " + server.Where() +
                  "; physical backups need the server's major version");
  }
  auto position = [&]() -> Result<std::vector<std::string>> {
    DR_ASSIGN_OR_RETURN(auto rows, conn->Query("select pg_current_wal_lsn()::text, pg_walfile_name(pg_current_wal_lsn()), "
                                               "(select timeline_id from pg_control_checkpoint())::text, now()::text"));
    return rows.at(0);
  };
  // The positions around the base backup bound the WAL it needs: never less
  // than from start_wal on (retention keeps that much), the rest is in the tar.
  DR_ASSIGN_OR_RETURN(auto start, position());
  SubprocessOptions opts{.argv = Concat({basebackup, "-D", "-", "-Ft", "-X", "fetch", "-c", "fast"}, server.ToolArgs()),
                         .env = server.ToolEnv()};
  json meta{{"mode", "physical"}, {"server_version", pg::VersionString(server_version)}};
  DR_RETURN_IF_ERROR(StreamChild(writer, {"base.tar", "pg_basebackup", meta}, opts));
  DR_ASSIGN_OR_RETURN(auto stop, position());
  writer.SetComponentMeta({{"mode", "physical"},
                           {"host", server.host},
                           {"port", server.port},
                           {"server_version", pg::VersionString(server_version)},
                           {"start_lsn", start[0]},
                           {"start_wal", start[1]},
                           {"timeline", std::stoi(start[2])},
                           {"start_time", start[3]},
                           {"stop_lsn", stop[0]},
                           {"stop_wal", stop[1]},
                           {"stop_time", stop[3]}});
  return Status::Ok();
}

Status PostgresSource::Backup(ItemWriter& writer) {
  if (options_.physical) return BackupPhysical(writer);
  const auto& server = options_.server;
  if (options_.databases.empty()) return ConfigError("no database to back up: set postgresql.database or postgresql.databases");
  DR_ASSIGN_OR_RETURN(auto conn, pg::Connection::Open(server, options_.databases.front()));
  int server_version = conn->server_version();
  DR_ASSIGN_OR_RETURN(std::string pg_dump, pg::ToolPath(server, "pg_dump"));
  DR_ASSIGN_OR_RETURN(std::string pg_dumpall, pg::ToolPath(server, "pg_dumpall"));
  DR_ASSIGN_OR_RETURN(int dump_version, pg::ToolVersion(pg_dump));
  if (dump_version / 10000 < server_version / 10000) {
    return Failed("pg_dump " + pg::VersionString(dump_version) + " (" + pg_dump + ") is older than the server " +
                  pg::VersionString(server_version) + " at " + server.Where() +
                  "; install a pg_dump of version " + std::to_string(server_version / 10000) +
                  " or newer, or set postgresql.bin_dir");
  }
  writer.SetComponentMeta({{"host", server.host},
                           {"port", server.port},
                           {"server_version", pg::VersionString(server_version)},
                           {"pg_dump_version", pg::VersionString(dump_version)},
                           {"databases", options_.databases}});
  DR_RETURN_IF_ERROR(DumpGlobals(writer, pg_dumpall));
  for (const auto& db : options_.databases) {
    auto db_conn = pg::Connection::Open(server, db);
    if (!db_conn.ok()) return db_conn.status();
    DR_ASSIGN_OR_RETURN(std::string size, (*db_conn)->QueryValue("select pg_database_size(current_database())"));
    // pg_restore -d applies none of these (only pg_restore --create, which cannot rename): recorded apart.
    DR_ASSIGN_OR_RETURN(json properties, pg::ReadDatabaseProperties(**db_conn, db));
    json meta{{"database", db},
              {"database_properties", properties},
              {"format", "custom"},
              {"server_version", pg::VersionString(server_version)},
              {"pg_dump_version", pg::VersionString(dump_version)},
              {"size_bytes", std::stoull(size.empty() ? "0" : size)}};
    // -Z0: pg_dump's own gzip would defeat deduplication and cost more CPU than zstd.
    SubprocessOptions opts{.argv = Concat({pg_dump, "-Fc", "-Z0", "-d", db}, server.ToolArgs()),
                           .env = server.ToolEnv()};
    DR_RETURN_IF_ERROR(DumpDatabase(writer, db, std::move(meta), std::move(opts)));
  }
  return Status::Ok();
}

// One database's dump, and (count_rows) its tables' row counts in the dump's
// own snapshot. One transaction exports its snapshot and stays idle, holding
// it, until pg_dump is done; pg_dump runs on it (--snapshot). The rows are
// counted beside the dump on a second connection that imports the same
// snapshot and locks its tables first (as pg_dump does, so a TRUNCATE cannot
// empty one under it), and commits as soon as it is done: an error while
// counting aborts only that transaction, never the snapshot pg_dump imports,
// and no lock of the count outlives it. Counts that could not be taken leave
// the reason in the meta and the dump as it is.
Status PostgresSource::DumpDatabase(ItemWriter& writer, const std::string& db, json meta, SubprocessOptions opts) {
  std::unique_ptr<pg::Connection> exporter, counter;
  std::function<void()> cancel_count;
  if (options_.count_rows) {
    auto snapshot = [&]() -> Result<std::string> {
      DR_ASSIGN_OR_RETURN(exporter, pg::Connection::Open(options_.server, db));
      DR_RETURN_IF_ERROR(exporter->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"));
      DR_ASSIGN_OR_RETURN(std::string id, exporter->QueryValue("SELECT pg_export_snapshot()"));
      DR_ASSIGN_OR_RETURN(counter, pg::Connection::Open(options_.server, db));
      // No limit of the role's or the database's may cut a count of a large table short.
      DR_RETURN_IF_ERROR(counter->Exec("SET statement_timeout = 0"));
      DR_RETURN_IF_ERROR(counter->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"));
      DR_RETURN_IF_ERROR(counter->Exec("SET TRANSACTION SNAPSHOT " + counter->QuoteLiteral(id)));
      return id;
    }();
    if (snapshot.ok()) {
      opts.argv.push_back("--snapshot=" + *snapshot);
      cancel_count = counter->MakeCanceller();  // on this thread, before the counting starts
    } else {
      meta["row_counts_error"] = snapshot.status().message();
      counter.reset();
      exporter.reset();  // no --snapshot: pg_dump takes its own, as without count_rows
    }
  }
  std::stop_source stop_counting;
  std::future<Result<json>> counting;
  if (counter) {
    counting = std::async(std::launch::async, [&counter, stop = stop_counting.get_token()] {
      auto counted = CountRows(*counter, stop, /*lock=*/true);
      (void)counter->Exec("COMMIT");  // the count's locks go now, not with the dump
      return counted;
    });
  }
  auto stop_count = [&] {
    stop_counting.request_stop();  // before the cancel: a cancel between two counts would be lost
    if (cancel_count) cancel_count();
  };
  Status dumped;
  {
    // A cancelled backup stops the counting too (a count of a large table would hold it).
    std::stop_callback on_stop(writer.stop_token(), stop_count);
    dumped = StreamChild(writer, {db + ".dump", "pg_dump", meta}, opts, [&](json& m) {
      if (!counting.valid()) return;
      auto c = counting.get();
      if (c.ok()) {
        m["row_counts"] = std::move(*c);
      } else if (c.status().code() != Code::kCancelled) {
        m["row_counts_error"] = c.status().message();
      }
    });
  }
  if (counting.valid()) {  // the dump failed before its stream was consumed: stop the counting and wait for it
    stop_count();
    (void)counting.get();
  }
  return dumped;
}

namespace {

// The name a new database is filled under: the final name plus a suffix that
// says it is incomplete, cut (at a character boundary) to PostgreSQL's 63 bytes.
std::string PartialName(const std::string& db) {
  const std::string suffix = "_ecap_dr_partial";
  std::string base = db;
  if (base.size() + suffix.size() > 63) {
    size_t cut = 63 - suffix.size();
    while (cut > 0 && (static_cast<unsigned char>(base[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
    base.resize(cut);
  }
  return base + suffix;
}

// Whether a database holds any user relation (tables, views, sequences, ...).
Result<bool> HasUserObjects(pg::Connection& conn) {
  auto count = conn.QueryValue("select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                               "where n.nspname not in ('pg_catalog', 'information_schema') "
                               "and n.nspname not like 'pg_toast%' and c.relkind in ('r','v','m','S','f','p')");
  if (!count.ok()) return count.status();
  return *count != "0";
}

// Remembers whether a write into the child failed: then the child ended first
// and its own error says why; otherwise a failed ReadItem is the backup's fault.
class ChildSink : public ByteSink {
 public:
  ChildSink(int fd, std::string name) : sink_(fd, std::move(name)) {}
  Status Write(std::string_view data) override {
    Status s = sink_.Write(data);
    if (!s.ok()) failed_ = true;
    return s;
  }
  bool failed() const { return failed_; }

 private:
  FdSink sink_;
  bool failed_ = false;
};

// A client tool's failure; one the server refused for lack of privilege is
// kPermissionDenied (exit 3). The tools say so only in their message.
Status ToolError(Status s) {
  if (s.message().find("permission denied") != std::string::npos ||
      s.message().find("must be owner of") != std::string::npos) {
    return Status(Code::kPermissionDenied, s.message());
  }
  return s;
}

// Runs `during` (which feeds the child, or nothing) and waits for the child's
// end. A cancelled restore kills the child at once: a pg_restore waiting for a
// lock in the target database would otherwise hold the daemon's shutdown for
// as long as the lock is held. kCancelled when stopped.
Result<int> FinishChild(Subprocess& child, std::stop_token stop, const std::string& what,
                        const std::function<void()>& during) {
  Result<int> code = 0;
  std::atomic<bool> killed{false};
  {
    // The whole tree: pg_restore -j's workers wait on locks too.
    std::stop_callback stop_child(stop, [&child, &killed] { killed = child.KillTree(SIGKILL); });
    during();
    child.CloseStdin();
    code = child.Wait();
  }
  // Cancelled only if the child was stopped: one that had ended by itself did its work.
  if (killed) return Status(Code::kCancelled, what + " cancelled");
  return code;
}

// Feeds an item into a child's stdin (pg_restore, psql, tar) and checks the child's exit.
Status FeedChild(ItemReader& reader, const repo::SnapshotItem& item, const SubprocessOptions& options) {
  // A child that exits early must not kill us with SIGPIPE; the write error and its exit code say why.
  ::signal(SIGPIPE, SIG_IGN);
  DR_ASSIGN_OR_RETURN(auto child, Subprocess::Start(options));
  ChildSink sink(child->stdin_fd(), options.argv[0]);
  Status fed;
  // Closing stdin early (a failed read) ends the child on a truncated input: pg_restore -1 rolls back.
  DR_ASSIGN_OR_RETURN(int code, FinishChild(*child, reader.stop_token(), "restore of item '" + item.name + "'",
                                            [&] { fed = reader.ReadItem(item, sink); }));
  // The read failed (a corrupt or unreadable blob): that is the cause, with its
  // own exit code (4, 5); the child only saw its input end.
  // (ReadItem names the item in its own errors.)
  if (!fed.ok() && !sink.failed()) return fed;
  if (code != 0) return ToolError(child->ExitError(code)).WithContext("item '" + item.name + "'");
  return fed;
}

// Ends the server sessions a killed restore child left in `db`
// (application_name `app`): one waiting for a lock would keep its place in the
// lock's queue, and so block the table's readers, until the lock holder
// commits. "" when done, else what the caller should say.
std::string EndSessionsOf(pg::Connection& admin, const std::string& app, const std::string& db) {
  Status ended = admin.QueryValue("select count(pg_terminate_backend(pid)) from pg_stat_activity "
                                  "where application_name = $1 and datname = $2",
                                  {app, db})
                     .status();
  return ended.ok() ? "" : "; its server sessions may still wait (unable to end them: " + ended.message() + ")";
}

// Names pg_restore's sessions uniquely: several restores may run at once in
// one daemon, and daemons of several hosts against one server.
std::string RestoreSessionName() {
  static std::atomic<uint64_t> restores{0};
  static const std::string process = HexEncode(crypto::RandomBytes(4));
  return "ecap-dr-restore-" + process + "-" + std::to_string(++restores);
}

}  // namespace

namespace {

// Quotes a value for postgresql.conf.
std::string ConfValue(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// The value of the last `name = value` line of a postgresql.conf text (quotes
// removed), or "" when none sets it: later lines win, as in the server.
std::string LastSetting(const std::string& text, const std::string& name) {
  std::string value;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    size_t i = line.find_first_not_of(" \t");
    if (i == std::string_view::npos || line.compare(i, name.size(), name) != 0) continue;
    i += name.size();
    if (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '=') continue;  // a longer name
    i = line.find_first_not_of(" \t=", i);
    if (i == std::string_view::npos) continue;
    if (line[i] == '\'') {
      std::string v;
      for (size_t j = i + 1; j < line.size(); ++j) {
        if (line[j] == '\'' && j + 1 < line.size() && line[j + 1] == '\'') {
          v += '\'';
          ++j;
        } else if (line[j] == '\'') {
          break;
        } else {
          v += line[j];
        }
      }
      value = v;
    } else {
      size_t stop = line.find_first_of(" \t#", i);
      value = std::string(line.substr(i, stop == std::string_view::npos ? std::string_view::npos : stop - i));
    }
  }
  return value;
}

Result<PostgresRestoreStats> RestorePhysical(const repo::SnapshotItem& base, ItemReader& reader,
                                             const PostgresRestoreOptions& options) {
  namespace fs = std::filesystem;
  const std::string& dir = options.pgdata;
  if (dir.empty()) return InvalidArgument("a physical backup restores into a data directory: give --pgdata DIR");
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    return AlreadyExists("data directory '" + dir + "' is not empty; restore into a new or empty directory");
  }
  int targets = !options.target_time.empty() + !options.target_lsn.empty() + !options.target_name.empty() +
                options.target_immediate;
  if (targets > 1) return InvalidArgument("give at most one of --target-time, --target-lsn, --target-name, --target-immediate");
  if (options.target_action != "promote" && options.target_action != "pause" && options.target_action != "shutdown") {
    return InvalidArgument("--target-action must be promote, pause or shutdown, not '" + options.target_action + "'");
  }
  DR_RETURN_IF_ERROR(MakeDirs(dir, 0700));
  ::chmod(dir.c_str(), 0700);  // PostgreSQL refuses a data directory others can read
  Status s = FeedChild(reader, base, {.argv = {"tar", "-x", "-C", dir}, .pipe_stdin = true, .pipe_stdout = false});
  if (!s.ok()) return s.WithContext("unpack the base backup into '" + dir + "'");
  PostgresRestoreStats stats;
  if (fs::remove(dir + "/standby.signal", ec)) stats.changed.push_back("standby.signal removed (the copy recovers, then runs on its own)");
  fs::remove(dir + "/postmaster.pid", ec);
  std::string auto_conf = dir + "/postgresql.auto.conf";
  auto existing = ReadFile(auto_conf);
  std::string conf = "\n# Written by ecap-dr restore: recover from the WAL archive.\n";
  conf += "restore_command = " + ConfValue(options.restore_command) + "\n";
  stats.changed.push_back("restore_command = " + ConfValue(options.restore_command));
  if (!options.keep_archiving) {
    // The copy must not archive into the source's archive: once promoted it
    // would push a new timeline's WAL beside production's (pgBackRest's
    // default too). postgresql.auto.conf is read last, so this wins.
    auto main_conf = ReadFile(dir + "/postgresql.conf");
    std::string was = LastSetting(existing.ok() ? *existing : "", "archive_mode");
    if (was.empty()) was = LastSetting(main_conf.ok() ? *main_conf : "", "archive_mode");
    conf += "archive_mode = 'off'\n";
    stats.changed.push_back("archive_mode = off (the backup had " + (was.empty() ? std::string("the default, off") : was) +
                            "; --keep-archiving keeps the backup's archive settings)");
  }
  if (!options.target_time.empty()) conf += "recovery_target_time = " + ConfValue(options.target_time) + "\n";
  if (!options.target_lsn.empty()) conf += "recovery_target_lsn = " + ConfValue(options.target_lsn) + "\n";
  if (!options.target_name.empty()) conf += "recovery_target_name = " + ConfValue(options.target_name) + "\n";
  if (options.target_immediate) conf += "recovery_target = 'immediate'\n";
  if (targets > 0) conf += "recovery_target_action = " + ConfValue(options.target_action) + "\n";
  for (const char* key : {"recovery_target_time", "recovery_target_lsn", "recovery_target_name", "recovery_target",
                          "recovery_target_action"}) {
    std::string line = LastSetting(conf, key);
    if (!line.empty()) stats.changed.push_back(std::string(key) + " = " + line);
  }
  DR_RETURN_IF_ERROR(WriteFileAtomic(auto_conf, (existing.ok() ? *existing : std::string()) + conf,
                                     {.mode = 0600, .overwrite = true, .sync = true}));
  DR_RETURN_IF_ERROR(WriteFileAtomic(dir + "/recovery.signal", "", {.mode = 0600, .overwrite = true, .sync = true}));
  // Run as root, hand the directory to whoever owns its parent (postgres, in a
  // standard layout): the server refuses to start on files it does not own.
  if (::geteuid() == 0) {
    struct stat parent {};
    std::string parent_dir = fs::path(fs::absolute(dir)).parent_path().string();
    if (::stat(parent_dir.c_str(), &parent) == 0 && parent.st_uid != 0) {
      for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); ++it) {
        if (::lchown(it->path().c_str(), parent.st_uid, parent.st_gid) != 0) break;
      }
      if (::chown(dir.c_str(), parent.st_uid, parent.st_gid) != 0) {
        return ErrnoStatus(errno, "unable to give '" + dir + "' to the owner of '" + parent_dir + "'");
      }
    }
  }
  stats.changed.push_back("recovery.signal created (the server recovers from the archive when started)");
  stats.databases = 1;
  stats.bytes = base.size;
  stats.pgdata = dir;
  return stats;
}

}  // namespace

Result<PostgresRestoreStats> RestorePostgres(const repo::SnapshotComponent& component, ItemReader& reader,
                                             const PostgresRestoreOptions& options) {
  for (const auto& item : component.items) {
    if (item.kind == "pg_basebackup") return RestorePhysical(item, reader, options);
  }
  if (!options.pgdata.empty()) {
    return InvalidArgument("--pgdata needs a physical backup (backup create --physical); this one is logical");
  }
  const auto& server = options.server;
  std::vector<const repo::SnapshotItem*> dumps;
  const repo::SnapshotItem* globals = nullptr;
  for (const auto& item : component.items) {
    if (item.kind == "pg_globals") globals = &item;
    if (item.kind != "pg_dump") continue;
    std::string db = item.meta.value("database", "");
    bool wanted = options.databases.empty() ||
                  std::find(options.databases.begin(), options.databases.end(), db) != options.databases.end();
    if (wanted) dumps.push_back(&item);
  }
  for (const auto& want : options.databases) {
    bool found = std::any_of(dumps.begin(), dumps.end(), [&](const auto* d) { return d->meta.value("database", "") == want; });
    if (!found) return NotFound("the backup holds no dump of database '" + want + "'");
  }
  if (dumps.empty()) return NotFound("the backup holds no dump of the selected database(s)");
  if (!options.target_db.empty() && dumps.size() != 1) {
    return InvalidArgument("--target-db needs exactly one database; the backup has " + std::to_string(dumps.size()) +
                           " (choose one with --database)");
  }
  std::string item_names;
  for (const auto* d : dumps) item_names += (item_names.empty() ? "'" : ", '") + d->name + "'";
  DR_ASSIGN_OR_RETURN(std::string pg_restore, pg::ToolPath(server, "pg_restore"));
  auto admin_or = pg::Connection::Open(server, "postgres");
  if (!admin_or.ok()) return admin_or.status().WithContext("restore item " + item_names);
  auto& admin = *admin_or;
  PostgresRestoreStats stats;
  if (options.globals && globals != nullptr) {
    DR_ASSIGN_OR_RETURN(std::string psql, pg::ToolPath(server, "psql"));
    // Roles that exist already make psql report errors it then skips; the rest applies.
    SubprocessOptions opts{.argv = Concat({psql, "-q", "-d", "postgres"}, server.ToolArgs()),
                           .env = server.ToolEnv(), .pipe_stdin = true, .pipe_stdout = false};
    DR_RETURN_IF_ERROR(FeedChild(reader, *globals, opts).WithContext("restore globals"));
  }
  for (const auto* item : dumps) {
    std::string source_db = item->meta.value("database", "");
    std::string db = options.target_db.empty() ? source_db : options.target_db;
    std::string where = "database '" + db + "' on " + server.Where();
    // Null for a backup made before the properties were recorded.
    const json properties = item->meta.value("database_properties", json());
    DR_ASSIGN_OR_RETURN(std::string exists, admin->QueryValue("select count(*) from pg_database where datname = $1", {db}));
    bool created = false;
    // The database pg_restore fills: the final one when it existed, else a new
    // one under a name that says it is incomplete, renamed once filled, so an
    // interrupted restore never leaves a half-filled database under the final name.
    std::string fill = db;
    if (exists != "0") {
      DR_ASSIGN_OR_RETURN(auto conn, pg::Connection::Open(server, db));
      DR_ASSIGN_OR_RETURN(bool busy, HasUserObjects(*conn));
      if (busy && !options.clean) {
        return AlreadyExists(where + " is not empty; restore into another database with --target-db, "
                             "or use --clean to drop and re-create the objects the backup holds");
      }
      if (properties.is_object()) {
        stats.warnings.push_back(where + " existed before the restore: its owner, privileges and settings were left "
                                 "as they are (the backup's owner is '" + properties.value("owner", "") + "')");
      }
    } else {
      fill = PartialName(db);
      DR_ASSIGN_OR_RETURN(std::string left,
                          admin->QueryValue("select count(*) from pg_database where datname = $1", {fill}));
      if (left != "0") {
        return AlreadyExists("database '" + fill + "' on " + server.Where() + " is left from an interrupted restore "
                             "into '" + db + "'; drop it (dropdb '" + fill + "') and restore again");
      }
      Status made = admin->Exec(pg::CreateDatabaseSql(*admin, fill, properties));
      if (!made.ok() && made.code() != Code::kPermissionDenied && properties.is_object()) {
        // The recorded locale or tablespace may not exist on this server: the data still restores.
        Status plain = admin->Exec(pg::CreateDatabaseSql(*admin, fill, json()));
        if (plain.ok()) {
          stats.warnings.push_back(where + " was created with the server's default encoding, locale and tablespace, "
                                   "not the backup's (" + properties.value("encoding", "") + ", " +
                                   properties.value("collate", "") + "): " + made.message());
        }
        made = plain;
      }
      DR_RETURN_IF_ERROR(made.WithContext("restore item '" + item->name + "': create " + where));
      created = true;
      if (!properties.is_object()) {
        stats.warnings.push_back("the backup of database '" + source_db + "' was made before ecap-dr recorded database "
                                 "properties: " + where + " has the server's default owner, privileges and settings");
      }
    }
    std::vector<std::string> args = Concat({pg_restore, "--exit-on-error", "-d", fill}, server.ToolArgs());
    if (options.clean) {
      args.push_back("--clean");
      args.push_back("--if-exists");
    }
    // pg_restore's sessions carry a name of their own, to be found again when the restore is cancelled.
    std::string app = RestoreSessionName();
    std::vector<std::string> env = server.ToolEnv();
    env.push_back("PGAPPNAME=" + app);
    Status s;
    if (options.jobs > 1) {
      // pg_restore -j needs a seekable file: stage the dump, restore it, remove it.
      // A database name may hold '/': it must not become a directory in the staged file's name.
      std::string file_db = source_db;
      std::replace(file_db.begin(), file_db.end(), '/', '_');
      std::string staged = options.temp_dir + "/ecap-dr-restore-" + std::to_string(::getpid()) + "-" + file_db + ".dump";
      int fd = ::open(staged.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0) return ErrnoStatus(errno, "unable to stage the dump in '" + staged + "'");
      FdSink sink(fd, staged);
      s = reader.ReadItem(*item, sink);  // names the item in its errors
      ::close(fd);
      if (s.ok()) {
        args.push_back("-j");
        args.push_back(std::to_string(options.jobs));
        args.push_back(staged);
        auto child = Subprocess::Start({.argv = args, .env = env, .pipe_stdout = false});
        auto code = child.ok() ? FinishChild(**child, reader.stop_token(), "restore of item '" + item->name + "'", [] {})
                               : Result<int>(child.status());
        if (!code.ok()) s = code.status();
        else if (*code != 0) s = ToolError((*child)->ExitError(*code)).WithContext("item '" + item->name + "'");
      }
      ::unlink(staged.c_str());
    } else {
      // One transaction: the restore applies whole or not at all.
      args.push_back("--single-transaction");
      s = FeedChild(reader, *item, {.argv = args, .env = env, .pipe_stdin = true, .pipe_stdout = false});
    }
    std::string sessions_left;
    if (s.code() == Code::kCancelled) sessions_left = EndSessionsOf(*admin, app, fill);
    if (!s.ok()) {
      // Nothing half-restored stays under the final name without being said.
      std::string left;
      if (created) {
        // WITH (FORCE) (PostgreSQL 13+): a session of the killed restore may not have ended yet.
        Status dropped = admin->Exec("drop database if exists " + admin->QuoteIdent(fill) +
                                     (admin->server_version() >= 130000 ? " with (force)" : ""));
        left = dropped.ok() ? "the database this restore created was dropped again"
                            : "the database '" + fill + "' this restore created could not be dropped and is "
                                  "incomplete: " + dropped.message();
      } else if (options.jobs > 1) {
        left = "the existing database may hold part of the restore (--jobs restores are not one transaction)";
      } else {
        left = "the existing database was left as it was (the restore is one transaction)";
      }
      return Status(s.code(), s.message() + " (" + left + sessions_left + ")").WithContext("restore " + where);
    }
    if (created) {
      // Owner, privileges and settings first, under the partial name: the
      // database never shows under its final name more open than it was.
      auto lost = pg::ApplyDatabaseProperties(*admin, fill, properties, db);
      stats.warnings.insert(stats.warnings.end(), lost.begin(), lost.end());
      Status renamed = admin->Exec("alter database " + admin->QuoteIdent(fill) + " rename to " + admin->QuoteIdent(db));
      if (!renamed.ok()) {
        return renamed.WithContext("restore " + where + ": the restored data is complete in database '" + fill +
                                   "', but it could not be renamed");
      }
    }
    stats.databases++;
    stats.bytes += item->size;
    stats.restored.push_back(db);
  }
  return stats;
}

}  // namespace dr::source
