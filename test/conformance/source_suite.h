// The source contract (include/dr/source.h, src/source/registry.h) as a
// parameterized suite: every registered source goes through
// backup -> restore -> compare on the memory backend, through BackupManager
// and the registration, as a user's backup and restore would.
//
// Where each source runs it (INSTANTIATE_TEST_SUITE_P with a SourceHarness):
//   files       dr_unit_tests     (test/conformance/source_suite_test.cc), no server
//   kafka       dr_kafka_tests    (test/integration/kafka/source_conformance_test.cc),
//                                 librdkafka's mock cluster, a scripted admin
//   postgresql  dr_pg_tests       (test/integration/postgres/source_conformance_test.cc),
//                                 a real PostgreSQL 15 per test, logical backups
//   s3          dr_s3_tests       (test/integration/s3/source_conformance_test.cc), a bucket
//                                 of the one radosgw the binary starts, restored into new buckets
// A source needing a server provides a harness that starts it (or borrows the
// binary's) in Prepare, and adds source_suite.cc to that test binary.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "backup/backup_manager.h"
#include "config/config.h"
#include "test/support/test_support.h"

namespace dr::test {

// What the suite needs of one source's world: data to back up, a place to
// restore to, and a way to read both back independently of the code under test.
class SourceHarness {
 public:
  virtual ~SourceHarness() = default;
  virtual std::string component() const = 0;
  // Fills the system (files, a cluster, ...) with data and points `config` at
  // it. dir: a fresh temporary directory for the harness's own use.
  virtual void Prepare(config::Config& config, const std::string& dir) = 0;
  // Changes the data: some added, some changed, some left alone (for the
  // second, incremental backup).
  virtual void Change() = 0;
  // Restore options that put the data somewhere Restored() reads, apart from
  // the original (attempt: 1, 2, ... distinct targets for successive restores).
  virtual backup::RestoreRequest RestoreTo(int attempt) = 0;
  // The data as it is now, and as restored by attempt `attempt`: item name ->
  // content (bytes, or anything that compares equal exactly when the data does).
  virtual std::map<std::string, std::string> Original() = 0;
  virtual std::map<std::string, std::string> Restored(int attempt) = 0;
  // What RestoreResult's items_restored and bytes_restored should say when
  // `backed_up` is restored; called right after its backup, before any Change().
  struct Counts {
    uint64_t items = 0;
    uint64_t bytes = 0;
  };
  virtual Counts Expected(const repo::SnapshotComponent& backed_up) = 0;
  // Test doubles the manager must use (ManagerOptions).
  virtual void Configure(backup::ManagerOptions& options) { (void)options; }
};

struct SourceCase {
  std::string name;
  std::function<std::unique_ptr<SourceHarness>()> make;
};

inline void PrintTo(const SourceCase& c, std::ostream* os) { *os << c.name; }
inline std::string SourceCaseName(const ::testing::TestParamInfo<SourceCase>& info) { return info.param.name; }

class SourceConformance : public ::testing::TestWithParam<SourceCase> {
 protected:
  void SetUp() override;
  void TearDown() override;
  // A manager over the one memory repository of this test.
  std::unique_ptr<backup::BackupManager> Manager();
  // Backs up the harness's component as `id` and returns what restoring it should count.
  SourceHarness::Counts Backup(const std::string& id);

  TempDir dir_;
  config::Config config_;
  std::unique_ptr<SourceHarness> harness_;
  std::unique_ptr<Backend> repository_;  // the memory backend every manager of the test borrows
};

}  // namespace dr::test
