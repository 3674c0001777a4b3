#include "drill/scratch_restore.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "base/crypto.h"
#include "base/encoding.h"
#include "base/fs.h"
#include "base/time_util.h"
#include "drill/scratch_dir.h"
#include "net/kafka/client.h"
#include "net/s3/s3_client.h"
#include "source/kafka/kafka_source.h"
#include "source/kafka/kafka_spec.h"
#include "source/postgres/postgres_spec.h"
#include "source/postgres/row_counts.h"
#include "source/postgres/scratch_server.h"
#include "source/s3lake/mirror.h"
#include "source/s3lake/s3lake_spec.h"

namespace dr::drill {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kDbPrefix = "ecap_dr_drill_";
constexpr const char* kBucketPrefix = "ecap-dr-drill-";
constexpr const char* kTopicPrefix = source::kafka::kScratchTopicPrefix;

// A drill's key in its targets' names: "drill-20261203T003000Z-ab12" -> "20261203t003000z_ab12".
std::string KeyOf(const std::string& drill_id) {
  std::string key = drill_id.rfind("drill-", 0) == 0 ? drill_id.substr(6) : drill_id;
  for (char& ch : key) ch = ch == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return key;
}

// "ecap-dr-drill-<key>" (dashes for underscores), within S3's 63 characters.
std::string ScratchBucket(const std::string& key) {
  std::string bucket = std::string(kBucketPrefix) + key;
  std::replace(bucket.begin(), bucket.end(), '_', '-');
  return bucket.substr(0, 63);
}

// "ecap-dr-drill.<key>.": a drill's scratch topics are this and the original name.
std::string ScratchTopicPrefix(const std::string& key) { return kTopicPrefix + key + "."; }

// "ecap-dr-drill.<key>": the topic a drill creates to learn whether it may
// (no restored topic has that name: theirs go under the prefix's dot).
std::string ProbeTopic(const std::string& prefix) { return prefix.substr(0, prefix.size() - 1); }

// When the drill whose key `name` holds after `prefix` began: scratch bucket
// "ecap-dr-drill-20261203t003000z-ab12", scratch topic
// "ecap-dr-drill.20261203t003000z_ab12.orders" (nullopt for a name without
// that time: a drill id the caller chose).
std::optional<std::chrono::system_clock::time_point> DrillTime(const std::string& name, const std::string& prefix) {
  if (name.rfind(prefix, 0) != 0) return std::nullopt;
  std::string stamp = name.substr(prefix.size(), 16);
  // "YYYYMMDDtHHMMSSz", digits where digits belong, read back exactly as a drill writes it.
  if (stamp.size() != 16) return std::nullopt;
  for (size_t i = 0; i < 16; ++i) {
    bool ok = i == 8 ? stamp[i] == 't' : i == 15 ? stamp[i] == 'z' : std::isdigit(static_cast<unsigned char>(stamp[i]));
    if (!ok) return std::nullopt;
  }
  std::string upper = stamp;
  upper[8] = 'T';
  upper[15] = 'Z';
  auto t = ParseUtc(upper.substr(0, 4) + "-" + upper.substr(4, 2) + "-" + upper.substr(6, 2) + "T" +
                    upper.substr(9, 2) + ":" + upper.substr(11, 2) + ":" + upper.substr(13, 2) + "Z");
  if (!t || CompactUtc(*t) != upper) return std::nullopt;  // a month 13 or a day 99 is no time
  return t;
}

// Empties a scratch bucket and deletes it.
Status RemoveBucket(net::s3::S3Client& client) {
  const std::string& name = client.options().bucket;
  std::vector<std::string> keys;
  DR_RETURN_IF_ERROR(client.ListObjects("", [&](const net::s3::ListedObject& obj) {
    keys.push_back(obj.key);
    return Status::Ok();
  }));
  for (const auto& key : keys) {
    auto r = client.Send("DELETE", key, {}, {}, {});
    if (!r.ok()) return r.status();
    if (r->status / 100 != 2) return client.ErrorOf(*r, "delete s3://" + name + "/" + key);
  }
  auto r = client.Send("DELETE", "", {}, {}, {});
  if (!r.ok()) return r.status();
  return r->status / 100 == 2 ? Status::Ok() : client.ErrorOf(*r, "delete scratch bucket " + name);
}

// "ecap_dr_drill_<key>_<db>", within PostgreSQL's 63 bytes.
std::string ScratchDatabase(const std::string& key, const std::string& db) {
  return (kDbPrefix + key + "_" + db).substr(0, 63);
}

bool PostgresConfigured(const config::Config& c) {
  return !c.postgresql.database.empty() || !c.postgresql.databases.empty();
}

Result<std::unique_ptr<source::pg::Connection>> Admin(const config::Config& c) {
  return source::pg::Connection::Open(source::ServerFromConfig(c.postgresql), "postgres");
}

Status DropDatabase(const config::Config& c, const std::string& name) {
  DR_ASSIGN_OR_RETURN(auto conn, Admin(c));
  DR_RETURN_IF_ERROR(conn->Exec("SET default_transaction_read_only = off"));
  return conn->Exec("DROP DATABASE IF EXISTS " + conn->QuoteIdent(name) + " WITH (FORCE)");
}

// Tables of the user's schemas and their exact row counts (source/postgres/row_counts.h).
Result<json> CountTables(source::pg::ServerTarget server, const std::string& database) {
  DR_ASSIGN_OR_RETURN(auto conn, source::pg::Connection::Open(server, database));
  return source::CountRows(*conn);
}

class Drill {
 public:
  Drill(backup::BackupManager& manager, const config::Config& config, Clock& clock, const RestoreTestOptions& options,
        RestoreTestResult& result)
      : manager_(manager), config_(config), clock_(clock), options_(options), r_(result) {}

  void Run() {
    start_ = clock_.Monotonic();
    r_.started_at = FormatUtc(clock_.Now());
    RemoveStale();
    AddPhase("remove stale targets", start_, "passed");
    Status s = Status::Ok();
    try {
      s = RunComponents();
    } catch (const std::exception& e) {  // whatever it was, the cleanup below still runs
      s = Failed(std::string("the drill stopped: ") + e.what());
    }
    // Every scratch target goes, whatever happened above.
    auto cleanup_start = clock_.Monotonic();
    for (auto it = cleanups_.rbegin(); it != cleanups_.rend(); ++it) {
      Status c = it->second();
      if (c.ok()) {
        r_.removed.push_back(it->first);
      } else {
        r_.cleanup_errors.push_back(it->first + ": " + c.message());
      }
    }
    std::error_code ec;
    // A target that could not be removed (a scratch server that would not
    // stop) keeps its directory, named in cleanup_errors: deleting the data
    // under a running server would orphan it.
    if (r_.cleanup_errors.empty()) fs::remove_all(root_, ec);
    held_.reset();
    AddPhase("remove scratch targets", cleanup_start, r_.cleanup_errors.empty() ? "passed" : "failed");
    for (const auto& c : r_.components) r_.rto_seconds += c.restore_seconds;
    if (s.ok() && !r_.cleanup_errors.empty()) s = Failed("scratch targets left behind: " + r_.cleanup_errors.front());
    r_.error = s;
    r_.status = s.ok() ? "passed" : "failed";
    r_.duration_seconds = SecondsOf(clock_.Monotonic() - start_);
  }

 private:
  void Progress(const std::string& line) const {
    if (options_.progress) options_.progress(line);
  }
  // A phase of the timeline that began at `since` and ends now.
  void AddPhase(const std::string& name, std::chrono::steady_clock::time_point since, const std::string& status) {
    r_.phases.push_back({.name = name, .start_seconds = SecondsOf(since - start_),
                         .seconds = SecondsOf(clock_.Monotonic() - since), .status = status});
  }

  // Targets an earlier drill left when it was killed before its cleanup: a
  // directory no running drill holds, and the databases named after it or
  // after no directory at all. A drill running beside this one keeps its own.
  void RemoveStale() {
    std::error_code ec;
    std::set<std::string> running;
    if (fs::exists(base_, ec)) {
      for (const auto& entry : fs::directory_iterator(base_, ec)) {
        // Only what a drill makes: drill.scratch_dir may be shared with anything else.
        if (!IsDrillDirectory(entry)) continue;
        int fd = LockDirectory(entry.path().string(), false);
        if (fd < 0) {
          running.insert(KeyOf(entry.path().filename().string()));
          continue;
        }
        std::string pgdata = (entry.path() / "pg/data").string();
        if (fs::exists(pgdata + "/postmaster.pid", ec)) {
          (void)source::StopScratchServer(pgdata, config_.postgresql.bin_dir, true);
        }
        fs::remove_all(entry.path(), ec);
        ::close(fd);
        r_.stale_removed.push_back(entry.path().string());
      }
    }
    RemoveStaleBuckets(running);
    RemoveStaleTopics(running);
    if (!PostgresConfigured(config_)) return;
    auto conn = Admin(config_);
    if (!conn.ok()) return;  // the database's own restore will say what is wrong
    auto stale = (*conn)->Query("SELECT datname FROM pg_database WHERE datname LIKE 'ecap\\_dr\\_drill\\_%'");
    if (!stale.ok()) return;
    for (const auto& row : *stale) {
      bool in_use = false;
      for (const auto& key : running) in_use = in_use || row[0].rfind(kDbPrefix + key + "_", 0) == 0;
      if (!in_use && DropDatabase(config_, row[0]).ok()) r_.stale_removed.push_back("database " + row[0]);
    }
  }

  // Scratch buckets of the lake's endpoint that no running drill holds and
  // whose drill began over a day ago (its time is in the name): a drill of
  // another host, whose lock this one cannot see, may be using a newer one.
  void RemoveStaleBuckets(const std::set<std::string>& running) {
    if (config_.s3.buckets.empty()) return;  // no lake: no endpoint of ours to look at
    auto o = source::LakeS3Options(config_.s3);
    if (!o.ok()) return;
    net::s3::S3Client service(*o);
    auto buckets = service.ListBuckets();
    if (!buckets.ok()) return;  // the lake's own restore will say what is wrong
    std::set<std::string> held;
    for (const auto& key : running) held.insert(ScratchBucket(key));
    for (const auto& name : *buckets) {
      if (name.rfind(kBucketPrefix, 0) != 0 || held.count(name)) continue;
      auto began = DrillTime(name, kBucketPrefix);
      if (!began || clock_.Now() - *began < std::chrono::hours(24)) continue;
      net::s3::S3Options scratch = *o;
      scratch.bucket = name;
      net::s3::S3Client client(scratch);
      if (RemoveBucket(client).ok()) r_.stale_removed.push_back("bucket " + name);
    }
  }

  // Scratch topics of the configured cluster that no running drill holds and
  // whose drill began over a day ago (as for buckets: the cluster is shared).
  void RemoveStaleTopics(const std::set<std::string>& running) {
    if (!config_.kafka_configured || config_.kafka.bootstrap_servers.empty()) return;
    auto client = net::kafka::Client::Connect(source::kafka::ClientFromConfig(config_.kafka));
    if (!client.ok()) return;  // Kafka's own restore will say what is wrong
    auto topics = (*client)->ListTopics();
    if (!topics.ok()) return;
    std::vector<std::string> stale;
    for (const auto& t : *topics) {
      if (t.name.rfind(kTopicPrefix, 0) != 0) continue;
      std::string rest = t.name.substr(std::string(kTopicPrefix).size());
      if (running.count(rest.substr(0, rest.find('.')))) continue;
      auto began = DrillTime(t.name, kTopicPrefix);
      if (began && clock_.Now() - *began >= std::chrono::hours(24)) stale.push_back(t.name);
    }
    if (stale.empty()) return;
    net::kafka::Admin& admin = options_.kafka_admin != nullptr ? *options_.kafka_admin : (*client)->admin();
    if (admin.DeleteTopics(stale).ok()) {
      for (const auto& t : stale) r_.stale_removed.push_back("topic " + t);
    }
  }

  Status RunComponents() {
    std::string id = options_.backup_id;
    auto listed = manager_.ListBackups();
    if (listed.ok()) MeasureComponentAges(*listed);  // informative: a drill of a named backup goes on without
    if (id.empty()) {
      if (!listed.ok()) return listed.status();
      for (const auto& s : *listed) {
        if (s.status == "completed" && s.start_time > newest_start_) {
          newest_start_ = s.start_time;
          id = s.backup_id;
        }
      }
      if (id.empty()) return NotFound("no completed backup to restore: take one first (ecap-dr backup create)");
    }
    DR_ASSIGN_OR_RETURN(repo::Snapshot snapshot, manager_.GetBackup(id, /*with_items=*/false));
    r_.backup_id = snapshot.backup_id;
    r_.backup_end_time = snapshot.end_time;
    MeasureRecoveryPoint(snapshot);
    DR_ASSIGN_OR_RETURN(held_, ScratchDirectory::Hold(base_, r_.drill_id));
    Status first = Status::Ok();
    for (auto& component : snapshot.components) {
      if (options_.stop.stop_requested()) {
        first = Status(Code::kCancelled, "the drill was interrupted before " + component.name);
        break;
      }
      Progress("-> restore " + component.name + " of backup " + r_.backup_id);
      auto since = clock_.Monotonic();
      ComponentResult c{.component = component.name};
      // One component's items at a time: a damaged item list fails its own component only.
      Status s = manager_.LoadItems(r_.backup_id, component);
      if (s.ok()) {
        s = component.name == "files"        ? Files(component, c)
                 : component.name == "postgresql" ? Postgres(component, c)
                 : component.name == "s3"         ? Lake(component, c)
                 : component.name == "kafka"      ? Kafka(component, c)
                                                  : NotTested(component, c);
        component.items = {};  // the next component's items need the room
      }
      if (!s.ok()) {
        c.status = "failed";
        c.error = s.message();
        if (first.ok()) first = s.WithContext(component.name);
      } else if (c.status.empty()) {
        c.status = "passed";
      }
      Progress("   " + component.name + ": " + c.status + (c.error.empty() ? "" : " (" + c.error + ")"));
      AddPhase("restore and check " + component.name, since, c.status);
      r_.components.push_back(std::move(c));
    }
    return first;
  }

  // Per component, how old its newest completed backup is: the recovery point
  // a restore of it could reach now (Kafka's RPO is this, the time since the
  // cluster was last backed up; the database's WAL and the lake's mirror
  // come closer, measured below).
  void MeasureComponentAges(const std::vector<repo::Snapshot>& all) {
    std::map<std::string, std::string> newest_end;
    for (const auto& s : all) {
      if (s.status != "completed") continue;
      for (const auto& c : s.components) newest_end[c.name] = std::max(newest_end[c.name], s.end_time);
    }
    for (const auto& [component, end] : newest_end) {
      if (auto t = ParseUtc(end)) {
        r_.backup_age_by_component[component] = std::max(0.0, std::chrono::duration<double>(clock_.Now() - *t).count());
      }
    }
  }

  void MeasureRecoveryPoint(const repo::Snapshot& snapshot) {
    auto now = clock_.Now();
    if (auto end = ParseUtc(snapshot.end_time)) {
      r_.backup_age_seconds = std::max(0.0, std::chrono::duration<double>(now - *end).count());
    }
    if (PostgresConfigured(config_)) {
      auto wal = manager_.WalStatus();
      if (wal.ok() && !wal->last_archived_wal.empty()) r_.wal_archive_lag_seconds = wal->archive_lag_seconds;
    }
    if (!config_.s3.mirror_source.empty()) {
      if (auto lag = source::MirrorLagSeconds(source::MirrorPassFile(config_.s3.MirrorStateFile()), now)) {
        r_.mirror_lag_seconds = *lag;
      }
    }
    r_.rpo_seconds = r_.wal_archive_lag_seconds >= 0 ? r_.wal_archive_lag_seconds : r_.backup_age_seconds;
  }

  // One restore of `component` with `request`, timed.
  Status Restore(const std::string& component, backup::RestoreRequest request, ComponentResult& c) {
    request.components = {component};
    auto t0 = clock_.Monotonic();
    backup::RestoreResult restored = manager_.RestoreBackup(r_.backup_id, request);
    c.restore_seconds += SecondsOf(clock_.Monotonic() - t0);
    if (!restored.error.ok()) return restored.error;
    if (restored.status != "completed") return Failed("restore " + restored.status);
    return Status::Ok();
  }

  Status Files(const repo::SnapshotComponent& component, ComponentResult& c) {
    c.scratch = root_ + "/files";
    cleanups_.emplace_back("directory " + c.scratch, [dir = c.scratch] {
      std::error_code ec;
      fs::remove_all(dir, ec);
      return ec ? ErrnoStatus(ec.value(), "remove " + dir) : Status::Ok();
    });
    DR_RETURN_IF_ERROR(Restore("files", {.target_dir = c.scratch}, c));
    uint64_t want_files = 0, want_bytes = 0, got_files = 0, got_bytes = 0;
    for (const auto& item : component.items) {
      if (item.kind != "file") continue;
      ++want_files;
      want_bytes += item.size;
    }
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(c.scratch, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_regular_file(ec) && !it->is_symlink(ec)) {
        ++got_files;
        got_bytes += it->file_size(ec);
      }
    }
    if (ec) return ErrnoStatus(ec.value(), "count the restored files under " + c.scratch);
    c.verification = {{"files", got_files}, {"bytes", got_bytes}, {"manifest_files", want_files},
                      {"manifest_bytes", want_bytes}};
    if (got_files != want_files || got_bytes != want_bytes) {
      return Corrupt("restored " + std::to_string(got_files) + " files of " + std::to_string(got_bytes) +
                     " bytes; the manifest has " + std::to_string(want_files) + " of " + std::to_string(want_bytes));
    }
    return Status::Ok();
  }

  Status Postgres(const repo::SnapshotComponent& component, ComponentResult& c) {
    if (!PostgresConfigured(config_)) {
      return ConfigError("the backup holds postgresql, but the configuration has no postgresql section to restore it to");
    }
    bool physical = component.meta.value("mode", "") == "physical";
    return physical ? Physical(c) : Logical(component, c);
  }

  Status Logical(const repo::SnapshotComponent& component, ComponentResult& c) {
    json databases = json::object();
    for (const auto& item : component.items) {
      if (item.kind != "pg_dump") continue;
      std::string db = item.meta.value("database", "");
      std::string scratch = ScratchDatabase(KeyOf(r_.drill_id), db);
      c.scratch += (c.scratch.empty() ? "" : ", ") + ("database " + scratch);
      cleanups_.emplace_back("database " + scratch, [this, scratch] { return DropDatabase(config_, scratch); });
      backup::RestoreRequest request;
      request.postgres.databases = {db};
      request.postgres.target_db = scratch;
      DR_RETURN_IF_ERROR(Restore("postgresql", request, c).WithContext("database " + db));
      DR_ASSIGN_OR_RETURN(json counted, CountTables(source::ServerFromConfig(config_.postgresql), scratch));
      // Against what the backup counted in pg_dump's own snapshot, when it did
      // (null: not counted at backup, postgresql.count_rows off or an older backup).
      std::string differ;
      if (item.meta.contains("row_counts")) differ = source::CompareRowCounts(item.meta["row_counts"], counted);
      counted["matches_backup"] = item.meta.contains("row_counts") ? json(differ.empty()) : json(nullptr);
      databases[db] = counted;
      if (!differ.empty()) return Corrupt("database " + db + " restored with other row counts: " + differ);
    }
    c.verification = {{"databases", databases}};
    if (databases.empty()) return Corrupt("the backup's postgresql part holds no database dump");
    return Status::Ok();
  }

  Status Physical(ComponentResult& c) {
    std::string parent = root_ + "/pg", pgdata = parent + "/data";
    c.scratch = "scratch server on " + pgdata;
    DR_RETURN_IF_ERROR(MakeDirs(parent, 0755));
    DR_RETURN_IF_ERROR(HandToPostgres(parent));
    cleanups_.emplace_back(c.scratch, [this, pgdata] {
      return source::StopScratchServer(pgdata, config_.postgresql.bin_dir, true);
    });
    backup::RestoreRequest request;
    request.postgres.pgdata = pgdata;
    auto t0 = clock_.Monotonic();
    DR_RETURN_IF_ERROR(Restore("postgresql", request, c));
    auto login = source::ServerFromConfig(config_.postgresql);
    DR_ASSIGN_OR_RETURN(auto server, source::StartScratchServer({.pgdata = pgdata, .bin_dir = config_.postgresql.bin_dir},
                                                                login));
    // Until it takes writes: recovery of the archive is part of the restore's time.
    c.restore_seconds = SecondsOf(clock_.Monotonic() - t0);
    login.host = "127.0.0.1";
    login.port = server.port;
    std::string db = config_.postgresql.database.empty() ? "postgres" : config_.postgresql.database;
    DR_ASSIGN_OR_RETURN(json counted, CountTables(login, db));
    c.verification = {{"databases", {{db, counted}}}, {"recovered_to", "the end of the WAL archive"}};
    return Status::Ok();
  }

  // Every object into a scratch bucket of the lake's endpoint, listed back
  // and compared with the manifest; the objects and the bucket go after.
  Status Lake(const repo::SnapshotComponent& component, ComponentResult& c) {
    DR_ASSIGN_OR_RETURN(net::s3::S3Options o, source::LakeS3Options(config_.s3));
    o.bucket = ScratchBucket(KeyOf(r_.drill_id));
    c.scratch = "bucket " + o.bucket;
    auto client = std::make_shared<net::s3::S3Client>(o);
    auto made = client->Send("PUT", "", {}, {}, {});
    if (!made.ok()) return made.status();
    if (made->status != 200) return client->ErrorOf(*made, "create scratch bucket " + o.bucket);
    cleanups_.emplace_back(c.scratch, [client] { return RemoveBucket(*client); });
    backup::RestoreRequest request;
    request.s3.target_bucket = o.bucket;
    DR_RETURN_IF_ERROR(Restore("s3", request, c));
    uint64_t want_objects = 0, want_bytes = 0, got_objects = 0, got_bytes = 0;
    for (const auto& item : component.items) {
      ++want_objects;
      want_bytes += item.size;
    }
    DR_RETURN_IF_ERROR(client->ListObjects("", [&](const net::s3::ListedObject& obj) {
      ++got_objects;
      got_bytes += obj.size;
      return Status::Ok();
    }));
    c.verification = {{"objects", got_objects}, {"bytes", got_bytes}, {"manifest_objects", want_objects},
                      {"manifest_bytes", want_bytes}};
    if (got_objects != want_objects || got_bytes != want_bytes) {
      return Corrupt("the scratch bucket holds " + std::to_string(got_objects) + " objects of " +
                     std::to_string(got_bytes) + " bytes; the manifest has " + std::to_string(want_objects) + " of " +
                     std::to_string(want_bytes));
    }
    return Status::Ok();
  }

  // Every topic into a scratch topic "ecap-dr-drill.<key>.<topic>" of the
  // configured cluster, its messages counted against the manifest; the
  // consumer groups are left alone (their offsets are the live consumers'),
  // and the scratch topics are deleted after.
  Status Kafka(const repo::SnapshotComponent& component, ComponentResult& c) {
    if (!config_.kafka_configured || config_.kafka.bootstrap_servers.empty()) {
      return ConfigError("the backup holds kafka, but the configuration has no kafka section to restore it to");
    }
    const std::string prefix = ScratchTopicPrefix(KeyOf(r_.drill_id));
    std::map<std::string, uint64_t> want;  // topic -> messages, over its segments
    for (const auto& item : component.items) {
      std::string topic = item.meta.value("topic", "");
      if (item.kind == "kafka_topic") want[topic] += 0;
      if (item.kind == "kafka_messages") want[topic] += item.meta.value("messages", uint64_t{0});
    }
    if (want.empty()) return Corrupt("the backup's kafka part holds no topic");
    for (const auto& [topic, messages] : want) {
      // Kafka's limit on a topic's name; the prefix takes 36 of it.
      if ((prefix + topic).size() > 249) {
        c.status = "not_tested";
        c.error = "topic '" + topic + "' has no scratch name within Kafka's 249 characters (" + prefix + "...)";
        return Status::Ok();
      }
    }
    // What the cleanup deletes: these names (a topic whose creation timed out
    // may not be listed yet) and whatever is listed under the prefix.
    std::vector<std::string> names{ProbeTopic(prefix)};
    for (const auto& [topic, messages] : want) names.push_back(prefix + topic);
    DR_ASSIGN_OR_RETURN(auto client, net::kafka::Client::Connect(source::kafka::ClientFromConfig(config_.kafka)));
    net::kafka::Admin& admin = options_.kafka_admin != nullptr ? *options_.kafka_admin : client->admin();
    // Whether this client may create and delete topics, tried with a topic of
    // the drill's own before anything is restored: many clusters leave topics
    // to an operator or deny them by ACL (librdkafka's mock cannot create one
    // for a client), and that is a Kafka the drill could not test, not a
    // backup that failed to restore. Replication factor -1: the cluster's.
    const std::string allow = "allow it to create and delete topics named " + std::string(kTopicPrefix) + "*";
    if (Status made = admin.CreateTopic(ProbeTopic(prefix), 1, -1, {}); !made.ok()) {
      c.status = "not_tested";
      c.error = "this client cannot create topics on the cluster (" + made.message() + "): " + allow;
      return Status::Ok();
    }
    c.scratch = "topics " + prefix + "*";
    cleanups_.emplace_back(c.scratch, [this, prefix, names] { return DeleteScratchTopics(prefix, names); });
    if (Status gone = admin.DeleteTopics({ProbeTopic(prefix)}); !gone.ok()) {
      c.status = "not_tested";
      c.error = "this client cannot delete topics on the cluster (" + gone.message() + "): " + allow;
      return Status::Ok();
    }
    backup::RestoreRequest request;
    request.kafka.topic_prefix = prefix;
    request.kafka.groups = false;
    DR_RETURN_IF_ERROR(Restore("kafka", request, c));
    DR_ASSIGN_OR_RETURN(auto listed, client->ListTopics());
    json topics = json::object();
    std::string differ;
    for (const auto& [topic, messages] : want) {
      const std::string scratch = prefix + topic;
      auto found = std::find_if(listed.begin(), listed.end(), [&](const auto& t) { return t.name == scratch; });
      if (found == listed.end()) {
        differ += (differ.empty() ? "" : "; ") + ("topic " + scratch + " is missing");
        continue;
      }
      // Counted by offsets: the topic was made empty, so its high watermark is
      // what was produced into it, even where its retention (the backed-up
      // topic's, over messages that keep their old timestamps) has already
      // removed the oldest.
      uint64_t got = 0;
      for (const auto& p : found->partitions) {
        DR_ASSIGN_OR_RETURN(auto marks, client->Watermarks(scratch, p.id));
        got += static_cast<uint64_t>(std::max<int64_t>(0, marks.second));
      }
      topics[topic] = {{"scratch_topic", scratch}, {"partitions", found->partitions.size()}, {"messages", got},
                       {"manifest_messages", messages}};
      if (got != messages) {
        differ += (differ.empty() ? "" : "; ") + ("topic " + scratch + " holds " + std::to_string(got) +
                                                  " messages, the manifest has " + std::to_string(messages));
      }
    }
    c.verification = {{"topics", topics}};
    if (!differ.empty()) return Corrupt(differ);
    return Status::Ok();
  }

  // Deletes one drill's topics: `names`, and every topic listed under `prefix`.
  Status DeleteScratchTopics(const std::string& prefix, std::vector<std::string> names) {
    DR_ASSIGN_OR_RETURN(auto client, net::kafka::Client::Connect(source::kafka::ClientFromConfig(config_.kafka)));
    DR_ASSIGN_OR_RETURN(auto listed, client->ListTopics());
    for (const auto& t : listed) {
      if (t.name.rfind(prefix, 0) == 0 && std::find(names.begin(), names.end(), t.name) == names.end()) {
        names.push_back(t.name);
      }
    }
    net::kafka::Admin& admin = options_.kafka_admin != nullptr ? *options_.kafka_admin : client->admin();
    return admin.DeleteTopics(names);
  }

  Status NotTested(const repo::SnapshotComponent& component, ComponentResult& c) {
    c.status = "not_tested";
    c.error = "the restore-test drill does not restore " + component.name + " into a scratch target yet";
    return Status::Ok();
  }

  backup::BackupManager& manager_;
  const config::Config& config_;
  Clock& clock_;
  const RestoreTestOptions& options_;
  RestoreTestResult& r_;
  std::string newest_start_;
  std::string base_ = ScratchBase(options_.scratch_root);
  std::string root_ = base_ + "/" + r_.drill_id;
  std::vector<std::pair<std::string, std::function<Status()>>> cleanups_;
  std::unique_ptr<ScratchDirectory> held_;
  std::chrono::steady_clock::time_point start_{};
};

}  // namespace

json RestoreTestResult::ToJson() const {
  json comps = json::array();
  for (const auto& c : components) {
    json j{{"component", c.component}, {"status", c.status}, {"scratch", c.scratch},
           {"restore_seconds", c.restore_seconds}, {"verification", c.verification}};
    if (!c.error.empty()) j["error"] = c.error;
    comps.push_back(std::move(j));
  }
  json phase_list = json::array();
  for (const auto& p : phases) {
    phase_list.push_back({{"name", p.name}, {"start_seconds", p.start_seconds}, {"seconds", p.seconds},
                          {"status", p.status}});
  }
  json j{{"drill_id", drill_id},
         {"started_at", started_at},
         {"scenario", scenario},
         {"status", status},
         {"backup_id", backup_id},
         {"backup_end_time", backup_end_time},
         {"components", comps},
         {"rto_seconds", rto_seconds},
         {"rpo_seconds", rpo_seconds},
         {"rto_target_seconds", rto_target_seconds},
         {"rpo_target_seconds", rpo_target_seconds},
         {"rto_met", status == "passed" && rto_seconds <= rto_target_seconds},
         {"rpo_met", rpo_seconds >= 0 && rpo_seconds <= rpo_target_seconds},
         {"recovery_point", {{"backup_age_seconds", backup_age_seconds},
                             {"wal_archive_lag_seconds", wal_archive_lag_seconds},
                             {"mirror_lag_seconds", mirror_lag_seconds},
                             {"backup_age_by_component", backup_age_by_component}}},
         {"removed", removed},
         {"stale_removed", stale_removed},
         {"cleanup_errors", cleanup_errors},
         {"duration_seconds", duration_seconds},
         {"phases", phase_list}};
  return j;
}

RestoreTestResult RunRestoreTest(backup::BackupManager& manager, const config::Config& config, Clock& clock,
                                 const RestoreTestOptions& options) {
  RestoreTestResult result;
  result.drill_id = options.drill_id.empty() ? "drill-" + CompactUtc(clock.Now()) + "-" +
                                                   HexEncode(crypto::RandomBytes(2))
                                             : options.drill_id;
  result.rto_target_seconds = config.coordinator.rto_target_minutes * 60;
  result.rpo_target_seconds = config.coordinator.rpo_target_minutes * 60;
  Drill(manager, config, clock, options, result).Run();
  return result;
}

}  // namespace dr::drill
