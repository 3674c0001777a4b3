#include "ops/drill_ops.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <stop_token>
#include <thread>

#include "backup/backup_manager.h"
#include "base/crypto.h"
#include "base/encoding.h"
#include "base/subprocess.h"
#include "base/time_util.h"
#include "coordinator/coordinator.h"
#include "coordinator/dns.h"
#include "coordinator/failover_parts.h"
#include "base/fs.h"
#include "drill/breach_scenario.h"
#include "drill/corruption_scenario.h"
#include "drill/database_scenario.h"
#include "drill/scratch_dir.h"
#include "drill/storage_scenario.h"
#include "drill/region_scenario.h"
#include "drill/report.h"
#include "drill/scratch_restore.h"
#include "events/event_store.h"
#include "net/postgres/pg_client.h"
#include "ops/access_ops.h"
#include "ops/backup_ops.h"
#include "ops/runbook_ops.h"
#include "source/kafka/kafka_spec.h"
#include "source/postgres/postgres_spec.h"
#include "source/postgres/scratch_server.h"
#include "source/s3lake/s3lake_spec.h"

namespace dr::ops {

using nlohmann::json;

namespace {

// The fields `report rto-rpo`, `report drill` and the status page read from
// every drill, with the whole result document.
json DrillEvent(const json& data, const Status& error, const json& phases) {
  json event{{"drill_id", data["drill_id"]},       {"scenario", data["scenario"]},
             {"status", data["status"]},           {"backup_id", data.value("backup_id", "")},
             {"reason", "drill " + data["scenario"].get<std::string>()},
             {"rto_seconds", data["rto_seconds"]}, {"rpo_seconds", data["rpo_seconds"]},
             {"rto_met", data["rto_met"]},         {"rpo_met", data["rpo_met"]},
             {"phases", phases}};
  if (!error.ok()) event["error"] = error.message();
  return event;
}

// A disruptive scenario runs only when asked for with --disruptive, on a
// platform the configuration marks as a drill environment.
Status CheckDisruptive(const config::Config& c, const DrillRequest& request, const std::string& what) {
  if (!request.disruptive) {
    return InvalidArgument("drill scenario '" + request.scenario + "' is disruptive (" + what +
                           "): give --disruptive to run it");
  }
  if (!c.drill.environment) {
    return Status(Code::kConfig, "this platform is not marked as a drill environment (drill.environment: true in " +
                                     (c.source.empty() ? std::string("the configuration") : c.source) +
                                     "): a disruptive drill would break production");
  }
  return Status::Ok();
}

std::string NewDrillId(OperationContext& ctx) {
  return "drill-" + CompactUtc(ctx.clock->Now()) + "-" + HexEncode(crypto::RandomBytes(2));
}

// A disruptive scenario's result, audited and recorded in the event history.
OpResult FinishDisruptive(Operation& op, const drill::DisruptiveResult& r) {
  json data = r.ToJson();
  json phases = json::object();
  for (const auto& p : r.phases) phases[p.name] = p.seconds;
  json event = DrillEvent(data, r.error, phases);
  OpResult result{.status = r.error, .data = std::move(data)};
  event["result"] = result.ToJson();
  return op.Finish(std::move(result), {{"status", r.status}, {"rto_seconds", r.rto_seconds}},
                   r.error.ok() ? "drill_completed" : "drill_failed", std::move(event));
}

// What every disruptive scenario takes from the configuration and the request.
void SetCommonOptions(const OperationContext& ctx, const DrillRequest& request, drill::DisruptiveOptions& options) {
  options.timeout_seconds = ctx.config.drill.timeout_seconds;
  options.rto_target_seconds = ctx.config.coordinator.rto_target_minutes * 60;
  options.rpo_target_seconds = ctx.config.coordinator.rpo_target_minutes * 60;
  options.stop = ctx.stop;
  options.progress = request.progress;
}

// postgresql.database on the configured server, as the configured user.
std::string DatabaseConninfo(const config::Config& c) {
  auto server = source::ServerFromConfig(AsServedNow(c).postgresql);  // the primary after a failover
  std::map<std::string, std::string> login{{"host", server.host}, {"port", std::to_string(server.port)},
                                           {"dbname", c.postgresql.database}};
  if (!server.user.empty()) login["user"] = server.user;
  if (!server.password.empty()) login["password"] = server.password;
  if (!server.sslmode.empty()) login["sslmode"] = server.sslmode;
  return net::pg::MakeConninfo(login);
}

// Runs drill.faults.<scenario>; a non-zero exit is a failure with its output.
Status InjectFault(const config::Config& c, const std::string& scenario, const std::string& command,
                   const std::vector<std::string>& env = {}) {
  std::string output;
  DR_ASSIGN_OR_RETURN(int code, RunShell(command, c.coordinator.hook_timeout_seconds, &output, env));
  if (code != 0) {
    return Failed("drill.faults." + scenario + " exited with " + std::to_string(code) +
                  (output.empty() ? "" : ": " + output));
  }
  return Status::Ok();
}

// A shipped runbook run to its end without questions, for a drill: its
// execution document goes to `runbook`, also when it fails. Bounded by
// drill.timeout_seconds (from its start, right after the fault): past it the
// runbook is stopped, its running step at its next check (a restore at its
// next blob), and the drill fails saying so, rather than wait on the steps'
// own timeouts, which allow hours for a real restore.
Status RunRecoveryRunbook(OperationContext& ctx, const DrillRequest& request, const std::string& name,
                          std::map<std::string, std::string> params, json& runbook) {
  std::stop_source bounded;
  std::stop_callback interrupted(ctx.stop, [&bounded] { bounded.request_stop(); });
  std::atomic<bool> timed_out{false};
  const double limit = ctx.config.drill.timeout_seconds;
  std::jthread watchdog([&](std::stop_token finished) {
    auto wait = std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(limit));
    if (ctx.clock->SleepFor(wait, finished) && !finished.stop_requested()) {
      timed_out = true;
      bounded.request_stop();
    }
  });
  OperationContext within = ctx;
  within.stop = bounded.get_token();
  RunbookRunRequest run{.name = name, .auto_execute = true, .skip_confirmations = true, .params = std::move(params)};
  run.progress = request.progress;
  OpResult r = RunRunbook(within, run);
  watchdog.request_stop();
  watchdog.join();
  runbook = r.data.is_null() ? json::object() : r.data;
  if (timed_out && !r.status.ok()) {
    return Failed("the " + name + " runbook did not recover the platform within drill.timeout_seconds (" +
                  std::to_string(static_cast<int>(limit)) + " s) and was stopped: " + r.status.message());
  }
  return r.status;
}

// The postgresql service the database and region scenarios fail over (the
// one named, else the first), which needs a standby, and the DNS record
// their load writes through.
Status FindStandbyService(const config::Config& c, const DrillRequest& request, config::CoordinatedService* service) {
  const config::CoordinatedService* found = nullptr;
  for (const auto& s : c.coordinator.services) {
    if (s.type == "postgresql" && (request.service.empty() || s.name == request.service)) {
      found = &s;
      break;
    }
  }
  if (!found) {
    return Status(Code::kConfig, request.service.empty() ? "no postgresql service in dr_coordinator.services to drill"
                                                          : "no postgresql service '" + request.service +
                                                                "' in dr_coordinator.services");
  }
  if (found->standby.empty()) {
    return Status(Code::kConfig, "service '" + found->name + "' has no standby to fail over to");
  }
  DR_ASSIGN_OR_RETURN(config::CoordinatedService now, coordinator::ServiceAsServedNow(c, *found));
  if (now.standby.empty()) {
    return Status(Code::kConfig, "service '" + found->name + "' has no standby left: an earlier failover made it "
                                 "the primary (rebuild a standby of " + coordinator::HostOfConninfo(now.primary) +
                                 " and `ecap-dr standby attach` it before drilling its loss)");
  }
  if (c.coordinator.dns_server.empty() || c.coordinator.dns_record.empty()) {
    return Status(Code::kConfig, "the " + request.scenario + " drill writes through the service's name: set "
                                 "dr_coordinator.failover.dns.server and .record");
  }
  *service = *found;
  return Status::Ok();
}

// Where the database scenario may run and what it needs, checked before anything changes.
Status CheckDatabaseDrill(const config::Config& c, const DrillRequest& request, config::CoordinatedService* service) {
  DR_RETURN_IF_ERROR(CheckDisruptive(c, request, "it makes the database primary fail"));
  DR_RETURN_IF_ERROR(FindStandbyService(c, request, service));
  if (c.drill.database_fault.empty()) {
    return Status(Code::kConfig, "drill.faults.database is not set: the command that makes the primary fail "
                                 "(e.g. kill -9 of its postmaster)");
  }
  return Status::Ok();
}

// The address the failover's DNS record holds now: what the drills' database load connects to.
Result<std::function<Result<std::string>()>> NameResolver(const config::Config& c) {
  auto server = coordinator::ParseEndpoint(c.coordinator.dns_server, 53);
  if (!server.ok()) return server.status().WithContext("dr_coordinator.failover.dns.server");
  return std::function<Result<std::string>()>([server = *server, record = c.coordinator.dns_record]() -> Result<std::string> {
    DR_ASSIGN_OR_RETURN(auto addresses, coordinator::ResolveA(server, record, 1));
    if (addresses.empty()) return NotFound("the name '" + record + "' resolves to no address");
    return addresses.front();
  });
}

OpResult RunDatabaseDrill(OperationContext& ctx, Operation& op, const DrillRequest& request) {
  const config::Config& c = ctx.config;
  config::CoordinatedService service;
  if (Status s = CheckDatabaseDrill(c, request, &service); !s.ok()) return op.Finish(ErrorResult(s));
  auto resolve = NameResolver(c);
  if (!resolve.ok()) return op.Finish(ErrorResult(resolve.status()));
  drill::DatabaseScenarioOptions options;
  options.service = service;
  options.resolve = *resolve;
  // The fault is given the database's primary as it is now (after a failover
  // and a failback, not the configured one): $ECAP_DR_PRIMARY.
  auto now = coordinator::ServiceAsServedNow(c, service);
  if (!now.ok()) return op.Finish(ErrorResult(now.status()));
  options.inject = [&c, primary = coordinator::HostOfConninfo(now->primary)] {
    return InjectFault(c, "database", c.drill.database_fault, {"ECAP_DR_PRIMARY=" + primary});
  };
  std::string drill_id;
  options.recover = [&](json& runbook) {
    return RunRecoveryRunbook(ctx, request, "database_failure",
                              {{"service", service.name}, {"reason", "drill " + drill_id}}, runbook);
  };
  SetCommonOptions(ctx, request, options);
  options.drill_id = drill_id = NewDrillId(ctx);
  return FinishDisruptive(op, drill::RunDatabaseScenario(*ctx.clock, options));
}

// The corruption scenario damages rows of postgresql.database and recovers
// them with the data_corruption runbook into a scratch copy under the drill's
// scratch directory (held for the drill's life, removed at its end).
OpResult RunCorruptionDrill(OperationContext& ctx, Operation& op, const DrillRequest& request) {
  const config::Config& c = ctx.config;
  if (Status s = CheckDisruptive(c, request, "it damages rows of the database"); !s.ok()) {
    return op.Finish(ErrorResult(s));
  }
  if (c.postgresql.database.empty()) {
    return op.Finish(ErrorResult(Status(Code::kConfig, "the corruption drill damages rows of postgresql.database: "
                                                       "set it (and archive its WAL with ecap-dr wal push)")));
  }
  const std::string drill_id = NewDrillId(ctx);
  auto scratch = drill::ScratchDirectory::Hold(c.drill.scratch_dir, drill_id);
  if (!scratch.ok()) return op.Finish(ErrorResult(scratch.status()));
  const std::string parent = (*scratch)->path() + "/pg", pgdata = parent + "/data";
  Status ready = MakeDirs(parent, 0755);
  if (ready.ok()) ready = drill::HandToPostgres(parent);
  if (!ready.ok()) return op.Finish(ErrorResult(ready.WithContext("the drill's scratch directory")));
  auto server = source::ServerFromConfig(AsServedNow(c).postgresql);
  drill::CorruptionScenarioOptions options;
  options.drill_id = drill_id;
  options.service = c.postgresql.database + " on " + server.Where();
  options.conninfo = DatabaseConninfo(c);
  options.recover = [&](const std::string& corruption_time, json& runbook) {
    return RunRecoveryRunbook(ctx, request, "data_corruption",
                              {{"corruption_time", corruption_time}, {"tables", drill::kDrillTable},
                               {"scratch_dir", pgdata}, {"database", c.postgresql.database}},
                              runbook);
  };
  options.remove_scratch = [&]() -> Status {
    std::error_code ec;
    if (std::filesystem::exists(pgdata + "/postmaster.pid", ec)) {
      DR_RETURN_IF_ERROR(source::StopScratchServer(pgdata, c.postgresql.bin_dir, true)
                             .WithContext("the recovery's clean copy in " + pgdata));
    }
    std::filesystem::remove_all((*scratch)->path(), ec);
    if (ec) return Failed("scratch directory " + (*scratch)->path() + ": " + ec.message());
    return Status::Ok();
  };
  SetCommonOptions(ctx, request, options);
  return FinishDisruptive(op, drill::RunCorruptionScenario(*ctx.clock, options));
}

// The lake's failover to its mirror that the storage and region scenarios
// make: the mirror and the storage switch between the same two buckets, and
// the lake served from its primary now.
Status CheckLakeFailover(const config::Config& c, const std::string& scenario) {
  const auto& d = c.coordinator;
  if (c.s3.mirror_source.empty() || c.s3.mirror_target.empty()) {
    return Status(Code::kConfig, "the " + scenario + " drill fails the lake over to its mirror: set s3.mirror.source "
                                 "and s3.mirror.target");
  }
  if (d.storage_primary_bucket.empty() || d.storage_replica_bucket.empty()) {
    return Status(Code::kConfig, "the " + scenario + " drill switches the lake to its mirror: set "
                                 "dr_coordinator.failover.storage.primary_bucket and .replica_bucket");
  }
  if (d.storage_primary_bucket != c.s3.mirror_source || d.storage_replica_bucket != c.s3.mirror_target) {
    return Status(Code::kConfig, "the storage switch (" + d.storage_primary_bucket + " -> " +
                                     d.storage_replica_bucket + ") is not the mirror (" + c.s3.mirror_source +
                                     " -> " + c.s3.mirror_target + "): the drill would fail over to a bucket "
                                     "nothing copies to");
  }
  // After an earlier storage failover the load would write into the mirror
  // and the fault hit a bucket nobody uses.
  DR_ASSIGN_OR_RETURN(std::string active, coordinator::ActiveBucket(c));
  if (active != d.storage_primary_bucket) {
    return Status(Code::kConfig, "the lake is served from s3://" + active + ", not its primary bucket s3://" +
                                     d.storage_primary_bucket + " (an earlier storage failover): rebuild the primary "
                                     "and switch back (a runbook step with action storage_switch, to: primary) "
                                     "before drilling its loss");
  }
  return Status::Ok();
}

// Where the storage scenario may run and what it needs, checked before anything changes.
Status CheckStorageDrill(const config::Config& c, const DrillRequest& request) {
  DR_RETURN_IF_ERROR(CheckDisruptive(c, request, "it makes the data lake's bucket unavailable"));
  DR_RETURN_IF_ERROR(CheckLakeFailover(c, "storage"));
  if (c.drill.storage_fault.empty()) {
    return Status(Code::kConfig, "drill.faults.storage is not set: the command that makes the lake's bucket "
                                 "unavailable (e.g. radosgw-admin bucket rm)");
  }
  return Status::Ok();
}

// The lake's buckets and the mirror as the storage and region scenarios use them.
Status SetLakeOptions(OperationContext& ctx, drill::LakeLoad& lake,
                      std::function<Result<json>()>& mirror, std::function<std::optional<double>()>& mirror_lag) {
  const config::Config& c = ctx.config;
  DR_ASSIGN_OR_RETURN(auto from_config, source::MirrorFromConfig(c));
  lake.primary = from_config.source;
  lake.replica = from_config.target;
  lake.prefix = from_config.prefix;
  lake.active_bucket = [&c] { return coordinator::ActiveBucket(c); };
  mirror = [&ctx]() -> Result<json> {
    OpResult r = MirrorOnce(ctx);
    if (!r.status.ok()) return r.status;
    return r.data;
  };
  mirror_lag = [&ctx, state = from_config.state_file] {
    return source::MirrorLagSeconds(source::MirrorPassFile(state), ctx.clock->Now());
  };
  return Status::Ok();
}

// The storage scenario loses the lake's bucket under load and recovers with
// the storage_failure runbook, which switches the lake to its mirror.
OpResult RunStorageDrill(OperationContext& ctx, Operation& op, const DrillRequest& request) {
  const config::Config& c = ctx.config;
  if (Status s = CheckStorageDrill(c, request); !s.ok()) return op.Finish(ErrorResult(s));
  drill::StorageScenarioOptions options;
  if (Status s = SetLakeOptions(ctx, options, options.mirror, options.mirror_lag); !s.ok()) {
    return op.Finish(ErrorResult(s));
  }
  options.inject = [&c] { return InjectFault(c, "storage", c.drill.storage_fault); };
  options.recover = [&](json& runbook) { return RunRecoveryRunbook(ctx, request, "storage_failure", {}, runbook); };
  SetCommonOptions(ctx, request, options);
  options.drill_id = NewDrillId(ctx);
  return FinishDisruptive(op, drill::RunStorageScenario(*ctx.clock, options));
}

bool KafkaConfigured(const config::Config& c) { return c.kafka_configured && !c.kafka.bootstrap_servers.empty(); }

// Where the region scenario may run and what it needs, checked before anything changes.
Status CheckRegionDrill(const config::Config& c, const DrillRequest& request, config::CoordinatedService* service) {
  DR_RETURN_IF_ERROR(CheckDisruptive(c, request, "it makes the whole primary region fail: its database, lake "
                                                 "bucket and repository"));
  DR_RETURN_IF_ERROR(FindStandbyService(c, request, service));
  DR_RETURN_IF_ERROR(CheckLakeFailover(c, "region"));
  if (c.replicas.empty()) {
    return Status(Code::kConfig, "the region drill recovers from the repository's replica in the backup region: "
                                 "configure one (replicas:)");
  }
  DR_ASSIGN_OR_RETURN(std::string repository, coordinator::ActiveRepository(c));
  if (repository != c.repository.Describe()) {
    return Status(Code::kConfig, "backups go to " + repository + ", not the primary repository " +
                                     c.repository.Describe() + " (an earlier region failover): switch back "
                                     "(ecap-dr repo switch --to primary) before drilling its loss");
  }
  if (KafkaConfigured(c) && coordinator::KafkaHasReplica(c)) {
    DR_ASSIGN_OR_RETURN(std::string kafka, coordinator::ActiveKafka(c));
    if (kafka != c.kafka.bootstrap_servers) {
      return Status(Code::kConfig, "Kafka is served from " + kafka + ", not its primary brokers " +
                                       c.kafka.bootstrap_servers + " (an earlier region failover): switch it back "
                                       "(a runbook step with action kafka_switch, to: primary) before drilling the "
                                       "region's loss");
    }
  }
  if (c.drill.region_fault.empty()) {
    return Status(Code::kConfig, "drill.faults.region is not set: the command that makes the primary region fail "
                                 "(its database primary, lake bucket and repository)");
  }
  // The drills' topic must be one Kafka's backups may hold.
  for (const auto& pattern : KafkaConfigured(c) ? c.kafka.exclude_topics : std::vector<std::string>{}) {
    if (net::kafka::MatchesAny({pattern}, drill::kKafkaDrillTopic)) {
      return Status(Code::kConfig, "kafka.exclude_topics pattern '" + pattern + "' leaves out the drills' topic " +
                                       drill::kKafkaDrillTopic + ": the region drill could not count Kafka's writes");
    }
  }
  return Status::Ok();
}

}  // namespace

// Kafka's part of the region drill: the cluster; one backup of Kafka (as a
// schedule's Kafka job, whose topics may leave the drills' out) with the
// drills' topic among its topics, tagged with the drill (Kafka alone: a
// backup of the whole platform would hold the fault back by its own length,
// and every store's lag with it); and how far the newest backup in the
// repository in use whose Kafka part covers that topic reaches into it.
drill::KafkaLoad KafkaDrillLoad(OperationContext& ctx, const std::string& drill_id) {
  drill::KafkaLoad k;
  k.client = source::kafka::ClientFromConfig(ctx.config.kafka);
  if (coordinator::KafkaHasReplica(ctx.config)) {
    k.backup_region = ctx.config.coordinator.kafka_replica_bootstrap_servers;
    k.active = [&ctx] { return coordinator::ActiveKafka(ctx.config); };
  }
  k.backup = [&ctx, drill_id](const std::string& topic) -> Result<json> {
    OperationContext with_topic = ctx;
    config::KafkaConfig& kafka = with_topic.config.kafka;
    if (!kafka.topics.empty() && !net::kafka::MatchesAny(kafka.topics, topic)) kafka.topics.push_back(topic);
    backup::BackupRequest request{.components = {"kafka"}, .tags = {"drill:" + drill_id}};
    OpResult r = CreateBackup(with_topic, "", request);
    if (!r.status.ok()) return r.status;
    return r.data;
  };
  k.backed_up = [&ctx](const std::string& topic) -> Result<std::map<int32_t, int64_t>> {
    OpResult list = ListBackups(ctx);
    if (!list.status.ok()) return list.status;
    std::string newest;
    std::optional<std::chrono::system_clock::time_point> newest_start;
    for (const auto& b : list.data.value("backups", json::array())) {
      if (b.value("status", "") != "completed") continue;
      const json positions = b.value("components", json::object())
                                 .value("kafka", json::object())
                                 .value("meta", json::object())
                                 .value("positions", json::object());
      auto start = ParseUtc(b.value("start_time", ""));
      if (!positions.is_object() || !positions.contains(topic) || !start) continue;
      if (!newest_start || *start >= *newest_start) {
        newest = b.value("backup_id", "");
        newest_start = start;
      }
    }
    if (newest.empty()) return Status(Code::kNotFound, "no completed backup holds Kafka's topic " + topic);
    std::map<int32_t, int64_t> ends;
    BackupWalk walk{.header = [](const repo::Snapshot&) { return Status::Ok(); },
                    .item = [&](size_t, repo::SnapshotItem&& item) {
                      return source::kafka::AddReachedOffsets(item, topic, ends);
                    }};
    OpResult shown = ShowBackup(ctx, newest, walk);
    if (!shown.status.ok()) return shown.status.WithContext("backup '" + newest + "'");
    return ends;
  };
  return k;
}

namespace {

// The region scenario loses the primary region's database, lake bucket and
// repository together under load and recovers with the
// complete_region_failure runbook in the backup region.
OpResult RunRegionDrill(OperationContext& ctx, Operation& op, const DrillRequest& request) {
  const config::Config& c = ctx.config;
  config::CoordinatedService service;
  if (Status s = CheckRegionDrill(c, request, &service); !s.ok()) return op.Finish(ErrorResult(s));
  auto resolve = NameResolver(c);
  if (!resolve.ok()) return op.Finish(ErrorResult(resolve.status()));
  drill::RegionScenarioOptions options;
  options.service = service;
  options.resolve = *resolve;
  if (Status s = SetLakeOptions(ctx, options, options.mirror, options.mirror_lag); !s.ok()) {
    return op.Finish(ErrorResult(s));
  }
  options.replicate = [&ctx]() -> Result<json> {
    OpResult r = Replicate(ctx, /*check=*/false, /*read_data=*/false);
    if (!r.status.ok()) return r.status;
    return r.data;
  };
  options.active_repository = [&c] { return coordinator::ActiveRepository(c); };
  options.replica_repository = c.replicas.front().Describe();
  options.inject = [&c] { return InjectFault(c, "region", c.drill.region_fault); };
  options.recover = [&](json& runbook) {
    return RunRecoveryRunbook(ctx, request, "complete_region_failure", {}, runbook);
  };
  SetCommonOptions(ctx, request, options);
  options.drill_id = NewDrillId(ctx);
  if (KafkaConfigured(c)) options.kafka = KafkaDrillLoad(ctx, options.drill_id);
  return FinishDisruptive(op, drill::RunRegionScenario(*ctx.clock, options));
}

// Where the breach scenario may run and what it needs, checked before anything changes.
Status CheckBreachDrill(const config::Config& c, const DrillRequest& request) {
  DR_RETURN_IF_ERROR(CheckDisruptive(c, request, "it makes an intruder's role and rotates the master key"));
  if (c.postgresql.database.empty()) {
    return Status(Code::kConfig, "the breach drill restores a clean state of postgresql.database: set it");
  }
  if (c.audit.log_file.empty()) {
    return Status(Code::kConfig, "the breach drill verifies the audit chain as evidence: set audit.log_file");
  }
  return Status::Ok();
}

// The breach scenario: an intruder's role and ecap-dr identity, contained and
// cleaned up after by the security_breach runbook.
OpResult RunBreachDrill(OperationContext& ctx, Operation& op, const DrillRequest& request) {
  const config::Config& c = ctx.config;
  if (Status s = CheckBreachDrill(c, request); !s.ok()) return op.Finish(ErrorResult(s));
  auto server = source::ServerFromConfig(AsServedNow(c).postgresql);
  drill::BreachScenarioOptions options;
  options.service = c.postgresql.database + " on " + server.Where();
  options.conninfo = DatabaseConninfo(c);
  options.drill_id = NewDrillId(ctx);
  // Held for the drill's life: the next breach drill's stale pass leaves what this one made alone.
  auto scratch = drill::ScratchDirectory::Hold(c.drill.scratch_dir, options.drill_id);
  if (!scratch.ok()) return op.Finish(ErrorResult(scratch.status()));
  options.scratch_root = c.drill.scratch_dir;
  options.backup = [&ctx, &options]() -> Result<std::string> {
    backup::BackupRequest backup{.components = {"postgresql"}, .tags = {"drill:" + options.drill_id}};
    OpResult r = CreateBackup(ctx, "", backup);
    if (!r.ok()) return r.status;
    return r.data.value("backup_id", "");
  };
  options.recover = [&](const std::string& user, const std::string& role, const std::string& breach_time,
                        const std::string& clean, json& runbook) {
    return RunRecoveryRunbook(ctx, request, "security_breach",
                              {{"compromised_user", user}, {"compromised_database_role", role},
                               {"breach_time", breach_time}, {"restore_database", clean}},
                              runbook);
  };
  // A probe as the intruder: the permission check every operation makes (audited as its denial).
  options.refused = [&ctx](const std::string& user) -> Status {
    OperationContext probe = ctx;
    probe.identity.user = user;
    Status s = CheckPermission(probe, "backup.list");
    if (s.code() == Code::kPermissionDenied) return Status::Ok();
    return Failed("an operation of " + user + " was " + (s.ok() ? "allowed" : "refused for another reason: " + s.message()));
  };
  options.reinstate = [&ctx](const std::string& user, const std::string& role) {
    return ReinstateAccess(ctx, user, role).status;
  };
  SetCommonOptions(ctx, request, options);
  drill::DisruptiveResult result = drill::RunBreachScenario(*ctx.clock, options);
  std::error_code ec;
  std::filesystem::remove_all((*scratch)->path(), ec);  // empty: it only marked the drill as running
  return FinishDisruptive(op, result);
}

// Why a disruptive scenario cannot run on this configuration, or "".
std::string NotProvidedFor(const config::Config& c, const DrillRequest& request, const std::string& scenario) {
  if (scenario == "corruption") {
    return c.postgresql.database.empty() ? "postgresql.database is not set" : "";
  }
  DrillRequest one = request;
  one.scenario = scenario;
  config::CoordinatedService service;
  Status s = scenario == "storage"  ? CheckStorageDrill(c, one)
             : scenario == "breach" ? CheckBreachDrill(c, one)
                                    : CheckDatabaseDrill(c, one, &service);
  return s.ok() ? "" : s.message();
}

// --scenario all: restore-test, then (with `disruptive`) every disruptive
// scenario the configuration provides for, each a drill of its own (audited,
// in the event history, with its own report); the ones left out are named
// with why. The verdict is the first failure's.
OpResult RunAllDrills(OperationContext& ctx, Operation& op, const DrillRequest& request) {
  const config::Config& c = ctx.config;
  if (request.disruptive) {
    if (Status s = CheckDisruptive(c, request, "it runs the disruptive scenarios"); !s.ok()) {
      return op.Finish(ErrorResult(s));
    }
  }
  json scenarios = json::array(), skipped = json::array();
  Status first = Status::Ok();
  double rto = 0, rpo = 0;
  bool rto_met = true, rpo_met = true;
  auto run = [&](const std::string& scenario) {
    DrillRequest one = request;
    one.scenario = scenario;
    OpResult r = RunDrill(ctx, one);
    json doc = r.ToJson();
    if (!doc.contains("scenario")) doc["scenario"] = scenario;
    // -1 (not measured) makes the whole unmeasured; otherwise the worst.
    double scenario_rto = doc.value("rto_seconds", -1.0), scenario_rpo = doc.value("rpo_seconds", -1.0);
    rto = rto < 0 || scenario_rto < 0 ? -1 : std::max(rto, scenario_rto);
    rpo = rpo < 0 || scenario_rpo < 0 ? -1 : std::max(rpo, scenario_rpo);
    rto_met = rto_met && doc.value("rto_met", false);
    rpo_met = rpo_met && doc.value("rpo_met", false);
    scenarios.push_back(std::move(doc));
    if (!r.status.ok() && first.ok()) first = r.status.WithContext("scenario " + scenario);
  };
  run("restore-test");
  // The database scenario last: it fails the configured primary over, which the others write to.
  for (const std::string scenario : {"corruption", "storage", "breach", "database"}) {
    if (ctx.stop.stop_requested()) {
      skipped.push_back({{"scenario", scenario}, {"reason", "the drill was interrupted"}});
      continue;
    }
    std::string why = request.disruptive ? NotProvidedFor(c, request, scenario)
                                         : "disruptive: give --disruptive, in a drill environment";
    if (why.empty()) {
      run(scenario);
    } else {
      skipped.push_back({{"scenario", scenario}, {"reason", why}});
    }
  }
  // The region scenario fails over the database, the lake and the repository
  // the others drill: it runs on its own, on a platform with all three in
  // their primary region.
  skipped.push_back({{"scenario", "region"},
                     {"reason", "runs on its own: it fails over the database, the lake and the repository the other "
                                "scenarios use (ecap-dr drill --scenario region --disruptive)"}});
  json data{{"drill_id", NewDrillId(ctx)},
            {"scenario", "all"},
            {"status", first.ok() ? "passed" : "failed"},
            {"rto_seconds", rto},
            {"rpo_seconds", rpo},
            {"rto_met", rto_met},
            {"rpo_met", rpo_met},
            {"scenarios", scenarios},
            {"skipped", skipped}};
  return op.Finish(OpResult{.status = first, .data = std::move(data)},
                   {{"status", first.ok() ? "passed" : "failed"}, {"scenarios", scenarios.size()}});
}

}  // namespace

OpResult RunDrill(OperationContext& ctx, const DrillRequest& request) {
  Operation op(ctx, "drill.run", request.scenario);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  // Before any pass over stale targets: a relative one would be taken from wherever ecap-dr runs.
  if (const std::string& dir = ctx.config.drill.scratch_dir; dir.empty() || dir[0] != '/') {
    return op.Finish(ErrorResult(Status(Code::kConfig, "drill.scratch_dir must be an absolute path, not '" + dir + "'")));
  }
  // One disruptive drill at a time on a platform (two would fail the same
  // primary over, or count each other's writes): an exclusive flock of the
  // scratch base for the drill's life, waited for at most
  // drill.timeout_seconds. `all` takes it per scenario.
  int held = -1;
  if (request.scenario != "all" && request.scenario != "restore-test" && request.disruptive &&
      ctx.config.drill.environment) {
    const std::string base = drill::ScratchBase(ctx.config.drill.scratch_dir);
    if (Status made = MakeDirs(base, 0755); !made.ok()) {
      return op.Finish(ErrorResult(made.WithContext("the drills' scratch directory")));
    }
    const auto give_up = ctx.clock->Monotonic() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                      std::chrono::duration<double>(ctx.config.drill.timeout_seconds));
    bool said = false;
    while ((held = drill::LockDirectory(base, /*wait=*/false)) < 0) {
      if (ctx.clock->Monotonic() >= give_up || ctx.stop.stop_requested()) {
        return op.Finish(ErrorResult(Status(Code::kLocked, "another disruptive drill is running on this platform (it "
                                                           "holds " + base + "): they run one at a time")));
      }
      if (!said && request.progress) request.progress("waiting for another disruptive drill to end (it holds " + base + ")");
      said = true;
      ctx.clock->SleepFor(std::chrono::milliseconds(200), ctx.stop);
    }
  }
  struct Release {
    int fd;
    ~Release() {
      if (fd >= 0) ::close(fd);
    }
  } release{held};
  if (request.scenario == "database") return RunDatabaseDrill(ctx, op, request);
  if (request.scenario == "corruption") return RunCorruptionDrill(ctx, op, request);
  if (request.scenario == "storage") return RunStorageDrill(ctx, op, request);
  if (request.scenario == "breach") return RunBreachDrill(ctx, op, request);
  if (request.scenario == "region") return RunRegionDrill(ctx, op, request);
  if (request.scenario == "all") return RunAllDrills(ctx, op, request);
  if (request.scenario != "restore-test") {
    return op.Finish(ErrorResult(InvalidArgument("no drill scenario '" + request.scenario +
                                                 "' yet (there are: restore-test, database, storage, corruption, breach, region, all)")));
  }
  auto manager = op.NewManager();
  // Scratch databases go where the manager restores: the primary after a failover.
  const config::Config served = AsServedNow(ctx.config);
  drill::RestoreTestResult r = drill::RunRestoreTest(
      *manager, served, *ctx.clock,
      {.backup_id = request.backup_id, .scratch_root = ctx.config.drill.scratch_dir, .stop = ctx.stop,
       .progress = request.progress});
  json data = r.ToJson();
  json phases = json::object();
  for (const auto& c : r.components) phases[c.component] = c.restore_seconds;
  json event = DrillEvent(data, r.error, phases);
  OpResult result{.status = r.error, .data = std::move(data)};
  event["result"] = result.ToJson();  // the whole document, as --json prints it: `report drill --drill ID`
  return op.Finish(std::move(result),
                   {{"status", r.status}, {"rto_seconds", r.rto_seconds}},
                   r.error.ok() ? "drill_completed" : "drill_failed", std::move(event));
}

OpResult DrillReport(OperationContext& ctx, const std::string& month, const std::string& drill_id) {
  Operation op(ctx, "report.generate", "drill");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto valid = ReportMonth(month, ctx.clock->Now());
  if (!valid.ok()) return op.Finish(ErrorResult(valid.status()));
  const std::string& when = *valid;
  std::string path = events::HistoryPath(ctx.config);
  std::vector<events::Event> drills;
  if (!path.empty() && std::filesystem::exists(path)) {
    auto store = events::EventStore::Open(path, *ctx.clock);
    if (!store.ok()) return op.Finish(ErrorResult(store.status()));
    auto listed = (*store)->List(100000, {"drill_completed", "drill_failed"});
    if (!listed.ok()) return op.Finish(ErrorResult(listed.status()));
    drills = std::move(*listed);
  }
  if (!drill_id.empty()) {
    for (const auto& e : drills) {
      if (!e.data.is_object() || e.data.value("drill_id", "") != drill_id) continue;
      json result = e.data.contains("result") ? e.data["result"] : e.data;  // older drills kept the summary only
      return op.Finish(OpResult{.data = std::move(result)});
    }
    return op.Finish(ErrorResult(NotFound("no drill '" + drill_id + "' in the event history" +
                                          (path.empty() ? " (the configuration has none: dr_coordinator.state_dir "
                                                          "or audit.log_file)"
                                                        : " " + path))));
  }
  std::vector<json> in_month;
  for (auto it = drills.rbegin(); it != drills.rend(); ++it) {  // oldest first
    if (it->timestamp.rfind(when, 0) != 0 || !it->data.is_object()) continue;
    in_month.push_back({{"at", it->timestamp}, {"drill", it->data}});
  }
  json report = drill::MonthlyReport(in_month, when, FormatUtc(ctx.clock->Now()));
  std::string overall = report["overall_status"];
  OpResult out{.data = std::move(report)};
  if (overall == "no_drills") out.status = Failed("no drill ran in " + when + " (ecap-dr drill, or a restore_test job)");
  else if (overall != "passed") out.status = Failed("the last drill of a scenario failed in " + when);
  Status ran = Status::Ok();  // the report ran; its verdict is in the result
  return op.Finish(std::move(out), {{"overall_status", overall}}, "", json::object(), &ran);
}

}  // namespace dr::ops
