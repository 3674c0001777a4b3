// Every restore option against every way a component is restored: an option
// that would be ignored is a usage error naming the option and the component.
#include "backup/restore_options.h"

#include <gmock/gmock.h>

#include "test/support/test_support.h"

namespace dr::backup {
namespace {

using ::testing::HasSubstr;
// The restore modes the registered sources declare (source/*/..._spec.cc).
const RestoreMode kFiles = "files";
const RestoreMode kPostgresServer = "postgresql.server";
const RestoreMode kPostgresPhysical = "postgresql.physical";
const RestoreMode kPostgresExtract = "postgresql.extract";
const RestoreMode kS3 = "s3";
const RestoreMode kKafka = "kafka";

repo::SnapshotComponent Component(const std::string& name, const std::string& kind = "file") {
  repo::SnapshotComponent c;
  c.name = name;
  c.items.push_back({.name = "x", .kind = kind});
  return c;
}

TEST(RestoreOptionsTest, ModeFollowsComponentBackupKindAndTarget) {
  EXPECT_EQ(ModeFor(Component("files"), {}), kFiles);
  EXPECT_EQ(ModeFor(Component("s3"), {}), kS3);
  EXPECT_EQ(ModeFor(Component("kafka"), {}), kKafka);
  EXPECT_EQ(ModeFor(Component("postgresql", "pg_dump"), {}), kPostgresServer);
  EXPECT_EQ(ModeFor(Component("postgresql", "pg_basebackup"), {}), kPostgresPhysical);
  EXPECT_EQ(ModeFor(Component("postgresql", "pg_dump"), {.target_dir = "/tmp/x"}), kPostgresExtract);
  std::string out;
  StringSink sink(out);
  EXPECT_EQ(ModeFor(Component("postgresql", "pg_basebackup"), {.single_sink = &sink}), kPostgresExtract);
}

TEST(RestoreOptionsTest, DefaultsAreNeverAnError) {
  for (RestoreMode m : {kFiles, kPostgresServer, kPostgresPhysical, kPostgresExtract, kS3, kKafka}) {
    EXPECT_TRUE(CheckRestoreOptions({}, {m}).ok()) << DescribeMode(m);
  }
}

struct Case {
  const char* option;
  RestoreRequest request;
  RestoreMode applies;  // one mode it applies to
};

TEST(RestoreOptionsTest, EachOptionIsRefusedWhereItDoesNotApply) {
  std::string out;
  StringSink sink(out);
  const std::vector<Case> cases = {
      {"--target", {.target_dir = "d"}, kFiles},
      {"--item", {.items = {"x"}}, kPostgresExtract},
      {"--stdout", {.single_sink = &sink}, kFiles},
      {"--overwrite", {.overwrite = true}, kFiles},
      {"--database", {.postgres = {.databases = {"shop"}}}, kPostgresServer},
      {"--target-db", {.postgres = {.target_db = "copy"}}, kPostgresServer},
      {"--target-host", {.postgres = {.target_host = "h"}}, kPostgresServer},
      {"--target-port", {.postgres = {.target_port = 5433}}, kPostgresServer},
      {"--clean", {.postgres = {.clean = true}}, kPostgresServer},
      {"--jobs", {.postgres = {.jobs = 1}}, kPostgresServer},
      {"--globals", {.postgres = {.globals = true}}, kPostgresServer},
      {"--pgdata", {.postgres = {.pgdata = "/d"}}, kPostgresPhysical},
      {"--target-time", {.postgres = {.target_time = "2026-01-01"}}, kPostgresPhysical},
      {"--target-lsn", {.postgres = {.target_lsn = "0/1"}}, kPostgresPhysical},
      {"--target-name", {.postgres = {.target_name = "p"}}, kPostgresPhysical},
      {"--target-immediate", {.postgres = {.target_immediate = true}}, kPostgresPhysical},
      {"--target-action", {.postgres = {.target_action = "promote"}}, kPostgresPhysical},
      {"--keep-archiving", {.postgres = {.keep_archiving = true}}, kPostgresPhysical},
      {"--target-bucket", {.s3 = {.target_bucket = "b"}}, kS3},
      {"--prefix", {.s3 = {.prefix = "p/"}}, kS3},
      {"--bootstrap-servers", {.kafka = {.bootstrap_servers = "h:9092"}}, kKafka},
      {"--topics", {.kafka = {.topics = {"t"}}}, kKafka},
      {"--topic-prefix", {.kafka = {.topic_prefix = "r."}}, kKafka},
      {"--to-time", {.kafka = {.to_time = "2026-01-01T00:00:00Z"}}, kKafka},
      {"--allow-existing-data", {.kafka = {.allow_existing_data = true}}, kKafka},
  };
  for (const auto& c : cases) {
    EXPECT_TRUE(CheckRestoreOptions(c.request, {c.applies}).ok()) << c.option;
    for (RestoreMode m : {kFiles, kPostgresServer, kPostgresPhysical, kPostgresExtract, kS3, kKafka}) {
      Status s = CheckRestoreOptions(c.request, {m});
      if (s.ok()) continue;
      EXPECT_EQ(s.code(), Code::kInvalidArgument) << c.option;
      EXPECT_EQ(s.exit_code(), 2);
      EXPECT_THAT(s.message(), HasSubstr("option " + std::string(c.option) + " does not apply to " + DescribeMode(m)));
    }
  }
  // The cases the issue found: a PostgreSQL restore into a server ignored these.
  for (const char* option : {"--item", "--stdout", "--target", "--overwrite"}) {
    auto it = std::find_if(cases.begin(), cases.end(), [&](const Case& c) { return std::string(c.option) == option; });
    EXPECT_FALSE(CheckRestoreOptions(it->request, {kPostgresServer}).ok()) << option;
    EXPECT_FALSE(CheckRestoreOptions(it->request, {kPostgresPhysical}).ok()) << option;
    EXPECT_FALSE(CheckRestoreOptions(it->request, {kS3}).ok()) << option;
    EXPECT_FALSE(CheckRestoreOptions(it->request, {kKafka}).ok()) << option;
  }
  // Server options make no sense when the raw items are extracted.
  EXPECT_FALSE(CheckRestoreOptions({.target_dir = "d", .postgres = {.target_db = "copy"}}, {kPostgresExtract}).ok());
  EXPECT_FALSE(CheckRestoreOptions({.postgres = {.pgdata = "/d"}}, {kPostgresServer}).ok());
  EXPECT_FALSE(CheckRestoreOptions({.postgres = {.target_db = "copy"}}, {kPostgresPhysical}).ok());
}

TEST(RestoreOptionsTest, SeveralComponentsAcceptAnOptionOfAnyOfThem) {
  EXPECT_TRUE(CheckRestoreOptions({.s3 = {.target_bucket = "b"}}, {kS3, kKafka}).ok());
  Status s = CheckRestoreOptions({.postgres = {.target_db = "copy"}}, {kS3, kKafka});
  EXPECT_THAT(s.message(), HasSubstr("option --target-db does not apply to component 's3', component 'kafka'"));
}

}  // namespace
}  // namespace dr::backup
