// Physical backups, continuous WAL archiving through `ecap-dr wal push`, and
// point-in-time recovery through `ecap-dr wal fetch`, on a real PostgreSQL 15.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "test/integration/cli/cli_harness.h"
#include "base/subprocess.h"
#include "test/support/pg_server.h"

namespace dr::test {
namespace {

using nlohmann::json;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

const std::string kPgBin = "/usr/lib/postgresql/15/bin/";

class PitrTest : public CliFixture {
 protected:
  void SetUp() override {
    CliFixture::SetUp();
    // PostgreSQL (user postgres) runs `ecap-dr wal push`: it must reach the config, key and repository.
    ::chmod(dir_.path().c_str(), 0755);
    ASSERT_EQ(Dr("repo init").exit_code, 0);
    ASSERT_EQ(std::system(("chown -R postgres:postgres '" + repo_ + "' '" + dir_ / "keys" + "'").c_str()), 0);
  }
  // Restores backup_id with the recovery target into <base>/<name>/data, starts PostgreSQL on it,
  // waits until recovery ends, and returns "tag=count" lines of the events table (the server log
  // in *log). A failure is a test failure and returns "error".
  std::string RecoverAndCount(const std::string& base, const std::string& name, const std::string& backup_id,
                              const std::string& target, std::string* log) {
    std::string parent = base + "/" + name;
    fs::create_directories(parent);
    if (std::system(("chown postgres:postgres '" + parent + "'").c_str()) != 0) return "error";
    std::string pgdata = parent + "/data";
    auto restore = Dr("restore " + backup_id + " --component postgresql --pgdata " + pgdata + " " + target);
    EXPECT_EQ(restore.exit_code, 0) << restore.err;
    if (restore.exit_code != 0) return "error";
    struct stat st_data {};
    EXPECT_EQ(::stat(pgdata.c_str(), &st_data), 0);
    EXPECT_NE(st_data.st_uid, 0u) << "the data directory is handed to the parent's owner";
    EXPECT_TRUE(fs::exists(pgdata + "/recovery.signal"));
    int port = FreePort();
    WriteFile(pgdata + "/postgresql.conf", ReadFileOrDie(pgdata + "/postgresql.conf") + "\nport = " +
                                               std::to_string(port) + "\narchive_mode = off\nunix_socket_directories = '" +
                                               parent + "'\n");
    EXPECT_EQ(std::system(("chown postgres:postgres '" + pgdata + "/postgresql.conf'").c_str()), 0);
    if (std::system(("runuser -u postgres -- " + kPgBin + "pg_ctl -D '" + pgdata + "' -l '" + parent +
                     "/server.log' -w -t 60 start >/dev/null").c_str()) != 0) {
      ADD_FAILURE() << ReadFileOrDie(parent + "/server.log");
      return "error";
    }
    struct Stop {
      std::string cmd;
      ~Stop() { (void)std::system(cmd.c_str()); }
    } stop{"runuser -u postgres -- " + kPgBin + "pg_ctl -D '" + pgdata + "' -m immediate -w stop >/dev/null 2>&1"};
    std::string psql = kPgBin + "psql -X -At -h 127.0.0.1 -p " + std::to_string(port) + " -U postgres -d postgres -c ";
    std::string in_recovery;
    for (int i = 0; i < 300; ++i) {
      auto r = RunCommand({.argv = {"sh", "-c", psql + "'select pg_is_in_recovery()'"}});
      in_recovery = r.ok() ? *r : "";
      if (in_recovery == "f\n") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    *log = ReadFileOrDie(parent + "/server.log");
    EXPECT_EQ(in_recovery, "f\n") << *log;
    auto counts =
        RunCommand({.argv = {"sh", "-c", psql + "\"select tag || '=' || count(*) from events group by tag order by tag\""}});
    EXPECT_TRUE(counts.ok()) << counts.status().ToString();
    return counts.ok() ? *counts : "error";
  }
  std::string ArchiveConf() const {
    return "archive_mode = on\narchive_timeout = 10\narchive_command = '" + DrBinary() + " -c " +
           config_ + " wal push %p'\n";
  }
  void WriteConfigFor(int port) {
    WriteFile(config_, "backup_manager:\n  backup_dir: \"" + repo_ + "\"\nencryption:\n  key_file: \"" + key_ +
                       "\"\npostgresql:\n  host: 127.0.0.1\n  port: " + std::to_string(port) +
                       "\n  database: postgres\n  username: postgres\n");
  }
  // Waits until PostgreSQL reports `segment` (or a later one) archived.
  static bool WaitArchived(const PgServer& pg, const std::string& segment) {
    for (int i = 0; i < 300; ++i) {
      auto last = pg.Psql("postgres", "select coalesce(last_archived_wal, '') from pg_stat_archiver");
      if (last.ok() && last->substr(0, 24) >= segment) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
};

TEST_F(PitrTest, RecoversToAPointInTimeFromABaseBackupAndTheArchive) {
  TempDir pgdir;
  auto pg = PgServer::Start(pgdir.path() + "/primary", {.extra_conf = ArchiveConf()});
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  WriteConfigFor((*pg)->port());
  ASSERT_TRUE((*pg)->Psql("postgres", "create table events (tag text, n int)").ok());

  auto base = Dr("--json backup create --id base_1 --component postgresql --physical");
  ASSERT_EQ(base.exit_code, 0) << base.err;
  auto show = json::parse(Dr("--json backup show base_1").out);
  EXPECT_EQ(show["components"]["postgresql"]["meta"]["mode"], "physical");
  EXPECT_EQ(show["components"]["postgresql"]["meta"]["start_wal"].get<std::string>().size(), 24u);

  ASSERT_TRUE((*pg)->Psql("postgres", "insert into events select 'A', g from generate_series(1, 1000) g").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  auto t1 = (*pg)->Psql("postgres", "select now()::text");
  ASSERT_TRUE(t1.ok());
  std::string target_time = t1->substr(0, t1->size() - 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  ASSERT_TRUE((*pg)->Psql("postgres", "insert into events select 'B', g from generate_series(1, 500) g").ok());
  auto switched = (*pg)->Psql("postgres", "select pg_walfile_name(pg_switch_wal())");
  ASSERT_TRUE(switched.ok());
  ASSERT_TRUE(WaitArchived(**pg, switched->substr(0, 24))) << "PostgreSQL did not archive through ecap-dr wal push";

  auto status = Dr("--json wal status");
  ASSERT_EQ(status.exit_code, 0) << status.err;
  json st = json::parse(status.out);
  EXPECT_GE(st["last_archived_wal"].get<std::string>(), switched->substr(0, 24));
  EXPECT_TRUE(st["server_reachable"].get<bool>());
  EXPECT_GE(st["archive_lag_seconds"].get<double>(), 0);
  EXPECT_LT(st["archive_lag_seconds"].get<double>(), 10 + 5) << "lag stays under archive_timeout + a few seconds";

  std::string log;
  EXPECT_EQ(RecoverAndCount(pgdir.path(), "restored", "base_1", "--target-time '" + target_time + "'", &log), "A=1000\n")
      << "rows of t1 present, rows written after the target absent";
  EXPECT_THAT(log, HasSubstr("recovery stopping before commit"));

  // A target past everything archived is refused before anything is laid
  // out (not once the server has replayed the whole archive), with what the
  // archive reaches; by a backup id and by --to-time alike.
  auto later = (*pg)->Psql("postgres", "select (now() + interval '1 minute')::text");
  ASSERT_TRUE(later.ok());
  const std::string beyond = later->substr(0, later->size() - 1);
  for (const std::string how : {"base_1 --target-time", "--component postgresql --to-time"}) {
    const std::string pgdata = pgdir.path() + "/beyond";
    auto refused = Dr("restore " + how + " '" + beyond + "' --pgdata " + pgdata);
    EXPECT_EQ(refused.exit_code, 1) << how << ": " << refused.out << refused.err;
    EXPECT_THAT(refused.err, HasSubstr("the WAL archive does not reach")) << how;
    EXPECT_THAT(refused.err, ContainsRegex("archived at .* \\(its newest segment: [0-9A-F]{24}\\)")) << how;
    EXPECT_FALSE(fs::exists(pgdata)) << how << ": nothing laid out";
  }
}

// The other recovery targets: a named restore point, a WAL position, and "immediate".
TEST_F(PitrTest, RecoversToARestorePointToAnLsnAndImmediately) {
  TempDir pgdir;
  auto pg = PgServer::Start(pgdir.path() + "/primary", {.extra_conf = ArchiveConf()});
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  WriteConfigFor((*pg)->port());
  ASSERT_TRUE((*pg)->Psql("postgres", "create table events (tag text, n int)").ok());
  ASSERT_EQ(Dr("backup create --id base_2 --component postgresql --physical").exit_code, 0);
  ASSERT_TRUE((*pg)->Psql("postgres", "insert into events select 'A', g from generate_series(1, 300) g").ok());
  auto lsn = (*pg)->Psql("postgres", "select pg_current_wal_lsn()::text");
  ASSERT_TRUE(lsn.ok());
  ASSERT_TRUE((*pg)->Psql("postgres", "insert into events select 'B', g from generate_series(1, 200) g").ok());
  ASSERT_TRUE((*pg)->Psql("postgres", "select pg_create_restore_point('before_c')").ok());
  ASSERT_TRUE((*pg)->Psql("postgres", "insert into events select 'C', g from generate_series(1, 100) g").ok());
  auto switched = (*pg)->Psql("postgres", "select pg_walfile_name(pg_switch_wal())");
  ASSERT_TRUE(switched.ok());
  ASSERT_TRUE(WaitArchived(**pg, switched->substr(0, 24)));
  std::string log;
  EXPECT_EQ(RecoverAndCount(pgdir.path(), "by-name", "base_2", "--target-name before_c", &log), "A=300\nB=200\n");
  EXPECT_THAT(log, HasSubstr("recovery stopping at restore point \"before_c\""));
  EXPECT_EQ(RecoverAndCount(pgdir.path(), "by-lsn", "base_2", "--target-lsn " + lsn->substr(0, lsn->size() - 1), &log),
            "A=300\n");
  EXPECT_THAT(log, HasSubstr("recovery stopping after WAL location (LSN)"));
  EXPECT_EQ(RecoverAndCount(pgdir.path(), "immediate", "base_2", "--target-immediate", &log), "")
      << "only what the base backup holds: the table, no rows";
  EXPECT_THAT(log, HasSubstr("consistent recovery state reached"));
}


// A restored copy must not archive into the source's archive (once promoted it
// would push a second timeline beside production's) unless asked, and the
// restore says what it set.
TEST_F(PitrTest, RestoredCopyDoesNotArchiveUnlessAsked) {
  TempDir pgdir;
  auto pg = PgServer::Start(pgdir.path() + "/primary", {.extra_conf = ArchiveConf()});
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  WriteConfigFor((*pg)->port());
  ASSERT_EQ(Dr("backup create --id base_3 --component postgresql --physical").exit_code, 0);
  std::string parent = pgdir.path() + "/copy";
  fs::create_directories(parent);
  ASSERT_EQ(std::system(("chown postgres:postgres '" + parent + "'").c_str()), 0);
  std::string pgdata = parent + "/data";
  auto r = Dr("restore base_3 --pgdata " + pgdata + " --target-immediate");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("changed: archive_mode = off (the backup had on"));
  EXPECT_THAT(r.out, HasSubstr("changed: recovery.signal created"));

  // Started as it was restored (only the port and socket changed): it does not archive.
  int port = FreePort();
  WriteFile(pgdata + "/postgresql.conf", ReadFileOrDie(pgdata + "/postgresql.conf") + "\nport = " +
                                             std::to_string(port) + "\nunix_socket_directories = '" + parent + "'\n");
  ASSERT_EQ(std::system(("chown postgres:postgres '" + pgdata + "/postgresql.conf'").c_str()), 0);
  ASSERT_EQ(std::system(("runuser -u postgres -- " + kPgBin + "pg_ctl -D '" + pgdata + "' -l '" + parent +
                         "/server.log' -w -t 60 start >/dev/null").c_str()), 0)
      << ReadFileOrDie(parent + "/server.log");
  auto mode = RunCommand({.argv = {kPgBin + "psql", "-X", "-At", "-h", "127.0.0.1", "-p", std::to_string(port), "-U",
                                   "postgres", "-d", "postgres", "-c", "show archive_mode"}});
  (void)std::system(("runuser -u postgres -- " + kPgBin + "pg_ctl -D '" + pgdata + "' -m immediate -w stop >/dev/null 2>&1").c_str());
  ASSERT_TRUE(mode.ok()) << mode.status().ToString();
  EXPECT_EQ(*mode, "off\n");

  // --keep-archiving: the backup's settings stay, and nothing says otherwise.
  auto kept = Dr("--json restore base_3 --pgdata " + parent + "/kept --target-immediate --keep-archiving");
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_THAT(json::parse(kept.out)["settings_changed"].dump(), Not(HasSubstr("archive_mode")));
  EXPECT_THAT(ReadFileOrDie(parent + "/kept/postgresql.auto.conf"), Not(HasSubstr("archive_mode")));
  EXPECT_THAT(ReadFileOrDie(parent + "/kept/postgresql.conf"), HasSubstr("archive_mode = on"));

  // The raw base backup for users with their own tools; options of the other modes are usage errors.
  auto raw = Dr("restore base_3 --target " + parent + "/raw");
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  auto listing = RunCommand({.argv = {"tar", "-tf", parent + "/raw/base.tar"}});
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  EXPECT_THAT(*listing, HasSubstr("PG_VERSION"));
  auto both = Dr("restore base_3 --target " + parent + "/raw2 --pgdata " + parent + "/d2");
  EXPECT_EQ(both.exit_code, 2) << both.err;
  EXPECT_THAT(both.err, HasSubstr("option --pgdata does not apply to component 'postgresql' (its items extracted"));
  auto logical = Dr("restore base_3 --pgdata " + parent + "/d3 --target-db x");
  EXPECT_EQ(logical.exit_code, 2) << logical.err;
  EXPECT_THAT(logical.err, HasSubstr("option --target-db does not apply to component 'postgresql' (a physical backup"));
  EXPECT_FALSE(fs::exists(parent + "/raw2"));
  EXPECT_FALSE(fs::exists(parent + "/d3"));
}

TEST_F(PitrTest, WalPushIsIdempotentNeverOverwritesAndSurvivesAnUnreachableRepository) {
  std::string seg = dir_ / "000000010000000000000042";
  WriteFile(seg, RandomData(16 << 20, 42));
  auto first = Dr("wal push " + seg);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(Dr("wal push " + seg).exit_code, 0) << "the same content again is success";
  WriteFile(seg, RandomData(16 << 20, 43));
  auto clash = Dr("wal push " + seg);
  EXPECT_EQ(clash.exit_code, 1);
  EXPECT_THAT(clash.err, HasSubstr("WAL file '000000010000000000000042' is already archived"));
  EXPECT_THAT(clash.err, HasSubstr("with different content"));
  auto fetched = Dr("wal fetch 000000010000000000000042 " + dir_ / "fetched");
  ASSERT_EQ(fetched.exit_code, 0) << fetched.err;
  EXPECT_EQ(ReadFileOrDie(dir_ / "fetched"), RandomData(16 << 20, 42)) << "the first archived content is kept";

  // The repository is unreachable (its directory replaced by a file): push fails, so PostgreSQL retries.
  std::string next = dir_ / "000000010000000000000043";
  WriteFile(next, RandomData(1 << 20, 44));
  fs::rename(repo_, repo_ + ".away");
  WriteFile(repo_, "not a directory");
  auto down = Dr("wal push " + next);
  EXPECT_NE(down.exit_code, 0);
  fs::remove(repo_);
  fs::rename(repo_ + ".away", repo_);
  ASSERT_EQ(Dr("wal push " + next).exit_code, 0);
  ASSERT_EQ(Dr("wal fetch 000000010000000000000043 " + dir_ / "f43").exit_code, 0);
  EXPECT_EQ(ReadFileOrDie(dir_ / "f43"), RandomData(1 << 20, 44));

  auto missing = Dr("wal fetch 000000010000000000000099 " + dir_ / "f99");
  EXPECT_EQ(missing.exit_code, 1);
  // PostgreSQL asks for segments past the end of the archive during every recovery:
  // "not there" is exit 1 without an error line in its log (issue 11 §4).
  EXPECT_EQ(missing.err, "");
  EXPECT_FALSE(fs::exists(dir_ / "f99"));
  auto bad = Dr("wal push " + dir_ / "ecap-dr.yaml");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("is not a WAL file name"));
}

}  // namespace
}  // namespace dr::test

namespace dr::test {
namespace {

// Async archiving drains the server's backlog of ready segments in one call, in parallel.
TEST_F(PitrTest, AsyncPushDrainsTheBacklog) {
  WriteFile(config_, "backup_manager:\n  backup_dir: \"" + repo_ + "\"\nencryption:\n  key_file: \"" + key_ +
                     "\"\npostgresql:\n  host: 127.0.0.1\n  database: postgres\n  archive_async: true\n"
                     "  archive_push_jobs: 3\n  spool_dir: \"" + dir_ / "spool" + "\"\n");
  std::vector<std::string> segs;
  for (int i = 1; i <= 6; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "0000000100000000000000%02X", i);
    segs.push_back(name);
    WriteFile(dir_ / ("data/pg_wal/" + segs.back()), RandomData(1 << 20, 500 + i));
    WriteFile(dir_ / ("data/pg_wal/archive_status/" + segs.back() + ".ready"), "");
  }
  auto first = RunDr("-c " + config_ + " wal push " + dir_ / ("data/pg_wal/" + segs[0]));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  int archived = 0;
  for (auto& e : fs::directory_iterator(repo_ + "/wal")) archived += e.is_regular_file();
  EXPECT_EQ(archived, 6) << "the backlog was pushed ahead";
  for (size_t i = 1; i < segs.size(); ++i) {
    EXPECT_TRUE(fs::exists(dir_ / ("spool/" + segs[i] + ".done"))) << segs[i];
  }
  auto second = RunDr("-c " + config_ + " wal push " + dir_ / ("data/pg_wal/" + segs[1]));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_FALSE(fs::exists(dir_ / ("spool/" + segs[1] + ".done"))) << "a marker answers once";
  ASSERT_EQ(RunDr("-c " + config_ + " wal fetch " + segs[4] + " " + dir_ / "f").exit_code, 0);
  EXPECT_EQ(ReadFileOrDie(dir_ / "f"), RandomData(1 << 20, 505));
}

// The guide's data-corruption runbook executed for real: rows damaged at a
// known time come back from the physical backup and the WAL archive (rows
// written after the backup included), rows written since the damage stay,
// the other tables are untouched, writes are paused and resumed, and the
// clean copy is removed.
TEST_F(PitrTest, TheDataCorruptionRunbookPutsDamagedRowsBackFromTheBackupAndTheArchive) {
  TempDir pgdir;
  auto pg = PgServer::Start(pgdir.path() + "/primary", {.extra_conf = ArchiveConf()});
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  WriteConfigFor((*pg)->port());
  auto sql = [&](const std::string& q) {
    auto r = (*pg)->Psql("postgres", q);
    EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
    return r.ok() ? *r : std::string("error");
  };
  sql("create table orders (id int primary key, customer text, amount numeric, meta jsonb)");
  sql("create table customers (id int primary key, name text)");
  // Every column in the key but an identity one that is never set: nothing to set back, only rows to put back.
  sql("create table tags (order_id int, tag text, n bigint generated always as identity, primary key (order_id, tag))");
  sql("insert into tags (order_id, tag) select g, t from generate_series(1, 300) g, (values ('gift'), ('rush')) v(t)");
  sql("insert into orders select g, 'c' || g, g * 1.5, jsonb_build_object('n', g) from generate_series(1, 1000) g");
  sql("insert into customers select g, 'name ' || g from generate_series(1, 100) g");
  ASSERT_EQ(Dr("backup create --id base_c --component postgresql --physical").exit_code, 0);
  // After the backup, before the damage: only the archive has these.
  sql("insert into orders select g, 'c' || g, g * 1.5, jsonb_build_object('n', g) from generate_series(1001, 1200) g");
  const std::string digest = "select md5(string_agg(o::text, ',' order by id)) from orders o where id <= 1200";
  std::string clean = sql(digest);
  std::string customers = sql("select md5(string_agg(c::text, ',' order by id)) from customers c");
  const std::string tags_digest = "select md5(string_agg(t::text, ',' order by order_id, tag)) from tags t";
  std::string tags = sql(tags_digest);
  std::string corruption_time = sql("select clock_timestamp()::text");
  corruption_time.pop_back();
  // The damage, then writes that are not damage.
  sql("update orders set amount = 0, customer = 'X', meta = '{}' where id % 10 = 0");
  sql("delete from orders where id % 17 = 0");
  sql("delete from tags where order_id % 3 = 0");
  sql("insert into orders select g, 'late' || g, g, null from generate_series(2001, 2050) g");
  sql("update customers set name = 'renamed' where id = 7");
  customers = sql("select md5(string_agg(c::text, ',' order by id)) from customers c");
  auto switched = (*pg)->Psql("postgres", "select pg_walfile_name(pg_switch_wal())");
  ASSERT_TRUE(switched.ok());
  ASSERT_TRUE(WaitArchived(**pg, switched->substr(0, 24)));
  // Damaged: every tenth row among 1..1200 not deleted; deleted: every seventeenth.
  int updated = 0, deleted = 0;
  for (int id = 1; id <= 1200; ++id) {
    deleted += id % 17 == 0;
    updated += id % 10 == 0 && id % 17 != 0;
  }

  // A clean copy PostgreSQL may not run on (its directory would belong to
  // root): the restore step fails, the pause is undone, nothing is left.
  std::string rooted = pgdir.path() + "/rooted";
  fs::create_directories(rooted);
  auto failed = Dr("--json runbook run data_corruption --auto-execute --skip-confirmations --param \"corruption_time=" +
                   corruption_time + "\" --param tables=orders --param scratch_dir=" + rooted + "/data </dev/null");
  EXPECT_EQ(failed.exit_code, 2) << "a bad scratch_dir is a bad argument: " << failed.err;
  EXPECT_THAT(failed.err, HasSubstr("belongs to root, and PostgreSQL does not run as root"));
  json failed_log = json::parse(failed.out)["execution_log"];
  EXPECT_EQ(failed_log["overall_status"], "failed") << failed.out;
  EXPECT_EQ(failed_log["stopped_at"], "restore_from_backup");
  EXPECT_THAT(failed_log["rollback"].dump(), HasSubstr("stop_writes"));
  EXPECT_EQ(sql("show default_transaction_read_only"), "off\n") << "the pause was undone";
  EXPECT_FALSE(fs::exists(rooted + "/data")) << "the half-made copy is removed";
  EXPECT_EQ(sql("select count(*) from orders where customer = 'X'"), std::to_string(updated) + "\n")
      << "nothing was repaired";

  std::string parent = pgdir.path() + "/scratch";
  fs::create_directories(parent);
  ASSERT_EQ(std::system(("chown postgres:postgres '" + parent + "'").c_str()), 0);
  auto r = Dr("--json runbook run data_corruption --auto-execute --skip-confirmations --param \"corruption_time=" +
              corruption_time + "\" --param tables=orders,tags --param scratch_dir=" + parent + "/data </dev/null");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  json log = json::parse(r.out)["execution_log"];
  EXPECT_EQ(log["overall_status"], "completed");
  EXPECT_EQ(StepStates(log), (std::vector<std::string>{"assess_corruption:ok", "stop_writes:ok", "identify_clean_backup:ok",
                                             "restore_from_backup:ok", "verify_integrity:ok", "repair_rows:ok",
                                             "resume_operations:ok", "remove_clean_copy:ok"}))
      << r.out;
  EXPECT_EQ(log["steps"][2]["output"]["backup_id"], "base_c");
  const json& preview = log["steps"][4]["output"];
  EXPECT_EQ(preview["updated"], updated) << "the check counts the damaged rows";
  EXPECT_EQ(preview["inserted"], deleted + 200) << "and the deleted ones (orders and tags)";
  EXPECT_EQ(preview["applied"], false);
  const json& repair = log["steps"][5]["output"];
  EXPECT_EQ(repair["updated"], updated);
  EXPECT_EQ(repair["inserted"], deleted + 200);

  EXPECT_EQ(sql(digest), clean) << "every row of 1..1200 is as it was before the damage";
  EXPECT_EQ(sql(tags_digest), tags) << "the deleted tags are back, identity values included";
  EXPECT_EQ(repair["tables"][1]["inserted"], 200);
  EXPECT_EQ(repair["tables"][1]["updated"], 0);
  EXPECT_EQ(sql("select count(*) from orders where id > 2000"), "50\n") << "rows written since the damage stay";
  EXPECT_EQ(sql("select md5(string_agg(c::text, ',' order by id)) from customers c"), customers)
      << "a table not named is not touched, with its newer writes";
  std::string saved = repair["tables"][0]["saved_as"];
  EXPECT_THAT(saved, ::testing::StartsWith("ecap_dr_repaired_orders_"));
  EXPECT_EQ(sql("select count(*) from " + saved + " where customer = 'X'"), std::to_string(updated) + "\n")
      << "the damaged versions are kept beside the table";
  EXPECT_EQ(sql("show default_transaction_read_only"), "off\n") << "writes resumed";
  EXPECT_FALSE(fs::exists(parent + "/data")) << "the clean copy is removed";
  EXPECT_EQ(log["steps"][1]["output"]["was_paused"], false);
}

// The disruptive corruption drill on a real server with its WAL archived:
// refused without --disruptive and outside a drill environment; without a
// physical backup its recovery fails and says which step; with one, rows are
// damaged while a client commits, the data_corruption runbook puts every one
// back, and every acknowledged commit is counted present and intact. The
// drill's rows, the damaged versions and the clean copy are removed again.
TEST_F(PitrTest, TheCorruptionDrillDamagesRowsUnderLoadAndCountsEveryCommitTheRunbookPutsBack) {
  TempDir pgdir;
  auto started = PgServer::Start(pgdir.path() + "/primary", {.extra_conf = ArchiveConf()});
  ASSERT_OK(started);
  const PgServer& pg = **started;
  std::string base = "dr_coordinator:\n  state_dir: \"" + dir_ / "state" + "\"\n";
  WriteConfigFor(pg.port());
  base = ReadFileOrDie(config_) + base;
  auto sql = [&pg](const std::string& q) {
    auto r = pg.Psql("postgres", q);
    return r.ok() ? *r : "error: " + r.status().message();
  };
  WriteFile(config_, base);
  auto unflagged = Dr("drill --scenario corruption");
  EXPECT_EQ(unflagged.exit_code, 2) << unflagged.err;
  EXPECT_THAT(unflagged.err, HasSubstr("give --disruptive"));
  auto production = Dr("drill --scenario corruption --disruptive");
  EXPECT_EQ(production.exit_code, 2) << production.err;
  EXPECT_THAT(production.err, HasSubstr("not marked as a drill environment"));
  EXPECT_EQ(sql("select to_regclass('ecap_dr_drill_writes') is null"), "t\n") << "nothing was touched";

  WriteFile(config_, base + "drill:\n  environment: true\n  timeout_seconds: 300\n");
  // No physical backup to recover from: the drill fails, in the runbook's step that looks for one.
  auto none = Dr("--json drill --scenario corruption --disruptive");
  EXPECT_NE(none.exit_code, 0) << none.out;
  json failed = json::parse(none.out);
  EXPECT_EQ(failed["status"], "failed");
  EXPECT_EQ(failed["error"]["step"], "recover");
  EXPECT_THAT(failed["error"]["message"].get<std::string>(), HasSubstr("identify_clean_backup"));
  EXPECT_EQ(failed["rto_seconds"], -1.0);
  EXPECT_EQ(sql("select to_regclass('ecap_dr_drill_writes') is null"), "t\n") << "its rows are removed";
  EXPECT_EQ(sql("show default_transaction_read_only"), "off\n") << "the runbook undid its pause";

  ASSERT_EQ(Dr("backup create --id base_drill --component postgresql --physical").exit_code, 0);
  auto r = Dr("--json drill --scenario corruption --disruptive --report " + dir_ / "reports");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  json d = json::parse(r.out);
  EXPECT_EQ(d["status"], "passed");
  EXPECT_EQ(d["scenario"], "corruption");
  const json& damage = d["damage"];
  EXPECT_GT(damage["updated"].get<int>(), 0) << d.dump(2);
  EXPECT_GT(damage["deleted"].get<int>(), 0);
  EXPECT_GE(damage["last_seq"].get<int>(), 20);
  // The repair counted exactly the damage: rows written since were left alone.
  EXPECT_EQ(d["repair"]["updated"], damage["updated"]);
  EXPECT_EQ(d["repair"]["inserted"], damage["deleted"]);
  EXPECT_EQ(d["runbook"]["execution_log"]["overall_status"], "completed");
  const json& w = d["writes"];
  EXPECT_EQ(w["lost"], 0) << d.dump(2);
  EXPECT_GT(w["acknowledged"].get<int>(), w["acknowledged_before_fault"].get<int>()) << "commits after the damage too";
  EXPECT_GT(w["failed_attempts"].get<int>(), 0) << "the pause refused the client's commits for a while";
  EXPECT_EQ(d["rpo_seconds"], 0.0);
  EXPECT_GT(d["rto_seconds"].get<double>(), 0);
  EXPECT_EQ(d["rto_met"], true);
  std::vector<std::string> phases;
  for (const auto& p : d["phases"]) phases.push_back(p["name"].get<std::string>() + ":" + p["status"].get<std::string>());
  EXPECT_EQ(phases, (std::vector<std::string>{"start the load generator:passed", "damage rows:passed",
                                              "archive the WAL up to the damage:passed",
                                              "recover (data_corruption runbook):passed",
                                              "first commit after the recovery:passed",
                                              "count the commits that survived:passed",
                                              "remove the drill's rows and copies:passed"}));
  // Nothing of the drill is left: its rows and table, the damaged versions, the clean copy.
  EXPECT_EQ(sql("select to_regclass('ecap_dr_drill_writes') is null"), "t\n");
  EXPECT_EQ(sql("select count(*) from pg_tables where tablename like 'ecap\\_dr\\_repaired\\_%'"), "0\n");
  EXPECT_FALSE(fs::exists("/tmp/ecap-dr-drill/" + d["drill_id"].get<std::string>()));
  EXPECT_EQ(sql("show default_transaction_read_only"), "off\n");
  std::string page = ReadFileOrDie(dir_ / ("reports/" + d["drill_id"].get<std::string>() + ".html"));
  EXPECT_THAT(page, HasSubstr("corruption: PASSED"));
  auto listed = Dr("--json events --limit 50");
  EXPECT_THAT(listed.out, HasSubstr("drill_completed"));
}

// The guide's security-breach runbook executed for real: the intruder's
// ecap-dr user and database role lose their access, the master key is
// rotated, the audit chain verified, and the newest backup from before the
// breach (not the one taken after it) is verified in full and restored
// beside the live database; then access is given back by hand.
TEST_F(PitrTest, TheSecurityBreachRunbookRevokesTheIntruderAndRestoresAVerifiedBackupFromBeforeTheBreach) {
  TempDir pgdir;
  auto pg = PgServer::Start(pgdir.path() + "/primary", {});
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  WriteConfigFor((*pg)->port());
  WriteFile(config_, ReadFileOrDie(config_) + "audit:\n  log_file: \"" + dir_ / "state/audit.log" + "\"\n");
  auto sql = [&](const std::string& db, const std::string& q) {
    auto r = (*pg)->Psql(db, q);
    EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
    return r.ok() ? *r : std::string("error");
  };
  sql("postgres", "create table orders (id int primary key, v text)");
  sql("postgres", "insert into orders select g, 'ok' from generate_series(1, 100) g");
  sql("postgres", "create role mallory login");
  ASSERT_EQ(Dr("backup create --id clean_1 --component postgresql").exit_code, 0);
  std::string breach_time = sql("postgres", "select clock_timestamp()::text");
  breach_time.pop_back();
  sql("postgres", "insert into orders select g, 'evil' from generate_series(101, 110) g");
  ASSERT_EQ(Dr("backup create --id tainted --component postgresql").exit_code, 0);
  std::string key_before = json::parse(Dr("--json key check").out).value("key_id", "");

  auto r = Dr("--json runbook run security_breach --auto-execute --skip-confirmations --param compromised_user=mallory"
              " --param compromised_database_role=mallory --param \"breach_time=" + breach_time + "\" </dev/null");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  json log = json::parse(r.out)["execution_log"];
  EXPECT_EQ(log["overall_status"], "completed");
  EXPECT_EQ(StepStates(log), (std::vector<std::string>{"immediate_isolation:ok", "revoke_access:ok", "change_credentials:ok",
                                             "collect_forensics:ok", "clean_restoration:ok", "enhanced_security:ok",
                                             "gradual_restoration:ok"}));
  EXPECT_EQ(log["steps"][4]["output"]["backup_id"], "clean_1") << "the backup from before the breach";
  EXPECT_EQ(sql("postgres_clean", "select v || '=' || count(*) from orders group by v"), "ok=100\n");
  EXPECT_EQ(sql("postgres", "select count(*) from orders"), "110\n") << "the live database is not touched";
  EXPECT_EQ(sql("postgres", "select rolcanlogin from pg_roles where rolname = 'mallory'"), "f\n");
  auto revoked = json::parse(Dr("--json access revoked").out)["revoked"];
  ASSERT_EQ(revoked.size(), 1u);
  EXPECT_EQ(revoked[0]["user"], "mallory");
  EXPECT_EQ(revoked[0]["reason"], "security breach");
  auto check = Dr("access check backup.list --user mallory");
  EXPECT_EQ(check.exit_code, 3);
  EXPECT_THAT(check.out, HasSubstr("access revoked at"));
  std::string key_after = json::parse(Dr("--json key check").out).value("key_id", "");
  EXPECT_NE(key_after, key_before) << "the master key was rotated";
  EXPECT_FALSE(key_after.empty());
  EXPECT_EQ(Dr("audit verify").exit_code, 0);

  auto back = Dr("access reinstate mallory --database-role mallory");
  ASSERT_EQ(back.exit_code, 0) << back.err;
  EXPECT_THAT(back.out, HasSubstr("user mallory reinstated"));
  EXPECT_EQ(sql("postgres", "select rolcanlogin from pg_roles where rolname = 'mallory'"), "t\n");
  EXPECT_EQ(Dr("access check backup.list --user mallory").exit_code, 0);
}

}  // namespace
}  // namespace dr::test
