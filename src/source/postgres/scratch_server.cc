#include "source/postgres/scratch_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "base/fs.h"
#include "base/subprocess.h"

namespace dr::source {
namespace {

namespace fs = std::filesystem;

// A port nobody listens on now (the kernel's choice for port 0 on loopback).
Result<int> FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return ErrnoStatus(errno, "unable to open a socket to find a free port");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  int err = errno;
  ::close(fd);
  if (port < 0) return ErrnoStatus(err, "unable to find a free port on 127.0.0.1");
  return port;
}

struct Owner {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
};

Result<Owner> OwnerOf(const std::string& pgdata) {
  struct stat st {};
  if (::stat(pgdata.c_str(), &st) != 0) return ErrnoStatus(errno, "data directory '" + pgdata + "'");
  if (!fs::exists(pgdata + "/PG_VERSION")) {
    return NotFound("'" + pgdata + "' is not a PostgreSQL data directory (no PG_VERSION): restore a physical backup into it first");
  }
  Owner o{.uid = st.st_uid, .gid = st.st_gid};
  if (::geteuid() == 0 && o.uid == 0) {
    return InvalidArgument("data directory '" + pgdata + "' belongs to root, and PostgreSQL does not run as root: "
                           "restore into a directory whose parent belongs to the user PostgreSQL runs as (postgres)");
  }
  if (passwd* pw = ::getpwuid(o.uid)) o.name = pw->pw_name;
  return o;
}

// pg_ctl with `args`, as the data directory's owner when ecap-dr runs as root.
Result<std::string> PgCtl(const std::string& bin_dir, const Owner& owner, std::vector<std::string> args) {
  pg::ServerTarget tools;
  tools.bin_dir = bin_dir;
  DR_ASSIGN_OR_RETURN(std::string pg_ctl, pg::ToolPath(tools, "pg_ctl"));
  std::vector<std::string> argv;
  if (::geteuid() == 0 && owner.uid != 0) argv = {"runuser", "-u", owner.name, "--"};
  argv.push_back(pg_ctl);
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand({.argv = argv});
}

std::string LogTail(const std::string& log) {
  auto text = ReadFile(log);
  if (!text.ok()) return "(no server log at " + log + ")";
  std::string t = *text;
  if (t.size() > 1500) t = "..." + t.substr(t.size() - 1500);
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return t;
}

bool Running(const std::string& bin_dir, const Owner& owner, const std::string& pgdata) {
  return PgCtl(bin_dir, owner, {"-D", pgdata, "status"}).ok();
}

}  // namespace

Result<ScratchServer> StartScratchServer(const ScratchServerOptions& options, const pg::ServerTarget& login) {
  DR_ASSIGN_OR_RETURN(Owner owner, OwnerOf(options.pgdata));
  ScratchServer server{.pgdata = options.pgdata, .port = options.port,
                       .log_file = options.pgdata + "/ecap_dr_scratch.log"};
  if (server.port == 0) {
    DR_ASSIGN_OR_RETURN(server.port, FreePort());
  }
  // Loopback only, no socket file (its path could be too long), and no
  // synchronous standby to wait for: the copy has none. Read last, so these win.
  std::string auto_conf = options.pgdata + "/postgresql.auto.conf";
  auto existing = ReadFile(auto_conf);
  std::string conf = (existing.ok() ? *existing : std::string()) +
                     "\n# Written by ecap-dr: a scratch server on a restored copy.\nport = " +
                     std::to_string(server.port) +
                     "\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
                     "synchronous_standby_names = ''\n";
  DR_RETURN_IF_ERROR(WriteFileAtomic(auto_conf, conf, {.mode = 0600, .overwrite = true, .sync = true}));
  if (::geteuid() == 0 && ::chown(auto_conf.c_str(), owner.uid, owner.gid) != 0) {
    return ErrnoStatus(errno, "unable to give '" + auto_conf + "' to " + owner.name);
  }
  auto started = PgCtl(options.bin_dir, owner, {"-D", options.pgdata, "-l", server.log_file, "-w", "-t", "600", "start"});
  if (!started.ok()) {
    return Failed("the restored copy in '" + options.pgdata + "' did not start: " + started.status().message() +
                  "\nits log ends with:\n" + LogTail(server.log_file));
  }
  pg::ServerTarget at = login;
  at.host = "127.0.0.1";
  at.port = server.port;
  at.connect_timeout = 5;
  auto sleep = options.sleep ? options.sleep : [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  auto deadline = std::chrono::steady_clock::now() + options.recovery_timeout;
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    auto conn = pg::Connection::Open(at, "postgres");
    if (conn.ok()) {
      auto in_recovery = (*conn)->QueryValue("SELECT pg_is_in_recovery()");
      if (in_recovery.ok() && *in_recovery == "f") return server;
      last = in_recovery.ok() ? "still recovering" : in_recovery.status().message();
    } else {
      last = conn.status().message();
      if (!Running(options.bin_dir, owner, options.pgdata)) {
        return Failed("the restored copy in '" + options.pgdata + "' stopped during recovery (is the target beyond the "
                      "WAL archive?); its log ends with:\n" + LogTail(server.log_file));
      }
    }
    sleep(std::chrono::milliseconds(200));
  }
  (void)StopScratchServer(options.pgdata, options.bin_dir, false);
  return Failed("the restored copy in '" + options.pgdata + "' did not finish its recovery within " +
                          std::to_string(options.recovery_timeout.count()) + " s (" + last + ")");
}

Status StopScratchServer(const std::string& pgdata, const std::string& bin_dir, bool remove) {
  std::error_code ec;
  if (fs::exists(pgdata + "/postmaster.pid", ec)) {
    DR_ASSIGN_OR_RETURN(Owner owner, OwnerOf(pgdata));
    auto stopped = PgCtl(bin_dir, owner, {"-D", pgdata, "-m", "fast", "-w", "-t", "120", "stop"});
    if (!stopped.ok() && Running(bin_dir, owner, pgdata)) {
      return Failed("unable to stop the server on '" + pgdata + "': " + stopped.status().message());
    }
  }
  if (remove && fs::exists(pgdata, ec)) {
    fs::remove_all(pgdata, ec);
    if (ec) return ErrnoStatus(ec.value(), "unable to remove '" + pgdata + "'");
  }
  return Status::Ok();
}

}  // namespace dr::source
