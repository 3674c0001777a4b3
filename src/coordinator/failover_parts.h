// The parts of a failover as separate actions, for runbook steps that do one
// of them (fence, promote, dns_switch, storage_switch, repository_switch,
// kafka_switch, compute_hooks, attach_standby): each
// checks what the failover checks before it acts, through the same seams
// (failover_ops.h), and the failover plan (failover.cc) runs the commands
// through the same functions. The undo of a DNS or storage switch is the
// switch back (the caller keeps `from`).
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "coordinator/failover_ops.h"
#include "dr/clock.h"

namespace dr::coordinator {

struct PartDeps {
  DatabaseOps& database;
  DnsOps* dns = nullptr;  // null: no DNS record configured
  HookRunner& hooks;
  Clock& clock;
  std::function<void(std::chrono::milliseconds)> sleep;  // between write probes
  std::function<Status(const std::string& key, const nlohmann::json& value)> save_state;
};

// The configured fence command, with ECAP_DR_OLD_PRIMARY; a non-zero exit is kFailed.
Status RunFenceCommand(const config::DrCoordinatorConfig& c, HookRunner& hooks, const std::string& old_primary);
// The storage switch hook (ECAP_DR_ACTIVE_BUCKET) when configured, then the
// state's active bucket.
Status SwitchStorageTo(const config::DrCoordinatorConfig& c, HookRunner& hooks, const std::string& bucket,
                       const std::string& timestamp,
                       const std::function<Status(const std::string&, const nlohmann::json&)>& save_state);
// One compute hook with ECAP_DR_NEW_PRIMARY; a timeout or non-zero exit is kFailed.
Status RunComputeHook(const config::DrCoordinatorConfig& c, HookRunner& hooks, const std::string& hook,
                      const std::string& new_primary);

// Until the promoted standby of `service` takes writes (probes 50 ms apart, for
// at most 60 s, each bounded by `probe_timeout`); then the state names it the
// primary, before anything else can fail. The failover's wait_writable step and
// the promote part both end with it.
Status AwaitNewPrimary(const config::CoordinatedService& service, DatabaseOps& database, int probe_timeout,
                       Clock& clock, const std::function<void(std::chrono::milliseconds)>& sleep,
                       const std::function<Status(const std::string&, const nlohmann::json&)>& save_state);

// fence: the fence command, then a check that the primary takes no more writes.
// data: {old_primary, command}. kConfig without a fence_command.
Result<nlohmann::json> FencePrimary(const config::DrCoordinatorConfig& c, const config::CoordinatedService& service,
                                    PartDeps& deps);
// promote: the standby must be in recovery; pg_promote(), synchronous
// standbys cleared, then until it takes writes (60 s); the state names it
// the primary. data: {new_primary, previous_primary, synchronous_standby_names}.
Result<nlohmann::json> PromoteStandby(const config::DrCoordinatorConfig& c, const config::CoordinatedService& service,
                                      PartDeps& deps);
// dns_switch: compare-and-swap of the record from what it holds (which must be
// one address) to `to`. data: {record, from, to}; from == to changes nothing.
// Without a configured record, as in a failover, nothing: data {skipped: why}.
Result<nlohmann::json> SwitchDns(const config::DrCoordinatorConfig& c, PartDeps& deps, const std::string& to);
// storage_switch: `to` is "replica", "primary" or a bucket name. data:
// {active_bucket, previous}; without configured buckets {skipped: why}.
Result<nlohmann::json> SwitchStorage(const config::DrCoordinatorConfig& c, PartDeps& deps, const std::string& to,
                                     const std::string& current);
// repository_switch: the repository this site backs up to and restores from
// (what coordinator::ActiveRepository reads), `to` resolved by
// ResolveRepository. data: {active_repository, previous}. Nothing is copied:
// the target must hold the backups already (repo replicate; ops checks that).
Result<nlohmann::json> SwitchRepository(const config::Config& c, PartDeps& deps, const std::string& to,
                                        const std::string& current);
// kafka_switch: the brokers Kafka is served from (what coordinator::ActiveKafka
// reads), `to` resolved by ResolveKafka: the Kafka switch hook with
// ECAP_DR_ACTIVE_KAFKA when configured, then the state. data:
// {active_bootstrap_servers, previous}; without replica brokers configured
// {skipped: why}. Nothing is copied: the caller restores into them first.
Result<nlohmann::json> SwitchKafka(const config::Config& c, PartDeps& deps, const std::string& to,
                                   const std::string& current);
// compute_hooks: every hook in order. data: {hooks, new_primary}.
Result<nlohmann::json> RunComputeHooks(const config::DrCoordinatorConfig& c, PartDeps& deps,
                                       const std::string& new_primary);

// attach_standby: `conninfo`, a server rebuilt as a standby of the primary
// (pg_basebackup -R, or pg_rewind of the old primary), becomes the service's
// standby in the state (`database`: the state's "database" entry, kept
// otherwise), so a later failover (a failback) can go to it. Refused unless
// it is in recovery, a copy of the primary's cluster (the same system
// identifier), and streaming on the primary's timeline; the primary must not
// be in recovery. data: {service, primary, standby, timeline, lag_bytes}.
// Its conninfo must name one host and no password (the state keeps it); one
// still connecting or behind the primary's timeline is kUnavailable (retry).
// data also: replaced_a_standby, and a warning when the fence command does not
// use $ECAP_DR_OLD_PRIMARY (a failback would fence with it as it is).
Result<nlohmann::json> AttachStandby(const config::DrCoordinatorConfig& c, const config::CoordinatedService& service,
                                     PartDeps& deps, const std::string& conninfo, const nlohmann::json& database);

// The address a conninfo points at (what the DNS record holds for it).
std::string HostOfConninfo(const std::string& conninfo);

}  // namespace dr::coordinator
