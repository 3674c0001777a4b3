// Shared test helpers: Status matchers (modelled on leveldb's ASSERT_LEVELDB_OK),
// temporary directories, deterministic data, and running the ecap-dr binary.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "dr/backend.h"
#include "dr/result.h"

#define EXPECT_OK(expr) EXPECT_TRUE((expr).ok()) << ::dr::test::StatusOf(expr).ToString()
#define ASSERT_OK(expr) ASSERT_TRUE((expr).ok()) << ::dr::test::StatusOf(expr).ToString()

namespace dr::test {

inline Status StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

MATCHER_P(StatusIs, code, "") { return StatusOf(arg).code() == code; }

// A directory removed (recursively) when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A real filesystem that fills up: a tmpfs of `size` ("6m") mounted at `path`
// for the life of the object (needs root, as CI has; the test fails otherwise).
class ScopedTmpfs {
 public:
  ScopedTmpfs(const std::string& path, const std::string& size);
  ~ScopedTmpfs();
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

// Deterministic pseudo-random bytes (incompressible) and text-like data (compressible).
std::string RandomData(size_t n, uint64_t seed);
std::string TextData(size_t n, uint64_t seed);

void WriteFile(const std::string& path, const std::string& data);
std::string ReadFileOrDie(const std::string& path);

// Waits for a condition another process or thread brings about: asks `done`
// every 20 ms until it holds (true) or `timeout` passed (false). The timeout
// is a bound for a test that would otherwise hang, never the thing tested.
bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout);

}  // namespace dr::test

namespace dr::test {
// A Backend that forwards to `target` without owning it: two managers (two
// "processes") over one memory repository.
std::unique_ptr<Backend> BorrowBackend(Backend& target);
}  // namespace dr::test
