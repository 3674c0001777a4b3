#include "test/support/dns_server.h"

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "coordinator/dns.h"
#include "test/support/pg_server.h"
#include "test/support/test_support.h"

namespace dr::test {

Result<std::unique_ptr<DnsServer>> DnsServer::Start(const std::string& dir,
                                                    const std::map<std::string, std::string>& records) {
  std::unique_ptr<DnsServer> s(new DnsServer());
  s->port_ = FreePort();
  s->key_file_ = dir + "/ddns.key";
  std::filesystem::create_directories(dir + "/dns");
  DR_ASSIGN_OR_RETURN(std::string key, RunCommand({.argv = {"tsig-keygen", "-a", "hmac-sha256", "ddns-key"}}));
  WriteFile(s->key_file_, key);
  WriteFile(dir + "/named.conf", "include \"" + s->key_file_ + "\";\noptions {\n  directory \"" + dir +
                                     "/dns\";\n  pid-file \"" + dir + "/named.pid\";\n  session-keyfile \"" + dir +
                                     "/session.key\";\n  listen-on port " + std::to_string(s->port_) +
                                     " { 127.0.0.1; };\n  listen-on-v6 { none; };\n  recursion no;\n"
                                     "  allow-query { any; };\n  dnssec-validation no;\n  notify no;\n};\n"
                                     "controls { };\nzone \"" + kZone + "\" {\n  type primary;\n  file \"" + dir +
                                     "/platform.test.zone\";\n  allow-update { key \"ddns-key\"; };\n};\n");
  std::string zone = "$TTL 60\n@ IN SOA ns1.platform.test. admin.platform.test. ( 1 60 60 3600 60 )\n"
                     "  IN NS ns1.platform.test.\nns1 IN A 127.0.0.1\n";
  for (const auto& [name, addr] : records) zone += name + " IN A " + addr + "\n";
  WriteFile(dir + "/platform.test.zone", zone);
  DR_ASSIGN_OR_RETURN(s->named_, Subprocess::Start({.argv = {"named", "-g", "-4", "-c", dir + "/named.conf"},
                                                    .pipe_stdout = false}));
  // Up when it answers for the zone.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    auto a = coordinator::ResolveA({"127.0.0.1", s->port_}, std::string("ns1.") + kZone, 0.2);
    if (a.ok()) break;
    if (std::chrono::steady_clock::now() > deadline) {
      return Unavailable("named did not start on port " + std::to_string(s->port_) + ": " + s->named_->StderrTail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return s;
}

DnsServer::~DnsServer() {
  if (named_) named_->Kill(SIGTERM);
}

}  // namespace dr::test
