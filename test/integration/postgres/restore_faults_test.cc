// The fault matrix of a PostgreSQL restore: a corrupt blob (bytes damaged on
// disk) and an unreadable one (the fault-injecting backend) at the first, a
// middle and the last blob of the dump, and a target server that is down or
// refuses. Each ends with the documented exit code (4 corrupt, 5 unavailable,
// 3 permission denied), a message naming the backup, the item and the object,
// no crash, and no database left under the final name without saying so.
// A real PostgreSQL 15; the binary, or BackupManager where a backend is injected.
#include <atomic>
#include <filesystem>
#include <stop_token>
#include <thread>

#include <nlohmann/json.hpp>

#include "backup/backup_manager.h"
#include "config/config.h"
#include "net/postgres/pg_client.h"
#include "storage/faulty/faulty_backend.h"
#include "test/integration/cli/cli_harness.h"
#include "test/support/pg_server.h"

namespace dr::test {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class PgRestoreFaultTest : public CliFixture {
 protected:
  static void SetUpTestSuite() {
    base_ = new TempDir();
    auto pg = PgServer::Start(base_->path() + "/pg", {});
    ASSERT_TRUE(pg.ok()) << "PostgreSQL 15 must start for these tests: " << pg.status().ToString();
    pg_ = std::move(pg).value().release();
    ASSERT_TRUE(pg_->Tool("createdb", "faults").ok());
    // About 8 MB of varied rows: a dump of several ~1 MiB chunks, so first, middle and last differ.
    ASSERT_TRUE(pg_->Psql("faults", "create table t (id int primary key, v text); insert into t select g, "
                                    "repeat(md5(g::text), 8) from generate_series(1, 30000) g").ok());
    ASSERT_TRUE(pg_->Psql("postgres", "create role weak login").ok());
  }
  static void TearDownTestSuite() {
    delete pg_;
    delete base_;
  }
  void SetUp() override {
    CliFixture::SetUp();
    WritePgConfig(pg_->port(), "postgres");
    InitRepo();
    ASSERT_EQ(Dr("backup create --id f1 --component postgresql").exit_code, 0);
  }
  void WritePgConfig(int port, const std::string& user, const std::string& extra = "") {
    WriteFile(config_, PgCliConfig(repo_, key_, port, "faults", user, extra));
  }

  struct BlobPlace {
    std::string blob;       // short hex, as messages name it
    std::string pack_id;
    std::string pack_path;  // on disk
    uint64_t offset = 0;
    uint32_t length = 0;
  };
  // Where the blobs of the dump of `faults` lie, read through the library.
  std::vector<BlobPlace> DumpBlobs() {
    auto cfg = config::LoadConfigFile(config_);
    EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
    backup::BackupManager manager(*cfg);
    auto repo = manager.Repository();
    EXPECT_TRUE(repo.ok()) << repo.status().ToString();
    auto snap = (*repo)->LoadSnapshot("f1");
    EXPECT_TRUE(snap.ok());
    std::vector<BlobPlace> out;
    for (const auto& item : snap->components.at(0).items) {
      if (item.name != "faults.dump") continue;
      for (const auto& id : item.blobs) {
        auto loc = (*repo)->index().Find(id);
        EXPECT_TRUE(loc.has_value());
        out.push_back({id.ShortHex(), loc->pack_id, repo_ + "/data/" + loc->pack_id.substr(0, 2) + "/" + loc->pack_id,
                       loc->offset, loc->length});
      }
    }
    EXPECT_GE(out.size(), 3u) << "the dump must span several blobs";
    return out;
  }
  static std::vector<size_t> FirstMiddleLast(size_t n) { return {0, n / 2, n - 1}; }
  static bool DatabaseExists(const std::string& db) {
    return *pg_->Psql("postgres", "select count(*) from pg_database where datname = '" + db + "'") != "0\n";
  }

  static TempDir* base_;
  static PgServer* pg_;
};
TempDir* PgRestoreFaultTest::base_ = nullptr;
PgServer* PgRestoreFaultTest::pg_ = nullptr;

// Bytes flipped on disk: exit 4, the blob named, nothing left under the final name.
TEST_F(PgRestoreFaultTest, CorruptBlobFirstMiddleLast) {
  auto blobs = DumpBlobs();
  ASSERT_FALSE(blobs.empty());
  for (size_t idx : FirstMiddleLast(blobs.size())) {
    const auto& b = blobs[idx];
    SCOPED_TRACE("blob " + std::to_string(idx) + " of " + std::to_string(blobs.size()));
    FlipByte(b.pack_path, b.offset + b.length / 2);
    // Into a new database, in one transaction and staged for --jobs; and as raw files.
    for (std::string how : {"--target-db victim", "--target-db victim --jobs 2"}) {
      auto r = Dr("restore f1 " + how, "TMPDIR=" + dir_.path());
      EXPECT_EQ(r.exit_code, 4) << how << "\n" << r.err;
      EXPECT_THAT(r.err, HasSubstr("restore backup 'f1'"));
      EXPECT_THAT(r.err, HasSubstr("item 'faults.dump'"));
      EXPECT_THAT(r.err, HasSubstr("blob '" + b.blob + "' in pack '" + b.pack_id.substr(0, 12) + "'"));
      EXPECT_THAT(r.err, HasSubstr("the database this restore created was dropped again"));
      EXPECT_FALSE(DatabaseExists("victim")) << how;
    }
    for (auto& e : fs::directory_iterator(dir_.path())) {
      EXPECT_EQ(e.path().filename().string().find("ecap-dr-restore-"), std::string::npos) << "staged dump left behind";
    }
    auto x = Dr("restore f1 --database faults --target " + dir_ / "raw");
    EXPECT_EQ(x.exit_code, 4) << x.err;
    EXPECT_THAT(x.err, HasSubstr("extract item 'faults.dump'"));
    EXPECT_THAT(x.err, HasSubstr("blob '" + b.blob + "'"));
    EXPECT_FALSE(fs::exists(dir_ / "raw/faults.dump"));
    EXPECT_FALSE(fs::exists(dir_ / "raw/.ecap-dr-partial-faults.dump"));
    FlipByte(b.pack_path, b.offset + b.length / 2);  // repaired for the next case
  }
  // Under its own name, the database dropped: it does not come back half-restored.
  ASSERT_TRUE(pg_->Psql("postgres", "alter database faults rename to faults_aside").ok());
  FlipByte(blobs.back().pack_path, blobs.back().offset + 1);
  auto own = Dr("restore f1");
  EXPECT_EQ(own.exit_code, 4) << own.err;
  EXPECT_FALSE(DatabaseExists("faults"));
  FlipByte(blobs.back().pack_path, blobs.back().offset + 1);
  auto good = Dr("restore f1");
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_EQ(*pg_->Psql("faults", "select count(*) from t"), "30000\n");
  ASSERT_TRUE(pg_->Tool("dropdb", "faults").ok());
  ASSERT_TRUE(pg_->Psql("postgres", "alter database faults_aside rename to faults").ok());
}

// The repository read fails (the fault-injecting backend): exit 5 (worth retrying), the blob named.
TEST_F(PgRestoreFaultTest, UnreadableBlobFirstMiddleLast) {
  auto blobs = DumpBlobs();
  ASSERT_FALSE(blobs.empty());
  auto cfg = config::LoadConfigFile(config_);
  ASSERT_TRUE(cfg.ok());
  auto local = backup::OpenBackend(cfg->repository);
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  auto faulty = std::make_unique<storage::FaultyBackend>(std::move(*local));
  storage::FaultyBackend* faults = faulty.get();
  backup::ManagerOptions options;
  options.backend = std::move(faulty);
  backup::BackupManager manager(*cfg, std::move(options));
  for (size_t idx : FirstMiddleLast(blobs.size())) {
    const auto& b = blobs[idx];
    SCOPED_TRACE("blob " + std::to_string(idx) + " of " + std::to_string(blobs.size()));
    faults->FailReadsCovering({ObjectKind::kPack, b.pack_id}, b.offset, Unavailable("injected: connection reset by peer"));
    for (int jobs : {0, 2}) {
      auto r = manager.RestoreBackup("f1", {.postgres = {.target_db = "victim", .jobs = jobs}});
      EXPECT_EQ(r.status, "failed");
      EXPECT_EQ(r.error.code(), Code::kUnavailable) << r.error.ToString();
      EXPECT_EQ(r.error.exit_code(), 5);
      EXPECT_THAT(r.error.message(), HasSubstr("restore backup 'f1'"));
      EXPECT_THAT(r.error.message(), HasSubstr("item 'faults.dump'"));
      EXPECT_THAT(r.error.message(), HasSubstr("blob '" + b.blob + "'"));
      EXPECT_THAT(r.error.message(), HasSubstr("injected: connection reset by peer"));
      EXPECT_FALSE(DatabaseExists("victim"));
    }
    faults->Reset();
  }
  auto r = manager.RestoreBackup("f1", {.postgres = {.target_db = "victim"}});
  EXPECT_TRUE(r.error.ok()) << r.error.ToString();
  EXPECT_EQ(*pg_->Psql("victim", "select count(*) from t"), "30000\n");
  ASSERT_TRUE(pg_->Tool("dropdb", "victim").ok());
}

// The target server: down is exit 5, a role without the right is exit 3; both name backup and item.
TEST_F(PgRestoreFaultTest, TargetServerDownOrRefusing) {
  int closed = FreePort();
  auto down = Dr("restore f1 --target-db victim --target-port " + std::to_string(closed));
  EXPECT_EQ(down.exit_code, 5) << down.err;
  EXPECT_THAT(down.err, HasSubstr("restore backup 'f1'"));
  EXPECT_THAT(down.err, HasSubstr("'faults.dump'"));
  EXPECT_THAT(down.err, HasSubstr("unable to connect to PostgreSQL at 127.0.0.1:" + std::to_string(closed)));

  WritePgConfig(pg_->port(), "weak");
  auto no_create = Dr("restore f1 --target-db victim");
  EXPECT_EQ(no_create.exit_code, 3) << no_create.err;
  EXPECT_THAT(no_create.err, HasSubstr("restore backup 'f1'"));
  EXPECT_THAT(no_create.err, HasSubstr("item 'faults.dump'"));
  EXPECT_THAT(no_create.err, HasSubstr("permission denied to create database"));
  EXPECT_FALSE(DatabaseExists("victim"));

  // An existing database the role may not write into: refused, and left as it was.
  ASSERT_TRUE(pg_->Tool("createdb", "victim").ok());
  auto no_write = Dr("restore f1 --target-db victim");
  EXPECT_EQ(no_write.exit_code, 3) << no_write.err;
  EXPECT_THAT(no_write.err, HasSubstr("item 'faults.dump'"));
  EXPECT_THAT(no_write.err, HasSubstr("permission denied"));
  EXPECT_THAT(no_write.err, HasSubstr("the existing database was left as it was"));
  EXPECT_EQ(*pg_->Psql("victim", "select count(*) from pg_tables where schemaname = 'public'"), "0\n");
  ASSERT_TRUE(pg_->Tool("dropdb", "victim").ok());
}

// ecap-dr killed while pg_restore fills a new database (a stand-in pg_restore
// kills it after 100 kB, so the moment is fixed, not timed): nothing appears
// under the final name, the partial database's name says what it is, and the
// next restore names it instead of failing obscurely.
TEST_F(PgRestoreFaultTest, KilledMidRestoreLeavesNothingUnderTheFinalName) {
  std::string bin = dir_ / "bin";
  fs::create_directories(bin);
  for (const char* tool : {"pg_dump", "pg_dumpall", "psql"}) {
    fs::create_symlink(std::string("/usr/lib/postgresql/15/bin/") + tool, bin + "/" + tool);
  }
  WriteFile(bin + "/pg_restore", "#!/bin/sh\nhead -c 100000 >/dev/null\nkill -9 $PPID\nexit 1\n");
  fs::permissions(bin + "/pg_restore", fs::perms::owner_all);
  WritePgConfig(pg_->port(), "postgres", "  bin_dir: \"" + bin + "\"\n");
  auto killed = Dr("restore f1 --target-db victim");
  EXPECT_EQ(killed.exit_code, 128 + 9) << killed.err;
  EXPECT_FALSE(DatabaseExists("victim"));
  EXPECT_TRUE(DatabaseExists("victim_ecap_dr_partial"));

  WritePgConfig(pg_->port(), "postgres");
  auto again = Dr("restore f1 --target-db victim");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("database 'victim_ecap_dr_partial' on 127.0.0.1:" + std::to_string(pg_->port()) +
                                   " is left from an interrupted restore into 'victim'; drop it"));
  ASSERT_TRUE(pg_->Tool("dropdb", "victim_ecap_dr_partial").ok());
  auto good = Dr("restore f1 --target-db victim");
  ASSERT_EQ(good.exit_code, 0) << good.err;
  EXPECT_EQ(*pg_->Psql("victim", "select count(*) from t"), "30000\n");
  EXPECT_FALSE(DatabaseExists("victim_ecap_dr_partial"));
  ASSERT_TRUE(pg_->Tool("dropdb", "victim").ok());
}

// A restore cancelled (the daemon's shutdown) while pg_restore waits for a
// lock in the target database, held by the test so the moment is certain:
// pg_restore is stopped at once and its session ended (left waiting, it would
// block the table's readers until the lock is released), the run ends
// cancelled, and the database is as it was: the one-transaction restore and
// the parallel one.
TEST_F(PgRestoreFaultTest, CancelledWhileWaitingForALockStopsPgRestoreAndEndsItsSession) {
  ASSERT_EQ(Dr("restore f1 --target-db victim").exit_code, 0);
  auto cfg = config::LoadConfigFile(config_);
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  auto count = [](const std::string& sql) {
    auto r = pg_->Psql("postgres", sql);
    return r.ok() ? std::atoi(r->c_str()) : -1;
  };
  const std::string waiting = "select count(*) from pg_locks l join pg_database d on d.oid = l.database "
                              "where not l.granted and d.datname = 'victim'";
  const std::string sessions = "select count(*) from pg_stat_activity where application_name like 'ecap-dr-restore-%'";
  for (int jobs : {0, 2}) {
    SCOPED_TRACE("jobs " + std::to_string(jobs));
    auto lock = net::pg::Connection::OpenConninfo(pg_->Conninfo() + " dbname=victim", 5);
    ASSERT_TRUE(lock.ok()) << lock.status().ToString();
    ASSERT_TRUE((*lock)->Exec("BEGIN").ok());
    ASSERT_TRUE((*lock)->Exec("LOCK TABLE t IN ACCESS EXCLUSIVE MODE").ok());
    std::stop_source stop;
    backup::ManagerOptions options;
    options.stop = stop.get_token();
    backup::BackupManager manager(*cfg, std::move(options));
    backup::RestoreResult r;
    std::atomic<bool> done{false};
    std::thread restore([&] {
      r = manager.RestoreBackup("f1", {.postgres = {.target_db = "victim", .clean = true, .jobs = jobs}});
      done = true;
    });
    bool blocked = Eventually([&] { return count(waiting) >= 1; }, std::chrono::seconds(60));
    stop.request_stop();
    // Without the cancellation reaching pg_restore the restore ends only when the lock goes.
    bool stopped = Eventually([&] { return done.load(); }, std::chrono::seconds(60));
    if (!stopped) (void)(*lock)->Exec("COMMIT");
    restore.join();
    ASSERT_TRUE(blocked) << "pg_restore never waited for the lock";
    ASSERT_TRUE(stopped) << "the cancelled restore went on waiting for the lock";
    EXPECT_EQ(r.status, "cancelled");
    EXPECT_EQ(r.error.code(), Code::kCancelled) << r.error.ToString();
    EXPECT_THAT(r.error.message(), HasSubstr("restore of item 'faults.dump' cancelled"));
    // Gone while the lock is still held: the child, its session, its place in the lock's queue.
    std::string pgrep = "pgrep -f '[p]g_restore .*-p " + std::to_string(pg_->port()) + " ' >/dev/null";
    EXPECT_NE(std::system(pgrep.c_str()), 0) << "a pg_restore outlived its cancelled restore";
    EXPECT_TRUE(Eventually([&] { return count(sessions) == 0 && count(waiting) == 0; }, std::chrono::seconds(30)))
        << "the cancelled restore's session still waits for the lock";
    ASSERT_TRUE((*lock)->Exec("COMMIT").ok());
    EXPECT_EQ(*pg_->Psql("victim", "select count(*) from t"), "30000\n");
  }
  ASSERT_TRUE(pg_->Tool("dropdb", "victim").ok());
}

}  // namespace
}  // namespace dr::test
