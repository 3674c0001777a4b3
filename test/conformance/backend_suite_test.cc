// Runs the Backend contract (backend_suite.cc) on the memory and local backends.
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

}  // namespace
}  // namespace dr
