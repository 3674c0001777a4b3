// BackupManager: the guide's central class. Creates, lists, shows, restores,
// verifies and deletes backups of every configured component in one
// repository. Results are plain structs that serialize to the guide's JSON
// field names (`status`, `verification_results.overall_status`, ...): a failed
// operation is a result with status "failed" and an error, as in the guide's
// Python API, so a caller (the scheduler, the CLI) can record it and go on.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "dr/backend.h"
#include "dr/clock.h"
#include "backup/retention.h"
#include "backup/summary_cache.h"
#include "repo/checker.h"
#include "repo/prune.h"
#include "repo/lock.h"
#include "repo/repository.h"
#include "net/kafka/client.h"
#include "source/kafka/kafka_spec.h"
#include "source/postgres/postgres_spec.h"
#include "source/registry.h"
#include "source/s3lake/mirror.h"
#include "source/s3lake/s3lake_spec.h"

namespace dr::backup {

// Components are the registered sources (backup/source_list.cc: files, postgresql, s3,
// kafka). With none named, a request with paths or streams backs up files only;
// otherwise every configured component, in that order.
struct BackupRequest {
  std::vector<std::string> components;
  // Left out of the components chosen (the default ones included): a region
  // failover's first backup leaves out the brokers lost with the region.
  std::vector<std::string> except;
  std::vector<std::string> paths;            // files/dirs; empty: files.paths from the configuration
  std::vector<source::StreamInput> streams;  // named streams (stdin)
  std::vector<std::string> tags;
  std::string backup_type = "full";
  bool physical = false;  // postgresql: pg_basebackup instead of pg_dump
  // files, s3: read every file and object again, even those the previous backup
  // holds unchanged (same size, mtime, ctime and inode; same ETag).
  bool read_all = false;
  // Create the repository first when there is none; otherwise a missing
  // repository is kNotFound ("run repo init"), so a typo is never a new repository.
  bool init_repository = false;
};

struct ComponentSummary {
  std::string name;
  uint64_t items = 0;
  uint64_t size_bytes = 0;
};

struct BackupResult {
  std::string backup_id;
  std::string status;  // "completed" or "failed"
  Status error;
  std::string backup_type = "full";
  std::string start_time;
  std::string end_time;
  double duration_seconds = 0;
  std::vector<ComponentSummary> components;
  repo::SnapshotStats stats;
  std::vector<std::string> warnings;
  nlohmann::json ToJson() const;
};

// With no component named, a backup of one component restores it; a backup of
// several needs them named. The options shared by the sources that write items
// out come first; each source's own options sit in its member (declared in its
// <source>_spec.h). An option given (a field off its default) that applies to
// none of the components restored is kInvalidArgument naming it
// (restore_options.h). PostgreSQL with target_dir or single_sink extracts the
// raw items (pg_dump archive, globals.sql, base.tar) instead of restoring them.
struct RestoreRequest {
  std::string target_dir;
  std::vector<std::string> items;
  bool overwrite = false;
  ByteSink* single_sink = nullptr;  // --stdout
  std::vector<std::string> components;
  source::PostgresRestoreArgs postgres;
  source::S3RestoreArgs s3;
  source::kafka::KafkaRestoreArgs kafka;
};

// `wal status`: how far the archive is behind the server (the current RPO).
struct WalStatusResult {
  std::string last_archived_wal;  // newest segment in the repository
  uint64_t archived_files = 0;
  bool server_reachable = false;
  std::string server_error;
  std::string current_wal;              // the segment the server writes now
  std::string server_last_archived_wal;  // pg_stat_archiver
  std::string server_last_archived_time;
  uint64_t failed_count = 0;
  std::string last_failed_wal;
  double archive_lag_seconds = -1;  // age of the oldest change not yet archived; -1 unknown
  nlohmann::json ToJson() const;
};

struct RestoreResult {
  std::string backup_id;
  std::string status;  // "completed" or "failed"
  Status error;
  uint64_t items_restored = 0;
  uint64_t bytes_restored = 0;
  std::vector<std::string> databases;  // postgresql databases restored
  std::vector<std::string> files;      // postgresql items extracted (paths)
  std::vector<std::string> changed;    // postgresql, physical: settings the restore wrote or changed
  std::vector<std::string> topics;     // kafka topics restored (their new names)
  uint64_t messages_skipped = 0;       // kafka: after --to-time
  uint64_t groups_restored = 0;        // kafka: consumer groups whose offsets were committed
  // A source's other facts (RestoreStats::details under names none of the fields above has), in the JSON as they are.
  nlohmann::json details = nlohmann::json::object();
  std::vector<std::string> warnings;
  double duration_seconds = 0;
  std::string target;
  nlohmann::json ToJson() const;
};

struct VerifyResult {
  std::string backup_id;
  // "completed" (the verification ran), "failed" (it could not run) or
  // "cancelled" (stopped by ManagerOptions::stop or an interrupt; error kCancelled).
  std::string status;
  Status error;
  repo::BackupVerification verification;
  double duration_seconds = 0;
  // verification_results.overall_status is "passed" or "failed".
  nlohmann::json ToJson() const;
};

struct RetentionRequest {
  bool dry_run = false;
  int keep_last = -1;       // -1: from the configuration
  std::string keep_within;  // "": from the configuration
  bool prune = true;
};

struct RetentionResult {
  std::vector<RetentionDecision> decisions;
  std::vector<std::string> forgotten;
  repo::PruneStats prune;
  uint64_t wal_files_removed = 0;
  std::string oldest_wal_kept;
  bool dry_run = false;
  nlohmann::json ToJson() const;
};

struct ReplicaResult {
  std::string location;
  uint64_t objects_copied = 0;
  uint64_t bytes_copied = 0;
  uint64_t objects_removed = 0;
  std::string check_status;  // "passed", "failed", or "" when not checked
  std::vector<std::string> findings;
  nlohmann::json ToJson() const;
};

// A backup whose snapshot cannot be read (damaged or truncated on the storage).
struct DamagedBackup {
  std::string backup_id;
  Status error;
};

// `backup list`: the readable backups, oldest first, and the damaged ones apart.
struct BackupListing {
  std::vector<repo::Snapshot> backups;
  std::vector<DamagedBackup> damaged;
};

struct InitResult {
  std::string location;
  std::string repository_id;
  bool encrypted = true;
  std::string key_source;
  bool key_generated = false;
};

struct ManagerOptions {
  Clock* clock = &RealClock();
  bool progress = false;     // draw progress on a terminal
  // When set, progress goes here instead of the terminal (a daemon's API, its metrics).
  ProgressObserver* progress_observer = nullptr;
  std::string username;      // recorded in snapshots
  // Storage for the repository; default: a local backend at backup_manager.backup_dir.
  std::unique_ptr<Backend> backend;
  // Kafka admin operations; default: librdkafka's (tests substitute a scripted one).
  net::kafka::Admin* kafka_admin = nullptr;
  // Requested: the running backup, restore or verification stops at its next
  // chunk or blob with status "cancelled"; retention (and its prune) between
  // two deletions and a check between two packs, with kCancelled. The
  // repository stays consistent.
  std::stop_token stop;
  // Refresh and staleness of repository locks (tests shorten them on a fake clock).
  repo::LockTiming lock_timing;
  // Summaries of snapshots kept between listings (summary_cache.h); it must
  // outlive the manager. Null: the manager keeps its own, in memory (the
  // listings of one manager only). ops/ gives every manager the one of the
  // state directory.
  SummaryCache* summary_cache = nullptr;
  // Called at named points of a job ("backup.before_lock"), for tests that must
  // act in a gap between two steps; empty in production.
  std::function<void(std::string_view point)> test_hook;
  // Index entries held in memory before they go to a run on disk; 0: the
  // index's own default (tests make a small repository's index spill).
  size_t index_memory_entries = 0;
};

// A Backend for a repository location (local directory or S3 bucket).
Result<std::unique_ptr<Backend>> OpenBackend(const config::RepositoryLocation& location);

class BackupManager {
 public:
  explicit BackupManager(config::Config config, ManagerOptions options = {});
  ~BackupManager();

  Result<InitResult> InitRepository();
  // Raises a version-1 repository to the current format (docs/format.md
  // §Config), under the exclusive lock: later backups are written as item
  // lists, and older ecap-dr versions refuse the repository. {from, to}.
  Result<std::pair<int, int>> UpgradeRepository();
  // id empty: generated as <type>_<UTC time>. kNotFound when there is no repository,
  // unless request.init_repository.
  BackupResult CreateFullBackup(const std::string& backup_id, const BackupRequest& request = {});
  RestoreResult RestoreBackup(const std::string& backup_id, const RestoreRequest& request = {});
  VerifyResult VerifyBackupIntegrity(const std::string& backup_id, bool full = false);
  // Every backup, oldest first, as summaries: components with their meta and
  // item counts but no items (GetBackup loads one whole).
  // A summary comes from the summary cache (ManagerOptions::summary_cache) when
  // it holds the snapshot at its current size; the others are read and added,
  // and entries of snapshots no longer listed are removed. Damaged snapshots
  // are never cached: they are read (and reported) every time.
  // Fails on the first snapshot it cannot read: for retention and reports, which
  // must not decide on a partial view.
  Result<std::vector<repo::Snapshot>> ListBackups();
  // As ListBackups, but a snapshot that cannot be read is listed in `damaged`
  // instead of failing the whole list. Storage that does not answer (or may not
  // be read) is still an error: then every snapshot would look damaged.
  Result<BackupListing> ListAllBackups();
  // with_items false: the summary (Repository::LoadSnapshot).
  Result<repo::Snapshot> GetBackup(const std::string& backup_id, bool with_items = true);
  // The items of one component of a summary GetBackup gave: a damaged item list
  // fails that component alone (the drill tests each on its own).
  Status LoadItems(const std::string& backup_id, repo::SnapshotComponent& component);
  // The backup's summary, then its items one by one, grouped by component in
  // name order (Repository::WalkSnapshot), without holding them all: `backup
  // show` of a backup of millions of files. The callbacks' first error ends it.
  Status WalkBackup(const std::string& backup_id, const std::function<Status(const repo::Snapshot&)>& header,
                    const std::function<Status(size_t, repo::SnapshotItem&&)>& item);
  // Removes the backup's snapshot; its data is freed by retention/prune.
  Status DeleteBackup(const std::string& backup_id);
  // Tags the backup "pinned" (never expired by retention) or removes the tag. The
  // snapshot is rewritten whole, under the exclusive lock so retention cannot race it.
  Result<repo::Snapshot> PinBackup(const std::string& backup_id, bool pinned);
  Result<repo::CheckReport> CheckRepository(bool read_data);
  // Expires backups by the retention policy, then prunes unused data and the
  // WAL no kept physical backup needs; holds the exclusive lock throughout.
  Result<RetentionResult> ApplyRetention(const RetentionRequest& request);
  // Copies to every configured replica what it lacks (config, keys, packs, WAL,
  // indexes, then snapshots, so a replica never shows a backup whose data is
  // missing), removes what the primary no longer has (expired backups, retired
  // keys), then checks each replica (its data too with read_data).
  Result<std::vector<ReplicaResult>> Replicate(bool check, bool read_data);
  // One pass of `s3 mirror` (s3.mirror section).
  Result<source::MirrorResult> MirrorOnce();
  // The compliance report for a month ("2026-11"; "" = this month), as JSON (compliance.h).
  Result<nlohmann::json> ComplianceReport(const std::string& month);

  // `key check`: where the master key comes from, its id and age, the key file's mode.
  Result<nlohmann::json> KeyCheck();
  // `key rotate`: a new master key in encryption.key_file; every backup stays readable with it alone.
  Result<nlohmann::json> KeyRotate();

  // PostgreSQL's archive_command / restore_command, and the archive's state.
  Status WalPush(const std::string& path);
  Status WalFetch(const std::string& name, const std::string& dest);
  Result<WalStatusResult> WalStatus();

  // The repository, opened for inspection (tests). Every operation above opens
  // its own under its lock and closes it when it ends, so nothing read before
  // (an index, a snapshot) outlives the operation: a manager may live for months.
  Result<repo::Repository*> Repository();
  const config::Config& config() const { return config_; }
  // Warnings collected while opening (an unencrypted repository, for one).
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  // One operation's hold on the repository: the outermost scope closes the
  // repository and releases the lock when the operation ends (and drops any
  // repository opened before it, so its index is read again under the lock).
  class JobScope;
  enum class LockMode {
    kShared,            // backups: prune may not run meanwhile
    kSharedIfWritable,  // readers: as kShared, but read-only storage is read unlocked (with a warning)
    kExclusive,         // prune, pin
  };
  // Takes the lock (once per operation), then opens the repository under it.
  Result<repo::Repository*> OpenLocked(LockMode mode, const std::string& purpose, bool load_index = true);
  Result<Backend*> GetBackend();
  Result<repo::Repository*> OpenRepository(bool create, bool load_index = true);
  // The repository to read a backup's items from: under the shared lock when
  // they are in item lists (packs), else as it is.
  Result<repo::Repository*> OpenForItems(const std::string& backup_id, bool lists);
  repo::RepositoryOptions RepoOptions() const;
  // Progress to the attached observer, or else on the terminal when `terminal`.
  Progress MakeProgress(std::string label, bool terminal) const;
  std::string GenerateId(const std::string& type);
  Result<std::vector<std::string>> ChooseComponents(const BackupRequest& request) const;
  source::SourceEnv SourceEnv() const;

  config::Config config_;
  ManagerOptions options_;
  std::unique_ptr<Backend> backend_;
  int job_depth_ = 0;
  std::unique_ptr<repo::RepoLock> lock_;       // the operation's lock; released after repo_ is closed
  std::unique_ptr<repo::Repository> repo_;
  // The newest earlier backup's component of that name (or none), for an incremental source.
  // The base of an incremental backup of component: the newest earlier one
  // (that `fits`, when given) into previous_, or none. summary_only: a
  // format-2 base stays a summary (its list, no items), for a source that reads
  // it in order (SourceEnv::open_list).
  // The index could not keep its runs on disk (index.h: it stays in memory):
  // a warning of the operation, once, naming the directory.
  void NoteIndexTrouble();
  Status LoadPrevious(const std::string& component,
                      const std::function<bool(const repo::SnapshotComponent&)>& fits = {}, bool summary_only = false);
  std::unique_ptr<repo::SnapshotComponent> previous_;  // kept alive for the source during a backup
  std::vector<std::string> warnings_;
  // The summary cache: options_.summary_cache, or own_summaries_.
  SummaryCache& summaries() { return options_.summary_cache ? *options_.summary_cache : own_summaries_; }
  // Best effort (the listing reads the snapshot when the cache lacks it):
  // the summary of a backup just written, and the forgetting of removed ones.
  void CacheSummary(repo::Repository& repo, const repo::Snapshot& snapshot);
  void ForgetSummaries(repo::Repository& repo, const std::vector<std::string>& backup_ids);
  MemorySummaryCache own_summaries_;
};

}  // namespace dr::backup
