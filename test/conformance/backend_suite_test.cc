// Runs the Backend contract (backend_suite.cc) on the memory and local backends.
#include <chrono>
#include <filesystem>
#include <map>

#include "storage/local/local_backend.h"
#include "storage/memory/memory_backend.h"
#include "test/conformance/backend_suite.h"
#include "test/support/test_support.h"

namespace dr {
namespace {

INSTANTIATE_TEST_SUITE_P(
    Backends, Conformance,
    ::testing::Values(BackendFactory{"memory", [](const std::string&) { return storage::NewMemoryBackend(); }},
                      BackendFactory{"local",
                                     [](const std::string& dir) {
                                       return std::move(storage::NewLocalBackend({.root = dir + "/repo"})).value();
                                     }}),
    [](const auto& info) { return info.param.name; });

// Local-only: a writer killed mid-Put leaves a ".tmp-*" file that nobody sees.
TEST(LocalBackendTest, TempFilesAreInvisible) {
  test::TempDir dir;
  auto be = std::move(storage::NewLocalBackend({.root = dir.path()})).value();
  test::WriteFile(dir / "snapshots/.tmp-123-0-abc", "half");
  test::WriteFile(dir / "data/ab/.tmp-9-9-9", "half");
  int n = 0;
  ASSERT_OK(be->List(ObjectKind::kSnapshot, [&](const ObjectInfo&) {
    ++n;
    return Status::Ok();
  }));
  ASSERT_OK(be->List(ObjectKind::kPack, [&](const ObjectInfo&) {
    ++n;
    return Status::Ok();
  }));
  EXPECT_EQ(n, 0);
}

// ...but ListLeftovers reports them, with size and mtime, and RemoveLeftover removes them.
TEST(LocalBackendTest, LeftoversAreListedAndRemovable) {
  test::TempDir dir;
  auto be = std::move(storage::NewLocalBackend({.root = dir.path()})).value();
  ASSERT_OK(be->Put({ObjectKind::kSnapshot, "s1"}, "whole", {}));
  test::WriteFile(dir / ".tmp-1-0-a", "config half");
  test::WriteFile(dir / "snapshots/.tmp-123-0-abc", "half");
  test::WriteFile(dir / "data/ab/.tmp-9-9-9", "half a pack");
  std::map<std::string, Leftover> found;
  ASSERT_OK(be->ListLeftovers([&](const Leftover& l) {
    found[l.name] = l;
    return Status::Ok();
  }));
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found.at("data/ab/.tmp-9-9-9").size, 11u);
  EXPECT_EQ(found.at(".tmp-1-0-a").size, 11u);
  auto age = std::chrono::system_clock::now() - found.at("snapshots/.tmp-123-0-abc").modified;
  EXPECT_LT(age, std::chrono::minutes(1));
  EXPECT_GT(age, -std::chrono::minutes(1));

  ASSERT_OK(be->RemoveLeftover(found.at("data/ab/.tmp-9-9-9")));
  EXPECT_FALSE(std::filesystem::exists(dir / "data/ab/.tmp-9-9-9"));
  EXPECT_EQ(be->RemoveLeftover(found.at("data/ab/.tmp-9-9-9")).code(), Code::kNotFound);
  // Only temporary files: never an object, never outside the root.
  EXPECT_EQ(be->RemoveLeftover({.name = "snapshots/s1"}).code(), Code::kInvalidArgument);
  EXPECT_EQ(be->RemoveLeftover({.name = "../x/.tmp-1"}).code(), Code::kInvalidArgument);
  EXPECT_TRUE(be->Stat({ObjectKind::kSnapshot, "s1"}).ok());
}

TEST(LocalBackendTest, MemoryBackendHasNoLeftovers) {
  auto be = storage::NewMemoryBackend();
  int n = 0;
  ASSERT_OK(be->ListLeftovers([&](const Leftover&) {
    ++n;
    return Status::Ok();
  }));
  EXPECT_EQ(n, 0);
  EXPECT_EQ(be->RemoveLeftover({.name = ".tmp-1"}).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace dr
