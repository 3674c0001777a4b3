#include "source/files/files_source.h"

#include <fcntl.h>
#include <unistd.h>

#include "test/support/test_support.h"

namespace dr::source {
namespace {

// Drains every stream and records what the source announced and read.
class RecordingWriter : public ItemWriter {
 public:
  Status AddStream(ItemHeader header, ByteSource& data, const std::function<void(nlohmann::json&)>&) override {
    char buf[1 << 16];
    while (true) {
      DR_ASSIGN_OR_RETURN(size_t n, data.Read(buf, sizeof buf));
      if (n == 0) break;
      read_ += n;
      if (expected_calls_ == 0) read_before_expected_ = true;
    }
    names_.push_back(header.name);
    return Status::Ok();
  }
  Status AddEntry(ItemHeader) override { return Status::Ok(); }
  Status AddUnchanged(const repo::SnapshotItem&) override { return Status::Ok(); }
  void SetComponentMeta(nlohmann::json) override {}
  void ExpectBytes(uint64_t bytes) override {
    expected_ += bytes;
    ++expected_calls_;
  }

  uint64_t read_ = 0, expected_ = 0;
  int expected_calls_ = 0;
  bool read_before_expected_ = false;
  std::vector<std::string> names_;
};

// Backup progress had no total for files though their sizes are known up front.
TEST(FilesSourceTest, AnnouncesTheBytesItWillReadBeforeReading) {
  test::TempDir dir;
  test::WriteFile(dir / "in/a.bin", test::RandomData(300000, 1));
  test::WriteFile(dir / "in/sub/b.txt", test::TextData(120000, 2));
  test::WriteFile(dir / "in/skip.log", test::TextData(50000, 3));
  test::WriteFile(dir / "stdin.txt", "from a file on stdin");
  int fd = ::open((dir / "stdin.txt").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  FilesSource source({.paths = {dir / "in"}, .exclude = {"*.log"}, .streams = {{"s", fd}}});
  RecordingWriter writer;
  ASSERT_OK(source.Backup(writer));
  ::close(fd);
  EXPECT_EQ(writer.expected_calls_, 1);
  EXPECT_FALSE(writer.read_before_expected_);
  EXPECT_EQ(writer.expected_, 300000u + 120000u + 20u) << "excluded files are not counted";
  EXPECT_EQ(writer.read_, writer.expected_);
}

TEST(FilesSourceTest, AStreamOfUnknownSizeLeavesTheTotalUnknown) {
  test::TempDir dir;
  test::WriteFile(dir / "a.txt", "abc");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::write(fds[1], "xyz", 3), 3);
  ::close(fds[1]);
  FilesSource source({.paths = {dir / "a.txt"}, .exclude = {}, .streams = {{"p", fds[0]}}});
  RecordingWriter writer;
  ASSERT_OK(source.Backup(writer));
  ::close(fds[0]);
  EXPECT_EQ(writer.expected_calls_, 0) << "a partial total would make a wrong percentage and ETA";
  EXPECT_EQ(writer.read_, 6u);
}

}  // namespace
}  // namespace dr::source
