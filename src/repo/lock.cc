#include "repo/lock.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "base/time_util.h"
#include "repo/crypto/crypto.h"

namespace dr::repo {

using nlohmann::json;

namespace {

const char* kExclusive = "exclusive";

std::string Hostname() {
  char buf[256] = {0};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

std::string LockBody(const std::string& purpose, Clock& clock) {
  return json{{"host", Hostname()}, {"pid", ::getpid()}, {"purpose", purpose}, {"time", FormatUtc(clock.Now())}}.dump();
}

struct Holder {
  std::string id;
  std::string who;  // "prune (host vm, pid 123, since ...)"
  bool stale = false;
};

Result<Holder> ReadLock(Backend& backend, const std::string& id, Clock& clock) {
  DR_ASSIGN_OR_RETURN(std::string text, backend.Get({ObjectKind::kLock, id}, {}));
  json j = json::parse(text, nullptr, false);
  Holder h{id, "unknown holder", true};
  if (!j.is_object()) return h;
  std::string host = j.value("host", ""), time = j.value("time", "");
  int pid = j.value("pid", 0);
  h.who = j.value("purpose", "?") + " (host " + host + ", pid " + std::to_string(pid) + ", since " + time + ")";
  bool dead = host == Hostname() && pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH;
  auto since = ParseUtc(time);
  bool old = !since || clock.Now() - *since > kStaleAfter;
  h.stale = dead || old;
  return h;
}

// Finds a live lock among those matching `want` (exclusive or shared), removing stale ones.
Result<std::optional<Holder>> FindLive(Backend& backend, bool want_exclusive, const std::string& self, Clock& clock) {
  std::vector<std::string> ids;
  DR_RETURN_IF_ERROR(backend.List(ObjectKind::kLock, [&](const ObjectInfo& info) {
    bool exclusive = info.name.id == kExclusive;
    if (exclusive == want_exclusive && info.name.id != self) ids.push_back(info.name.id);
    return Status::Ok();
  }));
  for (const auto& id : ids) {
    auto h = ReadLock(backend, id, clock);
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

}  // namespace

RepoLock::~RepoLock() { (void)Release(); }

Status RepoLock::Release() {
  if (!held_) return Status::Ok();
  held_ = false;
  Status s = backend_.Remove({ObjectKind::kLock, id_});
  return s.code() == Code::kNotFound ? Status::Ok() : s;
}

Result<std::unique_ptr<RepoLock>> RepoLock::AcquireShared(Backend& backend, const std::string& purpose, Clock& clock) {
  std::string id = "shared-" + HexEncode(crypto::RandomBytes(8));
  DR_RETURN_IF_ERROR(backend.Put({ObjectKind::kLock, id}, LockBody(purpose, clock), {.overwrite = false}));
  std::unique_ptr<RepoLock> lock(new RepoLock(backend, id));
  DR_ASSIGN_OR_RETURN(auto other, FindLive(backend, /*want_exclusive=*/true, id, clock));
  if (other) {
    (void)lock->Release();
    return Status(Code::kLocked, "repository " + backend.Properties().location + " is locked by " + other->who +
                                     "; try again when it has finished");
  }
  return lock;
}

Result<std::unique_ptr<RepoLock>> RepoLock::AcquireExclusive(Backend& backend, const std::string& purpose,
                                                             Clock& clock) {
  Status put = backend.Put({ObjectKind::kLock, kExclusive}, LockBody(purpose, clock), {.overwrite = false});
  if (put.code() == Code::kAlreadyExists) {
    auto h = ReadLock(backend, kExclusive, clock);
    if (h.ok() && !h->stale) {
      return Status(Code::kLocked, "repository " + backend.Properties().location + " is locked by " + h->who);
    }
    (void)backend.Remove({ObjectKind::kLock, kExclusive});
    put = backend.Put({ObjectKind::kLock, kExclusive}, LockBody(purpose, clock), {.overwrite = false});
  }
  DR_RETURN_IF_ERROR(put);
  std::unique_ptr<RepoLock> lock(new RepoLock(backend, kExclusive));
  DR_ASSIGN_OR_RETURN(auto other, FindLive(backend, /*want_exclusive=*/false, kExclusive, clock));
  if (other) {
    (void)lock->Release();
    return Status(Code::kLocked, "repository " + backend.Properties().location + " is in use by " + other->who +
                                     "; prune needs it alone, try again when that has finished");
  }
  return lock;
}

}  // namespace dr::repo
