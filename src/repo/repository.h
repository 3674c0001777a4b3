// The repository: content-addressed, append-only storage of backups on a
// Backend, in the spirit of restic and Kopia (docs/format.md is the format).
//
// This is the only module that composes the pipeline: chunk (FastCDC) -> id
// (HMAC-SHA256) -> dedup against the index -> compress (zstd) -> seal
// (AES-256-GCM) -> open again and compare -> pack -> Backend::Put. The stages
// after chunking run on a thread pool; at most 2x(threads+1) chunks are in
// flight, so memory does not grow with the input.
//
// Crash safety: objects are written whole; packs first, then the index that
// names them, then the snapshot. A process killed at any point leaves no
// visible half-backup. Packs left without an index are found by their trailers
// on the next Open and used again (AdoptOrphanPacks), so nothing written is wasted.
//
// Thread-safety: reading (LoadSnapshot, LoadBlob, RestoreStream) is safe from
// many threads. Writing (SaveStream, Flush, SaveSnapshot) is one session at a
// time per Repository object; several processes may write the same repository
// at once (no lock is needed to append).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/progress.h"
#include "base/thread_pool.h"
#include "dr/backend.h"
#include "dr/clock.h"
#include "dr/io.h"
#include "repo/chunker/chunker.h"
#include "repo/crypto/keys.h"
#include "repo/fetch_plan.h"
#include "repo/index/index.h"
#include "repo/pack/pack.h"
#include "repo/snapshot/snapshot.h"

namespace dr::repo {

struct RepositoryOptions {
  int compression_level = 3;  // zstd level; 0 stores data uncompressed
  size_t pack_size = kDefaultPackSize;
  size_t threads = 0;  // 0: one per core
  // Storage requests in flight at once while restoring (ranged GETs). 0: what
  // the backend says it serves well (BackendProperties::max_connections: S3 16,
  // local disk 8). Separate from threads: a restore from object storage waits on
  // round trips, not on the CPU.
  size_t io_concurrency = 0;
  // How restore merges neighbouring blobs into one read (repo/fetch_plan.h), and
  // how many bytes it reads ahead of what it has written: memory stays bounded by
  // read_ahead plus one fetch per decoding worker.
  FetchOptions fetch;
  uint64_t read_ahead = 64 << 20;
  Clock* clock = &RealClock();
  // false: skip loading indexes and scanning packs (WAL push/fetch only need keys).
  bool load_index = true;
  // How much of the index stays in memory, and where the rest goes (index.h).
  IndexOptions index;
  // Requested: saving and restoring streams stop at the next chunk or blob with
  // kCancelled (as on SIGINT/SIGTERM, which they also poll). What was written
  // stays consistent: packs without a snapshot are adopted by the next backup.
  std::stop_token stop;
};

struct InitOptions {
  bool encrypted = true;
  std::string master_key;  // 32 bytes when encrypted
  ChunkerParams chunker;
  int version = kRepositoryVersion;  // 1 only to test what older repositories do
};

struct RepoConfig {
  int version = kRepositoryVersion;
  std::string id;
  std::string created;
  bool encrypted = true;
  ChunkerParams chunker;
};

struct StreamResult {
  std::vector<BlobId> blobs;
  uint64_t size = 0;
  std::string sha256;  // hex; from RestoreStream, only with StreamHash::kSha256
};

struct WriteStats {
  uint64_t blobs = 0;         // blobs referenced by saved streams
  uint64_t new_blobs = 0;     // blobs written
  uint64_t new_bytes = 0;     // plaintext bytes of written blobs
  uint64_t stored_bytes = 0;  // bytes of packs and indexes written
  uint64_t new_metadata_bytes = 0;  // plaintext bytes of item list blobs written (not in new_bytes)
};

class Repository {
 public:
  ~Repository();

  // kAlreadyExists when a repository is there already.
  static Result<std::unique_ptr<Repository>> Init(Backend& backend, const InitOptions& init,
                                                  const RepositoryOptions& options);
  // kNotFound when there is no repository; kWrongKey when master_key opens none of its key files.
  static Result<std::unique_ptr<Repository>> Open(Backend& backend, std::string_view master_key,
                                                  const RepositoryOptions& options);
  static Result<bool> Exists(Backend& backend);

  const RepoConfig& config() const { return config_; }
  // Version 2 and later: backups are written as item lists (snapshot format 2);
  // a version-1 repository gets format-1 manifests until Upgrade.
  bool writes_item_lists() const { return config_.version >= 2; }
  // Rewrites the config at this version's format (kRepositoryVersion): older
  // ecap-dr versions then refuse the repository instead of misreading the
  // backups written after. The caller holds the exclusive lock. Returns the
  // version it had (equal to the current one: nothing was written).
  Result<int> Upgrade();
  const DataKeys& keys() const { return keys_; }
  // Requested when the operation using the repository is cancelled.
  std::stop_token stop_token() const { return options_.stop; }
  Backend& backend() { return backend_; }
  const Index& index() const { return index_; }
  // false when opened with load_index false (snapshots and named objects only)
  // and no item list has been read since (that loads it: LoadIndex).
  bool index_loaded() const { return index_loaded_.load(); }
  // Loads the index of a repository opened without it, once; what reading a
  // format-2 item list needs (its blobs are in packs). Thread-safe.
  Status LoadIndex();
  std::string location() const { return backend_.Properties().location; }
  // Problems found while opening (damaged index files); `repo check` reports them.
  const std::vector<std::string>& open_warnings() const { return open_warnings_; }
  // Packs found without an index and indexed in memory from their trailers.
  const std::vector<std::string>& unindexed_packs() const { return unindexed_packs_; }

  // --- writing ---
  Result<StreamResult> SaveStream(ByteSource& source, Progress* progress);
  // Writes the open pack and an index file for every pack written since the last Flush.
  Status Flush();
  // Writes an index file for packs that have none (left by a killed backup).
  Status AdoptOrphanPacks();
  // Packs found without an index, with their entries (read from their trailers).
  const std::vector<PackRecord>& orphan_records() const { return orphan_records_; }
  // Adds an already sealed blob (moved by prune from another pack) to the open pack.
  Status CopySealedBlob(const BlobId& id, std::string_view sealed, uint32_t raw_length);
  // Writes one index file listing these packs.
  Status WriteIndex(const std::vector<PackRecord>& packs);
  // Refuses (kAlreadyExists) an id that exists; call Flush first.
  // replace: overwrite an existing snapshot of that id (pinning); otherwise an existing id is kAlreadyExists.
  // Writes format 2: a component without a list has its items written as one
  // (ItemListWriter) and flushed first.
  Status SaveSnapshot(const Snapshot& snapshot, bool replace = false);
  // Seals and packs one blob of an item list (snapshot format 2), deduplicated
  // like any blob but kept in packs of its own, so that reading a backup's
  // items reads few, dense packs. Counted in new_metadata_bytes.
  Result<BlobId> SaveMetadataBlob(std::string plaintext);
  WriteStats write_stats() const;

  // --- keys ---
  struct KeyFileEntry {
    std::string name;           // keys/<name>
    std::string master_key_id;  // "" when unencrypted
    std::string created;
  };
  Result<std::vector<KeyFileEntry>> ListKeys();
  // Wraps this repository's data keys with another master key (a new key file);
  // both keys open the repository until the old key file is removed.
  Status AddMasterKey(std::string_view new_master_key);
  // Removes the key file of a master key; refuses to remove the last one.
  Status RemoveMasterKey(const std::string& master_key_id);

  // --- named objects: sealed whole, not chunked or deduplicated (WAL segments) ---
  // Refuses (kAlreadyExists) an id that exists. The id is the seal context.
  Status SaveObject(ObjectKind kind, const std::string& id, std::string_view plaintext, int level);
  Result<std::string> LoadObject(ObjectKind kind, const std::string& id);

  // --- reading ---
  Result<std::vector<std::string>> ListSnapshotIds();
  // with_items false: a summary (components with item counts and, format 2,
  // their lists, no items). With items, a component holds its items and no
  // list: SaveSnapshot writes what the items then are.
  Result<Snapshot> LoadSnapshot(const std::string& backup_id, bool with_items = true);
  // The summaries (with_items false) of `backup_ids`, read io_concurrency at a
  // time (on S3 each is a round trip: a listing on a host without the summary
  // cache, as a new one in the backup region is, read them one after another);
  // one result per id, in their order. After one that says the storage did
  // not answer, refused or was interrupted (kUnavailable, kPermissionDenied,
  // kCancelled), the rest are not read and get that answer.
  std::vector<Result<Snapshot>> LoadSnapshotSummaries(const std::vector<std::string>& backup_ids);
  // Loads the items of one component of a summary (of backup_id), so that a
  // damaged list fails that component alone; kCorrupt names list, component and backup.
  Status LoadItems(const std::string& backup_id, SnapshotComponent& component);
  // The summary (header), then every item with the index of its component,
  // without building the manifest whole (backup show): in manifest order, or
  // the items of one component after another in ComponentsByName order (one
  // pass over the manifest per component when that is not the manifest's own
  // order; components it leaves out are skipped).
  enum class ItemOrder { kManifest, kByComponentName };
  Status WalkSnapshot(const std::string& backup_id, const std::function<Status(const Snapshot&)>& header,
                      const std::function<Status(size_t, SnapshotItem&&)>& item,
                      ItemOrder order = ItemOrder::kManifest);
  // Every blob id the backup references, without loading its manifest whole.
  // Format 2: the blobs of the item lists too, at every level. `known` (if
  // given) is asked once about every list blob (not data blobs) before it is
  // walked: true says it was walked before, and below it nothing is read again
  // (a list blob is its whole subtree, content-addressed), so prune reads an
  // unchanged list once, not once per backup. The caller records what it is asked.
  Status ForEachSnapshotBlob(const std::string& backup_id, const std::function<void(const BlobId&)>& fn,
                             const std::function<bool(const BlobId&)>& known = {});
  // Every item of a format-2 item list, in order. Memory is one id list blob
  // per level plus RestoreStream's read-ahead, whatever the number of items.
  Status ForEachItem(const ItemList& list, const std::function<Status(SnapshotItem&&)>& fn);
  // The ids in one id list blob of an item list (a level above the items);
  // kCorrupt when the blob is not such a list.
  Result<std::vector<BlobId>> LoadIdList(const BlobId& id);
  // The ids of the list's own blobs at every level, without reading its items
  // (only the id list blobs above them): what check and verify look at first.
  Status ForEachListBlob(const ItemList& list, const std::function<void(const BlobId&)>& fn);
  Status RemoveSnapshot(const std::string& backup_id);
  // Authenticated plaintext of one blob; kCorrupt/kNotFound name the blob and its pack.
  Result<std::string> LoadBlob(const BlobId& id);
  // Writes the blobs' plaintext to sink in order; every byte is authenticated
  // before it is written. Neighbouring blobs of a pack are read in one ranged
  // GET (FetchPlanner), up to io_concurrency reads run ahead of decryption on
  // their own threads, and the blobs are opened on the worker pool.
  //
  // What is written is the blobs listed, in their order: each blob
  // authenticates with its id (AES-256-GCM, the id as associated data: in an
  // encrypted repository only the key's holder sealed these bytes under this
  // id; without encryption the seal's tag is an unkeyed hash), and the read
  // plan's order is asserted against `blobs`. With StreamHash::kSha256 the stream
  // is also hashed, into StreamResult::sha256: what `verify --full` compares
  // with the SHA-256 a backup recorded of its input, which also catches a
  // backup that sealed or listed the wrong bytes. That hash is a SHA-256 of
  // every byte on the one writing thread (measured: 40% of a local restore's
  // time), so a restore leaves it to verification, as it leaves the ids'
  // recomputation to `repo check --read-data`.
  enum class StreamHash { kNone, kSha256 };
  Result<StreamResult> RestoreStream(const std::vector<BlobId>& blobs, ByteSink& sink, Progress* progress,
                                     StreamHash hash = StreamHash::kNone);
  // Reads and authenticates a pack's trailer only (its last few KiB): what the
  // quick check uses to catch a pack that is present at its size but damaged.
  Result<std::vector<PackEntry>> ReadPackTrailer(const std::string& pack_id, uint64_t size);
  // Reads a whole pack and checks it: content hash, trailer, every blob.
  Result<std::vector<PackEntry>> ReadPackEntries(const std::string& pack_id, uint64_t size);

  ThreadPool& pool() { return *pool_; }
  // kCancelled ("<what> cancelled" / "interrupted by SIGTERM") once asked to stop.
  Status CheckStop(std::string_view what) const;

 private:
  Repository(Backend& backend, RepositoryOptions options);
  Status LoadIndexes();
  Status ScanUnindexedPacks();
  std::once_flag index_once_;
  Status index_status_;
  std::atomic<bool> index_loaded_{false};
  Result<std::vector<PackEntry>> ReadTrailer(const ObjectInfo& info);
  // A chunk compressed and sealed, not yet packed; `sealed` is empty when the
  // repository has the blob already (or it is pending in this session).
  struct SealedBlob {
    BlobId id;
    std::string sealed;
    uint32_t raw_length = 0;
  };
  // metadata: an item list blob, not counted as a referenced data blob.
  Result<SealedBlob> SaveBlob(std::string chunk, bool metadata = false);
  struct PackSequencer;
  // Seals chunk number seq of a stream and packs, in order, every sealed chunk the sequencer can.
  Result<BlobId> SealAndPack(std::string chunk, uint64_t seq, PackSequencer& sequencer);
  Result<std::string> LoadSnapshotText(const std::string& backup_id);
  // Walks `ids` at `level` of an item list: on_blob (if any) gets every list
  // blob id at this level and below, on_item (if any) every item; below an id
  // `known` (if any) says on_blob had before, nothing is walked.
  Status WalkList(int level, const std::vector<BlobId>& ids, const std::function<void(const BlobId&)>* on_blob,
                  const std::function<Status(SnapshotItem&&)>* on_item,
                  const std::function<bool(const BlobId&)>* known = nullptr);
  // Authenticates and decompresses one sealed blob into out (raw_length bytes); `where` names it in errors.
  Status OpenBlob(const BlobId& id, std::string_view sealed, uint32_t raw_length, const std::string& where,
                  char* out) const;
  struct Buffer {
    std::unique_ptr<char[]> data;
    size_t capacity = 0;
    size_t size = 0;
  };
  class BufferPool;
  struct FetchedRange;
  // Part p of a read, authenticated and decompressed into a buffer of the pool.
  Result<Buffer> DecodePart(const FetchedRange& range, size_t p, BufferPool& buffers, const std::atomic<bool>& failed);
  // Restore's reading threads, made on first use (a WAL push never needs them).
  ThreadPool& IoPool();
  size_t IoConcurrency() const;
  std::shared_ptr<const FetchedRange> ReadRange(Fetch fetch);
  // metadata: into the open metadata pack (item lists), not the data pack.
  Status AddToPack(const BlobId& id, std::string_view sealed, uint32_t raw_length, bool metadata = false);
  Status WritePack(PackBuilder builder);
  // Hands a full pack to the writer threads; waits for the oldest write when
  // too many are pending (memory stays bounded).
  Status QueuePackWrite(PackBuilder builder);
  Status WaitPackWrites();
  Status Broken(Status status);

  Backend& backend_;
  RepositoryOptions options_;
  RepoConfig config_;
  DataKeys keys_;
  SealKey seal_key_;
  GearTable gear_{};
  Index index_;
  std::vector<std::string> open_warnings_;
  std::vector<std::string> unindexed_packs_;
  std::vector<PackRecord> orphan_records_;
  std::unique_ptr<ThreadPool> pool_;
  std::once_flag io_pool_once_;
  std::unique_ptr<ThreadPool> io_pool_;  // restore's reads (io_concurrency threads); see IoPool()

  mutable std::mutex write_mu_;  // guards everything below
  std::unordered_set<BlobId, BlobIdHash> pending_;
  PackBuilder builder_;
  PackBuilder metadata_builder_;
  std::vector<PackRecord> written_packs_;  // in the index, not yet in an index file
  size_t written_entries_ = 0;             // their entries
  WriteStats stats_;
  Status broken_;  // after a write error the writer is dead: every later call returns it

  // Full packs go to storage on threads of their own, so a slow write (a
  // 16 MiB fsync, an S3 upload) never holds a compression worker and, through
  // it, the whole pipeline. Declared last: stopped first.
  // Four writers on S3 measured no faster than two (docs/BENCHMARKS.md, issue 15).
  static constexpr size_t kPackWriters = 2;
  static constexpr size_t kMaxPendingPacks = 2;
  // A backup writes an index file whenever its packs not yet in one hold this
  // many blobs, so what it keeps of them is bounded (and a backup killed late
  // leaves fewer packs for the next one to read trailers of).
  static constexpr size_t kIndexFileEntries = 64 * 1024;
  std::mutex writes_mu_;
  std::deque<std::future<Status>> pack_writes_;
  std::unique_ptr<ThreadPool> writers_;
};

// An error reading the item list of `component` of backup_id, named so: one
// that cannot be read is a damaged backup (kCorrupt, as a damaged manifest is),
// not a missing one: the snapshot is there, a blob it needs is not. Errors of
// the caller's own making (a cancel, a failing sink) keep their code.
Status ListError(Status s, const std::string& component, const std::string& backup_id);

}  // namespace dr::repo
