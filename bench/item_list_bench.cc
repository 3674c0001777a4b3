// Item lists at scale (issue 15, part 2): the repository layer's cost of a
// backup's items, with N synthetic data-lake items, on the local backend. Each
// phase is its own process, so that its peak RSS (getrusage) is its own:
//
//   dr_bench_item_list DIR write N [CHANGE_EVERY]  a backup of N items through ItemListWriter;
//                                                   with CHANGE_EVERY, every CHANGE_EVERY-th item
//                                                   changed (its etag and size): an incremental backup
//   dr_bench_item_list DIR walk ID                  every item of backup ID, one by one (what
//                                                   `backup show` and a restore's listing read)
//   dr_bench_item_list DIR v1 N                     format 1 for comparison: the manifest built whole
//                                                   in memory and serialized, as every backup did
//
// Items look like the s3 component's (bucket, key, etag, last_modified,
// content_type, one data blob). Their data blobs are drawn from 1,024 ids and
// not stored: this measures the metadata alone, whose cost grows with the item
// count; the index of the data's distinct blobs is another cost (BENCHMARKS.md).
// Prints one line of JSON: phase, items, seconds, peak_rss_mb, metadata_bytes
// (plaintext added), stored_bytes (added to storage).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "repo/item_list.h"
#include "repo/repository.h"
#include "storage/local/local_backend.h"

namespace {

using namespace dr;

double PeakRssMb() {
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

repo::SnapshotItem MakeItem(uint64_t i, uint64_t change_every) {
  bool changed = change_every > 0 && i % change_every == 0;
  char key[64];
  std::snprintf(key, sizeof key, "events/date=2026-%02d-%02d/part-%08llu.json", static_cast<int>(1 + i / 3000000 % 12),
                static_cast<int>(1 + i / 100000 % 28), static_cast<unsigned long long>(i));
  char etag[40];
  std::snprintf(etag, sizeof etag, "%016llx%016llx", static_cast<unsigned long long>(i * 0x9e3779b97f4a7c15ull),
                static_cast<unsigned long long>(changed ? i + 1 : i));
  repo::SnapshotItem item;
  item.name = std::string("lake/") + key;
  item.kind = "s3_object";
  item.size = 1024 + i % 3072 + (changed ? 1 : 0);
  item.sha256 = std::string(etag) + std::string(etag);
  std::string blob(32, '\0');
  blob[0] = static_cast<char>(i % 256);
  blob[1] = static_cast<char>(i / 256 % 4);
  item.blobs = {repo::BlobId::FromRaw(blob)};
  item.meta = {{"bucket", "lake"},
               {"key", key},
               {"etag", std::string("\"") + etag + "\""},
               {"last_modified", "2026-11-26T10:41:00.000Z"},
               {"content_type", "application/json"}};
  return item;
}

int Fail(const dr::Status& s) {
  std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s DIR write N [CHANGE_EVERY] | DIR walk ID | DIR v1 N\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1], phase = argv[2];
  auto start = std::chrono::steady_clock::now();
  nlohmann::json out{{"phase", phase}};
  if (phase == "v1") {
    uint64_t n = std::strtoull(argv[3], nullptr, 10);
    repo::Snapshot snap;
    snap.backup_id = "v1";
    snap.components.push_back({"s3", {}, {}});
    for (uint64_t i = 0; i < n; ++i) snap.components[0].items.push_back(MakeItem(i, 0));
    std::string manifest = snap.ToJson().dump();
    out["items"] = n;
    out["metadata_bytes"] = manifest.size();
  } else {
    auto backend = storage::NewLocalBackend({.root = dir, .sync = false});
    if (!backend.ok()) return Fail(backend.status());
    std::string key(32, 'b');
    repo::RepositoryOptions options;
    auto exists = repo::Repository::Exists(**backend);
    auto opened = exists.ok() && *exists ? repo::Repository::Open(**backend, key, options)
                                         : repo::Repository::Init(**backend, {.encrypted = true, .master_key = key, .chunker = {}}, options);
    if (!opened.ok()) return Fail(opened.status());
    repo::Repository& repo = **opened;
    if (phase == "write") {
      uint64_t n = std::strtoull(argv[3], nullptr, 10);
      uint64_t change_every = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 0;
      repo::ItemListWriter writer(repo);
      for (uint64_t i = 0; i < n; ++i) {
        if (dr::Status s = writer.Add(MakeItem(i, change_every)); !s.ok()) return Fail(s);
      }
      auto list = writer.Finish();
      if (!list.ok()) return Fail(list.status());
      if (dr::Status s = repo.Flush(); !s.ok()) return Fail(s);
      repo::Snapshot snap;
      snap.backup_id = change_every > 0 ? "incremental" : "full";
      repo::SnapshotComponent c{"s3", {}, {}};
      c.list = *list;
      c.item_count = writer.count();
      c.item_bytes = writer.bytes();
      snap.components.push_back(std::move(c));
      if (dr::Status s = repo.SaveSnapshot(snap); !s.ok()) return Fail(s);
      out["items"] = n;
      out["levels"] = list->levels;
      out["metadata_bytes"] = repo.write_stats().new_metadata_bytes;
      out["stored_bytes"] = repo.write_stats().stored_bytes;
    } else if (phase == "walk") {
      auto snap = repo.LoadSnapshot(argv[3], /*with_items=*/false);
      if (!snap.ok()) return Fail(snap.status());
      uint64_t items = 0, bytes = 0;
      dr::Status s = repo.ForEachItem(*snap->components.at(0).list, [&](repo::SnapshotItem&& item) {
        ++items;
        bytes += item.size;
        return dr::Status::Ok();
      });
      if (!s.ok()) return Fail(s);
      if (items != snap->components[0].item_count || bytes != snap->components[0].item_bytes) {
        std::fprintf(stderr, "walked %llu items, the snapshot counts %llu\n", static_cast<unsigned long long>(items),
                     static_cast<unsigned long long>(snap->components[0].item_count));
        return 1;
      }
      out["items"] = items;
    } else {
      std::fprintf(stderr, "unknown phase '%s'\n", phase.c_str());
      return 2;
    }
  }
  out["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out["peak_rss_mb"] = PeakRssMb();
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
