#include "test/support/etcd_server.h"

#include <signal.h>

#include <chrono>
#include <thread>

#include "test/support/pg_server.h"

namespace dr::test {

Result<std::unique_ptr<EtcdServer>> EtcdServer::Start(const std::string& dir) {
  std::unique_ptr<EtcdServer> s(new EtcdServer());
  s->client_port_ = FreePort();
  int peer = FreePort();
  std::string client = "http://127.0.0.1:" + std::to_string(s->client_port_);
  std::string peer_url = "http://127.0.0.1:" + std::to_string(peer);
  DR_ASSIGN_OR_RETURN(s->etcd_, Subprocess::Start({.argv = {"etcd", "--name", "n1", "--data-dir", dir + "/etcd",
                                                            "--listen-client-urls", client, "--advertise-client-urls",
                                                            client, "--listen-peer-urls", peer_url,
                                                            "--initial-advertise-peer-urls", peer_url,
                                                            "--initial-cluster", "n1=" + peer_url,
                                                            "--initial-cluster-state", "new"},
                                                   .pipe_stdout = false}));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!RunCommand({.argv = {"curl", "-sf", client + "/health"}}).ok()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return Unavailable("etcd did not start on " + client + ": " + s->etcd_->StderrTail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return s;
}

EtcdServer::~EtcdServer() {
  if (etcd_) etcd_->Kill(SIGTERM);
}

}  // namespace dr::test
