#include "security/audit/audit_log.h"

#include <fstream>
#include <thread>

#include "test/support/test_support.h"

namespace dr::security {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}
void WriteLines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::trunc);
  for (const auto& l : lines) out << l << "\n";
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_ / "log/audit.log";
    AuditLog log(path_);
    for (int i = 1; i <= 5; ++i) {
      ASSERT_OK(log.Append({"alice", "s1", "local"}, {"backup.create", "b" + std::to_string(i), "success", {}}));
    }
  }
  AuditVerifyResult Verify() { return AuditLog(path_).Verify(); }
  test::TempDir dir_;
  std::string path_;
};

TEST_F(AuditLogTest, IntactChainVerifies) {
  auto r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.records, 5u);
  auto records = AuditLog(path_).Read("", "alice");
  ASSERT_OK(records);
  ASSERT_EQ(records->size(), 5u);
  EXPECT_EQ((*records)[2]["target"], "b3");
  EXPECT_EQ((*records)[2]["user"], "alice");
  EXPECT_EQ((*records)[2]["source"], "local");
  EXPECT_TRUE(AuditLog(path_).Read("", "bob")->empty());
}

TEST_F(AuditLogTest, EditIsFound) {
  auto lines = ReadLines(path_);
  auto pos = lines[2].find("\"b3\"");
  lines[2].replace(pos, 4, "\"bX\"");
  WriteLines(path_, lines);
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.problem, HasSubstr("record 3 (line 3 of " + path_ + "): its content does not match its hash"));
}

TEST_F(AuditLogTest, DeletionInsertionAndReorderingAreFound) {
  auto lines = ReadLines(path_);
  auto deleted = lines;
  deleted.erase(deleted.begin() + 1);
  WriteLines(path_, deleted);
  EXPECT_THAT(Verify().problem, HasSubstr("record 3 (line 2 of " + path_ + "): it does not follow record 1"));

  auto reordered = lines;
  std::swap(reordered[1], reordered[2]);
  WriteLines(path_, reordered);
  EXPECT_THAT(Verify().problem, HasSubstr("record 3 (line 2"));

  auto inserted = lines;
  inserted.insert(inserted.begin() + 2, lines[1]);
  WriteLines(path_, inserted);
  EXPECT_THAT(Verify().problem, HasSubstr("record 2 (line 3"));
}

TEST_F(AuditLogTest, TruncationIsFound) {
  auto lines = ReadLines(path_);
  lines.pop_back();
  WriteLines(path_, lines);
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.problem, HasSubstr("the log ends at record 4 but 5 were written"));
}

TEST_F(AuditLogTest, ChainSurvivesRotation) {
  AuditLog log(path_);
  ASSERT_OK(log.Rotate());
  ASSERT_OK(log.Append({"bob", "s2", "10.0.0.9"}, {"backup.delete", "b1", "denied", {}}));
  auto r = log.Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.records, 6u);
  EXPECT_EQ(r.files.size(), 2u);
  // Deleting the rotated file's last record still breaks the link into the new file.
  auto old_lines = ReadLines(path_ + ".1");
  old_lines.pop_back();
  WriteLines(path_ + ".1", old_lines);
  EXPECT_THAT(log.Verify().problem, HasSubstr("record 6 (line 1 of " + path_ + "): it does not follow record 4"));
}

TEST_F(AuditLogTest, ConcurrentWritersKeepOneChain) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      AuditLog log(path_);
      for (int i = 0; i < 20; ++i) {
        Status s = log.Append({"w" + std::to_string(t), "s", "local"}, {"backup.list", "", "success", {}});
        EXPECT_TRUE(s.ok()) << s.ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  auto r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.records, 85u);
}

}  // namespace
}  // namespace dr::security
