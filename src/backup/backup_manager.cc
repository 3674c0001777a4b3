#include "backup/backup_manager.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "backup/compliance.h"
#include "backup/repo_items.h"
#include "backup/restore_options.h"
#include "backup/source_list.h"
#include "base/crypto.h"
#include "base/encoding.h"
#include "base/fs.h"
#include "base/host.h"
#include "base/status_json.h"
#include "base/time_util.h"
#include "repo/lock.h"
#include "security/audit/audit_log.h"
#include "security/keys/master_key.h"
#include "source/postgres/wal.h"
#include "source/s3lake/s3lake_spec.h"
#include "storage/local/local_backend.h"
#include "storage/s3/s3_backend.h"

namespace dr::backup {

using nlohmann::json;

namespace {

double Seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

json BackupResult::ToJson() const {
  json comps = json::object();
  for (const auto& c : components) comps[c.name] = {{"items", c.items}, {"size_bytes", c.size_bytes}};
  json j{{"backup_id", backup_id},
         {"status", status},
         {"backup_type", backup_type},
         {"start_time", start_time},
         {"end_time", end_time},
         {"duration_seconds", duration_seconds},
         {"components", comps},
         {"size_bytes", stats.input_bytes},
         {"new_bytes", stats.new_bytes},
         {"stored_bytes", stats.stored_bytes},
         {"blob_count", stats.blob_count},
         {"new_blob_count", stats.new_blob_count},
         {"metadata_bytes", stats.metadata_bytes},
         {"warnings", warnings}};
  if (!error.ok()) j["error"] = ErrorJson(error);
  return j;
}

json RestoreResult::ToJson() const {
  json j{{"backup_id", backup_id},     {"status", status},
         {"items_restored", items_restored}, {"bytes_restored", bytes_restored},
         {"duration_seconds", duration_seconds}, {"target", target}, {"databases", databases},
         {"warnings", warnings}};
  if (!files.empty()) j["files"] = files;
  if (!changed.empty()) j["settings_changed"] = changed;
  if (!topics.empty()) {
    j["topics"] = topics;
    j["messages_skipped"] = messages_skipped;
    j["consumer_groups_restored"] = groups_restored;
  }
  for (const auto& [key, value] : details.items()) j[key] = value;
  if (!error.ok()) j["error"] = ErrorJson(error);
  return j;
}

json VerifyResult::ToJson() const {
  json items = json::array();
  for (const auto& item : verification.items) {
    json findings = json::array();
    for (const auto& f : item.findings) findings.push_back(f.ToJson());
    items.push_back({{"component", item.component}, {"item", item.item}, {"status", item.status},
                     {"findings", findings}});
  }
  json findings = json::array();
  for (const auto& f : verification.findings) findings.push_back(f.ToJson());
  json j{{"backup_id", backup_id},
         {"status", status},
         {"duration_seconds", duration_seconds},
         {"verification_results",
          {{"overall_status", status == "completed" && verification.ok() ? "passed" : "failed"},
           {"mode", verification.full ? "full" : "quick"},
           {"items", items},
           {"findings", findings}}}};
  if (!error.ok()) j["error"] = ErrorJson(error);
  return j;
}

BackupManager::BackupManager(config::Config config, ManagerOptions options)
    : config_(std::move(config)), options_(std::move(options)), backend_(std::move(options_.backend)) {}

BackupManager::~BackupManager() = default;

repo::RepositoryOptions BackupManager::RepoOptions() const {
  return {.compression_level = config_.backup_manager.compression_level,
          .pack_size = repo::kDefaultPackSize,
          .threads = static_cast<size_t>(config_.backup_manager.threads),
          .io_concurrency = static_cast<size_t>(config_.backup_manager.io_concurrency),
          .clock = options_.clock,
          .index = {.memory_entries = options_.index_memory_entries > 0 ? options_.index_memory_entries
                                                                        : repo::IndexOptions{}.memory_entries,
                    .spill_dir = config_.backup_manager.index_dir},
          .stop = options_.stop};
}

Progress BackupManager::MakeProgress(std::string label, bool terminal) const {
  if (options_.progress_observer != nullptr) return Progress(std::move(label), options_.progress_observer, *options_.clock);
  return Progress(std::move(label), terminal, *options_.clock);
}

Result<std::unique_ptr<Backend>> OpenBackend(const config::RepositoryLocation& loc) {
  if (loc.type != "s3") return storage::NewLocalBackend({.root = loc.path, .create_root = false});
  DR_ASSIGN_OR_RETURN(auto credentials, net::s3::ResolveCredentials(loc.access_key_id, loc.secret_access_key));
  std::string region = loc.region.empty() ? "us-east-1" : loc.region;
  std::string endpoint = loc.endpoint.empty() ? "https://s3." + region + ".amazonaws.com" : loc.endpoint;
  return storage::NewS3Backend({.s3 = {.endpoint = endpoint, .region = region, .bucket = loc.bucket,
                                       .path_style = loc.force_path_style, .credentials = credentials},
                                .prefix = loc.prefix});
}

Result<Backend*> BackupManager::GetBackend() {
  if (!backend_) {
    DR_ASSIGN_OR_RETURN(backend_, OpenBackend(config_.repository));
  }
  return backend_.get();
}

class BackupManager::JobScope {
 public:
  explicit JobScope(BackupManager& m) : m_(m) {
    if (m_.job_depth_++ == 0) Close();  // whatever was open before is not this operation's
  }
  ~JobScope() {
    if (--m_.job_depth_ == 0) Close();
  }
  JobScope(const JobScope&) = delete;
  JobScope& operator=(const JobScope&) = delete;

 private:
  void Close() {
    m_.NoteIndexTrouble();
    m_.repo_.reset();  // the repository first: it may still write under the lock
    m_.lock_.reset();
  }
  BackupManager& m_;
};

Result<repo::Repository*> BackupManager::OpenLocked(LockMode mode, const std::string& purpose, bool load_index) {
  DR_ASSIGN_OR_RETURN(Backend * backend, GetBackend());
  DR_ASSIGN_OR_RETURN(bool exists, repo::Repository::Exists(*backend));
  if (exists && !lock_) {
    if (options_.test_hook) options_.test_hook(purpose.substr(0, purpose.find(' ')) + ".before_lock");
    // Nothing may have been read before the lock: an index read earlier could
    // name packs a prune has deleted since.
    repo_.reset();
    auto lock = mode == LockMode::kExclusive
                    ? repo::RepoLock::AcquireExclusive(*backend, purpose, *options_.clock, options_.lock_timing)
                    : repo::RepoLock::AcquireShared(*backend, purpose, *options_.clock, options_.lock_timing);
    if (lock.ok()) {
      lock_ = std::move(lock).value();
    } else if (mode == LockMode::kSharedIfWritable && lock.status().code() == Code::kPermissionDenied) {
      warnings_.push_back("repository " + backend->Properties().location + " was read without a lock (" +
                          lock.status().message() + "): a prune running meanwhile could remove data this reads");
    } else {
      return lock.status();
    }
  }
  return OpenRepository(false, load_index);  // without a repository: its usual "not found"
}

Result<repo::Repository*> BackupManager::OpenRepository(bool create, bool load_index) {
  if (repo_ && (repo_->index_loaded() || !load_index)) return repo_.get();
  repo_.reset();
  DR_ASSIGN_OR_RETURN(Backend * backend, GetBackend());
  DR_ASSIGN_OR_RETURN(bool exists, repo::Repository::Exists(*backend));
  if (!exists && create) {
    DR_RETURN_IF_ERROR(InitRepository().status());
    return repo_.get();
  }
  std::string key;
  if (config_.encryption.enabled) {
    DR_ASSIGN_OR_RETURN(security::MasterKey master, security::LoadMasterKey(config_.encryption, false));
    key = master.bytes;
  } else if (const char* env = std::getenv(security::kKeyEnvVar); env && *env) {
    // Encryption is off in the configuration, but a key given explicitly still opens an encrypted repository.
    DR_ASSIGN_OR_RETURN(key, security::ParseKey(env, std::string("environment variable ") + security::kKeyEnvVar));
  }
  repo::RepositoryOptions options = RepoOptions();
  options.load_index = load_index;
  DR_ASSIGN_OR_RETURN(repo_, repo::Repository::Open(*backend, key, options));
  if (!repo_->config().encrypted) {
    warnings_.push_back("repository " + repo_->location() + " is NOT encrypted (encryption.enabled: false); "
                        "backups are checksummed but readable by anyone with access to the storage");
  }
  return repo_.get();
}

Result<repo::Repository*> BackupManager::Repository() { return OpenRepository(false); }

Result<std::pair<int, int>> BackupManager::UpgradeRepository() {
  JobScope job(*this);
  DR_ASSIGN_OR_RETURN(repo::Repository * repo, OpenLocked(LockMode::kExclusive, "upgrade", /*load_index=*/false));
  DR_RETURN_IF_ERROR(lock_->Confirm());
  DR_ASSIGN_OR_RETURN(int was, repo->Upgrade());
  return std::make_pair(was, repo->config().version);
}

Result<InitResult> BackupManager::InitRepository() {
  JobScope job(*this);
  DR_ASSIGN_OR_RETURN(Backend * backend, GetBackend());
  DR_ASSIGN_OR_RETURN(bool exists, repo::Repository::Exists(*backend));
  if (exists) return AlreadyExists("a repository already exists at " + backend->Properties().location);
  InitResult result;
  repo::InitOptions init;
  init.encrypted = config_.encryption.enabled;
  if (init.encrypted) {
    DR_ASSIGN_OR_RETURN(security::MasterKey master, security::LoadMasterKey(config_.encryption, true));
    init.master_key = master.bytes;
    result.key_source = master.source;
    result.key_generated = master.generated;
  } else {
    warnings_.push_back("creating an UNENCRYPTED repository (encryption.enabled: false); backups are checksummed "
                        "but readable by anyone with access to the storage");
  }
  DR_ASSIGN_OR_RETURN(repo_, repo::Repository::Init(*backend, init, RepoOptions()));
  result.location = repo_->location();
  result.repository_id = repo_->config().id;
  result.encrypted = repo_->config().encrypted;
  return result;
}

std::string BackupManager::GenerateId(const std::string& type) {
  std::string base = type + "_" + CompactUtc(options_.clock->Now());
  std::string id = base;
  for (int n = 2; repo_ && repo_->backend().Stat({ObjectKind::kSnapshot, id}).ok(); ++n) {
    id = base + "_" + std::to_string(n);
  }
  return id;
}

source::SourceEnv BackupManager::SourceEnv() const {
  source::SourceEnv env{.config = &config_, .kafka_admin = options_.kafka_admin, .clock = options_.clock};
  if (repo::Repository* repo = repo_.get()) {
    env.open_list = [repo](const repo::ItemList& list) -> std::unique_ptr<ItemCursor> {
      return std::make_unique<RepoItemCursor>(*repo, list);
    };
  }
  return env;
}

void BackupManager::NoteIndexTrouble() {
  if (!repo_ || repo_->index().status().ok()) return;
  std::string w = repo_->index().status().message() +
                  " (backup_manager.index_dir, else $TMPDIR: give it a directory on disk with room; memory now grows "
                  "with the repository)";
  if (std::find(warnings_.begin(), warnings_.end(), w) == warnings_.end()) warnings_.push_back(std::move(w));
}

Status BackupManager::LoadPrevious(const std::string& component,
                                   const std::function<bool(const repo::SnapshotComponent&)>& fits, bool summary_only) {
  previous_.reset();
  // Summaries: find the newest, then load it whole. A damaged snapshot is passed
  // over (it would otherwise fail every later backup of the component): the
  // newest readable one is the base, and at worst unchanged data is read again.
  DR_ASSIGN_OR_RETURN(BackupListing listing, ListAllBackups());
  auto passed_over = [&](const std::string& backup_id, const char* why, const Status& error) {
    std::string w = "backup '" + backup_id + "' " + why + " and was not used as the base of this backup: " +
                    error.message();
    if (std::find(warnings_.begin(), warnings_.end(), w) == warnings_.end()) warnings_.push_back(std::move(w));
  };
  for (const auto& d : listing.damaged) passed_over(d.backup_id, "is damaged", d.error);
  auto& backups = listing.backups;
  // With `fits`, the newest few candidates are loaded until one fits: a backup
  // of another job's paths in between does not make this one read everything.
  constexpr int kCandidates = 3;
  int tried = 0;
  for (auto it = backups.rbegin(); it != backups.rend() && tried < kCandidates; ++it) {
    bool has = std::any_of(it->components.begin(), it->components.end(),
                           [&](const auto& c) { return c.name == component; });
    if (!has) continue;
    ++tried;
    DR_ASSIGN_OR_RETURN(repo::Repository * repo, Repository());
    // The summary, then this component's items alone: another component's
    // damaged list is not this backup's business, nor its items this one's memory.
    auto summary = repo->LoadSnapshot(it->backup_id, /*with_items=*/false);
    Status loaded = summary.status();
    repo::SnapshotComponent* base = nullptr;
    if (loaded.ok()) {
      for (auto& c : summary->components) {
        if (c.name == component && (!fits || fits(c))) base = &c;
      }
      if (base != nullptr && !(summary_only && base->list)) loaded = repo->LoadItems(it->backup_id, *base);
    }
    if (!loaded.ok()) {
      // A base that only saves reading is looked for further back.
      if (!fits || loaded.code() == Code::kCancelled) return loaded;
      passed_over(it->backup_id, "could not be read", loaded);
      continue;
    }
    if (base != nullptr) previous_ = std::make_unique<repo::SnapshotComponent>(std::move(*base));
    if (previous_ || !fits) break;
  }
  return Status::Ok();
}

Result<std::vector<std::string>> BackupManager::ChooseComponents(const BackupRequest& request) const {
  source::BackupArgs args = BackupArgsOf(request);
  std::vector<std::string> chosen = request.components;
  if (chosen.empty()) {
    // A source whose own inputs the request names (--files, --stdin) is backed up alone.
    for (const auto& s : Sources()) {
      if (s.requested && s.requested(args)) chosen.push_back(s.name);
    }
  }
  if (chosen.empty()) {
    for (const auto& s : Sources()) {
      if (s.configured(config_)) chosen.push_back(s.name);
    }
  }
  for (const auto& name : request.except) {
    if (FindSource(name) == nullptr) {
      return InvalidArgument("unknown component '" + name + "' to leave out (known: " + KnownSourceNames() + ")");
    }
    std::erase(chosen, name);
  }
  for (const auto& name : chosen) {
    const SourceEntry* source = FindSource(name);
    if (source == nullptr) {
      return InvalidArgument("unknown component '" + name + "' (known: " + KnownSourceNames() + ")");
    }
    DR_RETURN_IF_ERROR(source->check(config_, args));
  }
  if (chosen.empty()) {
    std::string settings;
    for (size_t i = 0; i < Sources().size(); ++i) {
      settings += (i == 0 ? "" : i + 1 == Sources().size() ? " or " : ", ") + Sources()[i].setting;
    }
    return InvalidArgument("nothing to back up: give --files or --stdin, or configure " + settings);
  }
  return chosen;
}

BackupResult BackupManager::CreateFullBackup(const std::string& backup_id, const BackupRequest& request) {
  JobScope job(*this);
  BackupResult result;
  result.backup_id = backup_id;
  result.backup_type = request.backup_type;
  result.status = "failed";
  auto start_wall = options_.clock->Now();
  auto start = options_.clock->Monotonic();
  result.start_time = FormatUtc(start_wall, /*millis=*/true);  // orders backups made within one second
  auto finish = [&](Status error) {
    result.error = std::move(error);
    result.status = result.error.ok()                        ? "completed"
                    : result.error.code() == Code::kCancelled ? "cancelled"
                                                              : "failed";
    result.end_time = FormatUtc(options_.clock->Now(), true);
    result.duration_seconds = Seconds(options_.clock->Monotonic() - start);
    NoteIndexTrouble();
    result.warnings.insert(result.warnings.begin(), warnings_.begin(), warnings_.end());
    return result;
  };

  if (!backup_id.empty()) {
    if (Status s = repo::ValidateBackupId(backup_id); !s.ok()) return finish(s);
  }
  auto components = ChooseComponents(request);
  if (!components.ok()) return finish(components.status());
  // Only `repo init` (or an explicit request) creates a repository: a mistyped
  // backup_dir must be an error, not a new empty repository beside the real one.
  if (!request.init_repository) {
    auto backend = GetBackend();
    if (!backend.ok()) return finish(backend.status());
    auto exists = repo::Repository::Exists(**backend);
    if (!exists.ok()) return finish(exists.status());
    if (!*exists) {
      return finish(NotFound("no repository at " + (*backend)->Properties().location +
                             "; run 'ecap-dr repo init' to create one (or check backup_manager.backup_dir)"));
    }
  }
  if (request.init_repository) {
    auto created = OpenRepository(/*create=*/true, /*load_index=*/false);
    if (!created.ok()) return finish(created.status());
  }
  // A shared lock, taken before the index is read: other backups may run,
  // prune may not delete data under us.
  auto repo_or = OpenLocked(LockMode::kShared, "backup " + (backup_id.empty() ? request.backup_type : backup_id));
  if (!repo_or.ok()) return finish(repo_or.status());
  repo::Repository& repo = **repo_or;
  if (result.backup_id.empty()) result.backup_id = GenerateId(request.backup_type);
  if (repo.backend().Stat({ObjectKind::kSnapshot, result.backup_id}).ok()) {
    return finish(AlreadyExists("backup id '" + result.backup_id + "' already exists in repository " + repo.location()));
  }
  // Packs a killed backup left without an index: index them now so they are not orphans forever.
  if (Status s = repo.AdoptOrphanPacks(); !s.ok()) return finish(s);

  repo::WriteStats before = repo.write_stats();
  repo::Snapshot snap;
  snap.backup_id = result.backup_id;
  snap.backup_type = request.backup_type;
  snap.tags = request.tags;
  snap.start_time = result.start_time;
  snap.hostname = HostName();
  snap.username = options_.username;
  snap.tool_version = DR_VERSION;

  Progress progress = MakeProgress("backup " + result.backup_id, options_.progress);
  source::BackupArgs args = BackupArgsOf(request);
  for (const auto& name : *components) {
    const SourceEntry& spec = *FindSource(name);  // ChooseComponents checked the name
    previous_.reset();
    if (spec.incremental && !(spec.base_fits && request.read_all)) {
      std::function<bool(const repo::SnapshotComponent&)> fits;
      if (spec.base_fits) fits = [&](const repo::SnapshotComponent& c) { return spec.base_fits(c, config_, args); };
      Status st = LoadPrevious(name, fits, spec.reads_base_in_order);
      if (!st.ok() && (!spec.base_fits || st.code() == Code::kCancelled)) return finish(st);
      // Only reading is saved by a base: without one, everything is read.
      if (!st.ok()) result.warnings.push_back(name + ": no earlier backup to compare with, everything is read: " + st.message());
    }
    auto source = spec.make(SourceEnv(), args, spec.incremental ? previous_.get() : nullptr);
    if (!source.ok()) return finish(source.status());
    repo::SnapshotComponent component{name, {}, nlohmann::json::object()};
    RepoItemWriter writer(repo, component, &progress);
    if (Status s = (*source)->Backup(writer); !s.ok()) return finish(s.WithContext("component '" + name + "'"));
    if (Status s = writer.Finish(); !s.ok()) return finish(s.WithContext("component '" + name + "'"));
    snap.stats.input_bytes += writer.input_bytes();
    for (const auto& w : component.meta.value("warnings", json::array())) {
      if (w.is_string()) result.warnings.push_back(name + ": " + w.get<std::string>());
    }
    result.components.push_back({name, component.item_count, component.item_bytes});
    snap.components.push_back(std::move(component));
    // A lock lost midway: stop now rather than read the next component for nothing.
    if (Status s = lock_->Check(); !s.ok()) return finish(s.WithContext("backup stopped"));
  }
  if (Status s = repo.Flush(); !s.ok()) return finish(s);
  progress.Finish();

  repo::WriteStats after = repo.write_stats();
  snap.stats.blob_count = after.blobs - before.blobs;
  snap.stats.new_blob_count = after.new_blobs - before.new_blobs;
  snap.stats.new_bytes = after.new_bytes - before.new_bytes;
  snap.stats.stored_bytes = after.stored_bytes - before.stored_bytes;
  snap.stats.metadata_bytes = after.new_metadata_bytes - before.new_metadata_bytes;
  snap.end_time = FormatUtc(options_.clock->Now(), true);
  snap.duration_seconds = Seconds(options_.clock->Monotonic() - start);
  // The snapshot goes last: until it is written the backup does not exist. Not
  // with a lost lock: a prune elsewhere may have deleted data it deduplicated against.
  if (options_.test_hook) options_.test_hook("backup.before_commit");
  if (Status s = lock_->Confirm(); !s.ok()) return finish(s.WithContext("backup not committed"));
  if (Status s = repo.SaveSnapshot(snap); !s.ok()) return finish(s);
  CacheSummary(repo, snap);
  result.stats = snap.stats;
  return finish(Status::Ok());
}

RestoreResult BackupManager::RestoreBackup(const std::string& backup_id, const RestoreRequest& request) {
  JobScope job(*this);
  RestoreResult result;
  result.backup_id = backup_id;
  result.status = "failed";
  result.target = request.single_sink ? "stdout" : request.target_dir;
  auto start = options_.clock->Monotonic();
  auto finish = [&](Status error) {
    result.error = std::move(error);
    result.status = result.error.ok()                        ? "completed"
                    : result.error.code() == Code::kCancelled ? "cancelled"
                                                              : "failed";
    result.duration_seconds = Seconds(options_.clock->Monotonic() - start);
    return result;
  };
  auto repo_or = OpenLocked(LockMode::kSharedIfWritable, "restore " + backup_id);
  if (!repo_or.ok()) return finish(repo_or.status());
  // The summary, then the items of the components restored (a damaged list of
  // another component is not this restore's business).
  auto snap = (*repo_or)->LoadSnapshot(backup_id, /*with_items=*/false);
  if (!snap.ok()) return finish(snap.status());
  Progress progress = MakeProgress("restore " + backup_id, options_.progress && !request.single_sink);
  RepoItemReader reader(**repo_or, &progress);
  std::vector<std::string> chosen = request.components;
  std::string present;
  for (const auto& c : snap->components) present += (present.empty() ? "" : ", ") + c.name;
  if (std::find(chosen.begin(), chosen.end(), "all") != chosen.end()) {  // --component all: every one it has
    if (chosen.size() > 1) return finish(InvalidArgument("--component all restores every component: name no other with it"));
    chosen.clear();
    for (const auto& c : snap->components) chosen.push_back(c.name);
  }
  if (chosen.empty()) {
    if (snap->components.size() != 1) {
      return finish(InvalidArgument("backup '" + backup_id + "' has the components " + present +
                                    "; choose what to restore with --component"));
    }
    chosen.push_back(snap->components[0].name);
  }
  std::vector<std::pair<const SourceEntry*, const repo::SnapshotComponent*>> plan;
  std::vector<RestoreMode> modes;
  for (const auto& name : chosen) {
    auto c = std::find_if(snap->components.begin(), snap->components.end(), [&](const auto& x) { return x.name == name; });
    if (c == snap->components.end()) {
      return finish(NotFound("backup '" + backup_id + "' has no component '" + name + "' (it has: " + present + ")"));
    }
    const SourceEntry* source = FindSource(name);
    if (source == nullptr) {
      return finish(Failed("backup '" + backup_id + "' has component '" + name + "', which this ecap-dr cannot restore"));
    }
    // A source that walks the list is given the summary: its items never all in memory.
    if (!(source->restores_from_list && c->list)) {
      if (Status s = (*repo_or)->LoadItems(backup_id, *c); !s.ok()) return finish(s);
    }
    plan.emplace_back(source, &*c);
    modes.push_back(source->mode_for(*c, request));
  }
  uint64_t total = 0;
  for (const auto& [source, component] : plan) total += component->item_bytes;
  progress.SetTotal(total);
  // Before anything is written: an option that would be ignored is a usage error.
  if (Status s = CheckRestoreOptions(request, modes); !s.ok()) return finish(s);
  // And a damaged item list of any component restored is found, not only once
  // the components before it were written (a lone component's restore walks
  // its list before it writes).
  for (const auto& [source, component] : plan) {
    if (plan.size() == 1 || !component->list) continue;
    Status walked = (*repo_or)->ForEachItem(*component->list, [](repo::SnapshotItem&&) { return Status::Ok(); });
    if (!walked.ok()) return finish(repo::ListError(walked, component->name, backup_id));
  }
  for (const auto& [source, component] : plan) {
    source::SourceEnv env = SourceEnv();
    env.repository_storage = &(*repo_or)->backend();
    env.open_list = [repo = *repo_or, name = component->name, &backup_id](const repo::ItemList& list) {
      return std::unique_ptr<ItemCursor>(std::make_unique<RepoItemCursor>(*repo, list, name, backup_id));
    };
    auto stats = source->restore(env, *component, reader, request);
    if (!stats.ok()) return finish(stats.status().WithContext("restore backup '" + backup_id + "'"));
    result.items_restored += stats->items;
    result.bytes_restored += stats->bytes;
    result.warnings.insert(result.warnings.end(), stats->warnings.begin(), stats->warnings.end());
    if (!stats->target.empty()) result.target = stats->target;
    // The sources' facts go to the result's fields of the same JSON name; others are kept as they are.
    for (const auto& [key, value] : stats->details.items()) {
      if (key == "databases") {
        result.databases = value.get<std::vector<std::string>>();
      } else if (key == "files") {
        result.files = value.get<std::vector<std::string>>();
      } else if (key == "settings_changed") {
        result.changed = value.get<std::vector<std::string>>();
      } else if (key == "topics") {
        result.topics = value.get<std::vector<std::string>>();
      } else if (key == "messages_skipped") {
        result.messages_skipped = value.get<uint64_t>();
      } else if (key == "consumer_groups_restored") {
        result.groups_restored = value.get<uint64_t>();
      } else {
        result.details[key] = value;
      }
    }
  }
  return finish(Status::Ok());
}

VerifyResult BackupManager::VerifyBackupIntegrity(const std::string& backup_id, bool full) {
  JobScope job(*this);
  VerifyResult result;
  result.backup_id = backup_id;
  result.status = "failed";
  result.verification.backup_id = backup_id;
  result.verification.full = full;
  auto start = options_.clock->Monotonic();
  auto repo_or = OpenLocked(LockMode::kSharedIfWritable, "verify " + backup_id);
  if (!repo_or.ok()) {
    result.error = repo_or.status();
  } else {
    Progress progress = MakeProgress("verify " + backup_id, options_.progress && full);
    result.verification = repo::VerifyBackup(**repo_or, backup_id, full, &progress);
    result.status = "completed";
    if (!result.verification.findings.empty()) {
      const auto& f = result.verification.findings.front();
      result.error = Status(f.code, f.message);  // kNotFound for a backup that is not there
    } else if (!result.verification.ok()) {
      for (const auto& item : result.verification.items) {
        if (item.status != "passed") {
          // Damage is exit 4; storage that did not answer or an interrupt keeps its own code.
          result.error = Status(item.findings.front().code, item.findings.front().message);
          break;
        }
      }
    }
    if (result.error.code() == Code::kCancelled) result.status = "cancelled";
  }
  result.duration_seconds = Seconds(options_.clock->Monotonic() - start);
  return result;
}

Result<BackupListing> BackupManager::ListAllBackups() {
  JobScope job(*this);
  // Snapshots only: no index is read to list them.
  DR_ASSIGN_OR_RETURN(repo::Repository * repo, OpenRepository(false, /*load_index=*/false));
  std::map<std::string, uint64_t> present;  // id -> size of the sealed snapshot
  DR_RETURN_IF_ERROR(repo->backend().List(ObjectKind::kSnapshot, [&](const ObjectInfo& info) {
    present[info.name.id] = info.size;
    return Status::Ok();
  }));
  // Summaries read before (by any process, with the state directory's cache)
  // are used again while the snapshot is the same size: snapshots are written
  // once, and pinning (the one rewrite) changes the size. A cache that cannot
  // be read is an empty one: the listing is slower, not wrong.
  const std::string key = RepositoryKey(*repo);
  auto loaded = summaries().Load(key);
  SummaryCache::Entries cached = loaded.ok() ? std::move(loaded).value() : SummaryCache::Entries{};
  SummaryCache::Entries read;      // summaries read now, to keep
  std::vector<std::string> stale;  // entries of snapshots gone, changed or unreadable
  for (const auto& entry : cached) {
    if (!present.contains(entry.first)) stale.push_back(entry.first);
  }
  // What was read is kept even when the listing fails later: it was read whole
  // and right. Removed first: a snapshot that changed size is in both.
  auto remember = [&] {
    (void)summaries().Remove(key, stale);
    (void)summaries().Put(key, read);
  };
  // What the cache lacks is read first, several at a time (Repository::LoadSnapshotSummaries).
  std::vector<std::string> to_read;
  for (const auto& [id, size] : present) {
    auto hit = cached.find(id);
    if (hit == cached.end() || hit->second.size != size) to_read.push_back(id);
  }
  std::vector<Result<repo::Snapshot>> loaded_now = repo->LoadSnapshotSummaries(to_read);
  size_t next_loaded = 0;
  BackupListing out;
  for (const auto& [id, size] : present) {
    auto hit = cached.find(id);
    if (hit != cached.end() && hit->second.size == size) {
      out.backups.push_back(std::move(hit->second.summary));
      continue;
    }
    if (hit != cached.end()) stale.push_back(id);
    Result<repo::Snapshot>& snap = loaded_now[next_loaded++];
    if (snap.ok()) {
      read[id] = {size, *snap};
      out.backups.push_back(std::move(snap).value());
      continue;
    }
    switch (snap.status().code()) {
      case Code::kNotFound:  // deleted since it was listed
        continue;
      case Code::kUnavailable:
      case Code::kPermissionDenied:
      case Code::kCancelled:
        remember();
        return snap.status();  // says nothing about this snapshot
      default:  // never cached: it is read (and reported) again next time
        out.damaged.push_back({id, snap.status()});
    }
  }
  remember();
  std::sort(out.backups.begin(), out.backups.end(), [](const auto& a, const auto& b) {
    return a.start_time != b.start_time ? a.start_time < b.start_time : a.backup_id < b.backup_id;
  });
  return out;
}

void BackupManager::CacheSummary(repo::Repository& repo, const repo::Snapshot& snapshot) {
  // The size is the listing's key, so it is asked of the storage, as the listing sees it.
  auto info = repo.backend().Stat({ObjectKind::kSnapshot, snapshot.backup_id});
  if (!info.ok()) return;
  (void)summaries().Put(RepositoryKey(repo), {{snapshot.backup_id, {info->size, repo::SummaryOf(snapshot)}}});
}

void BackupManager::ForgetSummaries(repo::Repository& repo, const std::vector<std::string>& backup_ids) {
  (void)summaries().Remove(RepositoryKey(repo), backup_ids);
}

Result<std::vector<repo::Snapshot>> BackupManager::ListBackups() {
  DR_ASSIGN_OR_RETURN(BackupListing listing, ListAllBackups());
  if (!listing.damaged.empty()) return listing.damaged.front().error;
  return std::move(listing.backups);
}

// Item lists (snapshot format 2) are read from packs: under a shared lock, as
// a restore reads, or a prune repacking meanwhile would make them look damaged.
// Only then: a format-1 backup's items are in its manifest, and a show of it
// works during a prune as it always did.
Result<repo::Repository*> BackupManager::OpenForItems(const std::string& backup_id, bool lists) {
  if (!lists) return OpenRepository(false, /*load_index=*/false);
  return OpenLocked(LockMode::kSharedIfWritable, "show " + backup_id, /*load_index=*/false);
}

Result<repo::Snapshot> BackupManager::GetBackup(const std::string& backup_id, bool with_items) {
  JobScope job(*this);
  DR_ASSIGN_OR_RETURN(repo::Repository * repo, OpenRepository(false, /*load_index=*/false));
  DR_ASSIGN_OR_RETURN(repo::Snapshot summary, repo->LoadSnapshot(backup_id, /*with_items=*/false));
  if (!with_items) return summary;
  DR_ASSIGN_OR_RETURN(repo, OpenForItems(backup_id, repo::HasItemLists(summary)));
  return repo->LoadSnapshot(backup_id, /*with_items=*/true);
}

Status BackupManager::LoadItems(const std::string& backup_id, repo::SnapshotComponent& component) {
  JobScope job(*this);
  DR_ASSIGN_OR_RETURN(repo::Repository * repo, OpenForItems(backup_id, component.list.has_value()));
  return repo->LoadItems(backup_id, component);
}

Status BackupManager::WalkBackup(const std::string& backup_id,
                                 const std::function<Status(const repo::Snapshot&)>& header,
                                 const std::function<Status(size_t, repo::SnapshotItem&&)>& item) {
  JobScope job(*this);
  DR_ASSIGN_OR_RETURN(repo::Repository * repo, OpenRepository(false, /*load_index=*/false));
  DR_ASSIGN_OR_RETURN(repo::Snapshot summary, repo->LoadSnapshot(backup_id, /*with_items=*/false));
  DR_ASSIGN_OR_RETURN(repo, OpenForItems(backup_id, repo::HasItemLists(summary)));
  return repo->WalkSnapshot(backup_id, header, item, repo::Repository::ItemOrder::kByComponentName);
}

Status BackupManager::DeleteBackup(const std::string& backup_id) {
  JobScope job(*this);
  DR_ASSIGN_OR_RETURN(repo::Repository * repo, OpenRepository(false, /*load_index=*/false));
  Status removed = repo->RemoveSnapshot(backup_id);
  if (removed.ok() || removed.code() == Code::kNotFound) ForgetSummaries(*repo, {backup_id});
  return removed;
}

Result<repo::Snapshot> BackupManager::PinBackup(const std::string& backup_id, bool pinned) {
  JobScope job(*this);
  DR_ASSIGN_OR_RETURN(repo::Repository * repo,
                      OpenLocked(LockMode::kExclusive, (pinned ? "pin " : "unpin ") + backup_id, /*load_index=*/false));
  // Format 2: the header alone is rewritten, its lists named as they are.
  DR_ASSIGN_OR_RETURN(repo::Snapshot snap, repo->LoadSnapshot(backup_id, /*with_items=*/false));
  for (auto& c : snap.components) {
    if (!c.list) DR_RETURN_IF_ERROR(repo->LoadItems(backup_id, c));  // format 1: the items, written as a list
  }
  auto& tags = snap.tags;
  bool has = std::find(tags.begin(), tags.end(), "pinned") != tags.end();
  if (has == pinned) return snap;  // already so: nothing to write
  if (pinned) {
    tags.push_back("pinned");
  } else {
    tags.erase(std::remove(tags.begin(), tags.end(), "pinned"), tags.end());
  }
  DR_RETURN_IF_ERROR(repo->SaveSnapshot(snap, /*replace=*/true));
  return snap;
}

Result<json> BackupManager::KeyCheck() {
  JobScope job(*this);
  json j{{"encryption_enabled", config_.encryption.enabled}};
  if (!config_.encryption.enabled) {
    j["key_available"] = false;
    j["status"] = "unencrypted";
    return j;
  }
  auto master = security::LoadMasterKey(config_.encryption, false);
  j["key_available"] = master.ok();
  if (!master.ok()) {
    j["status"] = "failed";
    j["error"] = master.status().message();
    return j;
  }
  std::string id = repo::MasterKeyId(master->bytes);
  j["key_source"] = master->source;
  j["key_id"] = id;
  if (!config_.encryption.key_file.empty() && master->source.rfind("key file", 0) == 0) {
    struct stat st {};
    if (::stat(config_.encryption.key_file.c_str(), &st) == 0) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
      j["key_file_mode"] = mode;
      j["key_file_private"] = (st.st_mode & 077) == 0;
    }
  }
  auto repo = OpenRepository(false, /*load_index=*/false);
  if (!repo.ok()) {
    j["status"] = "failed";
    j["error"] = repo.status().message();
    return j;
  }
  DR_ASSIGN_OR_RETURN(auto keys, (*repo)->ListKeys());
  for (const auto& k : keys) {
    if (k.master_key_id != id) continue;
    j["key_created"] = k.created;
    if (auto created = ParseUtc(k.created)) {
      j["key_age_days"] = std::chrono::duration<double>(options_.clock->Now() - *created).count() / 86400.0;
    }
  }
  j["repository_key_files"] = keys.size();
  j["status"] = "ok";
  return j;
}

Result<json> BackupManager::KeyRotate() {
  JobScope job(*this);
  if (!config_.encryption.enabled) return InvalidArgument("encryption is disabled: there is no key to rotate");
  if (const char* env = std::getenv(security::kKeyEnvVar); env != nullptr && *env != '\0') {
    return InvalidArgument(std::string("the master key comes from ") + security::kKeyEnvVar +
                           "; key rotate writes the new key to encryption.key_file, so unset the variable and "
                           "keep the key in that file");
  }
  const std::string& path = config_.encryption.key_file;
  if (path.empty()) return ConfigError("key rotate needs encryption.key_file");
  DR_ASSIGN_OR_RETURN(security::MasterKey old_key, security::LoadMasterKey(config_.encryption, false));
  DR_ASSIGN_OR_RETURN(repo::Repository * repo, OpenRepository(false, /*load_index=*/false));
  std::string new_key = crypto::RandomBytes(32);
  // Order: the repository learns the new key first, then the key file changes,
  // then the old key is retired. Killed anywhere, one of the two keys opens it.
  // The new key file keeps the old one's owner (WriteFileAtomic): PostgreSQL's
  // archive_command, as postgres, still reads it when root rotates the key.
  DR_RETURN_IF_ERROR(repo->AddMasterKey(new_key));
  DR_RETURN_IF_ERROR(WriteFileAtomic(path, Base64Encode(new_key) + "\n", {.mode = 0600, .overwrite = true, .sync = true})
                         .WithContext("unable to write the new key to '" + path + "'"));
  std::string old_id = repo::MasterKeyId(old_key.bytes), new_id = repo::MasterKeyId(new_key);
  DR_RETURN_IF_ERROR(repo->RemoveMasterKey(old_id));
  return json{{"status", "completed"}, {"old_key_id", old_id}, {"new_key_id", new_id}, {"key_file", path},
              {"rotated_at", FormatUtc(options_.clock->Now())}};
}

Status BackupManager::WalPush(const std::string& path) {
  JobScope job(*this);
  DR_ASSIGN_OR_RETURN(repo::Repository * repo, OpenRepository(false, /*load_index=*/false));
  const auto& pg = config_.postgresql;
  if (pg.archive_async) {
    return source::pg::PushWalAsync(*repo, path, pg.wal_compression_level, pg.spool_dir, pg.archive_push_jobs).status();
  }
  return source::pg::PushWal(*repo, path, pg.wal_compression_level);
}

Status BackupManager::WalFetch(const std::string& name, const std::string& dest) {
  JobScope job(*this);
  DR_ASSIGN_OR_RETURN(repo::Repository * repo, OpenRepository(false, /*load_index=*/false));
  return source::pg::FetchWal(*repo, name, dest);
}

json WalStatusResult::ToJson() const {
  return json{{"last_archived_wal", last_archived_wal},
              {"archived_files", archived_files},
              {"server_reachable", server_reachable},
              {"server_error", server_error},
              {"current_wal", current_wal},
              {"server_last_archived_wal", server_last_archived_wal},
              {"server_last_archived_time", server_last_archived_time},
              {"failed_count", failed_count},
              {"last_failed_wal", last_failed_wal},
              {"archive_lag_seconds", archive_lag_seconds}};
}

Result<WalStatusResult> BackupManager::WalStatus() {
  JobScope job(*this);
  DR_ASSIGN_OR_RETURN(repo::Repository * repo, OpenRepository(false, /*load_index=*/false));
  WalStatusResult r;
  DR_ASSIGN_OR_RETURN(auto state, source::pg::ReadArchiveState(repo->backend()));
  r.last_archived_wal = state.newest_segment;
  r.archived_files = state.files;
  if (!config_.postgresql_configured) return r;
  auto conn = net::pg::Connection::Open(source::ServerFromConfig(config_.postgresql), config_.postgresql.databases.empty()
                                                                            ? "postgres"
                                                                            : config_.postgresql.databases.front());
  if (!conn.ok()) {
    r.server_error = conn.status().message();
    return r;
  }
  auto rows = (*conn)->Query(
      "select pg_walfile_name(pg_current_wal_lsn()), coalesce(last_archived_wal, ''), "
      "coalesce(last_archived_time::text, ''), failed_count, coalesce(last_failed_wal, ''), "
      "coalesce(extract(epoch from now() - last_archived_time), -1), "
      "coalesce(extract(epoch from now() - pg_postmaster_start_time()), -1) from pg_stat_archiver");
  if (!rows.ok() || rows->empty()) {
    r.server_error = rows.ok() ? "pg_stat_archiver is empty" : rows.status().message();
    return r;
  }
  const auto& row = rows->front();
  r.server_reachable = true;
  r.current_wal = row[0];
  r.server_last_archived_wal = row[1];
  r.server_last_archived_time = row[2];
  r.failed_count = std::stoull(row[3]);
  r.last_failed_wal = row[4];
  // Everything written since the last archived segment is at risk: its age is
  // the RPO right now. The segment being written is current_wal; when the one
  // before it is archived, nothing older is missing.
  double since_archive = std::stod(row[5]), uptime = std::stod(row[6]);
  r.archive_lag_seconds = since_archive >= 0 ? since_archive : uptime;
  return r;
}

json RetentionResult::ToJson() const {
  json d = json::array();
  for (const auto& x : decisions) d.push_back(x.ToJson());
  return json{{"status", "completed"},   {"dry_run", dry_run},
              {"decisions", d},          {"forgotten", forgotten},
              {"prune", prune.ToJson()}, {"wal_files_removed", wal_files_removed},
              {"oldest_wal_kept", oldest_wal_kept}};
}

Result<RetentionResult> BackupManager::ApplyRetention(const RetentionRequest& request) {
  JobScope job(*this);
  // Prune reads the index files itself; the repository's own copy in memory would double it.
  DR_ASSIGN_OR_RETURN(repo::Repository * repo,
                      OpenLocked(request.dry_run ? LockMode::kSharedIfWritable : LockMode::kExclusive,
                                 "retention apply", /*load_index=*/false));
  const auto& cfg = config_.backup_manager.retention_policies;
  RetentionPolicy policy{cfg.daily, cfg.weekly, cfg.monthly, cfg.last, std::chrono::seconds(0)};
  if (request.keep_last >= 0) policy.last = request.keep_last;
  std::string within = request.keep_within.empty() ? cfg.within : request.keep_within;
  if (!within.empty()) {
    DR_ASSIGN_OR_RETURN(policy.within, ParseDuration(within));
  }
  DR_ASSIGN_OR_RETURN(std::vector<repo::Snapshot> snapshots, ListBackups());
  RetentionResult result;
  result.dry_run = request.dry_run;
  result.decisions = DecideRetention(snapshots, policy);
  // The oldest WAL segment a kept physical backup needs (by segment number, any timeline).
  std::string oldest_needed;
  bool any_physical = false;
  for (const auto& d : result.decisions) {
    if (!d.keep) {
      result.forgotten.push_back(d.backup_id);
      continue;
    }
    auto snap = std::find_if(snapshots.begin(), snapshots.end(), [&](const auto& s) { return s.backup_id == d.backup_id; });
    for (const auto& c : snap->components) {
      std::string start = c.meta.value("start_wal", "");
      if (c.name != "postgresql" || c.meta.value("mode", "") != "physical" || start.size() != 24) continue;
      any_physical = true;
      if (oldest_needed.empty() || start.substr(8) < oldest_needed.substr(8)) oldest_needed = start;
    }
  }
  result.oldest_wal_kept = oldest_needed;
  if (request.dry_run) {
    if (request.prune) {
      DR_ASSIGN_OR_RETURN(result.prune, repo::Prune(*repo, {.dry_run = true}));
    }
    return result;
  }
  // Stopped between two snapshots, the backups not yet forgotten are intact;
  // prune then stops only where it leaves the repository consistent (prune.h).
  for (const auto& id : result.forgotten) {
    DR_RETURN_IF_ERROR(repo->CheckStop("retention apply"));
    DR_RETURN_IF_ERROR(repo->RemoveSnapshot(id));
    ForgetSummaries(*repo, {id});
  }
  if (request.prune) {
    Progress progress = MakeProgress("prune", options_.progress);
    DR_ASSIGN_OR_RETURN(result.prune,
                        repo::Prune(*repo, {.dry_run = false, .progress = &progress, .lock = lock_.get()}));
  }
  // WAL older than the oldest kept base backup can never be replayed: remove it.
  // Timeline history files are small and always kept.
  if (any_physical) {
    std::vector<std::string> old_wal;
    DR_RETURN_IF_ERROR(repo->backend().List(ObjectKind::kWal, [&](const ObjectInfo& info) {
      const std::string& n = info.name.id;
      if (n.size() >= 24 && n.find(".history") == std::string::npos && n.substr(8, 16) < oldest_needed.substr(8)) {
        old_wal.push_back(n);
      }
      return Status::Ok();
    }));
    for (const auto& n : old_wal) {
      DR_RETURN_IF_ERROR(repo->CheckStop("retention apply"));
      Status s = repo->backend().Remove({ObjectKind::kWal, n});
      if (!s.ok() && s.code() != Code::kNotFound) return s;
      result.wal_files_removed++;
    }
  }
  DR_RETURN_IF_ERROR(lock_->Release());
  return result;
}

json ReplicaResult::ToJson() const {
  return json{{"location", location},         {"objects_copied", objects_copied}, {"bytes_copied", bytes_copied},
              {"objects_removed", objects_removed}, {"check_status", check_status}, {"findings", findings}};
}

Result<std::vector<ReplicaResult>> BackupManager::Replicate(bool check, bool read_data) {
  if (config_.replicas.empty()) return ConfigError("no replicas configured (the replicas: section)");
  JobScope job(*this);
  // Shared: a prune meanwhile could delete packs between listing and copying them.
  DR_ASSIGN_OR_RETURN(repo::Repository * primary,
                      OpenLocked(LockMode::kSharedIfWritable, "replicate", /*load_index=*/false));
  Backend& from = primary->backend();
  auto list = [](Backend& be, ObjectKind kind) -> Result<std::map<std::string, uint64_t>> {
    std::map<std::string, uint64_t> out;
    DR_RETURN_IF_ERROR(be.List(kind, [&](const ObjectInfo& info) {
      out[info.name.id] = info.size;
      return Status::Ok();
    }));
    return out;
  };
  std::vector<ReplicaResult> results;
  for (const auto& loc : config_.replicas) {
    ReplicaResult r;
    r.location = loc.Describe();
    DR_ASSIGN_OR_RETURN(auto to, OpenBackend(loc));
    const ObjectKind order[] = {ObjectKind::kConfig, ObjectKind::kKey, ObjectKind::kPack,
                                ObjectKind::kWal,    ObjectKind::kIndex, ObjectKind::kSnapshot};
    std::map<ObjectKind, std::map<std::string, uint64_t>> source;
    for (ObjectKind kind : order) {
      DR_ASSIGN_OR_RETURN(source[kind], list(from, kind));
      DR_ASSIGN_OR_RETURN(auto have, list(*to, kind));
      Progress progress =
          MakeProgress(std::string("replicate ") + ObjectKindName(kind) + " to " + r.location, options_.progress);
      // Packs, indexes and WAL never change under a name; the config, key files
      // (rotation) and snapshots (pin, unpin) are rewritten, maybe at the same
      // size: for those, the (small) bytes decide.
      bool rewritable = kind == ObjectKind::kConfig || kind == ObjectKind::kKey || kind == ObjectKind::kSnapshot;
      for (const auto& [id, size] : source[kind]) {
        auto it = have.find(id);
        if (it != have.end() && it->second == size && !rewritable) continue;
        DR_ASSIGN_OR_RETURN(std::string data, from.Get({kind, id}, {}));
        if (it != have.end() && it->second == data.size()) {
          auto theirs = to->Get({kind, id}, {});
          if (theirs.ok() && *theirs == data) continue;
        }
        DR_RETURN_IF_ERROR(to->Put({kind, id}, data, {.overwrite = true}).WithContext("replicate to " + r.location));
        r.objects_copied++;
        r.bytes_copied += data.size();
        progress.Add(data.size());
      }
    }
    // What the primary no longer has: expired snapshots first, then indexes, packs, WAL, retired keys.
    const ObjectKind removal[] = {ObjectKind::kSnapshot, ObjectKind::kIndex, ObjectKind::kPack, ObjectKind::kWal,
                                  ObjectKind::kKey};
    for (ObjectKind kind : removal) {
      DR_ASSIGN_OR_RETURN(auto have, list(*to, kind));
      for (const auto& [id, size] : have) {
        if (source[kind].count(id)) continue;
        Status s = to->Remove({kind, id});
        if (!s.ok() && s.code() != Code::kNotFound) return s.WithContext("replicate to " + r.location);
        r.objects_removed++;
      }
    }
    if (check) {
      std::string key;
      if (config_.encryption.enabled) {
        DR_ASSIGN_OR_RETURN(security::MasterKey master, security::LoadMasterKey(config_.encryption, false));
        key = master.bytes;
      }
      DR_ASSIGN_OR_RETURN(auto replica, repo::Repository::Open(*to, key, RepoOptions()));
      auto report = repo::CheckRepository(*replica, {.read_data = read_data});
      r.check_status = report.ok() ? "passed" : "failed";
      for (const auto& f : report.findings) {
        if (f.severity == "error") r.findings.push_back(f.message);
      }
    }
    results.push_back(std::move(r));
  }
  return results;
}

Result<source::MirrorResult> BackupManager::MirrorOnce() {
  DR_ASSIGN_OR_RETURN(auto options, source::MirrorFromConfig(config_));
  return source::MirrorOnce(options, *options_.clock);
}

Result<json> BackupManager::ComplianceReport(const std::string& month) {
  JobScope job(*this);
  ComplianceInputs in;
  in.config = &config_;
  in.now = options_.clock->Now();
  DR_ASSIGN_OR_RETURN(in.month, ReportMonth(month, in.now));
  DR_ASSIGN_OR_RETURN(in.backups, ListBackups());
  DR_ASSIGN_OR_RETURN(in.key_check, KeyCheck());
  security::AuditLog audit(config_.audit.log_file);
  in.audit_enabled = audit.enabled();
  if (audit.enabled()) {
    auto v = audit.Verify();
    in.audit_intact = v.ok;
    in.audit_problem = v.problem;
    DR_ASSIGN_OR_RETURN(auto records, audit.Read("", ""));
    for (auto& r : records) {
      if (r.value("operation", "") == "backup.verify" && r.value("result", "") == "success") {
        in.verify_records.push_back(std::move(r));
      }
    }
  }
  return BuildComplianceReport(in);
}

Result<repo::CheckReport> BackupManager::CheckRepository(bool read_data) {
  JobScope job(*this);
  DR_ASSIGN_OR_RETURN(repo::Repository * repo, OpenLocked(LockMode::kSharedIfWritable, "check"));
  Progress progress = MakeProgress("check", options_.progress && read_data);
  return repo::CheckRepository(*repo, {.read_data = read_data, .progress = &progress});
}

}  // namespace dr::backup
