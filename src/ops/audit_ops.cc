#include "ops/audit_ops.h"

#include "base/time_util.h"
#include "security/audit/audit_log.h"

namespace dr::ops {

using nlohmann::json;

namespace {

// "24h", "7d", "30m" before now, or an ISO time as it is.
Result<std::string> SinceToIso(const std::string& since, Clock& clock) {
  if (since.empty()) return std::string();
  char unit = since.back();
  if (unit == 'h' || unit == 'd' || unit == 'm') {
    try {
      long n = std::stol(since.substr(0, since.size() - 1));
      long secs = n * (unit == 'h' ? 3600 : unit == 'd' ? 86400 : 60);
      return FormatUtc(clock.Now() - std::chrono::seconds(secs), true);
    } catch (const std::exception&) {
    }
  }
  if (ParseUtc(since)) return since;
  return InvalidArgument("--since '" + since + "': give a duration (30m, 24h, 7d) or a UTC time (2026-11-26T10:41:00Z)");
}

}  // namespace

OpResult AuditShow(OperationContext& ctx, const std::string& since, const std::string& user) {
  Operation op(ctx, "audit.read", "");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto iso = SinceToIso(since, *ctx.clock);
  if (!iso.ok()) return op.Finish(ErrorResult(iso.status()));
  security::AuditLog log(ctx.config.audit.log_file, *ctx.clock);
  if (!log.enabled()) return op.Finish(ErrorResult(ConfigError("no audit log: set audit.log_file")));
  auto records = log.Read(*iso, user);
  if (!records.ok()) return op.Finish(ErrorResult(records.status()));
  return op.Finish(OpResult{.data = json{{"records", *records}}});
}

OpResult AuditVerify(OperationContext& ctx) {
  Operation op(ctx, "audit.read", "");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  security::AuditLog log(ctx.config.audit.log_file, *ctx.clock);
  if (!log.enabled()) return op.Finish(ErrorResult(ConfigError("no audit log: set audit.log_file")));
  auto r = log.Verify();
  if (!r.ok) return op.Finish(ErrorResult(Corrupt("audit log " + log.path() + " is not intact: " + r.problem)));
  json j = r.ToJson();
  j["path"] = log.path();
  return op.Finish(OpResult{.data = j});
}

OpResult AuditRotate(OperationContext& ctx) {
  Operation op(ctx, "audit.read", "");
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  security::AuditLog log(ctx.config.audit.log_file, *ctx.clock);
  if (!log.enabled()) return op.Finish(ErrorResult(ConfigError("no audit log: set audit.log_file")));
  if (Status s = log.Rotate(); !s.ok()) return op.Finish(ErrorResult(s));
  return op.Finish(OpResult{.data = json{{"status", "completed"}, {"path", log.path()}}});
}

}  // namespace dr::ops
