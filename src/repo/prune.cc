#include "repo/prune.h"

#include <map>
#include <unordered_set>

#include "repo/crypto/seal.h"

namespace dr::repo {

using nlohmann::json;

json PruneStats::ToJson() const {
  return json{{"snapshots", snapshots},           {"packs", packs},
              {"packs_deleted", packs_deleted},   {"packs_repacked", packs_repacked},
              {"packs_written", packs_written},   {"blobs_used", blobs_used},
              {"blobs_unused", blobs_unused},     {"bytes_before", bytes_before},
              {"bytes_after", bytes_after},       {"bytes_freed", bytes_before > bytes_after ? bytes_before - bytes_after : 0},
              {"index_files_replaced", index_files_replaced},
              {"leftovers_removed", leftovers_removed},
              {"leftover_bytes_removed", leftover_bytes_removed},
              {"leftovers_kept", leftovers_kept}};
}

Result<PruneStats> Prune(Repository& repo, const PruneOptions& options) {
  Backend& backend = repo.backend();
  PruneStats stats;

  // 1. What the remaining snapshots use.
  std::unordered_set<BlobId, BlobIdHash> used;
  std::unordered_set<BlobId, BlobIdHash> walked_lists;
  DR_ASSIGN_OR_RETURN(auto ids, repo.ListSnapshotIds());
  for (const auto& id : ids) {
    // Streamed: the set of ids is all prune keeps of a manifest.
    // A list blob walked once is its whole subtree: not read again for the next
    // backup that shares it. Kept apart from `used`: a data blob with the same
    // bytes (and so the same id) as a list blob must not stop its walk.
    DR_RETURN_IF_ERROR(repo.ForEachSnapshotBlob(
        id, [&used](const BlobId& b) { used.insert(b); },
        [&walked_lists](const BlobId& b) { return !walked_lists.insert(b).second; }));
    stats.snapshots++;
  }

  // 2. Every pack with its entries: the index files, plus packs found without one.
  std::vector<std::string> old_indexes;
  DR_RETURN_IF_ERROR(backend.List(ObjectKind::kIndex, [&](const ObjectInfo& info) {
    old_indexes.push_back(info.name.id);
    return Status::Ok();
  }));
  std::map<std::string, PackRecord> packs;
  for (const auto& name : old_indexes) {
    DR_ASSIGN_OR_RETURN(std::string sealed, backend.Get({ObjectKind::kIndex, name}, {}));
    auto plain = Unseal(repo.keys().seal_key(), ObjectType::kIndex, sealed);
    if (!plain.ok()) return Corrupt("index '" + name + "' is damaged; run 'repo check' before prune: " + plain.status().message());
    DR_ASSIGN_OR_RETURN(auto records, DecodeIndexFile(*plain));
    for (auto& r : records) packs.emplace(r.pack_id, std::move(r));
  }
  for (const auto& r : repo.orphan_records()) packs.emplace(r.pack_id, r);
  std::map<std::string, uint64_t> present;
  DR_RETURN_IF_ERROR(backend.List(ObjectKind::kPack, [&](const ObjectInfo& info) {
    present[info.name.id] = info.size;
    return Status::Ok();
  }));
  // Packs in no index (a prune stopped while deleting packs, a backup killed
  // before its index): their trailers say what they hold. One whose trailer
  // cannot be read is left alone for `repo check` to report.
  for (const auto& [pack_id, size] : present) {
    if (packs.count(pack_id)) continue;
    auto entries = repo.ReadPackTrailer(pack_id, size);
    if (entries.ok()) packs.emplace(pack_id, PackRecord{pack_id, size, std::move(entries).value()});
  }

  // 3. Decide per pack: keep, delete, or repack.
  std::vector<PackRecord> keep;
  std::vector<const PackRecord*> repack;
  std::vector<std::string> remove;
  std::unordered_set<BlobId, BlobIdHash> kept_blobs;  // a blob needs one copy
  for (const auto& [pack_id, record] : packs) {
    if (!present.count(pack_id)) continue;  // missing: `repo check` reports it; nothing to free
    stats.packs++;
    stats.bytes_before += record.size;
    uint64_t used_bytes = 0, unused_bytes = 0;
    for (const auto& e : record.entries) {
      bool needed = used.count(e.id) && !kept_blobs.count(e.id);
      (needed ? used_bytes : unused_bytes) += e.length;
    }
    if (used_bytes == 0) {
      remove.push_back(pack_id);
      stats.packs_deleted++;
      continue;
    }
    if (static_cast<double>(unused_bytes) > options.repack_threshold * static_cast<double>(used_bytes + unused_bytes)) {
      repack.push_back(&record);
      for (const auto& e : record.entries) {
        if (used.count(e.id)) kept_blobs.insert(e.id);
      }
      stats.packs_repacked++;
      continue;
    }
    for (const auto& e : record.entries) kept_blobs.insert(e.id);
    stats.bytes_after += record.size;
    keep.push_back(record);
  }
  for (const auto& e : used) {
    if (kept_blobs.count(e)) stats.blobs_used++;
  }
  for (const auto& [id, r] : packs) stats.blobs_unused += r.entries.size();
  stats.blobs_unused -= std::min<uint64_t>(stats.blobs_unused, stats.blobs_used);
  std::vector<Leftover> old_leftovers;
  auto now = options.clock->Now();
  DR_RETURN_IF_ERROR(backend.ListLeftovers([&](const Leftover& leftover) {
    if (now - leftover.modified < options.leftover_min_age) {
      stats.leftovers_kept++;
    } else {
      old_leftovers.push_back(leftover);
      stats.leftovers_removed++;
      stats.leftover_bytes_removed += leftover.size;
    }
    return Status::Ok();
  }));
  if (options.dry_run) return stats;
  DR_RETURN_IF_ERROR(repo.CheckStop("prune"));

  // 4. Repack: copy the used blobs, still sealed, into new packs (Flush writes them and their index).
  WriteStats before = repo.write_stats();
  std::unordered_set<BlobId, BlobIdHash> copied;
  for (const PackRecord* record : repack) {
    if (Status stop = repo.CheckStop("prune"); !stop.ok()) {
      DR_RETURN_IF_ERROR(repo.Flush());
      return stop;
    }
    DR_ASSIGN_OR_RETURN(std::string bytes, backend.Get({ObjectKind::kPack, record->pack_id}, {}));
    for (const auto& e : record->entries) {
      if (!used.count(e.id) || !copied.insert(e.id).second) continue;
      DR_RETURN_IF_ERROR(repo.CopySealedBlob(e.id, std::string_view(bytes).substr(e.offset, e.length), e.raw_length));
    }
    if (options.progress) options.progress->Add(record->size);
    remove.push_back(record->pack_id);
  }
  DR_RETURN_IF_ERROR(repo.Flush());
  WriteStats after = repo.write_stats();
  stats.bytes_after += after.stored_bytes - before.stored_bytes;
  stats.packs_written = repack.empty() ? 0 : 1 + (after.stored_bytes - before.stored_bytes) / kDefaultPackSize;

  // 5. One new set of index files for the packs kept as they are.
  constexpr size_t kPacksPerIndex = 4096;
  for (size_t i = 0; i < keep.size(); i += kPacksPerIndex) {
    std::vector<PackRecord> part(keep.begin() + static_cast<long>(i),
                                 keep.begin() + static_cast<long>(std::min(keep.size(), i + kPacksPerIndex)));
    DR_RETURN_IF_ERROR(repo.WriteIndex(part));
  }
  if (options.lock) DR_RETURN_IF_ERROR(options.lock->Confirm().WithContext("prune stopped before deleting anything"));
  DR_RETURN_IF_ERROR(repo.CheckStop("prune"));
  // 6. The old index files (sealed with fresh nonces, the new ones never share
  // their names), then the packs nothing points to any more.
  for (const auto& name : old_indexes) {
    Status s = backend.Remove({ObjectKind::kIndex, name});
    if (!s.ok() && s.code() != Code::kNotFound) return s;
    stats.index_files_replaced++;
  }
  for (const auto& pack_id : remove) {
    DR_RETURN_IF_ERROR(repo.CheckStop("prune"));
    Status s = backend.Remove({ObjectKind::kPack, pack_id});
    if (!s.ok() && s.code() != Code::kNotFound) return s;
  }
  // 7. Leftovers of killed writers, old enough that no live Put owns them.
  for (const auto& leftover : old_leftovers) {
    Status s = backend.RemoveLeftover(leftover);
    if (!s.ok() && s.code() != Code::kNotFound) return s;
  }
  return stats;
}

}  // namespace dr::repo
