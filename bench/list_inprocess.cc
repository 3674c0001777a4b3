// In-process cost of listing backups (issue 12), on a repository made by
// bench/list_bench.sh: what a daemon pays per `ops::ListBackups` once its
// summary cache is warm, without a process start, and where that time goes.
//
// Usage: dr_bench_list_inprocess CFG [ROUNDS]   (ROUNDS default 5)
// Prints, per round, the milliseconds of:
//   list      BackupManager::ListAllBackups with the state directory's cache
//             (LIST of the snapshot objects + the cache; snapshots it lacks are read)
//   ops       ops::ListBackups: the same plus authorization, the audit record
//             and the JSON document of every backup
//   dump      serializing that document as `--json backup list` prints it
// The first round starts from whatever the file holds; later rounds reuse the
// process's connection, as the daemon does.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "backup/backup_manager.h"
#include "backup/sqlite_summary_cache.h"
#include "config/config.h"
#include "events/event_store.h"
#include "ops/backup_ops.h"

namespace {

double MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CFG [ROUNDS]\n", argv[0]);
    return 2;
  }
  int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  auto config = dr::config::LoadConfigFile(argv[1]);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.status().ToString().c_str());
    return 1;
  }
  dr::backup::SqliteSummaryCache cache(dr::events::HistoryPath(*config));
  dr::ops::OperationContext ctx{.config = *config, .identity = {.user = "bench", .session = "", .source = "local"}};
  for (int round = 1; round <= rounds; ++round) {
    auto start = std::chrono::steady_clock::now();
    dr::backup::BackupManager manager(*config, {.summary_cache = &cache});
    auto listing = manager.ListAllBackups();
    double list_ms = MillisSince(start);
    if (!listing.ok()) {
      std::fprintf(stderr, "%s\n", listing.status().ToString().c_str());
      return 1;
    }
    start = std::chrono::steady_clock::now();
    dr::ops::OpResult r = dr::ops::ListBackups(ctx);
    double ops_ms = MillisSince(start);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status.ToString().c_str());
      return 1;
    }
    start = std::chrono::steady_clock::now();
    std::string text = r.ToJson().dump(2);
    double dump_ms = MillisSince(start);
    std::printf("round %d: %zu backups; list %.1f ms, ops %.1f ms, dump %.1f ms (%zu bytes)\n", round,
                listing->backups.size(), list_ms, ops_ms, dump_ms, text.size());
  }
  return 0;
}
