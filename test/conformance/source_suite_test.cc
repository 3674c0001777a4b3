// The source conformance suite (source_suite.h) for the sources that need no
// server: files. The others instantiate it in their integration test binaries.
#include <unistd.h>

#include <filesystem>

#include "test/conformance/source_suite.h"

namespace dr::test {
namespace {

namespace fs = std::filesystem;

// Files, directories and a symlink under one directory, restored under --target.
class FilesHarness : public SourceHarness {
 public:
  std::string component() const override { return "files"; }
  void Prepare(config::Config& config, const std::string& dir) override {
    dir_ = dir;
    WriteFile(Src() + "/a.txt", "alpha");
    WriteFile(Src() + "/nested/b.bin", RandomData(700000, 3));
    WriteFile(Src() + "/nested/deeper/empty", "");
    WriteFile(Src() + "/c.csv", TextData(50000, 4));
    ASSERT_EQ(::symlink("nested/b.bin", (Src() + "/link").c_str()), 0);
    config.files.paths = {Src()};
  }
  void Change() override {
    WriteFile(Src() + "/a.txt", "alpha, changed");
    WriteFile(Src() + "/nested/new.bin", RandomData(300000, 9));
    fs::remove(Src() + "/c.csv");
  }
  backup::RestoreRequest RestoreTo(int attempt) override { return {.target_dir = Out(attempt)}; }
  std::map<std::string, std::string> Original() override { return Read(Src()); }
  std::map<std::string, std::string> Restored(int attempt) override { return Read(Out(attempt) + Src()); }
  // Every entry is an item (the directory given too); the bytes are the files'.
  Counts Expected(const repo::SnapshotComponent&) override {
    Counts c{.items = Read(Src()).size()};
    for (const auto& e : fs::recursive_directory_iterator(Src())) {
      if (e.is_regular_file() && !e.is_symlink()) c.bytes += e.file_size();
    }
    return c;
  }

 private:
  std::string Src() const { return dir_ + "/src"; }
  std::string Out(int attempt) const { return dir_ + "/out" + std::to_string(attempt); }
  // Every entry under root (root itself too, as the backup holds it): content,
  // "dir" or the symlink's target.
  static std::map<std::string, std::string> Read(const std::string& root) {
    std::map<std::string, std::string> out;
    if (!fs::exists(root)) return out;
    out["."] = "dir";
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      std::string name = e.path().lexically_relative(root).string();
      if (e.is_symlink()) {
        out[name] = "-> " + fs::read_symlink(e.path()).string();
      } else if (e.is_directory()) {
        out[name] = "dir";
      } else {
        out[name] = ReadFileOrDie(e.path().string());
      }
    }
    return out;
  }
  std::string dir_;
};

INSTANTIATE_TEST_SUITE_P(Sources, SourceConformance,
                         ::testing::Values(SourceCase{"files", [] { return std::make_unique<FilesHarness>(); }}),
                         SourceCaseName);

}  // namespace
}  // namespace dr::test
