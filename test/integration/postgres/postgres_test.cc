// Logical PostgreSQL backups against a real PostgreSQL 15 on loopback, through
// the ecap-dr binary: round trips compared table by table, restores into
// another database and another server, and the faults a DBA meets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "coordinator/health_check.h"
#include "net/postgres/pg_client.h"
#include "test/integration/cli/cli_harness.h"
#include "test/support/pg_server.h"

namespace dr::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// Every common type, plus a large object.
const char* kSchema = R"SQL(
create table kinds (
  id bigserial primary key, name text not null, price numeric(12,2), ratio double precision,
  created timestamptz default '2026-11-26 10:41:00+00', day date, attrs jsonb, raw bytea,
  tags text[], scores int[], uid uuid, active boolean, span interval);
insert into kinds (name, price, ratio, day, attrs, raw, tags, scores, uid, active, span)
select 'item ' || g, g * 1.25, g / 7.0, date '2026-01-01' + g % 365,
       jsonb_build_object('n', g, 'even', g % 2 = 0, 'label', 'l' || g),
       decode(md5(g::text), 'hex'), array['a' || g, 'b'], array[g, g * 2],
       md5(g::text)::uuid, g % 3 = 0, (g || ' minutes')::interval
from generate_series(1, 5000) g;
select lo_from_bytea(424242, convert_to(repeat('large object payload ', 2000), 'UTF8'));
create view expensive as select * from kinds where price > 1000;
)SQL";

// One checksum per table (content in a canonical order) and one for large objects.
std::string Checksums(const PgServer& pg, const std::string& db) {
  auto tables = pg.Psql(db, "select string_agg(tablename, ' ' order by tablename) from pg_tables where schemaname = 'public'");
  EXPECT_TRUE(tables.ok()) << tables.status().ToString();
  std::string out;
  std::stringstream names(*tables);
  std::string t;
  while (names >> t) {
    auto sum = pg.Psql(db, "select '" + t + "=' || count(*) || ':' || md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from public." + t + " x");
    EXPECT_TRUE(sum.ok()) << sum.status().ToString();
    out += *sum;
  }
  auto lo = pg.Psql(db, "select 'lo=' || count(*) || ':' || md5(coalesce(string_agg(md5(lo_get(oid)), ',' order by oid), '')) from pg_largeobject_metadata");
  EXPECT_TRUE(lo.ok()) << lo.status().ToString();
  return out + *lo;
}

class PostgresTest : public CliFixture {
 protected:
  static void SetUpTestSuite() {
    base_ = new TempDir();
    auto pg = PgServer::Start(base_->path() + "/pg1", {});
    ASSERT_TRUE(pg.ok()) << "PostgreSQL 15 must start for these tests: " << pg.status().ToString();
    pg_ = std::move(pg).value().release();
    ASSERT_TRUE(pg_->Tool("createdb", "shop").ok());
    ASSERT_TRUE(pg_->Tool("pgbench", "-i -s 2 -q shop").ok());
    auto schema = pg_->Psql("shop", kSchema);
    ASSERT_TRUE(schema.ok()) << schema.status().ToString();
    original_ = new std::string(Checksums(*pg_, "shop"));
  }
  static void TearDownTestSuite() {
    delete pg_;
    delete base_;
    delete original_;
  }
  void SetUp() override {
    CliFixture::SetUp();
    WritePgConfig(pg_->port(), "shop");
  }
  void WritePgConfig(int port, const std::string& db, const std::string& extra = "") {
    WriteFile(config_, PgCliConfig(repo_, key_, port, db, "postgres", extra));
  }

  static TempDir* base_;
  static PgServer* pg_;
  static std::string* original_;
};
TempDir* PostgresTest::base_ = nullptr;
PgServer* PostgresTest::pg_ = nullptr;
std::string* PostgresTest::original_ = nullptr;

TEST_F(PostgresTest, LogicalRoundTripAfterTheDatabaseIsDropped) {
  ASSERT_THAT(*original_, HasSubstr("pgbench_accounts=200000:"));
  ASSERT_THAT(*original_, HasSubstr("kinds=5000:"));
  ASSERT_THAT(*original_, HasSubstr("lo=1:"));
  InitRepo();
  auto b = Dr("--json backup create --id nightly_0101 --component postgresql");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  json j = json::parse(b.out);
  EXPECT_EQ(j["status"], "completed");
  EXPECT_EQ(j["components"]["postgresql"]["items"], 2);  // globals.sql + shop.dump
  auto show = json::parse(Dr("--json backup show nightly_0101").out);
  EXPECT_EQ(show["components"]["postgresql"]["meta"]["server_version"].get<std::string>().substr(0, 3), "15.");
  ASSERT_EQ(Dr("verify nightly_0101 --full").exit_code, 0);

  ASSERT_TRUE(pg_->Tool("dropdb", "shop_tmp_restore --if-exists").ok());
  ASSERT_TRUE(pg_->Psql("postgres", "alter database shop rename to shop_before").ok());
  auto r = Dr("restore nightly_0101");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Checksums(*pg_, "shop"), *original_);
  ASSERT_TRUE(pg_->Tool("dropdb", "shop").ok());
  ASSERT_TRUE(pg_->Psql("postgres", "alter database shop_before rename to shop").ok());
}

TEST_F(PostgresTest, RestoreUnderAnotherNameInParallelAndIntoASecondServer) {
  InitRepo();
  ASSERT_EQ(Dr("backup create --id b1 --component postgresql").exit_code, 0);
  auto r = Dr("restore b1 --component postgresql --target-db shop_copy --jobs 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Checksums(*pg_, "shop_copy"), *original_);
  ASSERT_TRUE(pg_->Tool("dropdb", "shop_copy").ok());

  TempDir second_dir;
  auto second = PgServer::Start(second_dir.path() + "/pg2", {});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  auto r2 = Dr("restore b1 --globals --target-host 127.0.0.1 --target-port " + std::to_string((*second)->port()));
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_EQ(Checksums(**second, "shop"), *original_);
}

TEST_F(PostgresTest, NonEmptyTargetIsRefusedUnlessClean) {
  InitRepo();
  ASSERT_EQ(Dr("backup create --id b1 --component postgresql").exit_code, 0);
  ASSERT_TRUE(pg_->Tool("createdb", "busy").ok());
  ASSERT_TRUE(pg_->Psql("busy", "create table precious (x int); insert into precious values (7)").ok());
  auto r = Dr("restore b1 --target-db busy");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("database 'busy' on 127.0.0.1:" + std::to_string(pg_->port()) + " is not empty"));
  EXPECT_EQ(*pg_->Psql("busy", "select count(*) from pg_tables where schemaname = 'public'"), "1\n")
      << "a refused restore must not touch the database";
  auto clean = Dr("restore b1 --target-db busy --clean");
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_EQ(*pg_->Psql("busy", "select x from precious"), "7\n") << "--clean leaves objects the backup does not hold";
  EXPECT_THAT(Checksums(*pg_, "busy"), HasSubstr("kinds=5000:"));
  ASSERT_TRUE(pg_->Tool("dropdb", "busy").ok());
}

TEST_F(PostgresTest, ServerDownNamesHostAndPort) {
  int closed = FreePort();
  WritePgConfig(closed, "shop");
  InitRepo();
  auto r = Dr("backup create --id down --component postgresql");
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_THAT(r.err, HasSubstr("unable to connect to PostgreSQL at 127.0.0.1:" + std::to_string(closed)));
  EXPECT_THAT(Dr("--json backup list").out, ::testing::Not(HasSubstr("\"down\"")));
}

// A server that stops answering must fail a health check, not hold the
// monitor: a bounded connection gives up on a statement that outlasts its
// bound and on a server that takes the connection but never answers.
TEST_F(PostgresTest, ABoundedConnectionGivesUpOnAServerThatDoesNotAnswer) {
  auto conn = net::pg::Connection::OpenBounded(pg_->Conninfo(), 1);
  ASSERT_OK(conn);
  EXPECT_EQ(*(*conn)->QueryValue("SELECT 41 + 1"), "42");
  auto start = std::chrono::steady_clock::now();
  auto slow = (*conn)->Query("SELECT pg_sleep(60)");
  EXPECT_THAT(slow, StatusIs(Code::kUnavailable));
  EXPECT_THAT(slow.status().message(), HasSubstr("did not answer within 1 s"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20)) << "it gave up; it did not wait";
  EXPECT_THAT((*conn)->Query("SELECT 1"), StatusIs(Code::kUnavailable)) << "the connection is not used again";

  // A listening socket nobody serves: the connection is taken, nothing answers.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  std::shared_ptr<void> closer(nullptr, [fd](void*) { ::close(fd); });
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::string silent = "host=127.0.0.1 port=" + std::to_string(ntohs(addr.sin_port)) + " user=postgres dbname=postgres";
  auto none = net::pg::Connection::OpenBounded(silent, 0.5);
  EXPECT_THAT(none, StatusIs(Code::kUnavailable));
  EXPECT_THAT(none.status().message(), HasSubstr("no answer within 0.5 s"));
  // The coordinator's check of such a primary fails, with its bound in the error.
  config::CoordinatedService db{.name = "shop-db", .type = "postgresql", .primary = silent, .timeout_seconds = 0.5};
  auto check = coordinator::RunCheck(db, {});
  EXPECT_EQ(check.status, coordinator::Health::kFailed);
  EXPECT_THAT(check.error, HasSubstr("no answer within 0.5 s"));
}

TEST_F(PostgresTest, MissingDatabaseIsNamed) {
  WritePgConfig(pg_->port(), "no_such_db");
  InitRepo();
  auto r = Dr("backup create --id missing --component postgresql");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("database \"no_such_db\" does not exist"));
}

TEST_F(PostgresTest, BadPasswordIsPermissionDenied) {
  TempDir dir;
  auto secured = PgServer::Start(dir.path() + "/pg", {.password = "right-password"});
  ASSERT_TRUE(secured.ok()) << secured.status().ToString();
  InitRepo();  // before the configuration below, whose password variable is set per command
  WriteFile(config_, "backup_manager:\n  backup_dir: \"" + repo_ + "\"\nencryption:\n  auto_generate_key: true\n"
                     "  key_file: \"" + key_ + "\"\npostgresql:\n  host: 127.0.0.1\n  port: " +
                     std::to_string((*secured)->port()) + "\n  database: postgres\n  username: app\n"
                     "  password: \"${ECAP_TEST_PG_PASSWORD}\"\n");
  auto bad = Dr("backup create --id bad --component postgresql", "ECAP_TEST_PG_PASSWORD=wrong");
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_THAT(bad.err, HasSubstr("password authentication failed for user \"app\""));
  EXPECT_EQ(bad.err.find("wrong"), std::string::npos) << "the password must not be printed";
  auto good = Dr("backup create --id good --component postgresql", "ECAP_TEST_PG_PASSWORD=right-password");
  EXPECT_EQ(good.exit_code, 0) << good.err;
}

// pg_dump dies half-way: the backup fails, nothing is visible, the repository stays consistent.
TEST_F(PostgresTest, PgDumpKilledMidwayLeavesNoBackup) {
  std::string bin = dir_ / "bin";
  std::filesystem::create_directories(bin);
  for (const char* tool : {"pg_dumpall", "pg_restore", "psql"}) {
    std::filesystem::create_symlink(std::string("/usr/lib/postgresql/15/bin/") + tool, bin + "/" + tool);
  }
  WriteFile(bin + "/pg_dump",
            "#!/bin/sh\ncase \"$1\" in --version) exec /usr/lib/postgresql/15/bin/pg_dump --version;; esac\n"
            "/usr/lib/postgresql/15/bin/pg_dump \"$@\" | head -c 300000\necho 'pg_dump: terminated by signal' >&2\n"
            "kill -9 $$\n");
  std::filesystem::permissions(bin + "/pg_dump", std::filesystem::perms::owner_all);
  WritePgConfig(pg_->port(), "shop", "  bin_dir: \"" + bin + "\"\n");
  InitRepo();
  auto r = Dr("backup create --id cut --component postgresql");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("pg_dump was killed by signal 9"));
  EXPECT_THAT(r.err, HasSubstr("shop.dump"));
  EXPECT_THAT(Dr("--json backup list").out, ::testing::Not(HasSubstr("\"cut\"")));
  EXPECT_EQ(Dr("repo check").exit_code, 0);
}

}  // namespace
}  // namespace dr::test

namespace dr::test {
namespace {

// A pg_dump older than the server is refused before anything is written, naming both versions.
TEST_F(PostgresTest, OldPgDumpIsRefusedNamingBothVersions) {
  std::string bin = dir_ / "oldbin";
  std::filesystem::create_directories(bin);
  for (const char* tool : {"pg_dumpall", "pg_restore", "psql"}) {
    std::filesystem::create_symlink(std::string("/usr/lib/postgresql/15/bin/") + tool, bin + "/" + tool);
  }
  WriteFile(bin + "/pg_dump", "#!/bin/sh\necho 'pg_dump (PostgreSQL) 14.9'\n");
  std::filesystem::permissions(bin + "/pg_dump", std::filesystem::perms::owner_all);
  WritePgConfig(pg_->port(), "shop", "  bin_dir: \"" + bin + "\"\n");
  InitRepo();
  auto r = Dr("backup create --id old --component postgresql");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("pg_dump 14.9 (" + bin + "/pg_dump) is older than the server 15."));
  EXPECT_THAT(Dr("--json backup list").out, ::testing::Not(HasSubstr("\"old\"")));
}

}  // namespace
}  // namespace dr::test
