#include "repo/index/index.h"

#include <algorithm>
#include <cstdlib>

#include "base/encoding.h"

namespace dr::repo {

std::string EncodeIndexFile(const std::vector<PackRecord>& packs) {
  std::string out(kIndexMagic);
  PutU32(out, static_cast<uint32_t>(packs.size()));
  for (const auto& p : packs) {
    out += *HexDecode(p.pack_id);
    PutU64(out, p.size);
    PutU32(out, static_cast<uint32_t>(p.entries.size()));
    EncodeEntries(p.entries, out);
  }
  return out;
}

Result<std::vector<PackRecord>> DecodeIndexFile(std::string_view data) {
  if (data.substr(0, kIndexMagic.size()) != kIndexMagic || data.size() < kIndexMagic.size() + 4) {
    return Corrupt("index file has no magic");
  }
  data.remove_prefix(kIndexMagic.size());
  size_t count = GetU32(data.data());
  data.remove_prefix(4);
  std::vector<PackRecord> packs;
  for (size_t i = 0; i < count; ++i) {
    if (data.size() < 32 + 8 + 4) return Corrupt("index file is truncated");
    PackRecord p;
    p.pack_id = HexEncode(data.substr(0, 32));
    p.size = GetU64(data.data() + 32);
    size_t n = GetU32(data.data() + 40);
    data.remove_prefix(44);
    DR_ASSIGN_OR_RETURN(p.entries, DecodeEntries(data, n));
    data.remove_prefix(n * kPackEntrySize);
    packs.push_back(std::move(p));
  }
  if (!data.empty()) return Corrupt("index file has trailing bytes");
  return packs;
}

namespace {

std::string DefaultSpillDir() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

}  // namespace

Index::Index(IndexOptions options) : options_(std::move(options)) {
  if (options_.spill_dir.empty()) options_.spill_dir = DefaultSpillDir();
  options_.memory_entries = std::max<size_t>(options_.memory_entries, 1);
}

void Index::AddPack(const PackRecord& pack, bool spill) {
  std::unique_lock lock(mu_);
  auto [it, inserted] = pack_numbers_.emplace(pack.pack_id, static_cast<uint32_t>(packs_.size()));
  if (inserted) packs_.emplace_back(pack.pack_id, pack.size);
  for (const auto& e : pack.entries) {
    // An id in a run already keeps that copy: every id is in one place only.
    if (Lookup(e.id)) continue;
    blobs_.emplace(e.id, Entry{it->second, e.offset, e.length, e.raw_length});
    if (!spill || !spill_ || blobs_.size() < options_.memory_entries) continue;
    lock.unlock();
    SpillIfFull();
    lock.lock();
  }
}

void Index::SpillIfFull() {
  std::lock_guard spilling(spill_mu_);
  {
    std::unique_lock lock(mu_);
    if (!spill_ || blobs_.size() < options_.memory_entries) return;  // another thread spilled meanwhile
    frozen_ = std::make_unique<const Map>(std::move(blobs_));
    Map().swap(blobs_);  // a moved-from map is valid but unspecified: make it empty
  }
  if (Status s = Spill(); !s.ok()) Failed(s);
}

// Nothing is lost: a failed write returns the frozen map's entries to memory,
// a failed merge leaves the runs it would have merged. Memory grows from here.
void Index::Failed(const Status& s) {
  {
    std::unique_lock lock(mu_);
    if (frozen_) {
      blobs_.insert(frozen_->begin(), frozen_->end());
      frozen_.reset();
    }
    spill_ = false;
  }
  std::lock_guard error_lock(error_mu_);
  if (error_.ok()) error_ = s.WithContext("the index is kept in memory from here on");
}

Status Index::Spill() {
  // frozen_ and runs_ change only here (spill_mu_ is held), so they are read
  // without mu_; readers see each change whole, made under mu_.
  std::vector<IndexEntry> sorted;
  sorted.reserve(frozen_->size());
  for (const auto& [id, e] : *frozen_) sorted.push_back({id, e.pack, e.offset, e.length, e.raw_length});
  std::sort(sorted.begin(), sorted.end(), [](const IndexEntry& a, const IndexEntry& b) { return IdLess(a.id, b.id); });
  if (options_.while_spilling) options_.while_spilling();
  DR_ASSIGN_OR_RETURN(auto run, IndexRun::Write(options_.spill_dir, sorted));
  {
    std::unique_lock lock(mu_);
    runs_.push_back(std::move(run));
    frozen_.reset();
  }
  // Like a binary counter: a run is merged with the one before while that one
  // is no larger, so there are at most log2(n / memory_entries) + 1 runs and
  // an entry is rewritten as often.
  while (runs_.size() >= 2 && runs_[runs_.size() - 2]->count() <= runs_.back()->count()) {
    DR_ASSIGN_OR_RETURN(auto merged,
                        IndexRun::Merge(options_.spill_dir, {runs_[runs_.size() - 2].get(), runs_.back().get()}));
    std::unique_lock lock(mu_);
    runs_.pop_back();
    runs_.back() = std::move(merged);
  }
  return Status::Ok();
}

std::optional<IndexEntry> Index::Lookup(const BlobId& id) const {
  for (const Map* map : {&blobs_, frozen_.get()}) {
    if (map == nullptr) continue;
    if (auto it = map->find(id); it != map->end()) {
      return IndexEntry{id, it->second.pack, it->second.offset, it->second.length, it->second.raw_length};
    }
  }
  for (auto run = runs_.rbegin(); run != runs_.rend(); ++run) {
    if (!(*run)->MayHave(id)) continue;
    auto found = (*run)->Find(id);
    if (!found.ok()) {
      std::lock_guard lock(error_mu_);
      if (error_.ok()) error_ = found.status();
      continue;
    }
    if (*found) return *found;
  }
  return std::nullopt;
}

bool Index::Has(const BlobId& id) const {
  std::shared_lock lock(mu_);
  return Lookup(id).has_value();
}

std::optional<BlobLocation> Index::Find(const BlobId& id) const {
  std::shared_lock lock(mu_);
  auto e = Lookup(id);
  if (!e) return std::nullopt;
  const auto& [pack_id, pack_size] = packs_[e->pack];
  return BlobLocation{pack_id, pack_size, e->offset, e->length, e->raw_length};
}

bool Index::HasPack(const std::string& pack_id) const {
  std::shared_lock lock(mu_);
  return pack_numbers_.count(pack_id) > 0;
}

std::vector<std::pair<std::string, uint64_t>> Index::Packs() const {
  std::shared_lock lock(mu_);
  return packs_;
}

size_t Index::blob_count() const {
  std::shared_lock lock(mu_);
  size_t n = blobs_.size() + (frozen_ ? frozen_->size() : 0);
  for (const auto& run : runs_) n += run->count();
  return n;
}

Status Index::status() const {
  std::lock_guard lock(error_mu_);
  return error_;
}

size_t Index::run_count() const {
  std::shared_lock lock(mu_);
  return runs_.size();
}

size_t Index::run_memory_bytes() const {
  std::shared_lock lock(mu_);
  size_t n = 0;
  for (const auto& run : runs_) n += run->memory_bytes();
  return n;
}

}  // namespace dr::repo
