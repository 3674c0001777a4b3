// In-process cost of listing backups (issue 12), on a repository made by
// bench/list_bench.sh: what a daemon pays per `ops::ListBackups` once its
// summary cache is warm, without a process start, and where that time goes.
//
// Usage: dr_bench_list_inprocess CFG [ROUNDS] [CREATE_UP_TO]   (ROUNDS default 5)
// With CREATE_UP_TO, first adds backups b%06d (one 2-byte stdin item each, as
// bench/list_bench.sh's `backup create --stdin`, through the same operation)
// until the repository holds that many: ~100x faster than a process per
// backup, so a repository of 10,000 backups takes minutes, not an hour.
// Prints, per round, the milliseconds of:
//   list      BackupManager::ListAllBackups with the state directory's cache
//             (LIST of the snapshot objects + the cache; snapshots it lacks are read)
//   ops       ops::ListBackups: the same plus authorization, the audit record
//             and the JSON document of every backup
//   dump      serializing that document as `--json backup list` prints it
// The first round starts from whatever the file holds; later rounds reuse the
// process's connection, as the daemon does.
#include <unistd.h>

#include <algorithm>
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
  if (argc > 3) {
    int target = std::atoi(argv[3]);
    auto listed = dr::ops::ListBackups(ctx);
    if (!listed.ok()) {
      std::fprintf(stderr, "%s\n", listed.status.ToString().c_str());
      return 1;
    }
    int have = static_cast<int>(listed.data["backups"].size());
    auto start = std::chrono::steady_clock::now();
    for (int i = have + 1; i <= target; ++i) {
      int fds[2];
      if (::pipe(fds) != 0) return 1;
      std::string body = std::to_string(i) + "\n";
      if (::write(fds[1], body.data(), body.size()) != static_cast<ssize_t>(body.size())) return 1;
      ::close(fds[1]);
      dr::backup::BackupRequest request;
      request.streams.push_back({"item", fds[0]});
      char id[32];
      std::snprintf(id, sizeof id, "b%06d", i);
      dr::ops::OpResult r = dr::ops::CreateBackup(ctx, id, request);
      ::close(fds[0]);
      if (!r.ok()) {
        std::fprintf(stderr, "%s: %s\n", id, r.status.ToString().c_str());
        return 1;
      }
    }
    std::printf("created %d backups in %.1f s\n", std::max(0, target - have), MillisSince(start) / 1000);
  }
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
