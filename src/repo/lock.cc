#include "repo/lock.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "base/crypto.h"
#include "base/encoding.h"
#include "base/host.h"
#include "base/time_util.h"

namespace dr::repo {

using nlohmann::json;

namespace {

const char* kExclusive = "exclusive";

// "time" is when the lock was taken, "refreshed" when it was last rewritten
// (both by the holder's clock); locks written before refreshing existed have
// only "time".
std::string LockBody(const std::string& purpose, const std::string& token, const std::string& since, Clock& clock) {
  return json{{"host", HostName()},    {"pid", ::getpid()},
              {"purpose", purpose},    {"time", since},
              {"refreshed", FormatUtc(clock.Now())}, {"token", token}}
      .dump();
}

struct Holder {
  std::string id;
  std::string who;  // "prune (host vm, pid 123, since ...)"
  bool stale = false;
};

Result<Holder> ReadLock(Backend& backend, const std::string& id, Clock& clock, const LockTiming& timing) {
  DR_ASSIGN_OR_RETURN(std::string text, backend.Get({ObjectKind::kLock, id}, {}));
  json j = json::parse(text, nullptr, false);
  Holder h{id, "unknown holder", true};
  if (!j.is_object()) return h;
  std::string host = j.value("host", ""), time = j.value("time", ""), refreshed = j.value("refreshed", time);
  int pid = j.value("pid", 0);
  h.who = j.value("purpose", "?") + " (host " + host + ", pid " + std::to_string(pid) + ", since " + time + ")";
  bool dead = host == HostName() && pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH;
  auto last = ParseUtc(refreshed);
  // The holder's clock may be behind ours by up to max_clock_skew: only a lock
  // older than stale_after by its clock AND ours is certainly not refreshed.
  bool old = !last || clock.Now() - *last > timing.stale_after + timing.max_clock_skew;
  h.stale = dead || old;
  return h;
}

// Finds a live lock among those matching `want` (exclusive or shared), removing stale ones.
Result<std::optional<Holder>> FindLive(Backend& backend, bool want_exclusive, const std::string& self, Clock& clock,
                                       const LockTiming& timing) {
  std::vector<std::string> ids;
  DR_RETURN_IF_ERROR(backend.List(ObjectKind::kLock, [&](const ObjectInfo& info) {
    bool exclusive = info.name.id == kExclusive;
    if (exclusive == want_exclusive && info.name.id != self) ids.push_back(info.name.id);
    return Status::Ok();
  }));
  for (const auto& id : ids) {
    auto h = ReadLock(backend, id, clock, timing);
    if (!h.ok()) {
      if (h.status().code() == Code::kNotFound) continue;  // released meanwhile
      return h.status();
    }
    if (h->stale) {
      Status removed = backend.Remove({ObjectKind::kLock, id});
      (void)removed;  // someone else may have removed it first
      continue;
    }
    return std::optional<Holder>(*h);
  }
  return std::optional<Holder>();
}

std::string NewToken() { return HexEncode(crypto::RandomBytes(8)); }

}  // namespace

RepoLock::RepoLock(Backend& backend, std::string id, std::string token, std::string purpose, Clock& clock,
                   LockTiming timing)
    : backend_(backend),
      id_(std::move(id)),
      token_(std::move(token)),
      purpose_(std::move(purpose)),
      clock_(clock),
      timing_(timing),
      last_refresh_(clock.Monotonic()) {}

RepoLock::~RepoLock() { (void)Release(); }

void RepoLock::StartRefreshing() {
  refresher_ = std::jthread([this](std::stop_token stop) {
    while (clock_.SleepFor(timing_.refresh_interval, stop)) {
      Status s = Refresh();
      std::lock_guard lock(mu_);
      if (!lost_.ok()) return;  // nothing left to keep alive
      (void)s;                  // a failed refresh is retried; Check() judges how long ago the last one worked
    }
  });
}

Status RepoLock::Refresh() {
  {
    std::lock_guard lock(mu_);
    if (!held_ || !lost_.ok()) return lost_;
  }
  // Ours only if it still carries our token: a process that judged it stale
  // may have removed it (and, for the exclusive lock, written its own).
  auto text = backend_.Get({ObjectKind::kLock, id_}, {});
  Status status;
  std::string since;
  if (text.ok()) {
    json j = json::parse(*text, nullptr, false);
    if (!j.is_object() || j.value("token", "") != token_) {
      status = Status(Code::kLocked, "lock " + id_ + " of repository " + backend_.Properties().location +
                                         " was replaced by another process");
    } else {
      since = j.value("time", "");
    }
  } else if (text.status().code() == Code::kNotFound) {
    status = Status(Code::kLocked, "lock " + id_ + " of repository " + backend_.Properties().location +
                                       " was removed by another process (it judged the lock stale)");
  } else {
    status = text.status();
  }
  std::lock_guard lock(mu_);
  if (status.code() == Code::kLocked) {
    lost_ = status;
    return status;
  }
  if (status.ok()) {
    status = backend_.Put({ObjectKind::kLock, id_}, LockBody(purpose_, token_, since, clock_), {.overwrite = true});
  }
  if (status.ok()) {
    last_refresh_ = clock_.Monotonic();
  } else {
    last_refresh_error_ = status;
  }
  return status;
}

Status RepoLock::Check() const {
  std::lock_guard lock(mu_);
  if (!lost_.ok()) return lost_;
  // Others may remove the lock stale_after (+ skew) after our last refresh;
  // give up a whole refresh interval before that.
  auto age = clock_.Monotonic() - last_refresh_;
  if (age > timing_.stale_after - timing_.refresh_interval) {
    std::string why = last_refresh_error_.ok() ? "" : ": " + last_refresh_error_.message();
    return Status(Code::kLocked, "lock " + id_ + " of repository " + backend_.Properties().location +
                                     " could not be refreshed for " +
                                     std::to_string(std::chrono::duration_cast<std::chrono::minutes>(age).count()) +
                                     " minutes and may have been taken over" + why);
  }
  return Status::Ok();
}

Status RepoLock::Confirm() {
  Status refreshed = Refresh();
  if (refreshed.code() == Code::kLocked) return refreshed;
  // A storage error here is judged like a failed periodic refresh: by how long ago the last one worked.
  return Check();
}

Status RepoLock::Release() {
  if (refresher_.joinable()) {
    refresher_.request_stop();
    refresher_.join();
  }
  std::lock_guard lock(mu_);
  if (!held_) return Status::Ok();
  held_ = false;
  if (!lost_.ok()) return Status::Ok();  // not ours any more: leave it alone
  Status s = backend_.Remove({ObjectKind::kLock, id_});
  return s.code() == Code::kNotFound ? Status::Ok() : s;
}

Result<std::unique_ptr<RepoLock>> RepoLock::AcquireShared(Backend& backend, const std::string& purpose, Clock& clock,
                                                          LockTiming timing) {
  std::string id = "shared-" + HexEncode(crypto::RandomBytes(8));
  std::string token = NewToken(), since = FormatUtc(clock.Now());
  DR_RETURN_IF_ERROR(backend.Put({ObjectKind::kLock, id}, LockBody(purpose, token, since, clock), {.overwrite = false}));
  std::unique_ptr<RepoLock> lock(new RepoLock(backend, id, token, purpose, clock, timing));
  DR_ASSIGN_OR_RETURN(auto other, FindLive(backend, /*want_exclusive=*/true, id, clock, timing));
  if (other) {
    (void)lock->Release();
    return Status(Code::kLocked, "repository " + backend.Properties().location + " is locked by " + other->who +
                                     "; try again when it has finished");
  }
  lock->StartRefreshing();
  return lock;
}

Result<std::unique_ptr<RepoLock>> RepoLock::AcquireExclusive(Backend& backend, const std::string& purpose,
                                                             Clock& clock, LockTiming timing) {
  std::string token = NewToken(), since = FormatUtc(clock.Now());
  Status put = backend.Put({ObjectKind::kLock, kExclusive}, LockBody(purpose, token, since, clock), {.overwrite = false});
  if (put.code() == Code::kAlreadyExists) {
    auto h = ReadLock(backend, kExclusive, clock, timing);
    if (h.ok() && !h->stale) {
      return Status(Code::kLocked, "repository " + backend.Properties().location + " is locked by " + h->who);
    }
    (void)backend.Remove({ObjectKind::kLock, kExclusive});
    put = backend.Put({ObjectKind::kLock, kExclusive}, LockBody(purpose, token, since, clock), {.overwrite = false});
    if (put.code() == Code::kAlreadyExists) {  // another process took the stale lock over first
      return Status(Code::kLocked, "repository " + backend.Properties().location +
                                       " is locked by another process that needs it alone (a prune, pin or upgrade)");
    }
  }
  DR_RETURN_IF_ERROR(put);
  std::unique_ptr<RepoLock> lock(new RepoLock(backend, kExclusive, token, purpose, clock, timing));
  DR_ASSIGN_OR_RETURN(auto other, FindLive(backend, /*want_exclusive=*/false, kExclusive, clock, timing));
  if (other) {
    (void)lock->Release();
    return Status(Code::kLocked, "repository " + backend.Properties().location + " is in use by " + other->who +
                                     "; " + purpose + " needs it alone, try again when that has finished");
  }
  lock->StartRefreshing();
  return lock;
}

}  // namespace dr::repo
