// Item lists at scale (issue 15, part 2): the repository layer's cost of a
// backup's items, with N synthetic data-lake items, on the local backend. Each
// phase is its own process, so that its peak RSS (getrusage) is its own:
//
//   dr_bench_item_list DIR write N [CHANGE_EVERY]  a backup of N items through ItemListWriter;
//                                                   with CHANGE_EVERY, every CHANGE_EVERY-th item
//                                                   changed (its etag and size): an incremental backup
//   dr_bench_item_list DIR walk ID [find]           every item of backup ID, one by one (what
//                                                   `backup show` and a restore's listing read);
//                                                   with find, each item's blob is looked up in the
//                                                   index too, as a restore's reads are planned
//   dr_bench_item_list DIR v1 N                     format 1 for comparison: the manifest built whole
//                                                   in memory and serialized, as every backup did
//
// Items look like the s3 component's (bucket, key, etag, last_modified,
// content_type, one data blob). Their data blobs are drawn from 1,024 ids and
// not stored: this measures the metadata alone, whose cost grows with the item
// count. With DATA=1 in the environment, `write` stores a distinct small blob
// for every item (changed items get new ones): the index of N distinct blobs
// is then part of the cost, as in a backup of N small objects.
// Prints one line of JSON: phase, items, seconds, peak_rss_mb, metadata_bytes
// (plaintext added), stored_bytes (added to storage).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "dr/io.h"

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

repo::SnapshotItem MakeItem(uint64_t i, uint64_t change_every, repo::Repository* store = nullptr,
                            dr::Status* error = nullptr) {
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
  if (store) {
    // 64 bytes that no other item has: one distinct blob per item.
    std::string data = std::string(etag) + std::string(etag).substr(0, 24) + std::to_string(i);
    dr::StringSource src(data);
    auto saved = store->SaveStream(src, nullptr);
    if (!saved.ok()) *error = saved.status();
    if (saved.ok()) item.blobs = saved->blobs;
  }
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
    std::fprintf(stderr, "usage: [DATA=1] %s DIR write N [CHANGE_EVERY] | DIR walk ID [find] | DIR v1 N\n", argv[0]);
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
      const char* data_env = std::getenv("DATA");
      bool data = data_env && std::string(data_env) == "1";
      repo::ItemListWriter writer(repo);
      dr::Status saved = dr::Status::Ok();
      for (uint64_t i = 0; i < n; ++i) {
        repo::SnapshotItem item = MakeItem(i, change_every, data ? &repo : nullptr, &saved);
        if (!saved.ok()) return Fail(saved);
        if (dr::Status s = writer.Add(std::move(item)); !s.ok()) return Fail(s);
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
      out["new_blobs"] = repo.write_stats().new_blobs;
      out["index_blobs"] = repo.index().blob_count();
      out["index_runs"] = repo.index().run_count();
    } else if (phase == "walk") {
      auto snap = repo.LoadSnapshot(argv[3], /*with_items=*/false);
      if (!snap.ok()) return Fail(snap.status());
      bool find = argc > 4 && std::string(argv[4]) == "find";
      uint64_t items = 0, bytes = 0;
      dr::Status s = repo.ForEachItem(*snap->components.at(0).list, [&](repo::SnapshotItem&& item) {
        ++items;
        bytes += item.size;
        for (const auto& blob : item.blobs) {
          if (find && !repo.index().Find(blob)) return dr::NotFound("blob " + blob.hex() + " is not in the index");
        }
        return dr::Status::Ok();
      });
      if (!s.ok()) return Fail(s);
      if (items != snap->components[0].item_count || bytes != snap->components[0].item_bytes) {
        std::fprintf(stderr, "walked %llu items, the snapshot counts %llu\n", static_cast<unsigned long long>(items),
                     static_cast<unsigned long long>(snap->components[0].item_count));
        return 1;
      }
      out["items"] = items;
      out["index_blobs"] = repo.index().blob_count();
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
