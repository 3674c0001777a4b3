#include "server/api_routes.h"

#include <httplib.h>

#include <filesystem>

#include "base/status_json.h"
#include "ops/backup_json.h"
#include "ops/backup_ops.h"
#include "ops/coordinator_ops.h"
#include "ops/drill_ops.h"
#include "ops/schedule_ops.h"
#include "server/api_body.h"

namespace dr::server {
namespace {

using nlohmann::json;

// Reads the body into `read`'s fields; on an error answers 400 and returns false.
bool ReadBody(ApiCall& call, const std::function<void(BodyReader&)>& read) {
  BodyReader body;
  Status s = body.Parse(call.request.body);
  if (s.ok()) {
    read(body);
    s = body.Finish();
  }
  if (!s.ok()) ApiRouter::SendError(call.response, s);
  return s.ok();
}

// An integer query parameter in [1, max]; `fallback` when absent; nullopt (400 sent) when bad.
std::optional<int> QueryInt(ApiCall& call, const char* name, int fallback, int max) {
  if (!call.request.has_param(name)) return fallback;
  std::string text = call.request.get_param_value(name);
  try {
    size_t used = 0;
    int v = std::stoi(text, &used);
    if (used == text.size() && v >= 1 && v <= max) return v;
  } catch (const std::exception&) {
  }
  ApiRouter::SendError(call.response, InvalidArgument("query parameter '" + std::string(name) + "' must be an integer in 1.." +
                                                          std::to_string(max) + ", got '" + text + "'"));
  return std::nullopt;
}

// Every path lies inside one of `allowed` (after resolving . and ..).
Status PathsInside(const std::vector<std::string>& paths, const std::vector<std::string>& allowed) {
  namespace fs = std::filesystem;
  for (const auto& p : paths) {
    fs::path want = fs::weakly_canonical(fs::absolute(p));
    bool inside = false;
    for (const auto& a : allowed) {
      fs::path root = fs::weakly_canonical(fs::absolute(a));
      auto [end, ignored] = std::mismatch(root.begin(), root.end(), want.begin(), want.end());
      if (end == root.end()) inside = true;
    }
    if (!inside) {
      return Status(Code::kPermissionDenied, "path '" + p + "' is not inside files.paths: over the API a backup " +
                                                 "reads only what the configuration backs up");
    }
  }
  return Status::Ok();
}

// Accepts `run` as a job after checking `permission` for the caller: 202 with
// the job document, or the denial (403) / refusal (503).
void StartJob(const ApiDeps& deps, ApiCall& call, const std::string& permission, const std::string& target,
              std::function<ops::OpResult(ops::OperationContext&)> run) {
  ops::OperationContext ctx = CallerContext(deps, call);
  if (Status s = ops::CheckPermission(ctx, permission, target); !s.ok()) return ApiRouter::SendError(call.response, s);
  auto after = deps.after_job;
  auto job = deps.jobs->Start(permission, ctx.identity.user,
                              [ctx, permission, after, run = std::move(run)](std::stop_token stop) mutable {
                                ctx.stop = stop;
                                ops::OpResult result = run(ctx);
                                if (after) after(permission);
                                return result;
                              });
  if (!job.ok()) return ApiRouter::SendError(call.response, job.status());
  call.response.set_header("Location", "/api/v1/jobs/" + (*job)["job_id"].get<std::string>());
  ApiRouter::Send(call.response, 202, *job);
}

void AddBackupRoutes(ApiRouter& router, const ApiDeps& deps) {
  router.Add("GET", "/api/v1/backups", Access::kToken, [&deps](ApiCall& call) {
    ops::OperationContext ctx = CallerContext(deps, call);
    SendResult(call, ops::ListBackups(ctx));
  });
  router.Add("GET", "/api/v1/backups/{id}", Access::kToken, [&deps](ApiCall& call) {
    auto limit = QueryInt(call, "items", 1000, 100000);
    if (!limit) return;
    ops::OperationContext ctx = CallerContext(deps, call);
    // The walk keeps the first `limit` items: memory stays bounded for a backup of millions.
    std::vector<std::string> names;
    json details = json::object();
    size_t kept = 0, total = 0;
    ops::BackupWalk walk;
    walk.header = [&](const repo::Snapshot& summary) {
      for (const auto& c : summary.components) {
        names.push_back(c.name);
        details[c.name] = json::array();
      }
      return Status::Ok();
    };
    walk.item = [&](size_t component, repo::SnapshotItem&& item) {
      ++total;
      if (kept < static_cast<size_t>(*limit) && component < names.size()) {
        details[names[component]].push_back(ops::ItemJson(item));
        ++kept;
      }
      return Status::Ok();
    };
    ops::OpResult r = ops::ShowBackup(ctx, call.params.at("id"), walk);
    if (r.ok() && r.data.contains("components")) {
      for (auto& [name, component] : r.data["components"].items()) {
        if (details.contains(name)) component["item_details"] = details[name];
      }
      r.data["item_details_truncated"] = kept < total;
    }
    SendResult(call, r);
  });
  router.Add("POST", "/api/v1/backups", Access::kToken, [&deps](ApiCall& call) {
    backup::BackupRequest request;
    if (!ReadBody(call, [&](BodyReader& b) {
          b.Read("components", request.components);
          b.Read("tags", request.tags);
          b.Read("paths", request.paths);
          b.Read("physical", request.physical);
          b.Read("read_all", request.read_all);
        })) {
      return;
    }
    if (Status s = PathsInside(request.paths, deps.ctx->config.files.paths); !s.ok()) {
      return ApiRouter::SendError(call.response, s);
    }
    StartJob(deps, call, "backup.create", "", [request](ops::OperationContext& ctx) {
      return ops::CreateBackup(ctx, "", request);
    });
  });
  router.Add("POST", "/api/v1/backups/{id}/verify", Access::kToken, [&deps](ApiCall& call) {
    bool full = false;
    if (!ReadBody(call, [&](BodyReader& b) { b.Read("full", full); })) return;
    std::string id = call.params.at("id");
    StartJob(deps, call, "backup.verify", id, [id, full](ops::OperationContext& ctx) { return ops::Verify(ctx, id, full); });
  });
  router.Add("POST", "/api/v1/backups/{id}/restore", Access::kToken, [&deps](ApiCall& call) {
    backup::RestoreRequest r;
    // The names of the restore command's flags, dashes as underscores.
    if (!ReadBody(call, [&](BodyReader& b) {
          b.Read("components", r.components);
          b.Read("target", r.target_dir);
          b.Read("items", r.items);
          b.Read("overwrite", r.overwrite);
          b.Read("target_bucket", r.s3.target_bucket);
          b.Read("prefix", r.s3.prefix);
          b.Read("databases", r.postgres.databases);
          b.Read("target_db", r.postgres.target_db);
          b.Read("target_host", r.postgres.target_host);
          b.Read("target_port", r.postgres.target_port);
          b.Read("clean", r.postgres.clean);
          b.Read("jobs", r.postgres.jobs);
          b.Read("globals", r.postgres.globals);
          b.Read("pgdata", r.postgres.pgdata);
          b.Read("target_time", r.postgres.target_time);
          b.Read("target_lsn", r.postgres.target_lsn);
          b.Read("target_name", r.postgres.target_name);
          b.Read("target_immediate", r.postgres.target_immediate);
          b.Read("target_action", r.postgres.target_action);
          b.Read("keep_archiving", r.postgres.keep_archiving);
          b.Read("bootstrap_servers", r.kafka.bootstrap_servers);
          b.Read("topics", r.kafka.topics);
          b.Read("topic_prefix", r.kafka.topic_prefix);
          b.Read("to_time", r.kafka.to_time);
          b.Read("allow_existing_data", r.kafka.allow_existing_data);
          b.Read("group_offsets", r.kafka.groups);
        })) {
      return;
    }
    std::string id = call.params.at("id");
    StartJob(deps, call, "backup.restore", id, [id, r](ops::OperationContext& ctx) { return ops::Restore(ctx, id, r); });
  });
}

void AddJobRoutes(ApiRouter& router, const ApiDeps& deps) {
  // A caller sees its own jobs; one who may read the audit trail sees everyone's.
  auto may_see_all = [&deps](ApiCall& call) {
    ops::OperationContext ctx = CallerContext(deps, call);
    return security::AccessControl(ctx.config.access_control).Check(ctx.identity.user, "audit.read").allowed;
  };
  router.Add("GET", "/api/v1/jobs", Access::kToken, [&deps, may_see_all](ApiCall& call) {
    json all = deps.jobs->List();
    if (!may_see_all(call)) {
      json mine = json::array();
      for (const auto& j : all["jobs"]) {
        if (j["user"] == call.identity.user) mine.push_back(j);
      }
      all["jobs"] = mine;
    }
    ApiRouter::Send(call.response, 200, all);
  });
  router.Add("GET", "/api/v1/jobs/{id}", Access::kToken, [&deps, may_see_all](ApiCall& call) {
    auto job = deps.jobs->Get(call.params.at("id"));
    if (!job || ((*job)["user"] != call.identity.user && !may_see_all(call))) {
      return ApiRouter::SendError(call.response, NotFound("no job '" + call.params.at("id") + "' (jobs are kept " +
                                                          "in memory until the daemon restarts; the audit log keeps every outcome)"));
    }
    ApiRouter::Send(call.response, 200, *job);
  });
}

void AddDaemonRoutes(ApiRouter& router, const ApiDeps& deps) {
  router.Add("GET", "/api/v1/schedules", Access::kToken, [&deps](ApiCall& call) {
    ops::OperationContext ctx = CallerContext(deps, call);
    SendResult(call, ops::ScheduleList(ctx, deps.scheduler));
  });
  router.Add("POST", "/api/v1/schedules/{name}/run", Access::kToken, [&deps](ApiCall& call) {
    if (!ReadBody(call, [](BodyReader&) {})) return;
    std::string name = call.params.at("name");
    bool known = false;
    for (const auto& j : deps.scheduler->jobs()) known |= j.config.name == name;
    if (!known) return ApiRouter::SendError(call.response, NotFound("no job named '" + name + "' in automation.jobs"));
    automation::Scheduler* scheduler = deps.scheduler;
    StartJob(deps, call, "schedule.run", name, [name, scheduler](ops::OperationContext& ctx) {
      return ops::ScheduleRun(ctx, name, scheduler);
    });
  });
  router.Add("GET", "/api/v1/alerts", Access::kToken, [&deps](ApiCall& call) {
    ops::OperationContext ctx = CallerContext(deps, call);
    SendResult(call, ops::RunChecked(ctx, "alert.list", "", [&] { return ops::OpResult{.data = deps.firing_alerts()}; }));
  });
  router.Add("GET", "/api/v1/health", Access::kToken, [&deps](ApiCall& call) {
    ops::OperationContext ctx = CallerContext(deps, call);
    ops::OpResult r = ops::Health(ctx);
    // The check ran and found a service unhealthy: the report, as 503 (what load balancers read).
    if (r.status.code() == Code::kFailed && !r.data.is_null()) return ApiRouter::Send(call.response, 503, r.ToJson());
    SendResult(call, r);
  });
  router.Add("GET", "/api/v1/events", Access::kToken, [&deps](ApiCall& call) {
    auto limit = QueryInt(call, "limit", 50, 10000);
    if (!limit) return;
    std::vector<std::string> types;
    for (size_t i = 0; i < call.request.get_param_value_count("type"); ++i) {
      types.push_back(call.request.get_param_value("type", i));
    }
    ops::OperationContext ctx = CallerContext(deps, call);
    SendResult(call, ops::Events(ctx, *limit, types));
  });
  router.Add("POST", "/api/v1/failover", Access::kToken, [&deps](ApiCall& call) {
    coordinator::FailoverRequest request;
    bool confirm = false;
    if (!ReadBody(call, [&](BodyReader& b) {
          b.Read("reason", request.reason);
          b.Read("confirm", confirm);
          b.Read("force", request.force);
        })) {
      return;
    }
    if (request.reason.empty()) request.reason = "requested over the API";
    if (!confirm) {
      // A plan, nothing changed: answered at once.
      request.dry_run = true;
      ops::OperationContext ctx = CallerContext(deps, call);
      return SendResult(call, ops::Failover(ctx, request));
    }
    StartJob(deps, call, "dr.failover", request.reason,
             [request](ops::OperationContext& ctx) { return ops::Failover(ctx, request); });
  });
}

// Drills, as `ecap-dr drill` and `report drill`: a drill runs as a job with
// the command's checks (a disruptive scenario needs "disruptive": true and a
// platform marked as a drill environment); its document and the month's
// report are read back from the event history.
void AddDrillRoutes(ApiRouter& router, const ApiDeps& deps) {
  router.Add("POST", "/api/v1/drills", Access::kToken, [&deps](ApiCall& call) {
    ops::DrillRequest request;
    if (!ReadBody(call, [&](BodyReader& b) {
          b.Read("scenario", request.scenario);
          b.Read("disruptive", request.disruptive);
          b.Read("backup_id", request.backup_id);
          b.Read("service", request.service);
        })) {
      return;
    }
    StartJob(deps, call, "drill.run", request.scenario,
             [request](ops::OperationContext& ctx) { return ops::RunDrill(ctx, request); });
  });
  // ?drill_id=ID: that drill's document; else ?month=YYYY-MM (default this month) per scenario.
  router.Add("GET", "/api/v1/drills", Access::kToken, [&deps](ApiCall& call) {
    ops::OperationContext ctx = CallerContext(deps, call);
    SendResult(call, ops::DrillReport(ctx, call.request.get_param_value("month"),
                                      call.request.get_param_value("drill_id")));
  });
}

}  // namespace

ops::OperationContext CallerContext(const ApiDeps& deps, const ApiCall& call) {
  ops::OperationContext ctx = *deps.ctx;
  ctx.identity = call.identity;
  ctx.progress = false;
  ctx.before_run = nullptr;
  return ctx;
}

void SendResult(ApiCall& call, const ops::OpResult& result) {
  ApiRouter::Send(call.response, ApiRouter::HttpStatus(result.status.code()), result.ToJson());
}

void AddApiRoutes(ApiRouter& router, const ApiDeps& deps) {
  AddBackupRoutes(router, deps);
  AddJobRoutes(router, deps);
  AddDaemonRoutes(router, deps);
  AddDrillRoutes(router, deps);
}

}  // namespace dr::server
