#include "coordinator/failover.h"

#include <algorithm>
#include <map>

#include "base/fs.h"
#include "base/status_json.h"
#include "base/time_util.h"
#include "coordinator/failover_parts.h"
#include "coordinator/health_check.h"
#include "engine/engine.h"
#include "net/postgres/pg_client.h"
#include "source/s3lake/mirror.h"

namespace dr::coordinator {

using nlohmann::json;

namespace {

std::string WithHost(const std::string& conninfo, const std::string& host) {
  auto s = net::pg::ParseConninfo(conninfo);
  if (!s.ok()) return conninfo;
  s->erase("hostaddr");
  (*s)["host"] = host;
  return net::pg::MakeConninfo(*s);
}

std::string FirstOf(const std::vector<std::string>& addresses) {
  return addresses.empty() ? std::string("nothing") : addresses[0];
}

// The RTO's phases after "decide" (the preconditions), in plan order.
constexpr const char* kPhases[] = {"fence", "promote", "dns", "storage", "compute", "verify"};

// The failover's steps, and the state they share while they run.
class FailoverPlan {
 public:
  FailoverPlan(const FailoverRequest& request, const FailoverInput& in, FailoverDeps& deps, FailoverResult& result,
               SysTime t0)
      : request_(request), in_(in), c_(in.config), deps_(deps), result_(result), t0_(t0),
        timeout_(std::max(1, static_cast<int>(in.service.timeout_seconds + 0.999))) {}

  std::vector<engine::Step> Steps() {
    std::vector<engine::Step> steps{Preconditions(), Fence(), Promote(), SyncReplication(), WaitWritable()};
    std::vector<std::string> switched{"wait_writable"};  // what compute and verify come after
    if (deps_.dns != nullptr) {
      steps.push_back(Dns());
      switched.push_back("dns");
    }
    if (!c_.storage_replica_bucket.empty()) {
      steps.push_back(Storage());
      switched.push_back("storage");
    }
    std::vector<std::string> after = switched;
    for (size_t i = 0; i < c_.compute_hooks.size(); ++i) {
      steps.push_back(Compute(i, after));
      after = {steps.back().id};
      switched.push_back(steps.back().id);
    }
    steps.push_back(Verify(switched));
    steps.push_back(Notify());
    return steps;
  }

  // What the result and the events call a step ("compute" for every hook).
  std::string NameOf(const std::string& id) const { return id.substr(0, id.find('#')); }
  // Its RTO phase; "" for notify, which is after the RTO.
  std::string PhaseOf(const std::string& id) const {
    std::string name = NameOf(id);
    if (name == "preconditions") return "decide";
    if (name == "sync_replication" || name == "wait_writable") return "promote";
    return name == "notify" ? "" : name;
  }
  bool refused() const { return refused_; }
  SysTime verified_at() const { return verified_at_; }

 private:
  std::string OldPrimary() const { return result_.old_primary; }
  std::string NewPrimary() const { return result_.new_primary; }
  std::string Timestamp() const { return FormatUtc(deps_.clock.Now(), true); }

  Status Leading() const {
    if (request_.still_leader && !request_.still_leader()) {
      return Failed("this coordinator lost its leadership (etcd lease); another may take over");
    }
    return Status::Ok();
  }

  // Nothing changes until all of these hold.
  engine::Step Preconditions() {
    engine::Step s{.id = "preconditions", .title = "check that failing over is safe", .read_only = true};
    s.run = [this](engine::StepContext&, engine::StepOutput& out) -> Status {
      DR_ASSIGN_OR_RETURN(auto standby, deps_.database.ReadStandby());
      if (!standby.in_recovery) {
        return Failed("standby " + standby.where + " is not in recovery: it is a primary already");
      }
      int64_t replay = ParseLsn(standby.replay_lsn);
      // How far behind: against the primary now if it answers, else against what the monitor last saw.
      int64_t primary_lsn = -1;
      if (auto lsn = deps_.database.PrimaryLsn(); lsn.ok()) {
        primary_alive_ = true;
        primary_lsn = ParseLsn(*lsn);
      }
      SysTime now = deps_.clock.Now();
      if (primary_alive_) {
        result_.lag_bytes = std::max<int64_t>(0, primary_lsn - replay);
        double replayed_at = standby.replayed_at.empty() ? 0 : std::stod(standby.replayed_at);
        result_.rpo_seconds = result_.lag_bytes == 0 ? 0 : std::max(0.0, SecondsOf(now.time_since_epoch()) - replayed_at);
      } else if (!in_.primary_lsns.empty() || in_.saved_primary_lsn) {
        int64_t last = in_.primary_lsns.empty() ? *in_.saved_primary_lsn : in_.primary_lsns.back().second;
        result_.lag_bytes = std::max<int64_t>(0, last - replay);
        // The newest sample the standby has replayed: writes after it may be lost.
        SysTime safe{};
        for (auto it = in_.primary_lsns.rbegin(); it != in_.primary_lsns.rend(); ++it) {
          if (it->second <= replay) {
            safe = it->first;
            break;
          }
        }
        if (result_.lag_bytes == 0) {
          result_.rpo_seconds = 0;
        } else {
          result_.rpo_seconds = safe == SysTime{} ? -1 : std::max(0.0, SecondsOf(t0_ - safe));
        }
      }
      out.details = "standby " + standby.where + " in recovery at " + standby.replay_lsn + "; primary " +
                    (primary_alive_ ? "reachable" : "unreachable") + "; lag " + std::to_string(result_.lag_bytes) +
                    " bytes, estimated RPO " +
                    (result_.rpo_seconds < 0 ? std::string("unknown") : std::to_string(result_.rpo_seconds) + " s");
      double rpo_target = c_.rpo_target_minutes * 60;
      bool behind = result_.rpo_seconds < 0 ? result_.lag_bytes > 0 : result_.rpo_seconds > rpo_target;
      if (behind) {
        if (request_.automatic || !request_.force) {
          refused_ = true;
          return Failed("the standby is behind: failing over would lose about " +
                        (result_.rpo_seconds < 0 ? std::to_string(result_.lag_bytes) + " bytes"
                                                 : std::to_string(static_cast<int64_t>(result_.rpo_seconds)) + " s") +
                        " of writes, more than the RPO target of " + std::to_string(static_cast<int64_t>(rpo_target)) +
                        " s" + (request_.automatic ? "; automatic failover refused" : "; pass --force to fail over anyway"));
        }
        result_.forced = true;
        out.details += "; forced past the RPO target";
      }
      if (primary_alive_ && c_.fence_command.empty()) {
        refused_ = true;
        return Failed("the primary " + OldPrimary() + " still answers and no fence_command is configured: "
                      "refusing to make a second writable primary");
      }
      if (deps_.dns != nullptr) {
        DR_ASSIGN_OR_RETURN(auto addrs, deps_.dns->Resolve());
        if (addrs.size() != 1 || addrs[0] != OldPrimary()) {
          return Failed(c_.dns_record + " points at " + FirstOf(addrs) + ", not at the primary " + OldPrimary() +
                        ": the DNS record was changed by someone else");
        }
        out.details += "; " + c_.dns_record + " -> " + OldPrimary();
      }
      return Status::Ok();
    };
    return s;
  }

  // The old primary must stop taking writes before another starts.
  engine::Step Fence() {
    bool configured = !c_.fence_command.empty();
    engine::Step s{.id = "fence", .title = "fence the old primary",
                   .description = configured ? c_.fence_command : "no fence command (the primary is down)",
                   .depends_on = {"preconditions"}};
    s.run = [this](engine::StepContext&, engine::StepOutput& out) -> Status {
      DR_RETURN_IF_ERROR(Leading());
      if (c_.fence_command.empty()) {
        out.details = "no fence command; the primary was unreachable";
        return Status::Ok();
      }
      DR_RETURN_IF_ERROR(RunFenceCommand(c_, deps_.hooks, OldPrimary()));
      out.details = "fenced with '" + c_.fence_command + "'";
      return Status::Ok();
    };
    if (configured) {
      s.verify = [this](engine::StepContext&, engine::StepOutput&) -> Status {
        if (deps_.database.ProbeWrite(in_.service.primary, 2).ok()) {
          return Failed("the old primary still takes writes after the fence command");
        }
        return Status::Ok();
      };
      s.cannot_undo = "the fence command has no undo: people bring the old primary back, as a standby";
    }
    return s;
  }

  engine::Step Promote() {
    engine::Step s{.id = "promote", .title = "promote the standby",
                   .description = "SELECT pg_promote() on " + NewPrimary(), .depends_on = {"fence"},
                   .cannot_undo = "a promoted standby cannot become a standby again"};
    s.run = [this](engine::StepContext&, engine::StepOutput& out) -> Status {
      DR_RETURN_IF_ERROR(Leading());
      DR_ASSIGN_OR_RETURN(std::string where, deps_.database.Promote());
      out.details = "promoted " + where + " (irreversible)";
      return Status::Ok();
    };
    return s;
  }

  // A promoted standby keeps the old primary's synchronous_standby_names:
  // with no standby left, every commit would wait forever.
  engine::Step SyncReplication() {
    engine::Step s{.id = "sync_replication", .title = "stop waiting for a synchronous standby",
                   .description = "clear synchronous_standby_names on " + NewPrimary() +
                                  " if it is set: no standby is left to confirm commits",
                   .depends_on = {"promote"},
                   .cannot_undo = "synchronous_standby_names stays cleared: with no standby following " +
                                  NewPrimary() + ", setting it again would make every commit wait"};
    s.run = [this](engine::StepContext&, engine::StepOutput& out) -> Status {
      DR_ASSIGN_OR_RETURN(std::string names, deps_.database.ClearSynchronousStandbys());
      if (names.empty()) {
        out.details = "asynchronous replication: nothing to change";
        return Status::Ok();
      }
      out.details = "synchronous_standby_names was '" + names + "': cleared, since no standby is left to confirm "
                    "commits; set it again when a new standby follows " + NewPrimary();
      return Status::Ok();
    };
    return s;
  }

  // Bounded by its own 60 s of probes rather than an engine timeout: a probe
  // started just before the end may still succeed, and that is a success.
  engine::Step WaitWritable() {
    engine::Step s{.id = "wait_writable", .title = "wait until the new primary takes writes",
                   .description = "until " + NewPrimary() + " takes writes", .depends_on = {"sync_replication"}};
    s.run = [this](engine::StepContext& ctx, engine::StepOutput& out) -> Status {
      DR_RETURN_IF_ERROR(AwaitNewPrimary(in_.service, deps_.database, timeout_, deps_.clock,
                                         [&ctx](std::chrono::milliseconds d) { ctx.Sleep(d); }, deps_.save_state));
      out.details = NewPrimary() + " takes writes";
      return Status::Ok();
    };
    return s;
  }

  engine::Step Dns() {
    engine::Step s{.id = "dns", .title = "point the DNS name at the new primary",
                   .description = c_.dns_record + ": " + OldPrimary() + " -> " + NewPrimary() + " (compare-and-swap)",
                   .depends_on = {"wait_writable"}};
    s.run = [this](engine::StepContext&, engine::StepOutput& out) -> Status {
      DR_RETURN_IF_ERROR(deps_.dns->Swap(OldPrimary(), NewPrimary()));
      out.details = c_.dns_record + ": " + OldPrimary() + " -> " + NewPrimary();
      return Status::Ok();
    };
    s.undo = [this] { return deps_.dns->Swap(NewPrimary(), OldPrimary()); };
    return s;
  }

  Status SwitchStorage(const std::string& bucket) {
    return SwitchStorageTo(c_, deps_.hooks, bucket, Timestamp(), deps_.save_state);
  }

  // The backup-region bucket becomes the active one.
  engine::Step Storage() {
    engine::Step s{.id = "storage", .title = "make the replica bucket the active one",
                   .description = "active bucket -> " + c_.storage_replica_bucket, .depends_on = {"wait_writable"}};
    s.run = [this](engine::StepContext&, engine::StepOutput& out) -> Status {
      DR_RETURN_IF_ERROR(SwitchStorage(c_.storage_replica_bucket));
      out.details = "active bucket " + c_.storage_replica_bucket;
      // The storage RPO: the mirror's lag when its last pass ended, plus the time since.
      if (!in_.mirror_pass_file.empty()) {
        if (auto lag = source::MirrorLagSeconds(in_.mirror_pass_file, deps_.clock.Now())) {
          result_.storage_rpo_seconds = *lag;
          out.details += "; mirror behind by " + std::to_string(static_cast<int64_t>(result_.storage_rpo_seconds)) + " s";
        } else {
          out.details += "; mirror lag unknown (no completed pass of s3 mirror)";
        }
      }
      return Status::Ok();
    };
    s.undo = [this] { return SwitchStorage(c_.storage_primary_bucket); };
    return s;
  }

  // Ids "compute", "compute#2", ...: every one is called "compute" in the result.
  engine::Step Compute(size_t i, std::vector<std::string> after) {
    const std::string& hook = c_.compute_hooks[i];
    engine::Step s{.id = i == 0 ? "compute" : "compute#" + std::to_string(i + 1),
                   .title = "run compute hook " + std::to_string(i + 1), .description = hook,
                   .depends_on = std::move(after), .cannot_undo = "a compute hook has no undo command"};
    s.run = [this, hook](engine::StepContext&, engine::StepOutput& out) -> Status {
      DR_RETURN_IF_ERROR(RunComputeHook(c_, deps_.hooks, hook, NewPrimary()));
      out.details = hook;
      return Status::Ok();
    };
    return s;
  }

  // As a client would: through the DNS name, a write. Its end is the end of the RTO.
  engine::Step Verify(std::vector<std::string> after) {
    std::string through = deps_.dns != nullptr ? c_.dns_record : NewPrimary();
    engine::Step s{.id = "verify", .title = "write through the name clients use",
                   .description = "a write through " + through, .depends_on = std::move(after)};
    s.run = [this, through](engine::StepContext&, engine::StepOutput& out) -> Status {
      std::string target = in_.service.standby;
      if (deps_.dns != nullptr) {
        DR_ASSIGN_OR_RETURN(auto addrs, deps_.dns->Resolve());
        if (FirstOf(addrs) != NewPrimary()) return Failed(c_.dns_record + " resolves to " + FirstOf(addrs));
        target = WithHost(in_.service.standby, addrs[0]);
      }
      DR_RETURN_IF_ERROR(deps_.database.ProbeWrite(target, timeout_));
      out.details = "a write through " + through + " succeeded";
      verified_at_ = deps_.clock.Now();
      return Status::Ok();
    };
    return s;
  }

  // The coordinator sends no alert itself; the event it records next is what
  // `ecap-dr events`, the RTO/RPO report and whoever watches the history read.
  engine::Step Notify() {
    std::string what = "failover_completed, with this result, goes to the event history " + in_.event_history +
                       " (read by `ecap-dr events` and `ecap-dr report rto-rpo`); no alert channel is called";
    engine::Step s{.id = "notify", .title = "record the outcome", .description = what, .depends_on = {"verify"}};
    s.run = [what](engine::StepContext&, engine::StepOutput& out) {
      out.details = what;
      return Status::Ok();
    };
    return s;
  }

  const FailoverRequest& request_;
  const FailoverInput& in_;
  const config::DrCoordinatorConfig& c_;
  FailoverDeps& deps_;
  FailoverResult& result_;
  SysTime t0_;
  int timeout_;
  bool primary_alive_ = false;
  bool refused_ = false;  // a guard said no (RPO, a second writable primary), as opposed to an error
  SysTime verified_at_{};
};

}  // namespace

json FailoverResult::ToJson() const {
  auto list = [](const std::vector<FailoverStep>& steps) {
    json st = json::array();
    for (const auto& s : steps) {
      st.push_back({{"name", s.name}, {"status", s.status}, {"duration_seconds", s.duration_seconds},
                    {"details", s.details}});
    }
    return st;
  };
  json j{{"success", success},     {"status", status},       {"reason", reason},       {"automatic", automatic},
         {"forced", forced},       {"old_primary", old_primary}, {"new_primary", new_primary}, {"steps", list(steps)},
         {"rto_seconds", rto_seconds}, {"rpo_seconds", rpo_seconds}, {"storage_rpo_seconds", storage_rpo_seconds},
         {"lag_bytes", lag_bytes},
         {"phases", phases},       {"rto_met", rto_met},     {"rpo_met", rpo_met}};
  if (!error.ok()) j["error"] = ErrorJson(error);
  if (!not_undone.empty()) j["not_undone"] = list(not_undone);
  return j;
}

FailoverResult RunFailover(const FailoverRequest& request, const FailoverInput& in, FailoverDeps& deps) {
  const auto& c = in.config;
  FailoverResult result;
  result.reason = request.reason;
  result.automatic = request.automatic;
  result.old_primary = HostOfConninfo(in.service.primary);
  result.new_primary = HostOfConninfo(in.service.standby);
  SysTime t0 = request.automatic && request.detected_at != SysTime{} ? request.detected_at : in.decided_at;
  if (!request.dry_run) {
    deps.record_event("failover_started", {{"reason", request.reason}, {"automatic", request.automatic},
                                           {"old_primary", result.old_primary}, {"new_primary", result.new_primary}});
  }
  FailoverPlan plan(request, in, deps, result, t0);

  // Events as the steps go, and the RTO's phases: from a phase's first step
  // starting to its last one ending. A dry run records no step events and
  // times only its preconditions (decide).
  std::map<std::string, std::chrono::steady_clock::time_point> phase_start;
  engine::RunOptions options{.dry_run = request.dry_run, .sleep = deps.sleep};
  options.observer.on_start = [&](const engine::Step& step) {
    std::string phase = plan.PhaseOf(step.id);
    if (phase.empty() || (request.dry_run && phase != "decide")) return;
    // The phases before this one that had no step (no DNS, no hooks) took no time.
    for (const char* p : kPhases) {
      if (phase == "decide" || phase == p) break;
      if (!result.phases.contains(p)) result.phases[p] = 0.0;
    }
    phase_start.try_emplace(phase, deps.clock.Monotonic());
  };
  options.observer.on_finish = [&](const engine::Step& step, const engine::StepReport& report) {
    if (!request.dry_run) {
      deps.record_event("failover_step", {{"step", plan.NameOf(step.id)}, {"status", engine::StepStateName(report.state)},
                                          {"details", report.details}, {"duration_seconds", report.duration_seconds}});
    }
    std::string phase = plan.PhaseOf(step.id);
    if (phase.empty() || (request.dry_run && phase != "decide")) return;
    result.phases[phase] = SecondsOf(deps.clock.Monotonic() - phase_start[phase]);
    if (phase == "decide") result.phases["detect"] = std::max(0.0, SecondsOf(in.decided_at - t0));
  };
  engine::Runner runner(deps.clock, std::move(options));
  auto run = runner.Run(plan.Steps());
  DR_CHECK(run.ok()) << "the failover plan is malformed: " << run.status().ToString();

  for (const auto& r : run->steps) {
    result.steps.push_back({plan.NameOf(r.id), engine::StepStateName(r.state), r.duration_seconds, r.details});
  }
  for (const auto& u : run->rollback) {
    std::string name = plan.NameOf(u.id);
    if (u.state == engine::UndoState::kCannotUndo) {
      result.not_undone.push_back({name, "cannot_undo", 0, u.details});
    } else {
      bool undone = u.state == engine::UndoState::kRolledBack;
      result.steps.push_back({"rollback_" + name, undone ? "rolled_back" : "failed", u.duration_seconds,
                              undone ? "undone" : u.details});
    }
  }
  switch (run->status) {
    case engine::RunStatus::kDryRun:
      result.success = true;
      result.status = "dry_run";
      break;
    case engine::RunStatus::kCompleted: {
      double rto_target = c.rto_target_minutes * 60, rpo_target = c.rpo_target_minutes * 60;
      result.rto_seconds = SecondsOf(plan.verified_at() - t0);
      result.rto_met = result.rto_seconds <= rto_target;
      result.rpo_met = result.rpo_seconds >= 0 && result.rpo_seconds <= rpo_target &&
                       (result.storage_rpo_seconds < 0 || result.storage_rpo_seconds <= rpo_target);
      result.success = true;
      result.status = "completed";
      break;
    }
    default:
      result.status = run->stopped_at == "preconditions" && plan.refused() ? "refused" : "failed";
      result.error = run->error.ok() ? Failed("the failover stopped") : run->error;
  }
  json data = result.ToJson();
  data["dry_run"] = request.dry_run;
  deps.record_event(request.dry_run ? "failover_dry_run" : "failover_" + result.status, data);
  return result;
}

}  // namespace dr::coordinator
