#include "repo/checker.h"

#include <algorithm>
#include <future>
#include <map>
#include <set>

#include "base/encoding.h"

namespace dr::repo {

using nlohmann::json;

json Finding::ToJson() const {
  json j{{"severity", severity}, {"message", message}};
  if (!backup_id.empty()) j["backup_id"] = backup_id;
  if (!item.empty()) j["item"] = item;
  if (!pack.empty()) j["pack"] = pack;
  if (!blob.empty()) j["blob"] = blob;
  return j;
}

bool CheckReport::ok() const {
  for (const auto& f : findings) {
    if (f.severity == "error") return false;
  }
  return true;
}

json CheckReport::ToJson() const {
  json list = json::array();
  for (const auto& f : findings) list.push_back(f.ToJson());
  return json{{"status", ok() ? "passed" : "failed"},
              {"packs", packs},
              {"blobs", blobs},
              {"snapshots", snapshots},
              {"bytes_read", bytes_read},
              {"leftovers", leftovers},
              {"leftover_bytes", leftover_bytes},
              {"findings", std::move(list)}};
}

bool BackupVerification::ok() const {
  if (!findings.empty()) return false;
  for (const auto& item : items) {
    if (item.status != "passed") return false;
  }
  return true;
}

namespace {

// Sizes of the packs present in storage, by id.
Result<std::map<std::string, uint64_t>> ListPacks(Repository& repo) {
  std::map<std::string, uint64_t> packs;
  DR_RETURN_IF_ERROR(repo.backend().List(ObjectKind::kPack, [&](const ObjectInfo& info) {
    packs[info.name.id] = info.size;
    return Status::Ok();
  }));
  return packs;
}

// Every pack's trailer, read and authenticated once (its last few KiB): a pack
// replaced at its size (zeros, flipped bytes in the trailer, another pack's
// bytes) passes the size check but not this, and an index that disagrees with
// its pack is caught before a restore depends on it. Read in parallel on the
// repository's pool, since on S3 each is one round trip.
class PackTrailers {
 public:
  PackTrailers(Repository& repo, const std::vector<std::pair<std::string, uint64_t>>& packs) {
    std::vector<std::pair<std::string, std::future<Result<std::vector<PackEntry>>>>> pending;
    for (const auto& [pack_id, size] : packs) {
      if (trailers_.count(pack_id)) continue;
      trailers_[pack_id];
      pending.emplace_back(pack_id, repo.pool().Submit([&repo, id = pack_id, size] { return repo.ReadPackTrailer(id, size); }));
    }
    for (auto& [pack_id, future] : pending) {
      auto entries = future.get();
      Trailer& t = trailers_[pack_id];
      if (!entries.ok()) {
        t.status = entries.status();
        continue;
      }
      t.entries = std::move(entries).value();
      std::sort(t.entries.begin(), t.entries.end(),
                [](const PackEntry& a, const PackEntry& b) { return a.offset < b.offset; });
    }
  }

  // The trailer's problem for this pack; Ok when it authenticated (or was not read).
  Status StatusOf(const std::string& pack_id) const {
    auto it = trailers_.find(pack_id);
    return it == trailers_.end() ? Status::Ok() : it->second.status;
  }

  // Whether the pack's trailer lists this blob exactly where the index says.
  bool Lists(const BlobId& id, const BlobLocation& loc) const {
    auto it = trailers_.find(loc.pack_id);
    if (it == trailers_.end() || !it->second.status.ok()) return true;  // not read, or reported on its own
    const auto& entries = it->second.entries;
    auto e = std::lower_bound(entries.begin(), entries.end(), loc.offset,
                              [](const PackEntry& a, uint32_t offset) { return a.offset < offset; });
    return e != entries.end() && e->offset == loc.offset && e->id == id && e->length == loc.length &&
           e->raw_length == loc.raw_length;
  }

  std::vector<Finding> Findings() const {
    std::vector<Finding> out;
    for (const auto& [pack_id, t] : trailers_) {
      if (!t.status.ok()) out.push_back({"error", t.status.message(), "", "", pack_id, "", t.status.code()});
    }
    return out;
  }

 private:
  struct Trailer {
    Status status;
    std::vector<PackEntry> entries;  // by offset
  };
  std::map<std::string, Trailer> trailers_;
};

// The quick check of one blob reference: indexed, its pack present with the
// indexed size, and the pack's trailer (when read) listing it at its place.
std::optional<Finding> CheckBlobRef(Repository& repo, const std::map<std::string, uint64_t>& present,
                                    const PackTrailers* trailers, const BlobId& id) {
  auto loc = repo.index().Find(id);
  if (!loc) return Finding{"error", "blob '" + id.ShortHex() + "' is not in any index or pack", "", "", "", id.hex()};
  std::string where = "blob '" + id.ShortHex() + "' is in pack '" + loc->pack_id.substr(0, 12) + "'";
  auto it = present.find(loc->pack_id);
  if (it == present.end()) return Finding{"error", where + ", which is missing", "", "", loc->pack_id, id.hex()};
  if (it->second != loc->pack_size) {
    return Finding{"error",
                   where + ", which is " + std::to_string(it->second) + " bytes instead of " +
                       std::to_string(loc->pack_size) + " (truncated or damaged)",
                   "", "", loc->pack_id, id.hex()};
  }
  if (trailers != nullptr) {
    if (Status s = trailers->StatusOf(loc->pack_id); !s.ok()) {
      bool damaged = s.code() == Code::kCorrupt;
      return Finding{"error", where + (damaged ? ", which is damaged: " : ", which could not be read: ") + s.message(),
                     "", "", loc->pack_id, id.hex(), s.code()};
    }
    if (!trailers->Lists(id, *loc)) {
      return Finding{"error", where + ", but the pack's trailer does not list it where the index does", "", "",
                     loc->pack_id, id.hex()};
    }
  }
  return std::nullopt;
}

// Format 2: the blobs of a backup's item lists are checked as any blob is,
// before the items are read from them; when one is not there, the items cannot
// be read and these findings are what there is to say about the backup.
std::vector<Finding> CheckItemLists(Repository& repo, const std::map<std::string, uint64_t>& present,
                                    const PackTrailers* trailers, const std::string& backup_id) {
  std::vector<Finding> findings;
  auto summary = repo.LoadSnapshot(backup_id, /*with_items=*/false);
  if (!summary.ok()) return findings;  // the caller's own load reports it
  for (const auto& c : summary->components) {
    if (!c.list) continue;
    std::string what = "backup '" + backup_id + "' item list of component '" + c.name + "': ";
    size_t before = findings.size();
    std::vector<BlobId> ids;
    Status walked = repo.ForEachListBlob(*c.list, [&](const BlobId& id) { ids.push_back(id); });
    for (const auto& id : ids) {
      auto f = CheckBlobRef(repo, present, trailers, id);
      if (!f) continue;
      f->backup_id = backup_id;
      f->item = c.name;
      f->message = what + f->message;
      findings.push_back(*f);
    }
    if (!walked.ok() && findings.size() == before) {
      findings.push_back({"error", what + walked.message(), backup_id, c.name, "", "", walked.code()});
    }
  }
  return findings;
}

Finding BlobFinding(Repository& repo, const BlobId& id, const Status& status) {
  auto loc = repo.index().Find(id);
  return Finding{"error", status.message(), "", "", loc ? loc->pack_id : "", id.hex(), status.code()};
}

}  // namespace

CheckReport CheckRepository(Repository& repo, const CheckOptions& options) {
  CheckReport report;
  for (const auto& w : repo.open_warnings()) report.findings.push_back({"error", w, "", "", "", ""});
  for (const auto& p : repo.unindexed_packs()) {
    report.findings.push_back({"warning",
                               "pack '" + p.substr(0, 12) +
                                   "' is not in any index (left by an interrupted backup or a lost index); "
                                   "its blobs are used and the next backup indexes it",
                               "", "", p, ""});
  }
  Status listed = repo.backend().ListLeftovers([&](const Leftover& leftover) {
    report.leftovers++;
    report.leftover_bytes += leftover.size;
    return Status::Ok();
  });
  if (!listed.ok()) {
    report.findings.push_back({"warning", "unable to list temporary files: " + listed.message(), "", "", "", "", listed.code()});
  } else if (report.leftovers > 0) {
    report.findings.push_back({"warning",
                               std::to_string(report.leftovers) + " temporary file(s) (" +
                                   std::to_string(report.leftover_bytes) +
                                   " bytes) left by interrupted writes; prune removes those older than 1 hour",
                               "", "", "", ""});
  }
  auto present = ListPacks(repo);
  if (!present.ok()) {
    report.findings.push_back({"error", present.status().message(), "", "", "", "", present.status().code()});
    return report;
  }
  for (const auto& [pack_id, size] : repo.index().Packs()) {
    ++report.packs;
    auto it = present->find(pack_id);
    if (it == present->end()) {
      report.findings.push_back({"error", "pack '" + pack_id.substr(0, 12) + "' is in the index but missing from storage",
                                 "", "", pack_id, ""});
    } else if (it->second != size) {
      report.findings.push_back({"error",
                                 "pack '" + pack_id.substr(0, 12) + "' is " + std::to_string(it->second) +
                                     " bytes, the index says " + std::to_string(size) + " (truncated or damaged)",
                                 "", "", pack_id, ""});
    }
  }
  report.blobs = repo.index().blob_count();
  std::vector<std::pair<std::string, uint64_t>> intact;  // present at the indexed size: worth reading
  for (const auto& [pack_id, size] : repo.index().Packs()) {
    auto it = present->find(pack_id);
    if (it != present->end() && it->second == size) intact.emplace_back(pack_id, size);
  }
  PackTrailers trailers(repo, intact);
  for (auto& f : trailers.Findings()) report.findings.push_back(std::move(f));

  auto ids = repo.ListSnapshotIds();
  if (!ids.ok()) {
    report.findings.push_back({"error", ids.status().message(), "", "", "", "", ids.status().code()});
    return report;
  }
  for (const auto& backup_id : *ids) {
    if (Status stop = repo.CheckStop("repository check"); !stop.ok()) {
      report.findings.push_back({"error", stop.message(), "", "", "", "", stop.code()});
      return report;
    }
    ++report.snapshots;
    if (auto lists = CheckItemLists(repo, *present, &trailers, backup_id); !lists.empty()) {
      for (auto& f : lists) report.findings.push_back(std::move(f));
      continue;
    }
    auto snap = repo.LoadSnapshot(backup_id);
    if (!snap.ok()) {
      report.findings.push_back({"error", snap.status().message(), backup_id, "", "", "", snap.status().code()});
      continue;
    }
    std::set<std::string> reported;  // one finding per blob per backup is enough
    for (const auto& c : snap->components) {
      for (const auto& item : c.items) {
        for (const auto& id : item.blobs) {
          auto f = CheckBlobRef(repo, *present, &trailers, id);
          if (!f || !reported.insert(id.hex()).second) continue;
          f->backup_id = backup_id;
          f->item = c.name + ":" + item.name;
          f->message = "backup '" + backup_id + "' item '" + item.name + "': " + f->message;
          report.findings.push_back(*f);
        }
      }
    }
  }

  if (options.read_data) {
    for (const auto& [pack_id, size] : *present) {
      if (Status stop = repo.CheckStop("repository check"); !stop.ok()) {
        report.findings.push_back({"error", stop.message(), "", "", "", "", stop.code()});
        return report;
      }
      if (!trailers.StatusOf(pack_id).ok()) continue;  // damaged, reported above
      auto entries = repo.ReadPackEntries(pack_id, size);
      report.bytes_read += size;
      if (options.progress) options.progress->Add(size);
      if (!entries.ok()) {
        report.findings.push_back({"error", entries.status().message(), "", "", pack_id, "", entries.status().code()});
      }
    }
  }
  return report;
}

BackupVerification VerifyBackup(Repository& repo, const std::string& backup_id, bool full, Progress* progress) {
  BackupVerification v;
  v.backup_id = backup_id;
  v.full = full;
  auto present = ListPacks(repo);
  if (!present.ok()) {
    v.findings.push_back({"error", present.status().message(), backup_id, "", "", "", present.status().code()});
    return v;
  }
  if (auto lists = CheckItemLists(repo, *present, nullptr, backup_id); !lists.empty()) {
    v.findings = std::move(lists);
    return v;
  }
  auto snap = repo.LoadSnapshot(backup_id);
  if (!snap.ok()) {
    v.findings.push_back({"error", snap.status().message(), backup_id, "", "", "", snap.status().code()});
    return v;
  }
  // A sink that only counts: full verification hashes the restored stream without keeping it.
  class NullSink : public ByteSink {
   public:
    Status Write(std::string_view) override { return Status::Ok(); }
  };
  std::vector<std::pair<std::string, uint64_t>> packs;  // the backup's packs, to read their trailers
  {
    std::set<std::string> seen;
    for (const auto& c : snap->components) {
      for (const auto& item : c.items) {
        for (const auto& id : item.blobs) {
          auto loc = repo.index().Find(id);
          if (!loc || !seen.insert(loc->pack_id).second) continue;
          auto it = present->find(loc->pack_id);
          if (it != present->end() && it->second == loc->pack_size) packs.emplace_back(loc->pack_id, loc->pack_size);
        }
      }
    }
  }
  PackTrailers trailers(repo, packs);
  for (const auto& c : snap->components) {
    for (const auto& item : c.items) {
      ItemVerification iv{c.name, item.name, "passed", {}};
      auto add = [&](Finding f) {
        f.backup_id = backup_id;
        f.item = c.name + ":" + item.name;
        f.message = "backup '" + backup_id + "' item '" + item.name + "': " + f.message;
        iv.findings.push_back(std::move(f));
      };
      for (const auto& id : item.blobs) {
        if (auto f = CheckBlobRef(repo, *present, &trailers, id)) add(*f);
      }
      if (full && iv.findings.empty()) {
        // Read blob by blob so a damaged one is named exactly.
        NullSink sink;
        auto restored = repo.RestoreStream(item.blobs, sink, progress, Repository::StreamHash::kSha256);
        if (!restored.ok() && restored.status().code() == Code::kCancelled) {
          // Interrupted: say so and stop, rather than read on to name a blob.
          add({"error", restored.status().message(), "", "", "", "", Code::kCancelled});
          iv.status = "failed";
          v.items.push_back(std::move(iv));
          return v;
        }
        if (!restored.ok()) {
          // Find which blob failed, to name it and its pack.
          for (const auto& id : item.blobs) {
            auto blob = repo.LoadBlob(id);
            if (!blob.ok()) {
              add(BlobFinding(repo, id, blob.status()));
              break;
            }
          }
          if (iv.findings.empty()) add({"error", restored.status().message(), "", "", "", "", restored.status().code()});
        } else if (restored->size != item.size || (!item.sha256.empty() && restored->sha256 != item.sha256)) {
          add({"error",
               "restored stream does not match the recorded SHA-256 (" + std::to_string(restored->size) + " bytes, " +
                   restored->sha256.substr(0, 12) + " instead of " + std::to_string(item.size) + " bytes, " +
                   item.sha256.substr(0, 12) + ")",
               "", "", "", ""});
        }
      }
      if (!iv.findings.empty()) iv.status = "failed";
      v.items.push_back(std::move(iv));
    }
  }
  return v;
}

}  // namespace dr::repo
