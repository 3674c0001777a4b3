// The Backend contract (include/dr/backend.h) as a parameterized suite. Every
// backend runs it: memory and local in the unit tests (backend_suite_test.cc),
// S3 against a real server in the integration tests (test/integration/s3).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "dr/backend.h"
#include "test/support/test_support.h"

namespace dr {

struct BackendFactory {
  std::string name;
  // dir: a fresh temporary directory the backend may use.
  std::function<std::unique_ptr<Backend>(const std::string& dir)> make;
};

class BackendConformance : public ::testing::TestWithParam<BackendFactory> {};

class Conformance : public BackendConformance {
 protected:
  void SetUp() override {
    be_ = GetParam().make(dir_.path());
    ASSERT_TRUE(be_ != nullptr);
  }
  test::TempDir dir_;
  std::unique_ptr<Backend> be_;
};

}  // namespace dr
