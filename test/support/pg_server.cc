#include "test/support/pg_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "base/encoding.h"
#include "base/subprocess.h"

namespace dr::test {

namespace {
const std::string kBin = "/usr/lib/postgresql/15/bin/";

Status Sh(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  if (rc != 0) return Failed("command failed (" + std::to_string(rc) + "): " + cmd);
  return Status::Ok();
}
}  // namespace

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

Status WaitForHttp(const std::string& url, int seconds, const std::string& what, Subprocess& server) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!RunCommand({.argv = {"curl", "-sf", url}}).ok()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return Unavailable(what + " did not start (" + url + "): " + server.StderrTail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status::Ok();
}

Result<std::unique_ptr<PgServer>> PgServer::Start(const std::string& base_dir, const Options& options) {
  std::unique_ptr<PgServer> s(new PgServer());
  s->base_ = base_dir;
  s->data_ = base_dir + "/data";
  s->port_ = options.port > 0 ? options.port : FreePort();
  s->address_ = options.address;
  // initdb runs as postgres, which must be able to reach the directory: the test's
  // mkdtemp parent is 0700 root, so open it up for traversal.
  std::string parent = base_dir.substr(0, base_dir.rfind('/'));
  DR_RETURN_IF_ERROR(Sh("chmod o+x '" + parent + "' && mkdir -p '" + base_dir + "' && chown postgres:postgres '" +
                        base_dir + "' && chmod 755 '" + base_dir + "'"));
  DR_RETURN_IF_ERROR(Sh("runuser -u postgres -- " + kBin + "initdb -D '" + s->data_ +
                        "' -U postgres -A trust --no-sync -E UTF8 --locale=C >'" + base_dir + "/initdb.log' 2>&1"));
  std::ofstream conf(s->data_ + "/postgresql.conf", std::ios::app);
  conf << "listen_addresses = '" << s->address_ << "'\nport = " << s->port_ << "\nunix_socket_directories = '" << base_dir
       << "'\nfsync = off\nwal_level = replica\nmax_wal_senders = 10\n" << options.extra_conf << "\n";
  conf.close();
  std::ofstream hba(s->data_ + "/pg_hba.conf", std::ios::trunc);
  std::string method = options.password.empty() ? "trust" : "scram-sha-256";
  hba << "local all all trust\nhost all postgres 127.0.0.0/8 trust\nhost all all 127.0.0.0/8 " << method
      << "\nhost replication all 127.0.0.0/8 trust\n";
  hba.close();
  DR_RETURN_IF_ERROR(Sh("runuser -u postgres -- " + kBin + "pg_ctl -D '" + s->data_ + "' -l '" + base_dir +
                        "/server.log' -w -t 30 start >/dev/null"));
  s->running_ = true;
  if (!options.password.empty()) {
    DR_RETURN_IF_ERROR(s->Psql("postgres", "create role app login superuser password '" + options.password + "'").status());
  }
  return s;
}

Result<std::unique_ptr<PgServer>> PgServer::StartStandby(const std::string& base_dir, const PgServer& primary,
                                                         const Options& options) {
  std::unique_ptr<PgServer> s(new PgServer());
  s->base_ = base_dir;
  s->data_ = base_dir + "/data";
  s->port_ = options.port > 0 ? options.port : FreePort();
  s->address_ = options.address;
  DR_RETURN_IF_ERROR(Sh("mkdir -p '" + base_dir + "' && chown postgres:postgres '" + base_dir + "' && chmod 755 '" +
                        base_dir + "'"));
  DR_RETURN_IF_ERROR(Sh("runuser -u postgres -- " + kBin + "pg_basebackup -h " + primary.address_ + " -p " +
                        std::to_string(primary.port_) + " -U postgres -D '" + s->data_ +
                        "' -R -X stream -c fast >'" + base_dir + "/basebackup.log' 2>&1"));
  std::ofstream conf(s->data_ + "/postgresql.conf", std::ios::app);
  conf << "listen_addresses = '" << s->address_ << "'\nport = " << s->port_ << "\nunix_socket_directories = '"
       << base_dir << "'\narchive_mode = off\nhot_standby = on\n" << options.extra_conf << "\n";
  conf.close();
  DR_RETURN_IF_ERROR(Sh("runuser -u postgres -- " + kBin + "pg_ctl -D '" + s->data_ + "' -l '" + base_dir +
                        "/server.log' -w -t 30 start >/dev/null"));
  s->running_ = true;
  return s;
}

Status PgServer::Kill() {
  std::ifstream pid_file(data_ + "/postmaster.pid");
  int pid = 0;
  if (!(pid_file >> pid) || pid <= 0) return Failed("no postmaster.pid in " + data_);
  if (::kill(pid, SIGKILL) != 0) return Failed("kill " + std::to_string(pid) + " failed");
  // Its children exit once they see the postmaster gone; wait until the port is free.
  for (int i = 0; i < 100; ++i) {
    if (::kill(pid, 0) != 0) break;
    ::usleep(20000);
  }
  running_ = false;
  Status s = Sh("pkill -9 -f -- '-D " + data_ + "' >/dev/null 2>&1; true");
  (void)s;
  return Status::Ok();
}

std::string PgServer::Conninfo() const {
  return "host=" + address_ + " port=" + std::to_string(port_) + " user=postgres dbname=postgres";
}

PgServer::~PgServer() { Stop(); }

void PgServer::Stop() {
  if (!running_) return;
  running_ = false;
  Status s = Sh("runuser -u postgres -- " + kBin + "pg_ctl -D '" + data_ + "' -m immediate -w -t 30 stop >/dev/null 2>&1");
  (void)s;
}

Result<std::string> PgServer::Psql(const std::string& database, const std::string& sql) const {
  return RunCommand({.argv = {kBin + "psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", base_, "-p",
                              std::to_string(port_), "-U", "postgres", "-d", database, "-c", sql}});
}

Status PgServer::Tool(const std::string& tool, const std::string& args) const {
  return Sh(kBin + tool + " -h 127.0.0.1 -p " + std::to_string(port_) + " -U postgres " + args + " >/dev/null 2>&1");
}

}  // namespace dr::test
