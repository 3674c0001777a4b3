// The operations layer: every operation a person, a script, the scheduler or
// the HTTP API can ask for runs here, the same way whoever asks:
//
//   authorize (security/access) -> run (BackupManager, the coordinator)
//     -> audit (security/audit) -> emit an event (events/) -> one OpResult
//
// The caller says who is asking (Identity: user, session id, source address)
// and hands in the loaded configuration, a clock and the event sink; nothing
// here reads the process's user or prints. Front ends (cli/, server/) parse
// their input, call one function of ops/*.h and render the OpResult.
//
// A denial is audited ("denied", with the rule), emitted as access_denied,
// and returned as kPermissionDenied naming the user and the permission; the
// operation does nothing. The outcome of an authorized operation is audited
// before it is reported: a success whose audit record cannot be written is
// reported as that failure.
#pragma once

#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "dr/backend.h"
#include "dr/clock.h"
#include "dr/status.h"
#include "events/event_sink.h"
#include "security/access/access_control.h"

namespace dr::backup {
class BackupManager;
}

namespace dr::ops {

// Who asks: user, session (the session id) and source (the source address:
// "local" for a local process, the SSH client's or HTTP peer's address).
// The same record the audit log writes.
using Identity = security::Identity;

struct OperationContext {
  config::Config config;
  Identity identity;
  Clock* clock = &RealClock();
  events::EventSink* events = nullptr;  // null: events are not recorded
  bool progress = false;                // draw progress on a terminal (the CLI's observer)
  // Called after authorization and before the operation runs (a confirmation
  // prompt, a check of the caller's input that must not precede the
  // permission check); a non-ok Status stops it, audited as failed.
  std::function<Status()> before_run;
  // Requested: a running backup, restore or verification stops at its next
  // consistent point and the operation ends kCancelled (the daemon's shutdown).
  std::stop_token stop;
  // The repository's storage; default: the configured location (tests: memory).
  std::function<std::unique_ptr<Backend>()> open_backend;
};

// One result type for every operation.
struct OpResult {
  Status status;        // the outcome; its code is the exit code and "error.code"
  nlohmann::json data;  // the result document; null when there is none (then only the error)
  std::vector<std::string> warnings;
  // The audit record of a failed operation could not be written either (a
  // success whose record could not be written is `status` itself).
  Status audit_status;

  bool ok() const { return status.ok(); }
  int exit_code() const { return status.exit_code(); }
  // `data`, with "error": {"code","message"} added when the operation failed
  // (and data did not say it already); without data {"status":"failed","error":...}.
  nlohmann::json ToJson() const;
};

// The result of an operation that failed before it had a result.
OpResult ErrorResult(Status status);

// A BackupManager over the configured repository (ctx.open_backend when set),
// with ctx's clock, user and stop token. Operation::NewManager for operations.
std::unique_ptr<backup::BackupManager> NewManager(const OperationContext& ctx);

// The configuration as the platform is served now (the coordinator's state):
// after a storage switch the lake's primary bucket in s3.buckets is the
// active one; after a database failover postgresql: names the new primary
// (coordinator::PostgresAsServedNow); after a repository switch the active repository is
// `repository` and is no longer among `replicas` (nor is the configured
// primary: a replication would delete what it alone holds); after a Kafka
// switch kafka.bootstrap_servers names the brokers in use (coordinator::ActiveKafka).
// NewManager's; every use of the repository's location goes through it.
config::Config AsServedNow(const config::Config& c);

// Runs one operation's frame. Usage:
//   Operation op(ctx, "backup.create", id);
//   if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
//   ... run ...
//   return op.Finish(std::move(result), audit_details, "backup_completed", event_data);
class Operation {
 public:
  Operation(OperationContext& ctx, std::string permission, std::string target);

  // Checks the permission; on denial audits it and emits access_denied. Then
  // calls ctx.before_run.
  Status Authorize();
  // The result for a failed Authorize (denied, or stopped by before_run: that
  // one is audited as failed).
  OpResult Denied(const Status& status);

  // Audits the outcome (`audit_status`: what the audit record says, usually
  // result.status), emits `event_type` (none when empty) with `event_data`
  // plus who asked, and returns the result. A failed audit write turns a
  // success into that failure.
  OpResult Finish(OpResult result, const nlohmann::json& audit_details = nlohmann::json::object(),
                  const std::string& event_type = "", nlohmann::json event_data = nlohmann::json::object(),
                  const Status* audit_status = nullptr);

  // Emits an event with who asked (best effort: a sink error becomes a warning).
  void Emit(const std::string& event_type, nlohmann::json data, std::vector<std::string>* warnings);

  // A BackupManager over the configured repository, for this caller.
  std::unique_ptr<backup::BackupManager> NewManager() const;

  OperationContext& context() { return ctx_; }

 private:
  Status Audit(const std::string& outcome, nlohmann::json details);

  OperationContext& ctx_;
  std::string permission_;
  std::string target_;
  bool authorized_ = false;
};

// For a front end that must answer before the operation runs (the HTTP API
// accepts a long operation as a job only when its caller may run it): checks
// `permission` as the operation will; a denial is audited and emitted as
// access_denied, exactly as Operation::Authorize does, and an allowed check
// records nothing (the operation audits its own outcome).
Status CheckPermission(OperationContext& ctx, const std::string& permission, const std::string& target = "");

// An operation whose work the front end does itself (the daemon answering
// from its own memory: the alerts firing now, the status page): authorizes
// `permission`, runs `work`, audits its outcome. No event.
OpResult RunChecked(OperationContext& ctx, const std::string& permission, const std::string& target,
                    const std::function<OpResult()>& work);

// A caller a front end could not identify (no credential, an unknown token):
// audited as a denial of `what` (e.g. "api GET /api/v1/backups") for the user
// ctx.identity names (the credential's claim, or "(unauthenticated)"), with
// the reason, and emitted as access_denied with the rule "authentication".
void RecordUnauthenticated(OperationContext& ctx, const std::string& what, const std::string& reason);

}  // namespace dr::ops
