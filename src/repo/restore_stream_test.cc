// Repository::RestoreStream when its sink or a blob read fails part way: the
// first error is returned, nothing after it is written, and the read-ahead
// window is drained without touching an empty queue (issue 11: a target that
// refused a write while blobs were still to be read crashed the restore with
// std::future_error or SIGSEGV).
#include "repo/repository.h"
#include "storage/faulty/faulty_backend.h"
#include "storage/memory/memory_backend.h"
#include "test/support/test_support.h"

namespace dr::repo {
namespace {

using test::StatusIs;

// Takes `accept` writes, then refuses every later one as an S3 target would.
class RefusingSink : public ByteSink {
 public:
  explicit RefusingSink(int accept) : accept_(accept) {}
  Status Write(std::string_view data) override {
    if (writes_ >= accept_) return NotFound("bucket 'gone' does not exist");
    writes_++;
    bytes_ += data.size();
    return Status::Ok();
  }
  int writes() const { return writes_; }
  uint64_t bytes() const { return bytes_; }

 private:
  int accept_;
  int writes_ = 0;
  uint64_t bytes_ = 0;
};

struct Saved {
  std::unique_ptr<storage::FaultyBackend> backend;
  std::unique_ptr<Repository> repo;
  StreamResult stream;
};

// Many blobs (far more than the read-ahead window of 2 * (threads + 1)).
Saved SaveManyBlobs() {
  Saved s;
  s.backend = std::make_unique<storage::FaultyBackend>(storage::NewMemoryBackend());
  auto repo = Repository::Init(*s.backend, {.encrypted = true, .master_key = std::string(32, 'k'), .chunker = {}},
                               {.compression_level = 1, .pack_size = 1 << 20, .threads = 2});
  EXPECT_OK(repo);
  s.repo = std::move(repo).value();
  std::string data = test::RandomData(40 << 20, 11);
  StringSource src(data);
  auto saved = s.repo->SaveStream(src, nullptr);
  EXPECT_OK(saved);
  s.stream = *saved;
  EXPECT_OK(s.repo->Flush());
  EXPECT_GT(s.stream.blobs.size(), 2 * (2 + 1) + 2u) << "the test needs more blobs than the read-ahead window";
  return s;
}

TEST(RestoreStreamTest, TargetRefusingAtEachPointIsAnErrorNotACrash) {
  Saved s = SaveManyBlobs();
  const int blobs = static_cast<int>(s.stream.blobs.size());
  for (int accept : {0, 1, blobs / 2, blobs - 1}) {
    RefusingSink sink(accept);
    auto r = s.repo->RestoreStream(s.stream.blobs, sink, nullptr);
    EXPECT_THAT(r, StatusIs(Code::kNotFound)) << "refusing after " << accept << " writes";
    EXPECT_EQ(sink.writes(), accept) << "nothing is written after the first refusal";
  }
  RefusingSink all(blobs);
  auto whole = s.repo->RestoreStream(s.stream.blobs, all, nullptr);
  ASSERT_OK(whole);
  EXPECT_EQ(whole->sha256, s.stream.sha256);
}

TEST(RestoreStreamTest, FailedBlobReadStopsTheStreamAndNamesTheBlob) {
  Saved s = SaveManyBlobs();
  s.backend->FailNext(storage::Op::kGet, Unavailable("injected read failure"), 1000);
  RefusingSink sink(1 << 30);
  auto r = s.repo->RestoreStream(s.stream.blobs, sink, nullptr);
  EXPECT_THAT(r, StatusIs(Code::kUnavailable));
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("blob '"));
  EXPECT_EQ(sink.writes(), 0);
}

}  // namespace
}  // namespace dr::repo
