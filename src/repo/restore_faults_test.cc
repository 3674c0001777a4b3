// The restore path under fire, at the repository level: a read that fails, a
// blob that does not authenticate, and a sink that fails, each at the first, a
// middle and the last blob of a stream longer than the read-ahead window. Each
// is a clean error with the right code that names the blob and its pack; none
// crashes, and nothing after the fault reaches the sink.
#include <algorithm>

#include "base/interrupt.h"
#include "repo/checker.h"
#include "repo/repository.h"
#include "storage/faulty/faulty_backend.h"
#include "storage/memory/memory_backend.h"
#include "test/support/test_support.h"

namespace dr::repo {
namespace restore_faults_test {

using test::StatusIs;
using ::testing::HasSubstr;

const std::string kKey(32, 'k');

// A sink that fails at the n-th write (0-based) with no space, as a full disk does.
class FailingSink : public ByteSink {
 public:
  explicit FailingSink(size_t fail_at) : fail_at_(fail_at) {}
  Status Write(std::string_view data) override {
    if (writes_++ == fail_at_) return Status(Code::kNoSpace, "unable to write 'target': No space left on device");
    bytes_ += data.size();
    return Status::Ok();
  }
  uint64_t bytes_ = 0;

 private:
  size_t fail_at_;
  size_t writes_ = 0;
};

class RestoreFaultsTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    auto be = std::make_unique<storage::FaultyBackend>(storage::NewMemoryBackend());
    faulty_ = be.get();
    backend_ = std::move(be);
    auto repo = Repository::Init(*backend_, {.encrypted = true, .master_key = kKey, .chunker = {}},
                                 {.compression_level = 3, .pack_size = 4 << 20, .threads = 2});
    ASSERT_OK(repo);
    repo_ = std::move(repo).value();
    data_ = test::RandomData(24 << 20, 41);
    StringSource src(data_);
    auto saved = repo_->SaveStream(src, nullptr);
    ASSERT_OK(saved);
    saved_ = *saved;
    ASSERT_GT(saved_.blobs.size(), 2 * (repo_->pool().size() + 1)) << "the stream must outrun the read-ahead window";
    ASSERT_OK(repo_->Flush());
    Snapshot snap;
    snap.backup_id = "b1";
    snap.components.push_back({"files", {{"big.bin", "file", saved_.size, saved_.sha256, saved_.blobs, {}}}, {}});
    ASSERT_OK(repo_->SaveSnapshot(snap));
  }
  void TearDown() override { ClearInterrupt(); }

  // The blob at the test's position: 0 first, 1 middle, 2 last.
  size_t Position() const {
    size_t n = saved_.blobs.size();
    return GetParam() == 0 ? 0 : GetParam() == 1 ? n / 2 : n - 1;
  }
  BlobLocation Where(size_t i) const { return *repo_->index().Find(saved_.blobs[i]); }

  std::unique_ptr<Backend> backend_;
  storage::FaultyBackend* faulty_ = nullptr;
  std::unique_ptr<Repository> repo_;
  std::string data_;
  StreamResult saved_;
};

TEST_P(RestoreFaultsTest, AFailedReadIsAnErrorNamingTheBlob) {
  size_t i = Position();
  BlobLocation loc = Where(i);
  faulty_->FailReadsCovering({ObjectKind::kPack, loc.pack_id}, loc.offset + 1,
                       Status(Code::kUnavailable, "connection reset by peer"));
  std::string out;
  StringSink sink(out);
  auto r = repo_->RestoreStream(saved_.blobs, sink, nullptr);
  ASSERT_THAT(r, StatusIs(Code::kUnavailable));
  EXPECT_THAT(r.status().message(), HasSubstr("blob '" + saved_.blobs[i].ShortHex() + "'"));
  EXPECT_THAT(r.status().message(), HasSubstr("pack '" + loc.pack_id.substr(0, 12) + "'"));
  EXPECT_EQ(out, data_.substr(0, out.size())) << "what was written is the stream's prefix";
  EXPECT_LT(out.size(), data_.size());
}

TEST_P(RestoreFaultsTest, ADamagedBlobIsCorruptAndNothingAfterItIsWritten) {
  size_t i = Position();
  BlobLocation loc = Where(i);
  faulty_->CorruptReadsCovering({ObjectKind::kPack, loc.pack_id}, loc.offset + loc.length / 2);
  std::string out;
  StringSink sink(out);
  auto r = repo_->RestoreStream(saved_.blobs, sink, nullptr);
  ASSERT_THAT(r, StatusIs(Code::kCorrupt));
  EXPECT_THAT(r.status().message(), HasSubstr("blob '" + saved_.blobs[i].ShortHex() + "'"));
  uint64_t before = 0;
  for (size_t k = 0; k < i; ++k) before += Where(k).raw_length;
  EXPECT_EQ(out, data_.substr(0, before)) << "exactly the blobs before the damaged one";

  auto v = VerifyBackup(*repo_, "b1", /*full=*/true, nullptr);
  ASSERT_FALSE(v.ok());
  ASSERT_EQ(v.items.at(0).findings.size(), 1u);
  EXPECT_EQ(v.items[0].findings[0].blob, saved_.blobs[i].hex());
  EXPECT_EQ(v.items[0].findings[0].pack, loc.pack_id);
}

TEST_P(RestoreFaultsTest, AFailingSinkStopsTheRestore) {
  size_t i = Position();
  FailingSink sink(i);
  auto r = repo_->RestoreStream(saved_.blobs, sink, nullptr);
  ASSERT_THAT(r, StatusIs(Code::kNoSpace));
  uint64_t before = 0;
  for (size_t k = 0; k < i; ++k) before += Where(k).raw_length;
  EXPECT_EQ(sink.bytes_, before);
}

TEST_P(RestoreFaultsTest, AnInterruptStopsAtTheNextBlob) {
  // "Last" interrupts at the last blob that still has one after it.
  size_t i = std::min(Position(), saved_.blobs.size() - 2);
  // Interrupt as the sink receives blob i: the restore stops before the next one.
  class InterruptingSink : public ByteSink {
   public:
    explicit InterruptingSink(size_t at) : at_(at) {}
    Status Write(std::string_view data) override {
      if (writes_++ == at_) RequestInterrupt();
      bytes_ += data.size();
      return Status::Ok();
    }
    size_t at_, writes_ = 0;
    uint64_t bytes_ = 0;
  } sink(i);
  auto r = repo_->RestoreStream(saved_.blobs, sink, nullptr);
  ASSERT_THAT(r, StatusIs(Code::kCancelled));
  EXPECT_THAT(r.status().message(), HasSubstr("interrupted"));
  EXPECT_EQ(sink.writes_, i + 1);
}

INSTANTIATE_TEST_SUITE_P(FirstMiddleLast, RestoreFaultsTest, ::testing::Values(0, 1, 2),
                         [](const auto& info) { return std::string(info.param == 0 ? "First" : info.param == 1 ? "Middle" : "Last"); });

// A pack replaced by zeros at its own size passes a size check; its trailer
// does not authenticate, so the quick checks find it without reading the data.
TEST(QuickCheckTest, AZeroFilledPackFailsTheQuickChecks) {
  auto be = storage::NewMemoryBackend();
  auto repo = Repository::Init(*be, {.encrypted = true, .master_key = kKey, .chunker = {}},
                               {.compression_level = 3, .pack_size = 1 << 20, .threads = 2});
  ASSERT_OK(repo);
  std::string data = test::RandomData(3 << 20, 42);
  StringSource src(data);
  auto saved = (*repo)->SaveStream(src, nullptr);
  ASSERT_OK(saved);
  ASSERT_OK((*repo)->Flush());
  Snapshot snap;
  snap.backup_id = "b1";
  snap.components.push_back({"files", {{"a.bin", "file", saved->size, saved->sha256, saved->blobs, {}}}, {}});
  ASSERT_OK((*repo)->SaveSnapshot(snap));
  ASSERT_TRUE(CheckRepository(**repo, {}).ok());
  ASSERT_TRUE(VerifyBackup(**repo, "b1", false, nullptr).ok());

  BlobLocation loc = *(*repo)->index().Find(saved->blobs.back());
  ASSERT_OK(be->Put({ObjectKind::kPack, loc.pack_id}, std::string(loc.pack_size, '\0'), {.overwrite = true}));

  auto report = CheckRepository(**repo, {});
  ASSERT_FALSE(report.ok());
  bool named = false;
  for (const auto& f : report.findings) named |= f.pack == loc.pack_id && f.message.find("trailer") != std::string::npos;
  EXPECT_TRUE(named) << report.ToJson().dump();
  auto v = VerifyBackup(**repo, "b1", false, nullptr);
  ASSERT_FALSE(v.ok());
  ASSERT_FALSE(v.items.at(0).findings.empty());
  EXPECT_EQ(v.items[0].findings[0].pack, loc.pack_id);
  EXPECT_THAT(v.items[0].findings[0].message, HasSubstr("backup 'b1' item 'a.bin'"));
  EXPECT_THAT(v.items[0].findings[0].message, HasSubstr("damaged"));
}

}  // namespace restore_faults_test
}  // namespace dr::repo
