#include "repo/repository.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "base/crypto.h"
#include "base/encoding.h"
#include "base/interrupt.h"
#include "base/time_util.h"
#include "repo/item_list.h"
#include "repo/snapshot/item_lines.h"

namespace dr::repo {

using nlohmann::json;

namespace {

const ObjectName kConfigName{ObjectKind::kConfig, "config"};

std::string ConfigToJson(const RepoConfig& c) {
  json j{{"version", c.version},
         {"id", c.id},
         {"created", c.created},
         {"encryption", c.encrypted ? "aes-256-gcm" : "none"},
         {"chunker", {{"algorithm", "fastcdc"}, {"min", c.chunker.min_size}, {"avg", c.chunker.avg_size},
                      {"max", c.chunker.max_size}}}};
  return j.dump(2) + "\n";
}

Result<RepoConfig> ConfigFromJson(std::string_view text, const std::string& location) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return Corrupt("repository config in " + location + " is not valid JSON");
  RepoConfig c;
  try {
    c.version = j.at("version").get<int>();
    if (c.version > kRepositoryVersion) {
      return Status(Code::kFailed, "repository " + location + " has format version " + std::to_string(c.version) +
                                       ", newer than this ecap-dr supports (" + std::to_string(kRepositoryVersion) +
                                       "); upgrade ecap-dr");
    }
    c.id = j.at("id").get<std::string>();
    c.created = j.value("created", "");
    c.encrypted = j.at("encryption").get<std::string>() != "none";
    const json& ch = j.at("chunker");
    c.chunker = {ch.at("min").get<size_t>(), ch.at("avg").get<size_t>(), ch.at("max").get<size_t>()};
  } catch (const json::exception& e) {
    return Corrupt("repository config in " + location + " is malformed: " + e.what());
  }
  bool pow2 = c.chunker.avg_size >= 64 && (c.chunker.avg_size & (c.chunker.avg_size - 1)) == 0;
  if (!pow2 || c.chunker.min_size >= c.chunker.avg_size || c.chunker.max_size <= c.chunker.avg_size ||
      c.chunker.max_size > (64u << 20)) {
    return Corrupt("repository config in " + location + " has invalid chunker sizes");
  }
  return c;
}

}  // namespace

Repository::Repository(Backend& backend, RepositoryOptions options)
    : backend_(backend),
      options_(std::move(options)),
      index_(options_.index),
      pool_(std::make_unique<ThreadPool>(options_.threads)),
      writers_(std::make_unique<ThreadPool>(kPackWriters)) {}

Repository::~Repository() = default;

Result<bool> Repository::Exists(Backend& backend) {
  auto info = backend.Stat(kConfigName);
  if (info.ok()) return true;
  if (info.status().code() == Code::kNotFound) return false;
  return info.status();
}

Result<std::unique_ptr<Repository>> Repository::Init(Backend& backend, const InitOptions& init,
                                                     const RepositoryOptions& options) {
  std::string location = backend.Properties().location;
  DR_ASSIGN_OR_RETURN(bool exists, Exists(backend));
  if (exists) return AlreadyExists("a repository already exists at " + location);
  if (init.encrypted && init.master_key.size() != crypto::kKeySize) {
    return ConfigError("the master key must be 32 bytes, got " + std::to_string(init.master_key.size()));
  }
  std::unique_ptr<Repository> repo(new Repository(backend, options));
  repo->config_.id = HexEncode(crypto::RandomBytes(8));
  repo->config_.created = FormatUtc(options.clock->Now());
  repo->config_.encrypted = init.encrypted;
  repo->config_.chunker = init.chunker;
  repo->config_.version = init.version;
  repo->keys_ = DataKeys::Generate(init.encrypted);
  // The key file goes first: a config without keys would be a repository nobody can open.
  std::string key_file = WrapDataKeys(repo->keys_, init.master_key, repo->config_.created);
  std::string key_name = init.encrypted ? MasterKeyId(init.master_key) : "unencrypted";
  DR_RETURN_IF_ERROR(backend.Put({ObjectKind::kKey, key_name}, key_file, {.overwrite = false}));
  DR_RETURN_IF_ERROR(backend.Put(kConfigName, ConfigToJson(repo->config_), {.overwrite = false}));
  repo->seal_key_ = repo->keys_.seal_key();
  repo->gear_ = MakeGearTable(repo->keys_.chunker_seed);
  if (options.load_index) DR_RETURN_IF_ERROR(repo->LoadIndex());  // empty: nothing to read
  return repo;
}

Result<std::unique_ptr<Repository>> Repository::Open(Backend& backend, std::string_view master_key,
                                                     const RepositoryOptions& options) {
  std::string location = backend.Properties().location;
  auto config_text = backend.Get(kConfigName, {});
  if (!config_text.ok()) {
    if (config_text.status().code() == Code::kNotFound) {
      return NotFound("no repository at " + location + " (run 'ecap-dr repo init' first)");
    }
    return config_text.status().WithContext("unable to read repository config");
  }
  std::unique_ptr<Repository> repo(new Repository(backend, options));
  DR_ASSIGN_OR_RETURN(repo->config_, ConfigFromJson(*config_text, location));

  std::vector<std::string> key_names;
  DR_RETURN_IF_ERROR(backend.List(ObjectKind::kKey, [&](const ObjectInfo& info) {
    key_names.push_back(info.name.id);
    return Status::Ok();
  }));
  if (key_names.empty()) return Corrupt("repository " + location + " has no key files");
  Status last = Status(Code::kWrongKey, "");
  bool opened = false;
  for (const auto& name : key_names) {
    DR_ASSIGN_OR_RETURN(std::string key_file, backend.Get({ObjectKind::kKey, name}, {}));
    auto keys = UnwrapDataKeys(key_file, master_key);
    if (keys.ok()) {
      repo->keys_ = std::move(keys).value();
      opened = true;
      break;
    }
    if (keys.status().code() != Code::kWrongKey) last = keys.status().WithContext("key file '" + name + "'");
  }
  if (!opened) {
    if (last.code() != Code::kWrongKey) return last;
    return Status(Code::kWrongKey, "wrong encryption key for repository " + location + ": key " +
                                       (master_key.empty() ? std::string("(none)") : MasterKeyId(master_key)) +
                                       " opens none of its " + std::to_string(key_names.size()) + " key file(s)");
  }
  if (repo->keys_.encrypted != repo->config_.encrypted) {
    return Corrupt("repository " + location + ": config and key file disagree about encryption");
  }
  repo->seal_key_ = repo->keys_.seal_key();
  repo->gear_ = MakeGearTable(repo->keys_.chunker_seed);
  if (options.load_index) {
    DR_RETURN_IF_ERROR(repo->LoadIndex());
  }
  return repo;
}

Status Repository::LoadIndex() {
  std::call_once(index_once_, [this] {
    index_status_ = LoadIndexes();
    if (index_status_.ok()) index_status_ = ScanUnindexedPacks();
    index_loaded_ = index_status_.ok();
  });
  return index_status_;
}

Status Repository::LoadIndexes() {
  std::vector<std::string> names;
  DR_RETURN_IF_ERROR(backend_.List(ObjectKind::kIndex, [&](const ObjectInfo& info) {
    names.push_back(info.name.id);
    return Status::Ok();
  }));
  // Read and decoded io_concurrency at a time: on S3 each index file is a
  // round trip (45 ms against radosgw here), and a repository between prunes
  // holds one per backup (and one per 65,536 blobs): hundreds, read one after
  // another, were most of the time before a restore's first byte. Added to the
  // index in listing order, as before.
  struct Loaded {
    std::string name;
    Status read;  // the Get's failure: kUnavailable ends the load, others are warnings
    Result<std::vector<PackRecord>> packs = Status::Ok();
  };
  Status unavailable;
  MapInOrder(
      IoPool(), names.size(),
      [this, &names](size_t i) -> Loaded {
        Loaded out{names[i]};
        try {
          auto sealed = backend_.Get({ObjectKind::kIndex, names[i]}, {});
          if (!sealed.ok()) {
            out.read = sealed.status();
            return out;
          }
          auto plain = Unseal(seal_key_, ObjectType::kIndex, *sealed);
          out.packs = plain.ok() ? DecodeIndexFile(*plain) : Result<std::vector<PackRecord>>(plain.status());
        } catch (const std::exception& e) {
          out.packs = Corrupt(std::string("unreadable: ") + e.what());
        }
        return out;
      },
      [&](Loaded&& loaded) {
        if (!loaded.read.ok()) {
          if (loaded.read.code() == Code::kUnavailable) {
            unavailable = loaded.read;
            return false;
          }
          open_warnings_.push_back("index '" + loaded.name + "' is unreadable: " + loaded.read.message());
        } else if (!loaded.packs.ok()) {
          open_warnings_.push_back("index '" + loaded.name + "' is damaged: " + loaded.packs.status().message());
        } else {
          for (const auto& p : *loaded.packs) index_.AddPack(p);
        }
        return true;
      });
  DR_RETURN_IF_ERROR(unavailable);
  // A spill that failed (index_.status()) is not a fault of the repository:
  // the index stays in memory, and open_warnings are what `repo check` reports.
  return Status::Ok();
}

Status Repository::ScanUnindexedPacks() {
  std::vector<ObjectInfo> unindexed;
  DR_RETURN_IF_ERROR(backend_.List(ObjectKind::kPack, [&](const ObjectInfo& info) {
    if (!index_.HasPack(info.name.id)) unindexed.push_back(info);
    return Status::Ok();
  }));
  for (const auto& info : unindexed) {
    // A pack written by a backup that was killed before its index, or whose
    // index was lost: its trailer says what it holds.
    auto entries = ReadTrailer(info);
    if (!entries.ok()) {
      open_warnings_.push_back("pack '" + info.name.id + "' is not indexed and its trailer is unreadable: " +
                               entries.status().message());
      continue;
    }
    PackRecord record{info.name.id, info.size, std::move(entries).value()};
    index_.AddPack(record);
    unindexed_packs_.push_back(info.name.id);
    orphan_records_.push_back(std::move(record));
  }
  return Status::Ok();
}

Result<std::vector<PackEntry>> Repository::ReadTrailer(const ObjectInfo& info) {
  uint64_t tail_len = std::min<uint64_t>(info.size, 64 * 1024);
  DR_ASSIGN_OR_RETURN(std::string tail, backend_.Get(info.name, {info.size - tail_len, tail_len}));
  DR_ASSIGN_OR_RETURN(TrailerNeed need, TrailerSize(tail, info.size));
  if (need.tail_bytes > tail.size()) {
    DR_ASSIGN_OR_RETURN(tail, backend_.Get(info.name, {info.size - need.tail_bytes, need.tail_bytes}));
  }
  return ParsePackTrailer(seal_key_, tail, info.size);
}

Status Repository::WriteIndex(const std::vector<PackRecord>& packs) {
  if (packs.empty()) return Status::Ok();
  std::string sealed = Seal(seal_key_, ObjectType::kIndex, EncodeIndexFile(packs), options_.compression_level);
  std::string id = HexEncode(crypto::Sha256(sealed));
  Status s = backend_.Put({ObjectKind::kIndex, id}, sealed, {.overwrite = false});
  if (!s.ok() && s.code() != Code::kAlreadyExists) {
    return s.WithContext("unable to write index '" + id.substr(0, 12) + "' to " + location());
  }
  std::lock_guard lock(write_mu_);
  stats_.stored_bytes += sealed.size();
  return Status::Ok();
}

Status Repository::AdoptOrphanPacks() {
  if (orphan_records_.empty()) return Status::Ok();
  DR_RETURN_IF_ERROR(WriteIndex(orphan_records_).WithContext("unable to index packs left by an interrupted backup"));
  orphan_records_.clear();
  unindexed_packs_.clear();
  return Status::Ok();
}

Status Repository::CopySealedBlob(const BlobId& id, std::string_view sealed, uint32_t raw_length) {
  {
    std::lock_guard lock(write_mu_);
    if (!broken_.ok()) return broken_;
    pending_.insert(id);
  }
  return AddToPack(id, sealed, raw_length);
}

Status Repository::Broken(Status status) {
  std::lock_guard lock(write_mu_);
  if (broken_.ok()) broken_ = status;
  return broken_;
}

// Packs a stream's sealed blobs in the stream's order, whichever worker seals
// them: the worker that completes the run at the head packs it. A restore then
// finds a stream's blobs side by side and reads them with few ranged GETs
// (repo/fetch_plan.h). Packing happens as blobs are sealed, not when the
// stream's reader gets round to it, so a stalled source (a pipe, pg_dump
// waiting on a lock) still has its data packed and written.
struct Repository::PackSequencer {
  std::mutex mu;
  uint64_t next = 0;  // the chunk packed next
  std::map<uint64_t, SealedBlob> ready;
  Status error;  // the first failure to pack
};

Result<BlobId> Repository::SealAndPack(std::string chunk, uint64_t seq, PackSequencer& sequencer) {
  Result<SealedBlob> sealed = Status(Code::kFailed, "not sealed");
  try {
    sealed = SaveBlob(std::move(chunk));
  } catch (const std::exception& e) {
    // The blob may be pending already: the writer is dead, as after any write error.
    sealed = Broken(Status(Code::kFailed, std::string("sealing a chunk: ") + e.what()));
  }
  Result<BlobId> id = sealed.ok() ? Result<BlobId>(sealed->id) : Result<BlobId>(sealed.status());
  std::lock_guard lock(sequencer.mu);
  // A chunk that failed still takes its turn (as nothing to pack), or the ones after it would wait forever.
  sequencer.ready.emplace(seq, sealed.ok() ? std::move(*sealed) : SealedBlob{});
  try {
    while (!sequencer.ready.empty() && sequencer.ready.begin()->first == sequencer.next) {
      SealedBlob blob = std::move(sequencer.ready.begin()->second);
      sequencer.ready.erase(sequencer.ready.begin());
      ++sequencer.next;
      if (blob.sealed.empty()) continue;  // known already, or failed
      Status added = sequencer.error.ok() ? AddToPack(blob.id, blob.sealed, blob.raw_length) : sequencer.error;
      std::lock_guard stats(write_mu_);
      if (added.ok()) {
        stats_.new_blobs++;
        stats_.new_bytes += blob.raw_length;
      } else {
        // Not packed: a later stream of this session must write it, not take it for pending.
        pending_.erase(blob.id);
        if (sequencer.error.ok()) sequencer.error = added;
      }
    }
  } catch (const std::exception& e) {
    Status broken = Broken(Status(Code::kFailed, std::string("packing a blob: ") + e.what()));
    if (sequencer.error.ok()) sequencer.error = broken;
  }
  return id;
}

Result<StreamResult> Repository::SaveStream(ByteSource& source, Progress* progress) {
  {
    std::lock_guard lock(write_mu_);
    if (!broken_.ok()) return broken_;
  }
  DR_RETURN_IF_ERROR(CheckStop("backup"));
  Chunker chunker(source, gear_, config_.chunker);
  crypto::Sha256Stream sha;
  StreamResult result;
  PackSequencer sequencer;
  uint64_t seq = 0;
  std::deque<std::future<Result<BlobId>>> inflight;
  WaitOnExit wait_inflight(inflight);  // the tasks reference the sequencer
  const size_t max_inflight = 2 * (pool_->size() + 1);
  Status error;
  auto drain_one = [&] {
    Result<BlobId> id = inflight.front().get();
    inflight.pop_front();
    if (!id.ok()) {
      if (error.ok()) error = id.status();
    } else {
      result.blobs.push_back(*id);
    }
  };
  auto submit = [&](std::string chunk) {
    inflight.push_back(pool_->Submit([this, &sequencer, c = std::move(chunk), n = seq++]() mutable {
      return SealAndPack(std::move(c), n, sequencer);
    }));
  };
  auto take = [&](const std::string& chunk) {
    sha.Update(chunk);
    result.size += chunk.size();
    if (progress) progress->Add(chunk.size());
  };
  std::string chunk;
  Result<bool> have = chunker.Next(&chunk);
  if (have.ok() && *have) {
    // A stream of a single chunk (a small file) is sealed on this thread:
    // handing it to a worker and waiting for it cost more than the work (futex
    // round trips: a quarter of the CPU of a backup of 30,000 small files).
    std::string second;
    Result<bool> more = chunker.Next(&second);
    take(chunk);
    if (more.ok() && !*more) {
      std::promise<Result<BlobId>> done;
      done.set_value(SealAndPack(std::move(chunk), seq++, sequencer));
      inflight.push_back(done.get_future());
    } else {
      submit(std::move(chunk));
    }
    chunk = std::move(second);
    have = std::move(more);
  }
  while (error.ok()) {
    if (Status s = CheckStop("backup"); !s.ok()) {
      error = s;
      break;
    }
    if (!have.ok()) {
      error = have.status();
      break;
    }
    if (!*have) break;
    take(chunk);
    while (inflight.size() >= max_inflight && error.ok()) drain_one();
    if (!error.ok()) break;
    submit(std::move(chunk));
    chunk.clear();
    have = chunker.Next(&chunk);
  }
  while (!inflight.empty()) drain_one();  // the tasks reference the sequencer: all end before it does
  if (error.ok()) error = sequencer.error;
  if (!error.ok()) return error;
  result.sha256 = HexEncode(sha.Finish());
  return result;
}

Status Repository::CheckStop(std::string_view what) const {
  DR_RETURN_IF_ERROR(CheckInterrupted(what));
  if (options_.stop.stop_requested()) return Status(Code::kCancelled, std::string(what) + " cancelled");
  return Status::Ok();
}

Result<Repository::SealedBlob> Repository::SaveBlob(std::string chunk, bool metadata) {
  SealedBlob out{BlobId::FromRaw(crypto::HmacSha256(keys_.id_key, chunk)), "", static_cast<uint32_t>(chunk.size())};
  {
    std::lock_guard lock(write_mu_);
    if (!broken_.ok()) return broken_;
    if (!metadata) stats_.blobs++;
    if (index_.Has(out.id) || !pending_.insert(out.id).second) return out;
  }
  Payload payload = EncodePayload(chunk, options_.compression_level);
  out.sealed = SealPayload(seal_key_, ObjectType::kData, payload, out.id.raw());
  // Open what we just sealed and compare (restic's verifyCiphertext): a fault in
  // memory or in the cipher must not reach storage as an unreadable blob.
  auto reopened = OpenPayload(seal_key_, ObjectType::kData, out.sealed, out.id.raw());
  DR_CHECK(reopened.ok() && reopened->data == payload.data) << "sealed blob " << out.id.hex() << " does not open again";
  return out;
}

Status Repository::AddToPack(const BlobId& id, std::string_view sealed, uint32_t raw_length, bool metadata) {
  PackBuilder full;
  {
    std::lock_guard lock(write_mu_);
    if (!broken_.ok()) return broken_;
    PackBuilder& builder = metadata ? metadata_builder_ : builder_;
    // Item list blobs are small: their pack grows as it needs to.
    if (builder.count() == 0 && !metadata) builder.Reserve(options_.pack_size + sealed.size() + kChunkMax);
    builder.Add(ObjectType::kData, id, sealed, raw_length);
    if (builder.size() < options_.pack_size) return Status::Ok();
    std::swap(full, builder);
  }
  return QueuePackWrite(std::move(full));
}

Status Repository::QueuePackWrite(PackBuilder builder) {
  std::future<Status> oldest;
  {
    std::lock_guard lock(writes_mu_);
    pack_writes_.push_back(
        writers_->Submit([this, b = std::move(builder)]() mutable {
          try {
            return WritePack(std::move(b));
          } catch (const std::exception& e) {
            return Broken(Status(Code::kFailed, std::string("writing a pack: ") + e.what()));
          }
        }));
    if (pack_writes_.size() <= kMaxPendingPacks) return Status::Ok();
    oldest = std::move(pack_writes_.front());
    pack_writes_.pop_front();
  }
  return oldest.get();
}

Status Repository::WaitPackWrites() {
  std::deque<std::future<Status>> pending;
  {
    std::lock_guard lock(writes_mu_);
    pending.swap(pack_writes_);
  }
  Status first = Status::Ok();
  for (auto& f : pending) {
    Status s = f.get();
    if (first.ok() && !s.ok()) first = s;
  }
  return first;
}

Status Repository::WritePack(PackBuilder builder) {
  FinishedPack pack = builder.Finish(seal_key_);
  Status s = backend_.Put({ObjectKind::kPack, pack.id}, pack.bytes, {.overwrite = false});
  // Pack ids are content hashes: an existing pack of that id holds these very bytes.
  if (!s.ok() && s.code() != Code::kAlreadyExists) {
    return Broken(s.WithContext("unable to write pack '" + pack.id.substr(0, 12) + "' to " + location()));
  }
  std::vector<PackRecord> to_index;
  {
    std::lock_guard lock(write_mu_);
    stats_.stored_bytes += pack.bytes.size();
    PackRecord record{pack.id, pack.bytes.size(), std::move(pack.entries)};
    // Stored: the index answers for its blobs from now on, so that what is
    // pending stays a few packs' worth however long the backup. A spill of
    // the index to disk waits until write_mu_ is released below: the
    // backup's writers wait on write_mu_.
    index_.AddPack(record, /*spill=*/false);
    for (const auto& e : record.entries) pending_.erase(e.id);
    written_entries_ += record.entries.size();
    written_packs_.push_back(std::move(record));
    if (written_entries_ >= kIndexFileEntries) {
      to_index.swap(written_packs_);
      written_entries_ = 0;
    }
  }
  index_.SpillIfFull();
  if (!to_index.empty()) {
    if (Status written = WriteIndex(to_index); !written.ok()) return Broken(written);
  }
  return Status::Ok();
}

Status Repository::Flush() {
  DR_RETURN_IF_ERROR(WaitPackWrites());
  PackBuilder last, last_metadata;
  {
    std::lock_guard lock(write_mu_);
    if (!broken_.ok()) return broken_;
    std::swap(last, builder_);
    std::swap(last_metadata, metadata_builder_);
  }
  // Item lists stay in packs of their own, also for a small backup: damage to a
  // data pack (a truncated tail) must not take the list of every item with it.
  if (last.count() > 0) DR_RETURN_IF_ERROR(WritePack(std::move(last)));
  if (last_metadata.count() > 0) DR_RETURN_IF_ERROR(WritePack(std::move(last_metadata)));
  std::vector<PackRecord> packs;
  {
    std::lock_guard lock(write_mu_);
    packs.swap(written_packs_);
    written_entries_ = 0;
    // Every pack is written: nothing is pending any more.
    pending_.clear();
  }
  if (packs.empty()) return Status::Ok();
  if (Status s = WriteIndex(packs); !s.ok()) return Broken(s);
  return Status::Ok();
}

WriteStats Repository::write_stats() const {
  std::lock_guard lock(write_mu_);
  return stats_;
}

Result<int> Repository::Upgrade() {
  int was = config_.version;
  if (was >= kRepositoryVersion) return was;
  RepoConfig upgraded = config_;
  upgraded.version = kRepositoryVersion;
  DR_RETURN_IF_ERROR(backend_.Put(kConfigName, ConfigToJson(upgraded), {.overwrite = true})
                         .WithContext("unable to upgrade repository " + location()));
  config_ = upgraded;
  return was;
}

Status Repository::SaveSnapshot(const Snapshot& snapshot, bool replace) {
  DR_RETURN_IF_ERROR(ValidateBackupId(snapshot.backup_id));
  for (const auto& c : snapshot.components) {
    // A summary's component: saving it would lose its items.
    if (!c.list && c.items.empty() && c.item_count > 0) {
      return Status(Code::kFailed, "internal error: component '" + c.name + "' of backup '" + snapshot.backup_id +
                                       "' has " + std::to_string(c.item_count) + " items, none of them loaded");
    }
    if (c.list && !writes_item_lists()) {
      return Status(Code::kFailed, "internal error: backup '" + snapshot.backup_id +
                                       "' has item lists, which version-1 repository " + location() + " cannot name");
    }
  }
  // Components whose items are in memory (a snapshot built whole) get their
  // lists written here; a backup writes them as it goes (ItemListWriter).
  const Snapshot* whole = &snapshot;
  Snapshot listed;
  if (writes_item_lists() &&
      std::any_of(snapshot.components.begin(), snapshot.components.end(), [](const auto& c) { return !c.list; })) {
    DR_RETURN_IF_ERROR(LoadIndex());  // deduplicate against what is stored, as a backup does
    listed = snapshot;
    for (auto& c : listed.components) {
      if (c.list) continue;
      ItemListWriter writer(*this);
      for (const auto& item : c.items) DR_RETURN_IF_ERROR(writer.Add(item));
      DR_ASSIGN_OR_RETURN(c.list, writer.Finish());
      c.item_count = writer.count();
      c.item_bytes = writer.bytes();
      c.items.clear();
    }
    DR_RETURN_IF_ERROR(Flush());  // the lists are durable before the snapshot that names them
    whole = &listed;
  }
  // The backup id is the seal context: a snapshot renamed on storage fails authentication.
  std::string sealed =
      Seal(seal_key_, ObjectType::kSnapshot, whole->ToJson().dump(), options_.compression_level, snapshot.backup_id);
  Status s = backend_.Put({ObjectKind::kSnapshot, snapshot.backup_id}, sealed, {.overwrite = replace});
  if (s.code() == Code::kAlreadyExists) {
    return AlreadyExists("backup id '" + snapshot.backup_id + "' already exists in repository " + location());
  }
  return s.WithContext("unable to write snapshot of backup '" + snapshot.backup_id + "'");
}

Result<std::vector<Repository::KeyFileEntry>> Repository::ListKeys() {
  std::vector<KeyFileEntry> keys;
  std::vector<std::string> names;
  DR_RETURN_IF_ERROR(backend_.List(ObjectKind::kKey, [&](const ObjectInfo& info) {
    names.push_back(info.name.id);
    return Status::Ok();
  }));
  for (const auto& name : names) {
    DR_ASSIGN_OR_RETURN(std::string text, backend_.Get({ObjectKind::kKey, name}, {}));
    DR_ASSIGN_OR_RETURN(KeyFileInfo info, ReadKeyFileInfo(text));
    keys.push_back({name, info.master_key_id, info.created});
  }
  return keys;
}

Status Repository::AddMasterKey(std::string_view new_master_key) {
  if (!keys_.encrypted) return InvalidArgument("repository " + location() + " is not encrypted: it has no master key");
  if (new_master_key.size() != 32) return ConfigError("the new master key must be 32 bytes");
  std::string file = WrapDataKeys(keys_, new_master_key, FormatUtc(options_.clock->Now()));
  Status s = backend_.Put({ObjectKind::kKey, MasterKeyId(new_master_key)}, file, {.overwrite = false});
  if (s.code() == Code::kAlreadyExists) return Status::Ok();  // that key opens the repository already
  return s;
}

Status Repository::RemoveMasterKey(const std::string& master_key_id) {
  DR_ASSIGN_OR_RETURN(auto keys, ListKeys());
  if (keys.size() <= 1) return Failed("refusing to remove the last key file of repository " + location());
  for (const auto& k : keys) {
    if (k.master_key_id == master_key_id) return backend_.Remove({ObjectKind::kKey, k.name});
  }
  return NotFound("no key file for key " + master_key_id + " in repository " + location());
}

namespace {
ObjectType SealTypeOf(ObjectKind kind) {
  DR_CHECK(kind == ObjectKind::kWal) << "only WAL files are stored as named objects";
  return ObjectType::kWal;
}
}  // namespace

Status Repository::SaveObject(ObjectKind kind, const std::string& id, std::string_view plaintext, int level) {
  std::string sealed = Seal(seal_key_, SealTypeOf(kind), plaintext, level, id);
  Status s = backend_.Put({kind, id}, sealed, {.overwrite = false});
  if (s.code() == Code::kAlreadyExists) return AlreadyExists(ObjectName{kind, id}.ToString() + " already exists in " + location());
  return s;
}

Result<std::string> Repository::LoadObject(ObjectKind kind, const std::string& id) {
  auto sealed = backend_.Get({kind, id}, {});
  if (!sealed.ok()) return sealed.status();
  auto plain = Unseal(seal_key_, SealTypeOf(kind), *sealed, kMaxPlaintext, id);
  if (!plain.ok()) return Corrupt(ObjectName{kind, id}.ToString() + " is damaged: " + plain.status().message());
  return plain;
}

Result<std::vector<std::string>> Repository::ListSnapshotIds() {
  std::vector<std::string> ids;
  DR_RETURN_IF_ERROR(backend_.List(ObjectKind::kSnapshot, [&](const ObjectInfo& info) {
    ids.push_back(info.name.id);
    return Status::Ok();
  }));
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<std::string> Repository::LoadSnapshotText(const std::string& backup_id) {
  DR_RETURN_IF_ERROR(ValidateBackupId(backup_id));
  auto sealed = backend_.Get({ObjectKind::kSnapshot, backup_id}, {});
  if (!sealed.ok()) {
    if (sealed.status().code() == Code::kNotFound) {
      return NotFound("backup '" + backup_id + "' not found in repository " + location());
    }
    return sealed.status().WithContext("unable to read backup '" + backup_id + "'");
  }
  auto plain = Unseal(seal_key_, ObjectType::kSnapshot, *sealed, kMaxPlaintext, backup_id);
  if (!plain.ok()) return plain.status().WithContext("snapshot of backup '" + backup_id + "' is damaged");
  return plain;
}

Status ListError(Status s, const std::string& component, const std::string& backup_id) {
  if (s.ok()) return s;
  std::string context = "item list of component '" + component + "' of backup '" + backup_id + "'";
  if (s.code() == Code::kNotFound) return Status(Code::kCorrupt, context + ": " + s.message());
  return s.WithContext(context);
}

std::vector<Result<Snapshot>> Repository::LoadSnapshotSummaries(const std::vector<std::string>& backup_ids) {
  std::vector<Result<Snapshot>> out;
  out.reserve(backup_ids.size());
  MapInOrder(
      IoPool(), backup_ids.size(),
      [this, &backup_ids](size_t i) -> Result<Snapshot> {
        try {
          return LoadSnapshot(backup_ids[i], /*with_items=*/false);
        } catch (const std::exception& e) {
          return Corrupt("snapshot '" + backup_ids[i] + "' is unreadable: " + e.what());
        }
      },
      [&](Result<Snapshot>&& loaded) {
        out.push_back(std::move(loaded));
        // Storage that does not answer (or refuses) says nothing about the
        // snapshots: the rest are not read, each gets the same answer.
        Code c = out.back().status().code();
        return c != Code::kUnavailable && c != Code::kPermissionDenied && c != Code::kCancelled;
      });
  const Status stop = out.empty() ? Status::Ok() : out.back().status();
  while (out.size() < backup_ids.size()) out.push_back(stop);
  return out;
}

Result<Snapshot> Repository::LoadSnapshot(const std::string& backup_id, bool with_items) {
  DR_ASSIGN_OR_RETURN(std::string text, LoadSnapshotText(backup_id));
  auto snap = ParseSnapshot(text, with_items);
  if (!snap.ok()) return snap.status().WithContext("snapshot of backup '" + backup_id + "'");
  if (!with_items) return snap;
  for (auto& c : snap->components) DR_RETURN_IF_ERROR(LoadItems(backup_id, c));
  return snap;
}

Status Repository::LoadItems(const std::string& backup_id, SnapshotComponent& c) {
  if (!c.list) {
    if (!c.items.empty() || c.item_count == 0) return Status::Ok();
    // A format-1 summary: the items are in the manifest.
    DR_ASSIGN_OR_RETURN(Snapshot whole, LoadSnapshot(backup_id, /*with_items=*/true));
    for (auto& w : whole.components) {
      if (w.name == c.name) c.items = std::move(w.items);
    }
    return Status::Ok();
  }
  c.items.clear();
  c.items.reserve(c.item_count);
  DR_RETURN_IF_ERROR(ListError(ForEachItem(*c.list,
                                           [&](SnapshotItem&& item) {
                                             c.items.push_back(std::move(item));
                                             return Status::Ok();
                                           }),
                               c.name, backup_id));
  // The items are now what the component is: saving it again lists them anew.
  c.list.reset();
  return Status::Ok();
}

Status Repository::WalkSnapshot(const std::string& backup_id, const std::function<Status(const Snapshot&)>& header,
                                const std::function<Status(size_t, SnapshotItem&&)>& item, ItemOrder order) {
  DR_ASSIGN_OR_RETURN(std::string text, LoadSnapshotText(backup_id));
  auto summary = ParseSnapshot(text, /*with_items=*/false);
  if (!summary.ok()) return summary.status().WithContext("snapshot of backup '" + backup_id + "'");
  DR_RETURN_IF_ERROR(header(*summary));
  std::string context = "snapshot of backup '" + backup_id + "'";
  std::vector<size_t> by_name = ComponentsByName(*summary);
  bool manifest_order = true;
  for (size_t i = 0; i < by_name.size(); ++i) manifest_order = manifest_order && by_name[i] == i;
  if (HasItemLists(*summary)) {
    // Format 2: each component's list is read once, in the order asked for.
    std::vector<size_t> all(summary->components.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    for (size_t c : order == ItemOrder::kManifest ? all : by_name) {
      const SnapshotComponent& component = summary->components[c];
      if (!component.list) continue;
      DR_RETURN_IF_ERROR(ListError(ForEachItem(*component.list, [&](SnapshotItem&& it) { return item(c, std::move(it)); }),
                                   component.name, backup_id));
    }
    return Status::Ok();
  }
  if (order == ItemOrder::kManifest || (manifest_order && by_name.size() == summary->components.size())) {
    return repo::ForEachSnapshotItem(text, item).WithContext(context);
  }
  // Re-reading the text (in memory already) per component costs CPU, not memory.
  for (size_t component : by_name) {
    if (summary->components[component].item_count == 0) continue;
    DR_RETURN_IF_ERROR(repo::ForEachSnapshotItem(text, [&](size_t c, SnapshotItem&& it) {
                         return c == component ? item(c, std::move(it)) : Status::Ok();
                       }).WithContext(context));
  }
  return Status::Ok();
}

Status Repository::ForEachSnapshotBlob(const std::string& backup_id, const std::function<void(const BlobId&)>& fn,
                                       const std::function<bool(const BlobId&)>& known) {
  DR_ASSIGN_OR_RETURN(std::string text, LoadSnapshotText(backup_id));
  std::string context = "snapshot of backup '" + backup_id + "'";
  auto summary = ParseSnapshot(text, /*with_items=*/false);
  if (!summary.ok()) return summary.status().WithContext(context);
  // Format 1: every "blobs" array of the manifest (in format 2, the top list
  // blobs: reported again below, which fn takes as it takes duplicates).
  DR_RETURN_IF_ERROR(repo::ForEachSnapshotBlob(text, fn).WithContext(context));
  // Format 2: the list blobs at every level, and the data blobs of every item.
  std::function<Status(SnapshotItem&&)> on_item = [&](SnapshotItem&& item) {
    for (const auto& id : item.blobs) fn(id);
    return Status::Ok();
  };
  for (const auto& c : summary->components) {
    if (!c.list) continue;
    DR_RETURN_IF_ERROR(LoadIndex());
    DR_RETURN_IF_ERROR(
        ListError(WalkList(c.list->levels, c.list->blobs, &fn, &on_item, known ? &known : nullptr), c.name, backup_id));
  }
  return Status::Ok();
}

Result<BlobId> Repository::SaveMetadataBlob(std::string plaintext) {
  DR_RETURN_IF_ERROR(CheckStop("backup"));
  Result<SealedBlob> sealed = Status(Code::kFailed, "not sealed");
  try {
    sealed = SaveBlob(std::move(plaintext), /*metadata=*/true);
  } catch (const std::exception& e) {
    return Broken(Status(Code::kFailed, std::string("sealing an item list blob: ") + e.what()));
  }
  if (!sealed.ok()) return sealed.status();
  if (sealed->sealed.empty()) return sealed->id;  // stored already: an unchanged run of items
  DR_RETURN_IF_ERROR(AddToPack(sealed->id, sealed->sealed, sealed->raw_length, /*metadata=*/true));
  std::lock_guard lock(write_mu_);
  stats_.new_metadata_bytes += sealed->raw_length;
  return sealed->id;
}

namespace {
// Cuts what RestoreStream writes into item lines: a line never spans two item
// list blobs, but writes need not end at one.
class ItemLineSink : public ByteSink {
 public:
  explicit ItemLineSink(const std::function<Status(SnapshotItem&&)>& fn) : fn_(fn) {}
  Status Write(std::string_view data) override {
    size_t end = data.rfind('\n');
    if (end == std::string_view::npos) {
      partial_.append(data);
      return Status::Ok();
    }
    Status st;
    if (partial_.empty()) {
      st = Lines(data.substr(0, end + 1));
    } else {
      partial_.append(data.substr(0, end + 1));
      st = Lines(partial_);
      partial_.clear();
    }
    partial_.append(data.substr(end + 1));
    return st;
  }
  Status Finish() const {
    return partial_.empty() ? Status::Ok() : Corrupt("an item list does not end with a complete line");
  }

 private:
  Status Lines(std::string_view text) { return ForEachItemLine(text, fn_); }
  const std::function<Status(SnapshotItem&&)>& fn_;
  std::string partial_;
};
}  // namespace

Status Repository::WalkList(int level, const std::vector<BlobId>& ids,
                            const std::function<void(const BlobId&)>* on_blob,
                            const std::function<Status(SnapshotItem&&)>* on_item,
                            const std::function<bool(const BlobId&)>* known) {
  std::vector<BlobId> fresh;  // the ids to walk below: known ones were walked before
  fresh.reserve(ids.size());
  for (const auto& id : ids) {
    bool seen = known != nullptr && (*known)(id);  // asked before on_blob records it
    if (on_blob != nullptr) (*on_blob)(id);
    if (!seen) fresh.push_back(id);
  }
  if (level == 0) {
    if (on_item == nullptr || fresh.empty()) return Status::Ok();
    // One restore of the whole run: neighbouring list blobs are read together.
    ItemLineSink sink(*on_item);
    DR_RETURN_IF_ERROR(RestoreStream(fresh, sink, nullptr).status());
    return sink.Finish();
  }
  for (const auto& id : fresh) {
    DR_ASSIGN_OR_RETURN(std::vector<BlobId> children, LoadIdList(id));
    DR_RETURN_IF_ERROR(WalkList(level - 1, children, on_blob, on_item, known));
  }
  return Status::Ok();
}

Result<std::vector<BlobId>> Repository::LoadIdList(const BlobId& id) {
  DR_ASSIGN_OR_RETURN(std::string raw, LoadBlob(id));
  if (raw.empty() || raw.size() % 32 != 0) return Corrupt("item list blob " + id.ShortHex() + " is not a list of blob ids");
  return SplitIds(raw);
}

Status Repository::ForEachItem(const ItemList& list, const std::function<Status(SnapshotItem&&)>& fn) {
  DR_RETURN_IF_ERROR(LoadIndex());
  return WalkList(list.levels, list.blobs, nullptr, &fn);
}

Status Repository::ForEachListBlob(const ItemList& list, const std::function<void(const BlobId&)>& fn) {
  DR_RETURN_IF_ERROR(LoadIndex());
  return WalkList(list.levels, list.blobs, &fn, nullptr);
}

Status Repository::RemoveSnapshot(const std::string& backup_id) {
  DR_RETURN_IF_ERROR(ValidateBackupId(backup_id));
  Status s = backend_.Remove({ObjectKind::kSnapshot, backup_id});
  if (s.code() == Code::kNotFound) return NotFound("backup '" + backup_id + "' not found in repository " + location());
  return s;
}

Result<std::string> Repository::LoadBlob(const BlobId& id) {
  auto loc = index_.Find(id);
  if (!loc) return BlobNotIndexed(id, index_);
  std::string where = BlobWhere(id, loc->pack_id);
  auto sealed = backend_.Get({ObjectKind::kPack, loc->pack_id}, {loc->offset, loc->length});
  if (!sealed.ok()) {
    if (sealed.status().code() == Code::kNotFound) return NotFound(where + ": pack is missing");
    return sealed.status().WithContext(where);
  }
  std::string plain(loc->raw_length, '\0');
  DR_RETURN_IF_ERROR(OpenBlob(id, *sealed, loc->raw_length, where, plain.data()));
  return plain;
}

Status Repository::OpenBlob(const BlobId& id, std::string_view sealed, uint32_t raw_length, const std::string& where,
                            char* out) const {
  // The blob id is authenticated with the blob (seal context): a blob that
  // authenticates is the one this id names, so restore need not re-hash it.
  // `repo check --read-data` still recomputes every id.
  thread_local std::string scratch;  // the decrypted, compressed payload: grows to the largest blob, then reused
  Status s = UnsealInto(seal_key_, ObjectType::kData, sealed, id.raw(), out, raw_length, scratch);
  if (!s.ok()) return Corrupt(where + ": " + s.message());
  return Status::Ok();
}

// Buffers for restore's decoded blobs, reused: a fresh multi-MiB allocation per
// blob costs a page fault per 4 KiB and a zero fill (measured: a fifth of a
// local restore's CPU). Thread-safe.
class Repository::BufferPool {
 public:
  Buffer Take(size_t size) {
    {
      std::lock_guard lock(mu_);
      for (auto it = free_.begin(); it != free_.end(); ++it) {
        if (it->capacity >= size) {
          Buffer b = std::move(*it);
          free_.erase(it);
          b.size = size;
          return b;
        }
      }
    }
    size_t capacity = std::max<size_t>(size, kChunkMax);
    return {std::unique_ptr<char[]>(new char[capacity]), capacity, size};  // not zeroed: written whole before use
  }
  void Give(Buffer b) {
    std::lock_guard lock(mu_);
    free_.push_back(std::move(b));
  }

 private:
  std::mutex mu_;
  std::vector<Buffer> free_;
};

// What one ranged GET brought: the bytes, or why there are none.
struct Repository::FetchedRange {
  Fetch fetch;
  Status status;
  std::string bytes;
};

std::shared_ptr<const Repository::FetchedRange> Repository::ReadRange(Fetch fetch) {
  auto out = std::make_shared<FetchedRange>();
  out->fetch = std::move(fetch);
  const Fetch& f = out->fetch;
  if (!f.missing.ok()) {
    out->status = f.missing;
    return out;
  }
  try {
    auto bytes = backend_.Get({ObjectKind::kPack, f.pack_id}, {f.offset, f.length});
    if (!bytes.ok()) {
      out->status = bytes.status();
    } else if (bytes->size() != f.length) {
      out->status = Corrupt("pack returned " + std::to_string(bytes->size()) + " bytes for a range of " +
                            std::to_string(f.length));
    } else {
      out->bytes = std::move(*bytes);
    }
  } catch (const std::exception& e) {
    out->status = Status(Code::kFailed, std::string("reading the pack: ") + e.what());
  }
  return out;
}

Result<Repository::Buffer> Repository::DecodePart(const FetchedRange& range, size_t p, BufferPool& buffers,
                                                  const std::atomic<bool>& failed) {
  const Fetch& f = range.fetch;
  const Fetch::Part& blob = f.parts[p];
  if (!f.missing.ok()) return f.missing;
  if (failed) return Status(Code::kCancelled, "restore already failed");  // never written: the error is set
  if (range.status.ok()) {
    Buffer out = buffers.Take(blob.raw_length);
    DR_RETURN_IF_ERROR(OpenBlob(blob.id, std::string_view(range.bytes).substr(blob.offset, blob.length),
                                blob.raw_length, f.Where(p), out.data.get()));
    return out;
  }
  if (range.status.code() == Code::kNotFound) return NotFound(f.Where(p) + ": pack is missing");
  if (f.parts.size() == 1 || range.status.code() == Code::kCancelled) return range.status.WithContext(f.Where(p));
  // A merged read failed: read this blob alone, so that a fault in one blob's
  // bytes fails that blob, named, and its neighbours still restore. Once one
  // has failed, the rest do nothing (failed), so a dead server costs one more
  // read, not one per blob.
  DR_ASSIGN_OR_RETURN(std::string alone, LoadBlob(blob.id));
  if (alone.size() != blob.raw_length) return Corrupt(f.Where(p) + ": content does not match its indexed length");
  Buffer out = buffers.Take(blob.raw_length);
  std::memcpy(out.data.get(), alone.data(), out.size);
  return out;
}

ThreadPool& Repository::IoPool() {
  std::call_once(io_pool_once_, [this] { io_pool_ = std::make_unique<ThreadPool>(IoConcurrency()); });
  return *io_pool_;
}

size_t Repository::IoConcurrency() const {
  return options_.io_concurrency > 0 ? options_.io_concurrency
                                     : static_cast<size_t>(std::max(1, backend_.Properties().max_connections));
}

Result<StreamResult> Repository::RestoreStream(const std::vector<BlobId>& blobs, ByteSink& sink, Progress* progress,
                                               StreamHash hash) {
  std::optional<crypto::Sha256Stream> sha;
  if (hash == StreamHash::kSha256) sha.emplace();
  StreamResult result;
  size_t placed = 0;  // blobs handed to the decoders: each must be the next of `blobs`
  FetchPlanner planner(index_, blobs, options_.fetch);
  // Reads in flight (oldest first) and their bytes; then the read whose blobs
  // are being handed to the decoders; then the blobs being decoded, in order.
  std::deque<std::future<std::shared_ptr<const FetchedRange>>> reads;
  uint64_t read_bytes = 0;
  std::shared_ptr<const FetchedRange> current;
  size_t part = 0;
  std::deque<std::future<Result<Buffer>>> decodes;
  const size_t window = 2 * (pool_->size() + 1);
  BufferPool buffers;
  Status error;

  std::atomic<bool> failed{false};  // set once the restore has failed: tasks still queued do nothing
  // Declared after what the tasks reference: an exception leaving this function waits for them first.
  WaitOnExit wait_reads(reads);
  WaitOnExit wait_decodes(decodes);
  ThreadPool& io = IoPool();
  auto read_more = [&] {
    while (error.ok() && !planner.done() && reads.size() < io.size() &&
           (reads.empty() || read_bytes < options_.read_ahead)) {
      Fetch fetch = planner.Next();
      read_bytes += fetch.length;
      reads.push_back(io.Submit([this, f = std::move(fetch)]() mutable { return ReadRange(std::move(f)); }));
    }
  };
  auto ready = [](const auto& future) { return future.wait_for(std::chrono::seconds(0)) == std::future_status::ready; };
  // After the first error nothing more is submitted, but every future already
  // submitted is still collected (its task reads this repository); the loop
  // ends when nothing is in flight.
  while (true) {
    read_more();
    while (error.ok() && decodes.size() < window) {
      if (!current || part == current->fetch.parts.size()) {
        // Do not wait for a read while decoded blobs could be written meanwhile.
        if (reads.empty() || (!decodes.empty() && !ready(reads.front()))) break;
        current = reads.front().get();
        reads.pop_front();
        read_bytes -= current->fetch.length;
        part = 0;
        read_more();
      }
      // An internal check: the plan is built from `blobs` in order
      // (FetchPlanner), and what is written is right only while it stays so.
      if (placed >= blobs.size() || current->fetch.parts[part].id != blobs[placed]) {
        error = Failed("the restore's read plan left the stream's order at blob " + std::to_string(placed) +
                       " of " + std::to_string(blobs.size()));
        break;
      }
      ++placed;
      // Tasks reference buffers and failed: nothing may escape them as an exception.
      decodes.push_back(pool_->Submit([this, &buffers, &failed, range = current, p = part]() -> Result<Buffer> {
        try {
          return DecodePart(*range, p, buffers, failed);
        } catch (const std::exception& e) {
          return Status(Code::kFailed, "restoring blob '" + range->fetch.parts[p].id.ShortHex() + "': " + e.what());
        }
      }));
      ++part;
    }
    if (decodes.empty()) break;
    failed = !error.ok();
    Result<Buffer> data = decodes.front().get();
    decodes.pop_front();
    if (!error.ok()) continue;  // drain what is in flight, write nothing more
    if (!data.ok()) {
      error = data.status();
      continue;
    }
    if (Status s = CheckStop("restore"); !s.ok()) {
      error = s;
      continue;
    }
    std::string_view plain(data->data.get(), data->size);
    if (sha) sha->Update(plain);
    result.size += plain.size();
    Status written = sink.Write(plain);
    buffers.Give(std::move(*data));
    if (!written.ok()) {
      error = written;
      continue;
    }
    if (progress) progress->Add(plain.size());
  }
  for (auto& read : reads) read.wait();
  if (!error.ok()) return error;
  if (placed != blobs.size()) {
    return Failed("the restore's read plan ended after " + std::to_string(placed) + " of " +
                  std::to_string(blobs.size()) + " blobs");
  }
  result.blobs = blobs;
  if (sha) result.sha256 = HexEncode(sha->Finish());
  return result;
}

Result<std::vector<PackEntry>> Repository::ReadPackTrailer(const std::string& pack_id, uint64_t size) {
  ObjectInfo info;
  info.name = {ObjectKind::kPack, pack_id};
  info.size = size;
  auto entries = ReadTrailer(info);
  if (!entries.ok()) {
    Status s = entries.status();
    // A trailer that does not parse or authenticate is damage, whatever layer noticed it.
    if (s.code() == Code::kInvalidArgument || s.code() == Code::kWrongKey) s = Corrupt(s.message());
    return s.WithContext("trailer of pack '" + pack_id.substr(0, 12) + "'");
  }
  return entries;
}

Result<std::vector<PackEntry>> Repository::ReadPackEntries(const std::string& pack_id, uint64_t size) {
  DR_ASSIGN_OR_RETURN(std::string bytes, backend_.Get({ObjectKind::kPack, pack_id}, {}));
  if (bytes.size() != size) {
    return Corrupt("pack '" + pack_id.substr(0, 12) + "' is " + std::to_string(bytes.size()) + " bytes, expected " +
                   std::to_string(size));
  }
  if (HexEncode(crypto::Sha256(bytes)) != pack_id) {
    return Corrupt("pack '" + pack_id.substr(0, 12) + "' does not match its content hash");
  }
  auto entries = ParsePackTrailer(seal_key_, bytes, bytes.size());
  if (!entries.ok()) return entries.status().WithContext("pack '" + pack_id.substr(0, 12) + "'");
  for (const auto& e : *entries) {
    std::string where = BlobWhere(e.id, pack_id);
    auto payload =
        OpenPayload(seal_key_, ObjectType::kData, std::string_view(bytes).substr(e.offset, e.length), e.id.raw());
    if (!payload.ok()) return Corrupt(where + ": " + payload.status().message());
    auto plain = DecodePayload(*payload, e.raw_length);
    if (!plain.ok()) return Corrupt(where + ": " + plain.status().message());
    if (crypto::HmacSha256(keys_.id_key, *plain) != e.id.raw()) return Corrupt(where + ": content does not match its id");
  }
  return entries;
}

}  // namespace dr::repo
