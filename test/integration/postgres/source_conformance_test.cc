// The source conformance suite (test/conformance/source_suite.h) for
// postgresql, logical backups: a real PostgreSQL 15 per test, each restore
// into a new database of the same server (--target-db).
#include "test/conformance/source_suite.h"
#include "test/support/pg_server.h"

namespace dr::test {
namespace {

class PostgresHarness : public SourceHarness {
 public:
  std::string component() const override { return "postgresql"; }
  void Prepare(config::Config& config, const std::string& dir) override {
    auto pg = PgServer::Start(dir + "/pg", {});
    ASSERT_TRUE(pg.ok()) << "PostgreSQL 15 must start for these tests: " << pg.status().ToString();
    pg_ = std::move(*pg);
    ASSERT_TRUE(pg_->Tool("createdb", "shop").ok());
    ASSERT_TRUE(Sql("shop", "create table orders (id int primary key, note text, total numeric(10,2)); "
                            "insert into orders select g, repeat(md5(g::text), 3), g * 1.25 "
                            "from generate_series(1, 5000) g; "
                            "create table customers (id serial primary key, name text not null); "
                            "insert into customers (name) select 'customer ' || g from generate_series(1, 300) g"));
    config.postgresql_configured = true;
    config.postgresql.host = pg_->host();
    config.postgresql.port = pg_->port();
    config.postgresql.username = "postgres";
    config.postgresql.databases = {"shop"};
    config.postgresql.connect_timeout = 3;
  }
  void Change() override {
    ASSERT_TRUE(Sql("shop", "insert into orders select g, 'late', 1 from generate_series(5001, 5100) g; "
                            "update orders set note = 'changed' where id % 100 = 0; delete from customers where id > 250"));
  }
  backup::RestoreRequest RestoreTo(int attempt) override {
    return {.postgres = {.target_db = Target(attempt)}};
  }
  std::map<std::string, std::string> Original() override { return Read("shop"); }
  std::map<std::string, std::string> Restored(int attempt) override { return Read(Target(attempt)); }
  // One item restored per database dump, with the dump's bytes.
  Counts Expected(const repo::SnapshotComponent& backed_up) override {
    Counts c;
    for (const auto& item : backed_up.items) {
      if (item.kind != "pg_dump") continue;
      c.items++;
      c.bytes += item.size;
    }
    return c;
  }

 private:
  static std::string Target(int attempt) { return "shop_r" + std::to_string(attempt); }
  bool Sql(const std::string& db, const std::string& sql) {
    auto r = pg_->Psql(db, sql);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok();
  }
  std::map<std::string, std::string> Read(const std::string& db) {
    std::map<std::string, std::string> out;
    for (const char* table : {"orders", "customers"}) {
      auto rows = pg_->Psql(db, std::string("select * from ") + table + " order by id");
      out[table] = rows.ok() ? *rows : "error: " + rows.status().ToString();
    }
    return out;
  }
  std::unique_ptr<PgServer> pg_;
};

INSTANTIATE_TEST_SUITE_P(Sources, SourceConformance,
                         ::testing::Values(SourceCase{"postgresql", [] { return std::make_unique<PostgresHarness>(); }}),
                         SourceCaseName);

}  // namespace
}  // namespace dr::test
