#include "coordinator/failover_parts.h"

#include <algorithm>

#include "base/time_util.h"
#include "coordinator/coordinator.h"
#include "coordinator/health_check.h"
#include "net/postgres/pg_client.h"

namespace dr::coordinator {

using nlohmann::json;

namespace {

// A switch hook (`what`: "storage", "Kafka") with `env` ("NAME=value") set,
// when one is configured; a non-zero exit is kFailed with its output.
Status RunSwitchHook(const config::DrCoordinatorConfig& c, HookRunner& hooks, const std::string& hook,
                     const std::string& what, const std::string& env) {
  if (hook.empty()) return Status::Ok();
  std::string out;
  DR_ASSIGN_OR_RETURN(int rc, hooks.Run(hook, c.hook_timeout_seconds, &out, {env}));
  if (rc != 0) return Failed(what + " switch hook exited with " + std::to_string(rc) + ": " + out);
  return Status::Ok();
}

}  // namespace

std::string HostOfConninfo(const std::string& conninfo) {
  auto s = net::pg::ParseConninfo(conninfo);
  if (!s.ok()) return "";
  if (s->count("hostaddr")) return s->at("hostaddr");
  return s->count("host") ? s->at("host") : "";
}

Status RunFenceCommand(const config::DrCoordinatorConfig& c, HookRunner& hooks, const std::string& old_primary) {
  std::string output;
  DR_ASSIGN_OR_RETURN(int rc, hooks.Run(c.fence_command, c.hook_timeout_seconds, &output,
                                        {"ECAP_DR_OLD_PRIMARY=" + old_primary}));
  if (rc != 0) return Failed("fence command exited with " + std::to_string(rc) + ": " + output);
  return Status::Ok();
}

Status SwitchStorageTo(const config::DrCoordinatorConfig& c, HookRunner& hooks, const std::string& bucket,
                       const std::string& timestamp,
                       const std::function<Status(const std::string&, const json&)>& save_state) {
  DR_RETURN_IF_ERROR(RunSwitchHook(c, hooks, c.storage_switch_hook, "storage", "ECAP_DR_ACTIVE_BUCKET=" + bucket));
  return save_state("storage", {{"active_bucket", bucket}, {"changed_at", timestamp}});
}

Status RunComputeHook(const config::DrCoordinatorConfig& c, HookRunner& hooks, const std::string& hook,
                      const std::string& new_primary) {
  std::string output;
  DR_ASSIGN_OR_RETURN(int rc, hooks.Run(hook, c.hook_timeout_seconds, &output, {"ECAP_DR_NEW_PRIMARY=" + new_primary}));
  if (rc == 124) return Failed("'" + hook + "' timed out");
  if (rc != 0) return Failed("'" + hook + "' exited with " + std::to_string(rc) + ": " + output);
  return Status::Ok();
}

Status AwaitNewPrimary(const config::CoordinatedService& service, DatabaseOps& database, int probe_timeout,
                       Clock& clock, const std::function<void(std::chrono::milliseconds)>& sleep,
                       const std::function<Status(const std::string&, const json&)>& save_state) {
  auto deadline = clock.Monotonic() + std::chrono::seconds(60);
  for (;;) {
    Status last = database.ProbeWrite(service.standby, probe_timeout);
    if (last.ok()) break;
    if (clock.Monotonic() >= deadline) return Failed("the promoted server does not take writes: " + last.message());
    sleep(std::chrono::milliseconds(50));
  }
  (void)save_state("database", {{"service", service.name}, {"primary", service.standby}, {"standby", ""},
                                {"previous_primary", service.primary}, {"failed_over_at", FormatUtc(clock.Now(), true)}});
  return Status::Ok();
}

Result<json> FencePrimary(const config::DrCoordinatorConfig& c, const config::CoordinatedService& service,
                          PartDeps& deps) {
  if (c.fence_command.empty()) {
    return ConfigError("dr_coordinator.failover.fence_command is not set: there is no way to fence the primary");
  }
  std::string old_primary = HostOfConninfo(service.primary);
  DR_RETURN_IF_ERROR(RunFenceCommand(c, deps.hooks, old_primary));
  if (deps.database.ProbeWrite(service.primary, 2).ok()) {
    return Failed("the primary " + old_primary + " still takes writes after the fence command");
  }
  return json{{"old_primary", old_primary}, {"command", c.fence_command}};
}

Result<json> PromoteStandby(const config::DrCoordinatorConfig& c, const config::CoordinatedService& service,
                            PartDeps& deps) {
  (void)c;
  if (service.standby.empty()) {
    return Failed("service '" + service.name + "' has no standby left to promote (rebuild one and `ecap-dr "
                  "standby attach` it)");
  }
  DR_ASSIGN_OR_RETURN(auto standby, deps.database.ReadStandby());
  if (!standby.in_recovery) return Failed("standby " + standby.where + " is not in recovery: it is a primary already");
  DR_ASSIGN_OR_RETURN(std::string where, deps.database.Promote());
  DR_ASSIGN_OR_RETURN(std::string names, deps.database.ClearSynchronousStandbys());
  int timeout = std::max(1, static_cast<int>(service.timeout_seconds + 0.999));
  DR_RETURN_IF_ERROR(AwaitNewPrimary(service, deps.database, timeout, deps.clock, deps.sleep, deps.save_state));
  std::string new_primary = HostOfConninfo(service.standby);
  return json{{"new_primary", new_primary}, {"promoted", where}, {"previous_primary", HostOfConninfo(service.primary)},
              {"synchronous_standby_names", names}};
}

Result<json> SwitchDns(const config::DrCoordinatorConfig& c, PartDeps& deps, const std::string& to) {
  // As in a failover: without a record there is nothing to move.
  if (deps.dns == nullptr) return json{{"skipped", "no DNS record is configured (dr_coordinator.failover.dns)"}};
  DR_ASSIGN_OR_RETURN(auto addrs, deps.dns->Resolve());
  if (addrs.size() != 1) {
    std::string held;
    for (const auto& a : addrs) held += (held.empty() ? "" : ", ") + a;
    return Failed(c.dns_record + " holds " + std::to_string(addrs.size()) + " addresses (" + held +
                  "), not one: not switching it");
  }
  json out{{"record", c.dns_record}, {"from", addrs[0]}, {"to", to}};
  if (addrs[0] != to) DR_RETURN_IF_ERROR(deps.dns->Swap(addrs[0], to));
  return out;
}

Result<json> SwitchStorage(const config::DrCoordinatorConfig& c, PartDeps& deps, const std::string& to,
                           const std::string& current) {
  if (c.storage_primary_bucket.empty() || c.storage_replica_bucket.empty()) {
    return json{{"skipped", "no primary and replica bucket are configured (dr_coordinator.failover.storage)"}};
  }
  std::string bucket = to == "replica" ? c.storage_replica_bucket : to == "primary" ? c.storage_primary_bucket : to;
  if (bucket != c.storage_primary_bucket && bucket != c.storage_replica_bucket) {
    return InvalidArgument("storage can be switched to '" + c.storage_primary_bucket + "' (primary) or '" +
                           c.storage_replica_bucket + "' (replica), not '" + to + "'");
  }
  DR_RETURN_IF_ERROR(SwitchStorageTo(c, deps.hooks, bucket, FormatUtc(deps.clock.Now(), true), deps.save_state));
  return json{{"active_bucket", bucket}, {"previous", current}};
}

Result<json> SwitchRepository(const config::Config& c, PartDeps& deps, const std::string& to,
                              const std::string& current) {
  DR_ASSIGN_OR_RETURN(config::RepositoryLocation target, ResolveRepository(c, to));
  std::string active = target.Describe();
  DR_RETURN_IF_ERROR(
      deps.save_state("repository", {{"active", active}, {"changed_at", FormatUtc(deps.clock.Now(), true)}}));
  return json{{"active_repository", active}, {"previous", current}};
}

Result<json> SwitchKafka(const config::Config& c, PartDeps& deps, const std::string& to, const std::string& current) {
  if (!KafkaHasReplica(c)) {
    return json{{"skipped", "no Kafka brokers in the backup region are configured "
                            "(dr_coordinator.failover.kafka.replica_bootstrap_servers)"}};
  }
  DR_ASSIGN_OR_RETURN(std::string servers, ResolveKafka(c, to));
  DR_RETURN_IF_ERROR(RunSwitchHook(c.coordinator, deps.hooks, c.coordinator.kafka_switch_hook, "Kafka",
                                   "ECAP_DR_ACTIVE_KAFKA=" + servers));
  DR_RETURN_IF_ERROR(deps.save_state(
      "kafka", {{"active_bootstrap_servers", servers}, {"changed_at", FormatUtc(deps.clock.Now(), true)}}));
  return json{{"active_bootstrap_servers", servers}, {"previous", current}};
}

Result<json> RunComputeHooks(const config::DrCoordinatorConfig& c, PartDeps& deps, const std::string& new_primary) {
  for (const auto& hook : c.compute_hooks) DR_RETURN_IF_ERROR(RunComputeHook(c, deps.hooks, hook, new_primary));
  return json{{"hooks", c.compute_hooks.size()}, {"new_primary", new_primary}};
}

Result<json> AttachStandby(const config::DrCoordinatorConfig& c, const config::CoordinatedService& service,
                           PartDeps& deps, const std::string& conninfo, const json& database) {
  // The conninfo is kept in the state and named in no message (it may carry secrets).
  if (conninfo.empty()) return InvalidArgument("attach_standby needs the standby's conninfo");
  auto settings = net::pg::ParseConninfo(conninfo);
  if (!settings.ok()) return InvalidArgument("the standby's conninfo does not parse (key=value pairs, or a URI)");
  if (settings->count("password") != 0 || settings->count("sslpassword") != 0) {
    return InvalidArgument("keep the password out of the standby's conninfo (~/.pgpass, or PGPASSWORD): the "
                           "coordinator's state keeps the conninfo");
  }
  const std::string host = HostOfConninfo(conninfo);
  if (host.empty() || host.find(',') != std::string::npos) {
    return InvalidArgument("the standby's conninfo must name one host: a failover moves the name to its address");
  }
  if (conninfo == service.primary) {
    return InvalidArgument("the conninfo given is the primary of service '" + service.name + "', not a standby");
  }
  auto primary = deps.database.ReadLineage(service.primary);
  if (!primary.ok()) return primary.status().WithContext("the primary of service '" + service.name + "'");
  if (primary->in_recovery) {
    return Failed("the primary of service '" + service.name + "' (" + primary->where +
                  ") is in recovery: a standby is attached to a primary that takes writes");
  }
  auto standby = deps.database.ReadLineage(conninfo);
  if (!standby.ok()) return standby.status().WithContext("the standby to attach");
  const std::string rebuild = ": rebuild it from the primary first (pg_basebackup -R, or pg_rewind and a standby.signal)";
  if (!standby->in_recovery) return Failed(standby->where + " is not in recovery, not a standby" + rebuild);
  if (standby->system_identifier != primary->system_identifier) {
    return Failed(standby->where + " is a copy of another cluster (system identifier " + standby->system_identifier +
                  "; the primary's is " + primary->system_identifier + ")" + rebuild);
  }
  if (standby->receiver_running && standby->receiver_status.empty()) {
    return Status(Code::kPermissionDenied, standby->where + " does not show its WAL receiver's state to this user: "
                                           "grant it pg_monitor (or connect as a superuser)");
  }
  const std::string again = ": run the attach again in a moment";
  const std::string& state = standby->receiver_status;
  if (state == "starting" || state == "waiting" || state == "restarting") {
    return Unavailable(standby->where + " is connecting to its primary (its WAL receiver: " + state + ")" + again);
  }
  if (state != "streaming") {
    return Failed(standby->where + " does not stream from a primary (its WAL receiver: " +
                  (state.empty() ? std::string("none") : state) + ")");
  }
  if (standby->timeline != primary->timeline) {
    std::string why = standby->where + " streams timeline " + std::to_string(standby->timeline) + ", the primary " +
                      primary->where + " is on timeline " + std::to_string(primary->timeline);
    // Behind: it may still be following the promotion; ahead: another primary.
    if (standby->timeline < primary->timeline) return Unavailable(why + " (catching up?)" + again + ", else" + rebuild);
    return Failed(why + rebuild);
  }
  const int64_t at = ParseLsn(primary->lsn), replayed = ParseLsn(standby->lsn);
  const int64_t lag = at < 0 || replayed < 0 ? -1 : std::max<int64_t>(0, at - replayed);  // -1: unknown
  // The entry of this service (another service's is replaced), kept otherwise.
  const bool same = database.is_object() && database.value("service", "") == service.name;
  json entry = same ? database : json::object();
  const std::string previous = same ? entry.value("standby", "") : service.standby;
  entry["service"] = service.name;
  entry["primary"] = service.primary;
  entry["standby"] = conninfo;
  entry["standby_attached_at"] = FormatUtc(deps.clock.Now(), true);
  DR_RETURN_IF_ERROR(deps.save_state("database", entry));
  json out{{"service", service.name}, {"primary", primary->where}, {"standby", standby->where},
           {"timeline", primary->timeline}, {"lag_bytes", lag}, {"replaced_a_standby", !previous.empty()}};
  // A failback fences the server promoted now: a fence that names one host
  // would stop the standby it is about to promote.
  if (!c.fence_command.empty() && c.fence_command.find("ECAP_DR_OLD_PRIMARY") == std::string::npos) {
    out["warning"] = "dr_coordinator.failover.fence_command does not use $ECAP_DR_OLD_PRIMARY: a failback to this "
                     "standby would run it as it is; make it fence the old primary it is given";
  }
  return out;
}

}  // namespace dr::coordinator
