// The operations layer on a memory repository and a fake clock: every
// operation is authorized, audited and emitted the same way, whoever calls it.
#include "ops/operation.h"

#include <cstdlib>
#include <sstream>

#include "base/encoding.h"
#include "base/fake_clock.h"
#include "events/event_store.h"
#include "ops/access_ops.h"
#include "ops/backup_json_writer.h"
#include "ops/backup_ops.h"
#include "ops/coordinator_ops.h"
#include "security/audit/audit_log.h"
#include "storage/memory/memory_backend.h"
#include "test/support/counting_backend.h"
#include "test/support/test_support.h"

namespace dr::ops {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class OpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("ECAP_BACKUP_ENCRYPTION_KEY", Base64Encode(std::string(32, 'K')).c_str(), 1);
    test::WriteFile(dir_ / "src/a.txt", "abc");
    backend_ = storage::NewMemoryBackend();
    ctx_.config.files.paths = {dir_ / "src"};
    ctx_.config.audit.log_file = dir_ / "audit/audit.log";
    ctx_.config.access_control.enabled = true;
    ctx_.config.access_control.users["alice"] = {"backup.list", "backup.verify"};
    ctx_.config.access_control.users["root"] = {"*"};
    ctx_.identity = {.user = "alice", .session = "s-1", .source = "10.0.0.5"};
    ctx_.clock = &clock_;
    ctx_.events = &events_;
    ctx_.open_backend = [this] { return test::BorrowBackend(*backend_); };
  }
  void TearDown() override { ::unsetenv("ECAP_BACKUP_ENCRYPTION_KEY"); }

  std::vector<json> AuditRecords() {
    auto records = security::AuditLog(ctx_.config.audit.log_file, clock_).Read("", "");
    EXPECT_OK(records);
    return records.ok() ? *records : std::vector<json>{};
  }
  void As(const std::string& user) { ctx_.identity.user = user; }

  test::TempDir dir_;
  FakeClock clock_;
  events::MemorySink events_{clock_};
  std::unique_ptr<Backend> backend_;
  OperationContext ctx_;
};

TEST_F(OpsTest, DenialIsAuditedEmittedAndPermissionDenied) {
  OpResult r = CreateBackup(ctx_, "b1", {});
  EXPECT_EQ(r.status.code(), Code::kPermissionDenied);
  EXPECT_EQ(r.exit_code(), 3);
  EXPECT_THAT(r.status.message(), HasSubstr("permission denied: user 'alice' may not backup.create"));
  EXPECT_EQ(r.ToJson()["error"]["code"], "permission_denied");
  EXPECT_EQ(r.ToJson()["status"], "failed");

  auto records = AuditRecords();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["operation"], "backup.create");
  EXPECT_EQ(records[0]["result"], "denied");
  EXPECT_EQ(records[0]["target"], "b1");
  EXPECT_EQ(records[0]["user"], "alice");
  EXPECT_EQ(records[0]["session"], "s-1");
  EXPECT_EQ(records[0]["source"], "10.0.0.5");

  ASSERT_THAT(events_.types(), ElementsAre("access_denied"));
  json e = events_.events()[0].data;
  EXPECT_EQ(e["user"], "alice");
  EXPECT_EQ(e["permission"], "backup.create");
  EXPECT_EQ(e["source"], "10.0.0.5");
  // A denied operation does nothing: there is still no repository.
  As("root");
  EXPECT_EQ(ListBackups(ctx_).status.code(), Code::kNotFound);
}

TEST_F(OpsTest, SuccessIsAuditedAndEmittedWithOneShapeOfComponents) {
  As("root");
  ASSERT_OK(InitRepository(ctx_).status);
  OpResult created = CreateBackup(ctx_, "b1", {.tags = {"daily"}});
  ASSERT_OK(created.status);
  EXPECT_EQ(created.data["status"], "completed");
  uint64_t items = created.data["components"]["files"]["items"];
  EXPECT_GE(items, 1u);

  auto records = AuditRecords();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1]["operation"], "backup.create");
  EXPECT_EQ(records[1]["result"], "success");
  EXPECT_EQ(records[1]["details"]["backup_id"], "b1");
  ASSERT_THAT(events_.types(), ElementsAre("repository_initialized", "backup_completed"));
  json e = events_.events()[1].data;
  EXPECT_EQ(e["backup_id"], "b1");
  EXPECT_EQ(e["user"], "root");
  EXPECT_EQ(e["status"], "completed");

  // list and show print the same "components" object create prints; show adds the items.
  OpResult list = ListBackups(ctx_);
  ASSERT_OK(list.status);
  json listed = list.data["backups"][0];
  EXPECT_EQ(listed["components"]["files"]["items"], items);
  EXPECT_EQ(listed["components"]["files"]["size_bytes"], created.data["components"]["files"]["size_bytes"]);
  EXPECT_FALSE(listed["components"]["files"].contains("item_details"));
  OpResult show = ShowBackup(ctx_, "b1");
  ASSERT_OK(show.status);
  json files = show.data["components"]["files"];
  EXPECT_EQ(files["items"], items);
  ASSERT_EQ(files["item_details"].size(), items);
  bool found = false;
  for (const auto& item : files["item_details"]) {
    if (item["kind"] != "file") continue;
    found = true;
    EXPECT_EQ(item["sha256"], "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(show.data["tags"][0], "daily");
  EXPECT_FALSE(show.data.contains("format")) << "the public JSON is not the on-disk manifest";
  EXPECT_FALSE(show.data.contains("stats"));
}

TEST_F(OpsTest, FailureCarriesItsCodeIntoJsonAuditAndEvent) {
  As("root");
  OpResult r = CreateBackup(ctx_, "b1", {});  // no repository
  EXPECT_EQ(r.status.code(), Code::kNotFound);
  EXPECT_EQ(r.ToJson()["status"], "failed");
  EXPECT_EQ(r.ToJson()["error"]["code"], "not_found");
  auto records = AuditRecords();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["result"], "failed");
  EXPECT_EQ(records[0]["details"]["error"]["code"], "not_found");
  ASSERT_THAT(events_.types(), ElementsAre("backup_failed"));
  EXPECT_EQ(events_.events()[0].data["error"]["code"], "not_found");
}

// The code of a missing backup comes from the finding's Status, not from its wording.
TEST_F(OpsTest, VerifyOfAMissingBackupIsNotFound) {
  As("root");
  ASSERT_OK(InitRepository(ctx_).status);
  As("alice");
  OpResult r = Verify(ctx_, "nope", /*full=*/false);
  EXPECT_EQ(r.status.code(), Code::kNotFound);
  EXPECT_EQ(r.data["verification_results"]["overall_status"], "failed");
  EXPECT_EQ(r.ToJson()["error"]["code"], "not_found");
  EXPECT_EQ(events_.types().back(), "verify_failed");
  EXPECT_EQ(AuditRecords().back()["operation"], "backup.verify");
  EXPECT_EQ(AuditRecords().back()["result"], "failed");
}

TEST_F(OpsTest, ACallersLastCheckAfterAuthorizationIsAuditedAsFailed) {
  As("root");
  ctx_.before_run = [] { return Status(Code::kCancelled, "not confirmed"); };
  OpResult r = InitRepository(ctx_);
  EXPECT_EQ(r.status.code(), Code::kCancelled);
  auto records = AuditRecords();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["result"], "failed");
  EXPECT_TRUE(events_.types().empty());
}

// Every manager ops makes uses the state directory's summary cache: the next
// command (a new manager) lists without reading a snapshot, with the same JSON
// as a listing that reads them all (issue 12).
TEST_F(OpsTest, ListingsUseTheStateDirectorysSummaryCache) {
  As("root");
  ASSERT_OK(InitRepository(ctx_).status);
  ASSERT_OK(CreateBackup(ctx_, "b1", {.tags = {"daily"}}).status);
  clock_.Advance(std::chrono::seconds(60));
  ASSERT_OK(CreateBackup(ctx_, "b2", {}).status);
  std::atomic<int> reads = 0;
  ctx_.open_backend = [&] { return std::make_unique<test::CountingBackend>(test::BorrowBackend(*backend_), &reads); };
  OpResult warm = ListBackups(ctx_);
  ASSERT_OK(warm.status);
  EXPECT_EQ(reads, 0);
  ASSERT_EQ(warm.data["backups"].size(), 2u);
  EXPECT_EQ(warm.data["backups"][0]["tags"], json({"daily"}));
  // Without a state directory (no audit log): each manager reads every snapshot.
  ctx_.config.audit.log_file = "";
  OpResult cold = ListBackups(ctx_);
  ASSERT_OK(cold.status);
  EXPECT_EQ(reads, 2);
  EXPECT_EQ(warm.data, cold.data);
}

// Backups and failovers land in one history, which `events` reads.
TEST_F(OpsTest, BackupAndFailoverShareOneHistory) {
  As("root");
  auto cfg = config::LoadConfigString(
      "dr_coordinator:\n  state_dir: \"" + dir_ / "state" +
          "\"\n  services:\n    - {name: db, type: postgresql, timeout_seconds: 1,"
          " primary: \"host=127.0.0.1 port=1\", standby: \"host=127.0.0.1 port=2\"}\n",
      "c.yaml");
  ASSERT_OK(cfg);
  cfg->files = ctx_.config.files;
  cfg->audit = ctx_.config.audit;
  cfg->access_control = ctx_.config.access_control;
  ctx_.config = *cfg;
  ASSERT_EQ(events::HistoryPath(ctx_.config), dir_ / "state/events.db");
  auto store = events::EventStore::Open(events::HistoryPath(ctx_.config), clock_);
  ASSERT_OK(store);
  ctx_.events = store->get();

  ASSERT_OK(InitRepository(ctx_).status);
  ASSERT_OK(CreateBackup(ctx_, "b1", {}).status);
  // A dry run against servers that do not answer: refused at its preconditions, and recorded.
  OpResult failover = Failover(ctx_, {.reason = "drill", .dry_run = true});
  EXPECT_FALSE(failover.ok());
  EXPECT_TRUE(failover.ToJson()["error"].is_object());
  EXPECT_TRUE(failover.ToJson()["error"]["code"].is_string());
  EXPECT_EQ(failover.ToJson()["error"]["code"], failover.status.code_name());

  OpResult history = Events(ctx_, 10, {});
  ASSERT_OK(history.status);
  std::vector<std::string> types;
  for (const auto& e : history.data["events"]) types.push_back(e["event_type"].get<std::string>());
  EXPECT_THAT(types, ElementsAre("failover_dry_run", "backup_completed", "repository_initialized"));
  OpResult backups_only = Events(ctx_, 10, {"backup_completed"});
  ASSERT_EQ(backups_only.data["events"].size(), 1u);
  EXPECT_EQ(backups_only.data["events"][0]["data"]["backup_id"], "b1");
  EXPECT_EQ(backups_only.data["events"][0]["timestamp"], "2026-11-18T11:06:40.000Z");
}

}  // namespace
}  // namespace dr::ops

namespace dr::ops {
namespace {

// `backup show` streamed (the CLI's way) prints the very document the
// collected ShowBackup builds, is audited once like it, and a callback's
// error ends it with that error.
TEST_F(OpsTest, StreamedShowPrintsTheDocumentShowBuilds) {
  As("root");
  test::WriteFile(dir_ / "src/sub/b.bin", test::RandomData(300 << 10, 4));
  ASSERT_OK(InitRepository(ctx_).status);
  ASSERT_OK(CreateBackup(ctx_, "b1", {}).status);
  OpResult whole = ShowBackup(ctx_, "b1");
  ASSERT_OK(whole.status);
  std::ostringstream out;
  BackupJsonWriter writer(out);
  OpResult streamed = ShowBackup(ctx_, "b1",
                                 {.header = [&](const repo::Snapshot& s) { return writer.Begin(s); },
                                  .item = [&](size_t c, repo::SnapshotItem&& i) { return writer.Item(c, i); }});
  ASSERT_OK(streamed.status);
  ASSERT_OK(writer.Finish());
  EXPECT_EQ(out.str(), whole.data.dump(2) + "\n");
  EXPECT_FALSE(streamed.data["components"]["files"].contains("item_details")) << "data: the summary only";
  EXPECT_EQ(AuditRecords().back()["operation"], "backup.list");

  OpResult stopped = ShowBackup(ctx_, "b1", {.header = [](const repo::Snapshot&) { return Status::Ok(); },
                                             .item = [](size_t, repo::SnapshotItem&&) {
                                               return Status(Code::kNoSpace, "stdout is full");
                                             }});
  EXPECT_EQ(stopped.status.code(), Code::kNoSpace);
  EXPECT_EQ(AuditRecords().back()["result"], "failed");
}

// After a breach: a revoked user is refused every operation, whatever
// access_control says and also with it disabled, until reinstated; nobody
// revokes itself; a damaged list refuses everyone, naming the file.
TEST_F(OpsTest, ARevokedUserIsRefusedEverythingUntilReinstated) {
  As("root");
  ASSERT_OK(InitRepository(ctx_).status);
  As("alice");
  ASSERT_OK(ListBackups(ctx_).status);
  OpResult denied = RevokeAccess(ctx_, "bob", "", "");
  EXPECT_EQ(denied.status.code(), Code::kPermissionDenied) << "revoking needs access.revoke";
  As("root");
  OpResult self = RevokeAccess(ctx_, "root", "", "");
  EXPECT_EQ(self.status.code(), Code::kInvalidArgument);
  EXPECT_THAT(self.status.message(), HasSubstr("cannot revoke its own access"));
  OpResult revoked = RevokeAccess(ctx_, "alice", "", "token leaked");
  ASSERT_OK(revoked.status);
  EXPECT_EQ(revoked.data["by"], "root");
  EXPECT_EQ(events_.events().back().event_type, "access_revoked");

  As("alice");
  OpResult refused = ListBackups(ctx_);
  EXPECT_EQ(refused.status.code(), Code::kPermissionDenied);
  EXPECT_THAT(refused.status.message(), HasSubstr("access revoked at"));
  EXPECT_THAT(refused.status.message(), HasSubstr("by root: token leaked"));
  ctx_.config.access_control.enabled = false;
  EXPECT_EQ(ListBackups(ctx_).status.code(), Code::kPermissionDenied) << "also with access control off";
  ctx_.config.access_control.enabled = true;

  As("root");
  OpResult list = ListRevoked(ctx_);
  ASSERT_OK(list.status);
  ASSERT_EQ(list.data["revoked"].size(), 1u);
  EXPECT_EQ(list.data["revoked"][0]["user"], "alice");
  OpResult back = ReinstateAccess(ctx_, "alice", "");
  ASSERT_OK(back.status);
  EXPECT_EQ(back.data["was_revoked"], true);
  As("alice");
  EXPECT_OK(ListBackups(ctx_).status);

  // Edited by hand with a wrong type: still a revocation, never an exception.
  test::WriteFile(dir_ / "audit/revoked_users.json", R"({"revoked": {"alice": {"revoked_at": 5, "by": null}}})");
  EXPECT_EQ(ListBackups(ctx_).status.code(), Code::kPermissionDenied);
  test::WriteFile(dir_ / "audit/revoked_users.json", "{not json");
  OpResult damaged = ListBackups(ctx_);
  EXPECT_EQ(damaged.status.code(), Code::kPermissionDenied);
  EXPECT_THAT(damaged.status.message(), HasSubstr("revoked_users.json is damaged"));
}

}  // namespace
}  // namespace dr::ops
