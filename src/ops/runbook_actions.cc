#include "ops/runbook_actions.h"

#include <cctype>
#include <cstdio>
#include <filesystem>

#include "base/time_util.h"
#include "ops/access_ops.h"
#include "ops/audit_ops.h"
#include "ops/backup_ops.h"
#include "ops/coordinator_ops.h"
#include "ops/database_ops.h"

namespace dr::ops {
namespace {

using nlohmann::json;
using runbook::Arguments;
using runbook::ActionSpec;

std::string Arg(const Arguments& a, const std::string& name, const std::string& fallback = "") {
  auto it = a.find(name);
  return it == a.end() || it->second.empty() ? fallback : it->second;
}

bool BoolArg(const Arguments& a, const std::string& name) {
  std::string v = Arg(a, name, "false");
  return v == "true" || v == "yes" || v == "1";
}

std::vector<std::string> ListArg(const Arguments& a, const std::string& name) {
  std::vector<std::string> out;
  std::string v = Arg(a, name);
  size_t start = 0;
  while (start < v.size()) {
    size_t comma = v.find(',', start);
    std::string item = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// "2026-11-26T10:41:00Z", PostgreSQL's "2026-11-26 10:41:00.123456+00", or
// any offset ("+01", "-05:30"); fractions of a second to the microsecond.
std::optional<std::chrono::system_clock::time_point> ParseTime(std::string text) {
  if (text.size() < 19) return std::nullopt;
  if (text[10] == ' ') text[10] = 'T';
  auto base = ParseUtc(text.substr(0, 19) + "Z");
  if (!base) return std::nullopt;
  size_t i = 19;
  std::chrono::microseconds fraction{0};
  if (i < text.size() && text[i] == '.') {
    int64_t scale = 100000;
    for (++i; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i, scale /= 10) {
      fraction += std::chrono::microseconds((text[i] - '0') * scale);
    }
  }
  std::string zone = text.substr(i);
  int offset_minutes = 0;
  if (zone != "Z") {
    int hh = 0, mm = 0;
    char sign = 0;
    bool ok = (zone.size() == 3 && std::sscanf(zone.c_str(), "%c%2d", &sign, &hh) == 2) ||
              (zone.size() == 6 && zone[3] == ':' && std::sscanf(zone.c_str(), "%c%2d:%2d", &sign, &hh, &mm) == 3) ||
              (zone.size() == 5 && std::sscanf(zone.c_str(), "%c%2d%2d", &sign, &hh, &mm) == 3);
    if (!ok || (sign != '+' && sign != '-') || hh > 23 || mm > 59) return std::nullopt;
    offset_minutes = (sign == '-' ? -1 : 1) * (hh * 60 + mm);
  }
  return *base + fraction - std::chrono::minutes(offset_minutes);
}

// A text field of an operation's result; "?" when the operation failed before it had one.
std::string Field(const OpResult& r, const char* key) {
  return r.data.is_object() && r.data.contains(key) && r.data[key].is_string() ? r.data[key].get<std::string>() : "?";
}

// An operation's result as a step's: its error, or its data as the step's output.
Status StepFrom(const OpResult& r, engine::StepOutput& out, const std::string& details) {
  if (!r.data.is_null()) out.data = r.data;
  if (!r.ok()) return r.status;
  out.details = details;
  return Status::Ok();
}

Result<std::string> BackupIdArg(OperationContext& ctx, const Arguments& a) {
  std::string id = Arg(a, "backup", "latest");
  if (id != "latest") return id;
  DR_ASSIGN_OR_RETURN(json newest, FindBackup(ctx, "", "", "", ""));
  return newest["backup_id"].get<std::string>();
}

// The health of `service` (or the overall status when empty) in a `health` result.
Result<std::string> HealthOf(const OpResult& r, const std::string& service) {
  if (r.data.is_null()) return r.status;
  if (service.empty()) return r.data.value("overall_status", "unknown");
  const json& services = r.data["services"];
  if (!services.contains(service)) {
    std::string names;
    for (const auto& [name, v] : services.items()) names += (names.empty() ? "" : ", ") + name;
    return NotFound("no service '" + service + "' in dr_coordinator.services (there are: " + names + ")");
  }
  return services[service].value("status", "unknown");
}

}  // namespace

Result<std::vector<json>> FindBackups(OperationContext& ctx, const std::string& component, const std::string& before,
                                      const std::string& tag, const std::string& mode) {
  std::optional<std::chrono::system_clock::time_point> limit;
  if (!before.empty()) {
    limit = ParseTime(before);
    if (!limit) {
      return InvalidArgument("'" + before + "' is not a time such as 2026-11-26T10:41:00Z or 2026-11-26 10:41:00+01");
    }
  }
  OpResult listed = ListBackups(ctx);
  if (!listed.ok()) return listed.status;
  std::vector<json> found;
  for (const auto& b : listed.data.value("backups", json::array())) {
    if (b.value("status", "") != "completed") continue;
    if (!component.empty() && !(b.contains("components") && b["components"].contains(component))) continue;
    if (!tag.empty()) {
      const json tags = b.value("tags", json::array());
      if (std::find(tags.begin(), tags.end(), tag) == tags.end()) continue;
    }
    if (!mode.empty()) {
      // A backup's PostgreSQL part says physical; anything else is logical.
      bool physical = b.contains("components") && b["components"].contains("postgresql") &&
                      b["components"]["postgresql"].contains("meta") &&
                      b["components"]["postgresql"]["meta"].value("mode", "") == "physical";
      if ((mode == "physical") != physical) continue;
    }
    auto started = ParseUtc(b.value("start_time", ""));
    if (limit && (!started || *started >= *limit)) continue;
    found.push_back({{"backup_id", b["backup_id"]}, {"start_time", b["start_time"]}});
  }
  std::sort(found.begin(), found.end(), [](const json& a, const json& b) {
    return a["start_time"].get<std::string>() > b["start_time"].get<std::string>();
  });
  if (found.empty()) {
    return NotFound("no completed " + (mode.empty() ? "" : mode + " ") + "backup" +
                    (component.empty() ? "" : " of " + component) + (tag.empty() ? "" : " tagged " + tag) +
                    (before.empty() ? "" : " started before " + before));
  }
  return found;
}

Result<json> FindBackup(OperationContext& ctx, const std::string& component, const std::string& before,
                        const std::string& tag, const std::string& mode) {
  DR_ASSIGN_OR_RETURN(auto found, FindBackups(ctx, component, before, tag, mode));
  return found.front();
}

void AddBuiltinActions(runbook::ActionRegistry& registry, OperationContext& ctx) {
  OperationContext* c = &ctx;

  registry.Add({.name = "health_check",
                .summary = "checks the services of dr_coordinator (ecap-dr health); with expect: healthy, fails unless healthy",
                .optional = {"service", "expect"},
                .read_only = true,
                .run = [c](const Arguments& a, engine::StepContext&, engine::StepOutput& out) -> Status {
                  OpResult r = Health(*c);
                  std::string service = Arg(a, "service");
                  DR_ASSIGN_OR_RETURN(std::string status, HealthOf(r, service));
                  out.data = r.data;
                  out.data["status"] = status;
                  out.details = (service.empty() ? "overall " : service + " ") + status;
                  std::string expect = Arg(a, "expect", "any");
                  if (expect != "any" && status != expect) {
                    return Failed((service.empty() ? "the services are " : "service " + service + " is ") + status +
                                  ", not " + expect + (r.ok() ? "" : ": " + r.status.message()));
                  }
                  return Status::Ok();
                }});

  registry.Add({.name = "wait_for",
                .summary = "checks the health of a service (or of all) until it has the status (default healthy) or the time is up",
                .optional = {"service", "status", "timeout", "interval"},
                .read_only = true,
                .run = [c](const Arguments& a, engine::StepContext& step, engine::StepOutput& out) -> Status {
                  std::string service = Arg(a, "service"), want = Arg(a, "status", "healthy");
                  DR_ASSIGN_OR_RETURN(auto timeout, ParseDuration(Arg(a, "timeout", "5m")));
                  DR_ASSIGN_OR_RETURN(auto interval, ParseDuration(Arg(a, "interval", "2s")));
                  auto deadline = step.clock.Monotonic() + timeout;
                  std::string last;
                  for (int checks = 1;; ++checks) {
                    OpResult r = Health(*c);
                    DR_ASSIGN_OR_RETURN(last, HealthOf(r, service));
                    if (last == want) {
                      out.data = {{"status", last}, {"checks", checks}};
                      out.details = (service.empty() ? "overall " : service + " ") + last + " after " +
                                    std::to_string(checks) + " check(s)";
                      return Status::Ok();
                    }
                    if (step.clock.Monotonic() + interval > deadline || step.Expired()) break;
                    step.Sleep(interval);
                  }
                  return Failed((service.empty() ? "the services were " : "service " + service + " was ") + last +
                                ", not " + want + ", after " + FormatDuration(timeout));
                }});

  registry.Add({.name = "failover",
                .summary = "fails the database over to its standby (ecap-dr failover --yes): fence, promote, DNS, storage, compute",
                .optional = {"reason", "force"},
                .cannot_undo = "a promoted standby cannot become a standby again (the failover itself rolls back DNS and "
                               "storage when a later part of it fails)",
                .run = [c](const Arguments& a, engine::StepContext&, engine::StepOutput& out) -> Status {
                  coordinator::FailoverRequest request{.reason = Arg(a, "reason", "runbook"), .force = BoolArg(a, "force")};
                  OpResult r = Failover(*c, request);
                  return StepFrom(r, out, "new primary " + Field(r, "new_primary"));
                }});

  registry.Add({.name = "fence",
                .summary = "runs dr_coordinator's fence command against the database's primary, then checks that it "
                           "takes no more writes",
                .cannot_undo = "the fence command has no undo: people bring the old primary back, as a standby",
                .run = [c](const Arguments&, engine::StepContext&, engine::StepOutput& out) -> Status {
                  OpResult r = FailoverPart(*c, "fence", "");
                  return StepFrom(r, out, "fenced " + Field(r, "old_primary"));
                }});

  registry.Add({.name = "promote",
                .summary = "promotes the database's standby (pg_promote), clears synchronous_standby_names, waits "
                           "until it takes writes, and records it as the primary",
                .cannot_undo = "a promoted standby cannot become a standby again",
                .run = [c](const Arguments&, engine::StepContext&, engine::StepOutput& out) -> Status {
                  OpResult r = FailoverPart(*c, "promote", "");
                  return StepFrom(r, out, "promoted " + Field(r, "new_primary"));
                }});

  registry.Add({.name = "dns_switch",
                .summary = "points dr_coordinator's DNS record at the database's primary (or at `to`) by "
                           "compare-and-swap (RFC 2136)",
                .optional = {"to"},
                .run = [c](const Arguments& a, engine::StepContext&, engine::StepOutput& out) -> Status {
                  OpResult r = FailoverPart(*c, "dns_switch", Arg(a, "to"));
                  if (r.ok() && r.data.contains("skipped")) return StepFrom(r, out, Field(r, "skipped"));
                  return StepFrom(r, out, Field(r, "record") + ": " + Field(r, "from") + " -> " + Field(r, "to"));
                },
                .undo = [c](const Arguments&, const engine::StepOutput& out) -> Status {
                  if (!out.data.is_object() || out.data.contains("skipped")) return Status::Ok();
                  if (!out.data.contains("from")) return Failed("no record of where the DNS name pointed before");
                  return FailoverPart(*c, "dns_switch", out.data["from"].get<std::string>()).status;
                }});

  registry.Add({.name = "storage_switch",
                .summary = "makes a bucket the active one (to: replica (default), primary or a bucket): "
                           "dr_coordinator's storage switch hook with ECAP_DR_ACTIVE_BUCKET, and the state",
                .optional = {"to"},
                .run = [c](const Arguments& a, engine::StepContext&, engine::StepOutput& out) -> Status {
                  OpResult r = FailoverPart(*c, "storage_switch", Arg(a, "to"));
                  if (r.ok() && r.data.contains("skipped")) return StepFrom(r, out, Field(r, "skipped"));
                  return StepFrom(r, out, "active bucket " + Field(r, "active_bucket") + " (was " + Field(r, "previous") + ")");
                },
                .undo = [c](const Arguments&, const engine::StepOutput& out) -> Status {
                  if (!out.data.is_object() || out.data.contains("skipped")) return Status::Ok();
                  if (!out.data.contains("previous")) return Failed("no record of the bucket active before");
                  return FailoverPart(*c, "storage_switch", out.data["previous"].get<std::string>()).status;
                }});

  registry.Add({.name = "repository_switch",
                .summary = "makes a repository the one in use for backups and restores (to: replica (default: the "
                           "first of replicas:), primary, or a location); it must hold every backup of the one in "
                           "use when that one still answers",
                .optional = {"to"},
                .run = [c](const Arguments& a, engine::StepContext&, engine::StepOutput& out) -> Status {
                  OpResult r = FailoverPart(*c, "repository_switch", Arg(a, "to"));
                  return StepFrom(r, out, "repository in use " + Field(r, "active_repository") + " (was " +
                                              Field(r, "previous") + ")");
                },
                .undo = [c](const Arguments&, const engine::StepOutput& out) -> Status {
                  if (!out.data.is_object() || !out.data.contains("previous")) {
                    return Failed("no record of the repository in use before");
                  }
                  return FailoverPart(*c, "repository_switch", out.data["previous"].get<std::string>(), /*undo=*/true)
                      .status;
                }});

  registry.Add({.name = "kafka_switch",
                .summary = "makes Kafka's brokers in the backup region (to: replica (default), primary or their "
                           "bootstrap list) the cluster in use: with restore (latest or a backup id), that backup's "
                           "topics and consumer groups are first restored into them (allow_existing_data: into "
                           "topics that hold messages); dr_coordinator's Kafka switch hook with "
                           "ECAP_DR_ACTIVE_KAFKA, and the state; nothing without failover.kafka configured",
                .optional = {"to", "restore", "allow_existing_data"},
                .run = [c](const Arguments& a, engine::StepContext&, engine::StepOutput& out) -> Status {
                  const std::string to = Arg(a, "to", "replica");
                  const config::Config& config = c->config;
                  json restored;
                  std::string id = Arg(a, "restore");
                  if (!id.empty() && coordinator::KafkaHasReplica(config)) {
                    // Restored before the switch: a cluster in use without its data is no recovery.
                    DR_ASSIGN_OR_RETURN(std::string servers, coordinator::ResolveKafka(config, to));
                    if (id == "latest") {
                      DR_ASSIGN_OR_RETURN(json found, FindBackup(*c, "kafka", "", "", ""));
                      id = found["backup_id"].get<std::string>();
                    }
                    backup::RestoreRequest r;
                    r.components = {"kafka"};
                    r.kafka.bootstrap_servers = servers;
                    r.kafka.allow_existing_data = BoolArg(a, "allow_existing_data");
                    OpResult result = Restore(*c, id, r);
                    if (!result.ok()) {
                      return result.status.WithContext("restoring Kafka from backup " + id + " into " + servers);
                    }
                    restored = result.data;
                    restored["backup_id"] = id;
                  }
                  OpResult r = FailoverPart(*c, "kafka_switch", to);
                  if (r.ok() && r.data.contains("skipped")) return StepFrom(r, out, Field(r, "skipped"));
                  DR_RETURN_IF_ERROR(StepFrom(r, out, (restored.is_null() ? "" : "backup " + id + " restored; ") +
                                                          "Kafka served from " + Field(r, "active_bootstrap_servers") +
                                                          " (was " + Field(r, "previous") + ")"));
                  if (!restored.is_null()) out.data["restored"] = restored;
                  return Status::Ok();
                },
                .undo = [c](const Arguments&, const engine::StepOutput& out) -> Status {
                  if (!out.data.is_object() || out.data.contains("skipped")) return Status::Ok();
                  if (!out.data.contains("previous")) return Failed("no record of the Kafka brokers in use before");
                  return FailoverPart(*c, "kafka_switch", out.data["previous"].get<std::string>()).status;
                }});

  registry.Add({.name = "compute_hooks",
                .summary = "runs dr_coordinator's compute hooks in order, with ECAP_DR_NEW_PRIMARY",
                .cannot_undo = "a compute hook has no undo command",
                .run = [c](const Arguments&, engine::StepContext&, engine::StepOutput& out) -> Status {
                  OpResult r = FailoverPart(*c, "compute_hooks", "");
                  return StepFrom(r, out, std::to_string(r.data.is_object() ? r.data.value("hooks", 0) : 0) + " hook(s) ran");
                }});

  registry.Add({.name = "find_backup",
                .summary = "finds the newest completed backup (of a component, started before a time, with a tag, "
                           "physical or logical); with verify: quick or full, the newest that passes that verification",
                .optional = {"component", "before", "tag", "mode", "verify"},
                .read_only = true,
                .run = [c](const Arguments& a, engine::StepContext&, engine::StepOutput& out) -> Status {
                  std::string mode = Arg(a, "mode"), verify = Arg(a, "verify");
                  if (!mode.empty() && mode != "physical" && mode != "logical") {
                    return InvalidArgument("find_backup: mode must be physical or logical, not '" + mode + "'");
                  }
                  if (!verify.empty() && verify != "quick" && verify != "full") {
                    return InvalidArgument("find_backup: verify must be quick or full, not '" + verify + "'");
                  }
                  DR_ASSIGN_OR_RETURN(auto found,
                                      FindBackups(*c, Arg(a, "component"), Arg(a, "before"), Arg(a, "tag"), mode));
                  json failed = json::array();
                  for (const auto& candidate : found) {
                    std::string id = candidate["backup_id"];
                    if (!verify.empty()) {
                      OpResult v = Verify(*c, id, verify == "full");
                      if (!v.ok()) {
                        // A damaged backup is passed over for the one before it, and named.
                        failed.push_back({{"backup_id", id}, {"error", v.status.message()}});
                        continue;
                      }
                    }
                    out.data = candidate;
                    if (!verify.empty()) out.data["verified"] = verify;
                    out.data["failed_verification"] = failed;
                    out.details = "backup " + id + " of " + candidate["start_time"].get<std::string>() +
                                  (verify.empty() ? "" : ", " + verify + " verification passed") +
                                  (failed.empty() ? "" : "; " + std::to_string(failed.size()) + " newer one(s) failed it");
                    return Status::Ok();
                  }
                  return Corrupt("none of the " + std::to_string(found.size()) + " matching backup(s) passed a " + verify +
                                 " verification; the newest: " + failed.front()["error"].get<std::string>());
                }});

  registry.Add({.name = "verify_backup",
                .summary = "verifies a backup (ecap-dr verify; full: read and decrypt every blob)",
                .optional = {"backup", "full"},
                .read_only = true,
                .run = [c](const Arguments& a, engine::StepContext&, engine::StepOutput& out) -> Status {
                  DR_ASSIGN_OR_RETURN(std::string id, BackupIdArg(*c, a));
                  OpResult r = Verify(*c, id, BoolArg(a, "full"));
                  DR_RETURN_IF_ERROR(StepFrom(r, out, "backup " + id + " verified"));
                  out.data["backup_id"] = id;
                  return Status::Ok();
                }});

  registry.Add({.name = "restore",
                .summary = "restores a backup (ecap-dr restore, with the flags of the same names)",
                .required = {"backup"},
                .optional = {"components", "target", "target_db", "databases", "clean", "target_time", "target_bucket",
                             "prefix", "topic_prefix", "bootstrap_servers", "to_time", "overwrite", "pgdata",
                             "target_lsn", "target_name", "target_immediate", "keep_archiving", "before", "verify",
                             "mode"},
                .cannot_undo = "restored data stays where it was restored to",
                .run = [c](const Arguments& a, engine::StepContext&, engine::StepOutput& out) -> Status {
                  std::string id = Arg(a, "backup");
                  if (id == "latest") {
                    // The newest with the first component asked for, before `before` when given.
                    auto comps = ListArg(a, "components");
                    DR_ASSIGN_OR_RETURN(json found, FindBackup(*c, comps.empty() ? "" : comps[0], Arg(a, "before"), "",
                                                               Arg(a, "mode")));
                    id = found["backup_id"].get<std::string>();
                  }
                  if (BoolArg(a, "verify")) {
                    OpResult verified = Verify(*c, id, true);
                    if (!verified.ok()) {
                      return Status(verified.status.code(), "backup " + id + " did not pass a full verification, "
                                                            "not restoring it: " + verified.status.message());
                    }
                  }
                  backup::RestoreRequest r;
                  r.components = ListArg(a, "components");
                  r.target_dir = Arg(a, "target");
                  r.overwrite = BoolArg(a, "overwrite");
                  r.postgres.target_db = Arg(a, "target_db");
                  r.postgres.databases = ListArg(a, "databases");
                  r.postgres.clean = BoolArg(a, "clean");
                  r.postgres.target_time = Arg(a, "target_time");
                  r.postgres.pgdata = Arg(a, "pgdata");
                  r.postgres.target_lsn = Arg(a, "target_lsn");
                  r.postgres.target_name = Arg(a, "target_name");
                  r.postgres.target_immediate = BoolArg(a, "target_immediate");
                  r.postgres.keep_archiving = BoolArg(a, "keep_archiving");
                  r.s3.target_bucket = Arg(a, "target_bucket");
                  r.s3.prefix = Arg(a, "prefix");
                  r.kafka.topic_prefix = Arg(a, "topic_prefix");
                  r.kafka.bootstrap_servers = Arg(a, "bootstrap_servers");
                  r.kafka.to_time = Arg(a, "to_time");
                  OpResult result = Restore(*c, id, r);
                  DR_RETURN_IF_ERROR(StepFrom(result, out, std::string(BoolArg(a, "verify") ? "verified " : "") +
                                                               "backup " + id + " restored"));
                  out.data["backup_id"] = id;
                  return Status::Ok();
                }});

  registry.Add({.name = "backup",
                .summary = "takes a backup (ecap-dr backup create)",
                .optional = {"components", "except", "tags"},
                .cannot_undo = "the backup is kept (retention removes it in time)",
                .run = [c](const Arguments& a, engine::StepContext&, engine::StepOutput& out) -> Status {
                  backup::BackupRequest request{.components = ListArg(a, "components"),
                                                .except = ListArg(a, "except"),
                                                .tags = ListArg(a, "tags")};
                  request.tags.push_back("runbook");
                  OpResult r = CreateBackup(*c, "", request);
                  return StepFrom(r, out, "backup " + Field(r, "backup_id"));
                }});

  registry.Add({.name = "rotate_key",
                .summary = "rotates the repository's master key (ecap-dr key rotate); old backups stay readable",
                .cannot_undo = "the old master key is not brought back",
                .run = [c](const Arguments&, engine::StepContext&, engine::StepOutput& out) -> Status {
                  return StepFrom(KeyRotate(*c), out, "master key rotated");
                }});

  registry.Add({.name = "verify_audit",
                .summary = "verifies the audit log's hash chain (ecap-dr audit verify)",
                .read_only = true,
                .run = [c](const Arguments&, engine::StepContext&, engine::StepOutput& out) -> Status {
                  return StepFrom(AuditVerify(*c), out, "audit chain intact");
                }});

  registry.Add({.name = "report",
                .summary = "the RTO/RPO report of the failovers on record (ecap-dr report rto-rpo)",
                .optional = {"kind"},
                .read_only = true,
                .run = [c](const Arguments& a, engine::StepContext&, engine::StepOutput& out) -> Status {
                  std::string kind = Arg(a, "kind", "rto-rpo");
                  if (kind != "rto-rpo") return InvalidArgument("report: kind '" + kind + "' is not rto-rpo");
                  return StepFrom(RtoRpoReport(*c), out, "RTO/RPO report recorded");
                }});

  registry.Add({.name = "inspect_tables",
                .summary = "counts the rows of tables of a database of the configured PostgreSQL server and says "
                           "whether its writes are paused; changes nothing",
                .required = {"tables"},
                .optional = {"database"},
                .read_only = true,
                .run = [c](const Arguments& a, engine::StepContext&, engine::StepOutput& out) -> Status {
                  OpResult r = InspectTables(*c, Arg(a, "database"), ListArg(a, "tables"));
                  DR_RETURN_IF_ERROR(StepFrom(r, out, ""));
                  for (const auto& t : r.data["tables"]) {
                    out.details += (out.details.empty() ? "" : ", ") + t["table"].get<std::string>() + ": " +
                                   std::to_string(t["rows"].get<uint64_t>()) + " rows";
                  }
                  if (r.data["writes_paused"].get<bool>()) out.details += " (writes paused)";
                  return Status::Ok();
                }});

  registry.Add({.name = "pause_writes",
                .summary = "stops writes to a database of the configured PostgreSQL server: new sessions start "
                           "read-only and open ones are ended (default: postgresql.database)",
                .optional = {"database"},
                .run = [c](const Arguments& a, engine::StepContext&, engine::StepOutput& out) -> Status {
                  OpResult r = PauseWrites(*c, Arg(a, "database"));
                  DR_RETURN_IF_ERROR(StepFrom(r, out, "writes to " + Field(r, "database") + " paused"));
                  out.details += "; " + std::to_string(r.data.value("sessions_ended", 0)) + " open session(s) ended";
                  return Status::Ok();
                },
                .undo = [c](const Arguments& a, const engine::StepOutput& out) -> Status {
                  // It was read-only before this step: leave it so.
                  if (out.data.is_object() && out.data.value("was_paused", false)) return Status::Ok();
                  return ResumeWrites(*c, Arg(a, "database")).status;
                }});

  registry.Add({.name = "resume_writes",
                .summary = "lets writes into a database of the configured PostgreSQL server again (default: postgresql.database)",
                .optional = {"database"},
                .cannot_undo = "writes stay allowed (pause_writes stops them again)",
                .run = [c](const Arguments& a, engine::StepContext&, engine::StepOutput& out) -> Status {
                  OpResult r = ResumeWrites(*c, Arg(a, "database"));
                  return StepFrom(r, out, "writes to " + Field(r, "database") + " resumed");
                }});

  registry.Add({.name = "pitr_restore",
                .summary = "recovers a physical backup and the WAL archive to a point in time in a new data directory, "
                           "and starts it as a scratch PostgreSQL server on loopback (ecap-dr restore --pgdata, then "
                           "pg_ctl start)",
                .required = {"backup", "pgdata"},
                .optional = {"target_time", "target_lsn", "target_name", "port"},
                .run = [c](const Arguments& a, engine::StepContext&, engine::StepOutput& out) -> Status {
                  std::string id = Arg(a, "backup");
                  if (id == "latest") {
                    // Only a physical backup that started before the target can reach it.
                    DR_ASSIGN_OR_RETURN(json found, FindBackup(*c, "postgresql", Arg(a, "target_time"), "", "physical"));
                    id = found["backup_id"].get<std::string>();
                  }
                  std::string pgdata = Arg(a, "pgdata");
                  int port = 0;
                  if (std::string p = Arg(a, "port"); !p.empty()) {
                    if (p.find_first_not_of("0123456789") != std::string::npos || p.size() > 5 || std::stoi(p) > 65535) {
                      return InvalidArgument("pitr_restore: port '" + p + "' is not a port number");
                    }
                    port = std::stoi(p);
                  }
                  backup::RestoreRequest r;
                  r.components = {"postgresql"};
                  r.postgres.pgdata = pgdata;
                  r.postgres.target_time = Arg(a, "target_time");
                  r.postgres.target_lsn = Arg(a, "target_lsn");
                  r.postgres.target_name = Arg(a, "target_name");
                  std::error_code ec;
                  bool existed = std::filesystem::exists(pgdata, ec);
                  OpResult restored = Restore(*c, id, r);
                  OpResult started = restored.ok() ? StartScratchServer(*c, pgdata, port) : restored;
                  if (!started.ok()) {
                    // A retry starts afresh: the directory this step made goes.
                    if (!existed) (void)StopScratchServer(*c, pgdata, true);
                    return StepFrom(started, out, "");
                  }
                  out.data = started.data;
                  out.data["backup_id"] = id;
                  std::string target = !r.postgres.target_time.empty()  ? r.postgres.target_time
                                       : !r.postgres.target_lsn.empty() ? "LSN " + r.postgres.target_lsn
                                       : !r.postgres.target_name.empty() ? "restore point " + r.postgres.target_name
                                                                         : "the end of the archive";
                  out.details = "backup " + id + " recovered to " + target + " in " + pgdata + ", running on 127.0.0.1:" +
                                std::to_string(started.data.value("port", 0));
                  return Status::Ok();
                },
                .undo = [c](const Arguments& a, const engine::StepOutput& out) -> Status {
                  std::string pgdata = out.data.is_object() ? out.data.value("pgdata", Arg(a, "pgdata")) : Arg(a, "pgdata");
                  return StopScratchServer(*c, pgdata, true).status;
                }});

  for (bool apply : {false, true}) {
    auto run = [c, apply](const Arguments& a, engine::StepContext&, engine::StepOutput& out) -> Status {
      OpResult r = RepairRows(*c, Arg(a, "from"), Arg(a, "database"), ListArg(a, "tables"), apply);
      DR_RETURN_IF_ERROR(StepFrom(r, out, ""));
      for (const auto& t : r.data["tables"]) {
        out.details += (out.details.empty() ? "" : "; ") + t["table"].get<std::string>() + ": " +
                       std::to_string(t["updated"].get<uint64_t>()) + (apply ? " row(s) set back, " : " row(s) differ, ") +
                       std::to_string(t["inserted"].get<uint64_t>()) + (apply ? " put back" : " missing");
        if (apply && !t["saved_as"].get<std::string>().empty()) {
          out.details += " (damaged versions kept in " + t["saved_as"].get<std::string>() + ")";
        }
      }
      return Status::Ok();
    };
    ActionSpec spec{.name = apply ? "repair_rows" : "compare_rows",
                    .summary = apply ? "puts back, by primary key, the rows of a clean copy (from: its conninfo) into the "
                                       "damaged tables of a database of the configured server: changed rows are set back "
                                       "(their damaged versions kept in a table beside), deleted ones inserted again, "
                                       "rows written since left alone; one transaction"
                                     : "counts, by primary key, the rows of the damaged tables that differ from a clean "
                                       "copy's (from: its conninfo) or are missing; changes nothing",
                    .required = {"from", "tables"},
                    .optional = {"database"},
                    .read_only = !apply,
                    .run = run};
    if (apply) spec.cannot_undo = "the damaged versions of the rows it set back are kept in the tables named saved_as";
    registry.Add(std::move(spec));
  }

  registry.Add({.name = "stop_scratch",
                .summary = "stops a scratch PostgreSQL server that pitr_restore started (remove: also its data directory)",
                .required = {"pgdata"},
                .optional = {"remove"},
                .cannot_undo = "a stopped copy stays stopped (pitr_restore makes a new one)",
                .run = [c](const Arguments& a, engine::StepContext&, engine::StepOutput& out) -> Status {
                  bool remove = BoolArg(a, "remove");
                  OpResult r = StopScratchServer(*c, Arg(a, "pgdata"), remove);
                  return StepFrom(r, out, "scratch server on " + Arg(a, "pgdata") + (remove ? " stopped and removed" : " stopped"));
                }});

  registry.Add({.name = "revoke_access",
                .summary = "refuses every ecap-dr operation of a user (whatever access_control grants) and/or turns a "
                           "PostgreSQL role's logins off, ending its sessions (ecap-dr access revoke)",
                .optional = {"user", "database_role", "reason"},
                // Containment is never undone by a rollback: a later step failing must
                // not give the intruder access back. People reinstate by hand.
                .cannot_undo = "a revocation stays until someone runs ecap-dr access reinstate",
                .run = [c](const Arguments& a, engine::StepContext&, engine::StepOutput& out) -> Status {
                  if (Arg(a, "user").empty() && Arg(a, "database_role").empty()) {
                    // Whoever runs the runbook may not know yet; the log says nothing was revoked.
                    out.data = {{"revoked", false}};
                    out.details = "no user and no database role named: nothing revoked";
                    return Status::Ok();
                  }
                  OpResult r = RevokeAccess(*c, Arg(a, "user"), Arg(a, "database_role"), Arg(a, "reason", "runbook"));
                  std::string who = Arg(a, "user").empty() ? "" : "user " + Arg(a, "user");
                  if (!Arg(a, "database_role").empty()) {
                    who += (who.empty() ? "" : " and ") + std::string("database role ") + Arg(a, "database_role");
                  }
                  return StepFrom(r, out, "access of " + who + " revoked");
                }});

  registry.Add({.name = "reinstate_access",
                .summary = "gives a revoked user its ecap-dr access back and/or turns a PostgreSQL role's logins on "
                           "(ecap-dr access reinstate)",
                .optional = {"user", "database_role"},
                .cannot_undo = "access given back stays (revoke_access takes it again)",
                .run = [c](const Arguments& a, engine::StepContext&, engine::StepOutput& out) -> Status {
                  OpResult r = ReinstateAccess(*c, Arg(a, "user"), Arg(a, "database_role"));
                  return StepFrom(r, out, "access reinstated");
                }});

  registry.Add({.name = "notify",
                .summary = "records a notice in the event history (runbook_notice)",
                .required = {"message"},
                .cannot_undo = "a notice once recorded stays recorded",
                .run = [c](const Arguments& a, engine::StepContext&, engine::StepOutput& out) -> Status {
                  Operation op(*c, "runbook.execute", "notify");
                  op.Emit("runbook_notice", {{"message", Arg(a, "message")}}, nullptr);
                  out.details = Arg(a, "message");
                  return Status::Ok();
                }});
}

}  // namespace dr::ops
