#include "test/support/etcd_server.h"

#include <signal.h>

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
  DR_RETURN_IF_ERROR(WaitForHttp(client + "/health", 15, "etcd", *s->etcd_));
  return s;
}

EtcdServer::~EtcdServer() {
  if (etcd_) etcd_->Kill(SIGTERM);
}

}  // namespace dr::test
