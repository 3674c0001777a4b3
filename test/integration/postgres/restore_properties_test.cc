// What a logical restore brings back beyond the rows: the database's owner,
// privileges and settings, under its own name and another, and a warning for
// what the target cannot take (a role it does not have). Also the raw items
// extracted for users who restore with their own tools, and restore options
// that do not apply being refused. A real PostgreSQL 15 and the ecap-dr binary.
#include <filesystem>

#include <nlohmann/json.hpp>

#include "backup/backup_manager.h"
#include "base/subprocess.h"
#include "config/config.h"
#include "test/integration/cli/cli_harness.h"
#include "test/support/pg_server.h"

namespace dr::test {
namespace restore_properties_test {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kPgBin = "/usr/lib/postgresql/15/bin/";

// Roles, then a database with a non-default owner, ACL, settings (one a quoted
// list), a per-role setting, a comment and a connection limit.
const char* kRoles = "create role alice; create role bob login; create role carol; create role eve login";
const char* kProperties = R"SQL(
alter database props owner to alice;
revoke connect, temporary on database props from public;
grant connect on database props to bob;
grant create on database props to carol with grant option;
alter database props set work_mem = '64MB';
alter database props set search_path = "$user", public, "My Schema";
alter role bob in database props set statement_timeout = '5s';
comment on database props is 'the props''s database';
alter database props connection limit 7;
)SQL";

// Everything the test compares, with the ACL sorted (its order is not meaningful).
std::string Properties(const PgServer& pg, const std::string& db) {
  auto p = pg.Psql("postgres",
                   "select pg_get_userbyid(d.datdba) || ' | ' || "
                   "coalesce((select string_agg(x::text, ',' order by x::text) from unnest(d.datacl) x), 'default') || ' | ' || "
                   "d.datconnlimit || ' | ' || coalesce(shobj_description(d.oid, 'pg_database'), '') || ' | ' || "
                   "pg_encoding_to_char(d.encoding) || ' | ' || d.datcollate || ' | ' || "
                   "coalesce((select string_agg(coalesce(pg_get_userbyid(nullif(s.setrole, 0)), '*') || ':' || "
                   "array_to_string(s.setconfig, ';'), ',' order by pg_get_userbyid(nullif(s.setrole, 0)) nulls first) "
                   "from pg_db_role_setting s "
                   "where s.setdatabase = d.oid), '') from pg_database d where d.datname = '" + db + "'");
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *p : "";
}

class PgRestorePropertiesTest : public CliFixture {
 protected:
  static void SetUpTestSuite() {
    base_ = new TempDir();
    auto pg = PgServer::Start(base_->path() + "/pg", {});
    ASSERT_TRUE(pg.ok()) << "PostgreSQL 15 must start for these tests: " << pg.status().ToString();
    pg_ = std::move(pg).value().release();
    ASSERT_TRUE(pg_->Psql("postgres", kRoles).ok());
    ASSERT_TRUE(pg_->Tool("createdb", "props").ok());
    auto props = pg_->Psql("postgres", kProperties);
    ASSERT_TRUE(props.ok()) << props.status().ToString();
    ASSERT_TRUE(pg_->Psql("props", "create table t (id int primary key, v text); "
                                   "insert into t select g, md5(g::text) from generate_series(1, 1000) g").ok());
    original_ = new std::string(Properties(*pg_, "props"));
  }
  static void TearDownTestSuite() {
    delete pg_;
    delete base_;
    delete original_;
  }
  void SetUp() override {
    CliFixture::SetUp();
    WritePgConfig(pg_->port());
    InitRepo();
  }
  void WritePgConfig(int port, const std::string& user = "postgres") {
    WriteFile(config_, PgCliConfig(repo_, key_, port, "props", user));
  }
  // Moves the live database aside for the test and back afterwards.
  struct Aside {
    ~Aside() {
      (void)pg_->Tool("dropdb", "--if-exists props");
      (void)pg_->Psql("postgres", "alter database props_aside rename to props");
    }
  };
  static Aside MoveAside() {
    EXPECT_TRUE(pg_->Psql("postgres", "alter database props rename to props_aside").ok());
    return {};
  }
  static std::string Count(const PgServer& pg, const std::string& db) {
    auto n = pg.Psql(db, "select count(*) from t");
    return n.ok() ? *n : n.status().ToString();
  }

  static TempDir* base_;
  static PgServer* pg_;
  static std::string* original_;
};
TempDir* PgRestorePropertiesTest::base_ = nullptr;
PgServer* PgRestorePropertiesTest::pg_ = nullptr;
std::string* PgRestorePropertiesTest::original_ = nullptr;

TEST_F(PgRestorePropertiesTest, ADroppedDatabaseComesBackWithOwnerPrivilegesAndSettings) {
  ASSERT_THAT(*original_, HasSubstr("alice | "));
  ASSERT_THAT(*original_, HasSubstr("bob=c/alice"));
  ASSERT_THAT(*original_, HasSubstr("work_mem=64MB"));
  ASSERT_EQ(Dr("backup create --id p1 --component postgresql").exit_code, 0);
  auto aside = MoveAside();
  auto r = Dr("--json restore p1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["warnings"], json::array()) << r.out;
  EXPECT_EQ(Properties(*pg_, "props"), *original_);
  EXPECT_EQ(Count(*pg_, "props"), "1000\n");
  EXPECT_EQ(*pg_->Psql("postgres", "select has_database_privilege('eve', 'props', 'CONNECT')"), "f\n")
      << "a role the backup did not allow must not connect";
  EXPECT_EQ(*pg_->Psql("postgres", "select has_database_privilege('bob', 'props', 'CONNECT')"), "t\n");
}

TEST_F(PgRestorePropertiesTest, UnderAnotherNameTheCopyHasTheSameProperties) {
  ASSERT_EQ(Dr("backup create --id p2 --component postgresql").exit_code, 0);
  for (const char* jobs : {"", " --jobs 2"}) {
    auto r = Dr(std::string("restore p2 --target-db props_copy") + jobs);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(Properties(*pg_, "props_copy"), *original_) << jobs;
    EXPECT_EQ(Count(*pg_, "props_copy"), "1000\n");
    ASSERT_TRUE(pg_->Tool("dropdb", "props_copy").ok());
  }
}

// Into a server without the roles: the data restores, each lost property is a
// warning (stderr, and --json), and the database is not left open to everyone.
TEST_F(PgRestorePropertiesTest, RolesMissingOnTheTargetAreWarningsAndPublicStaysOut) {
  ASSERT_EQ(Dr("backup create --id p3 --component postgresql").exit_code, 0);
  TempDir dir;
  auto second = PgServer::Start(dir.path() + "/pg2", {});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_TRUE((*second)->Psql("postgres", "create role eve login").ok());
  std::string port = std::to_string((*second)->port());
  auto r = Dr("--json restore p3 --target-host 127.0.0.1 --target-port " + port);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  std::string warnings = j["warnings"].dump();
  EXPECT_THAT(warnings, HasSubstr("database 'props': owner 'alice' not restored: the role does not exist"));
  EXPECT_THAT(warnings, HasSubstr("privileges CONNECT of role 'bob' not restored"));
  EXPECT_THAT(warnings, HasSubstr("privileges CREATE of role 'carol' not restored"));
  EXPECT_THAT(warnings, HasSubstr("setting statement_timeout=5s of role 'bob' not restored"));
  EXPECT_THAT(r.err, HasSubstr("owner 'alice' not restored")) << "warnings also reach a person";
  EXPECT_EQ(Count(**second, "props"), "1000\n");
  EXPECT_EQ(*(*second)->Psql("postgres", "select has_database_privilege('eve', 'props', 'CONNECT')"), "f\n");
  EXPECT_THAT(Properties(**second, "props"), HasSubstr("work_mem=64MB")) << "what could be restored was";

  // With the roles restored first (--globals), nothing is lost.
  ASSERT_TRUE((*second)->Tool("dropdb", "props").ok());
  auto g = Dr("--json restore p3 --globals --target-host 127.0.0.1 --target-port " + port);
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_EQ(json::parse(g.out)["warnings"], json::array()) << g.out;
  EXPECT_EQ(Properties(**second, "props"), *original_);
}

// A backup made before the properties were recorded (the meta removed from its
// snapshot, as older versions wrote it) still restores, and says what it lacks.
TEST_F(PgRestorePropertiesTest, AnOlderBackupWithoutPropertiesStillRestoresWithAWarning) {
  ASSERT_EQ(Dr("backup create --id old --component postgresql").exit_code, 0);
  {
    auto cfg = config::LoadConfigFile(config_);
    ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
    backup::BackupManager manager(*cfg);
    auto repo = manager.Repository();
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    auto snap = (*repo)->LoadSnapshot("old");
    ASSERT_TRUE(snap.ok());
    for (auto& c : snap->components) {
      for (auto& item : c.items) item.meta.erase("database_properties");
    }
    ASSERT_TRUE((*repo)->SaveSnapshot(*snap, /*replace=*/true).ok());
  }
  auto r = Dr("--json restore old --target-db props_old");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(json::parse(r.out)["warnings"].dump(),
              HasSubstr("the backup of database 'props' was made before ecap-dr recorded database properties"));
  EXPECT_EQ(Count(*pg_, "props_old"), "1000\n");
  ASSERT_TRUE(pg_->Tool("dropdb", "props_old").ok());
}

// pg_dump's archive and pg_dumpall's globals, as files and on stdout, usable
// with pg_restore and psql; no database is created or touched.
TEST_F(PgRestorePropertiesTest, RawItemsAreExtractedForTheUsersOwnTools) {
  ASSERT_EQ(Dr("backup create --id p4 --component postgresql").exit_code, 0);
  std::string databases_before = *pg_->Psql("postgres", "select string_agg(datname, ',' order by datname) from pg_database");
  std::string out = dir_ / "extracted";
  auto r = Dr("--json restore p4 --target " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["files"], json::array({out + "/globals.sql", out + "/props.dump"})) << r.out;
  EXPECT_EQ(*pg_->Psql("postgres", "select string_agg(datname, ',' order by datname) from pg_database"),
            databases_before);
  auto list = RunCommand({.argv = {kPgBin + "pg_restore", "-l", out + "/props.dump"}});
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_THAT(*list, HasSubstr("TABLE public t postgres"));
  EXPECT_THAT(ReadFileOrDie(out + "/globals.sql"), HasSubstr("CREATE ROLE alice"));
  EXPECT_FALSE(std::filesystem::exists(out + "/.ecap-dr-partial-props.dump"));

  ASSERT_TRUE(pg_->Tool("createdb", "props_by_hand").ok());
  ASSERT_TRUE(pg_->Tool("pg_restore", "-d props_by_hand " + out + "/props.dump").ok());
  EXPECT_EQ(Count(*pg_, "props_by_hand"), "1000\n");
  ASSERT_TRUE(pg_->Tool("dropdb", "props_by_hand").ok());

  auto one = Dr("restore p4 --item props.dump --stdout");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_TRUE(one.out == ReadFileOrDie(out + "/props.dump")) << "the same bytes on stdout as in the file";
  auto piped = RunCommand({.argv = {"sh", "-c", DrBinary() + " -c " + config_ +
                                                    " restore p4 --item props.dump --stdout | " + kPgBin +
                                                    "pg_restore -l"}});
  ASSERT_TRUE(piped.ok()) << piped.status().ToString();
  EXPECT_THAT(*piped, HasSubstr("TABLE DATA public t postgres"));
  auto globals = Dr("restore p4 --item globals.sql --stdout");
  ASSERT_EQ(globals.exit_code, 0) << globals.err;
  EXPECT_THAT(globals.out, HasSubstr("CREATE ROLE bob"));

  auto again = Dr("restore p4 --target " + out);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("'" + out + "/globals.sql' already exists; use --overwrite"));
  EXPECT_EQ(Dr("restore p4 --target " + out + " --overwrite --database props").exit_code, 0);
  auto all = Dr("restore p4 --stdout");
  EXPECT_EQ(all.exit_code, 2);
  EXPECT_THAT(all.err, HasSubstr("--stdout writes exactly one item; choose it with --item"));
  auto missing = Dr("restore p4 --item nope.dump --stdout");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("no item named 'nope.dump' in component 'postgresql' (it has: globals.sql, props.dump)"));
}

// Each option that would be ignored is a usage error (exit 2) naming it and the
// component, and nothing is created.
TEST_F(PgRestorePropertiesTest, OptionsThatDoNotApplyAreUsageErrors) {
  ASSERT_EQ(Dr("backup create --id p5 --component postgresql").exit_code, 0);
  std::string databases_before = *pg_->Psql("postgres", "select string_agg(datname, ',' order by datname) from pg_database");
  struct Case {
    std::string args, option;
  };
  for (const auto& c : std::vector<Case>{
           {"--target-bucket lake", "--target-bucket"},
           {"--prefix a/", "--prefix"},
           {"--topics t", "--topics"},
           {"--bootstrap-servers h:1", "--bootstrap-servers"},
           {"--pgdata " + dir_ / "pgdata", "--pgdata"},
           {"--target-time 2026-01-01", "--target-time"},
           {"--keep-archiving", "--keep-archiving"},
           {"--overwrite --target-db x", "--overwrite"},
           {"--target " + dir_ / "x" + " --target-db props_x", "--target-db"},
           {"--target " + dir_ / "x" + " --clean", "--clean"},
           {"--target " + dir_ / "x" + " --jobs 2", "--jobs"},
           {"--item props.dump --target-db props_x", "--item"},
       }) {
    auto r = Dr("restore p5 " + c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr("option " + c.option + " does not apply to component 'postgresql'")) << c.args;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "x"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "pgdata"));
  EXPECT_EQ(*pg_->Psql("postgres", "select string_agg(datname, ',' order by datname) from pg_database"),
            databases_before);

  // The same check for the other components: a files backup refuses database options.
  WriteFile(dir_ / "src/a.txt", "alpha");
  ASSERT_EQ(Dr("backup create --id f1 --files " + dir_ / "src").exit_code, 0);
  auto f = Dr("restore f1 --target " + dir_ / "out" + " --target-db x");
  EXPECT_EQ(f.exit_code, 2);
  EXPECT_THAT(f.err, HasSubstr("option --target-db does not apply to component 'files'"));
  auto j = Dr("--json restore f1 --target " + dir_ / "out" + " --topics t");
  EXPECT_EQ(j.exit_code, 2);
  EXPECT_THAT(j.err, HasSubstr("option --topics does not apply to component 'files'"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out"));
}

}  // namespace restore_properties_test
}  // namespace dr::test
