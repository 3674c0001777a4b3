// Leader election among coordinators through etcd v3 (its HTTP/JSON gateway,
// net/etcd.h): a lease with a TTL, and a key created only if absent
// (a transaction comparing its create revision with 0) holding the leader's
// id under that lease. The leader renews the lease every TTL/3; it counts
// itself leader only until its last successful renewal plus the TTL minus a
// safety margin, so it stops acting before the lease can expire on the server
// and another coordinator take over.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "dr/result.h"
#include "net/etcd.h"

namespace dr::coordinator {

class EtcdLeader {
 public:
  EtcdLeader(std::vector<std::string> endpoints, std::string key, std::string id, int lease_seconds);
  ~EtcdLeader();

  // Becomes leader if nobody is; renews the lease if leader already. Returns
  // whether this coordinator leads now. Errors: etcd unreachable (then it
  // does not lead).
  Result<bool> Campaign();
  // True until the deadline derived from the last renewal. Safe to call from
  // another thread than the one campaigning.
  bool IsLeader() const;
  // The current leader's id ("" when none).
  Result<std::string> Leader();
  // Gives up leadership at once (the key goes with the lease).
  void Resign();
  const std::string& id() const { return id_; }
  // The election key: it holds the leader's id while there is one.
  const std::string& key() const { return key_; }
  // Its etcd client (stateless, safe from any thread), for writes fenced by the key.
  net::EtcdClient& client() { return etcd_; }

 private:
  void SetDeadline(std::chrono::steady_clock::time_point renewed);
  net::EtcdClient etcd_;
  std::string key_;
  std::string id_;
  int lease_seconds_;
  std::string lease_;  // lease id while leader ("" otherwise); the campaigning thread's
  std::atomic<int64_t> leader_until_ns_{0};  // steady clock; 0: not leader
};

}  // namespace dr::coordinator
