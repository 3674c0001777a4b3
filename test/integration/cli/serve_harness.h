// The fixture of the `serve` tests: a configuration with two jobs, a token
// for the API's user ops-bot, and the real daemon started and stopped as a
// user (or systemd) would.
#pragma once

#include <chrono>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "net/http.h"
#include "test/integration/cli/cli_harness.h"

namespace dr::test {

// The API's users: ops-bot and viewer (what each may do is the test's access_control).
inline constexpr const char* kBotToken = "ops-bot-token-0123456789abcdef";
inline constexpr const char* kViewerToken = "viewer-token-0123456789abcdef";

class ServeTest : public CliFixture {
 protected:
  void SetUp() override {
    CliFixture::SetUp();
    WriteFile(dir_ / "data/a.txt", "the data the nightly job keeps\n");
    for (auto [user, token] : {std::pair{"ops-bot", kBotToken}, std::pair{"viewer", kViewerToken}}) {
      WriteFile(dir_ / ("tokens/" + std::string(user)), std::string(token) + "\n");
      ::chmod((dir_ / ("tokens/" + std::string(user))).c_str(), 0600);
    }
    WriteFile(config_, ReadFileOrDie(config_) + "audit:\n  log_file: \"" + dir_ / "state/audit.log" +
                           "\"\nfiles:\n  paths: [\"" + dir_ / "data" +
                           "\"]\nautomation:\n  listen: \"127.0.0.1:0\"\n  timezone: Europe/Berlin\n"
                           "  api:\n    tokens:\n"
                           "      - {user: ops-bot, token_file: \"" + dir_ / "tokens/ops-bot" + "\"}\n"
                           "      - {user: viewer, token_file: \"" + dir_ / "tokens/viewer" + "\"}\n"
                           "  jobs:\n"
                           "    - {name: nightly, action: backup, components: [files], daily: \"02:00\"}\n"
                           "    - {name: weekly-check, action: repo_check, full: true, weekly: \"sun 05:00\"}\n");
  }
  void TearDown() override { Stop(); }

  // Starts serve with stderr to a file; returns the port it reports.
  int Start(const std::string& env = "") {
    std::string cmd = env + " exec " + DrBinary() + " -c " + config_ + " serve 2>" + dir_ / "serve.err";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    std::regex listening("listening on 127\\.0\\.0\\.1:([0-9]+)");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      std::smatch m;
      std::string err = ReadLog();
      if (std::regex_search(err, m, listening)) return std::stoi(m[1]);
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        ADD_FAILURE() << "serve exited before listening: " << err;
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "serve did not report its port within 30 s";
    return -1;
  }
  // What serve wrote to stderr so far ("" before it created the file).
  std::string ReadLog() {
    std::ifstream in(dir_ / "serve.err");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // SIGTERM; returns the exit code (waits for it).
  int Stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  net::HttpReply Get(int port, const std::string& path) {
    auto reply = net::HttpRequest("GET", "http://127.0.0.1:" + std::to_string(port) + path, "", 10000);
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    return reply.ok() ? *reply : net::HttpReply{};
  }
  // A call with a bearer token ("" for none) and a JSON body.
  net::HttpReply Call(int port, const std::string& method, const std::string& path, const std::string& token,
                      const std::string& body = "") {
    net::HttpCall call;
    call.method = method;
    call.url = "http://127.0.0.1:" + std::to_string(port) + path;
    if (!token.empty()) call.headers.push_back("Authorization: Bearer " + token);
    if (!body.empty()) call.headers.push_back("Content-Type: application/json");
    call.body = body;
    call.timeout_ms = 30000;
    auto reply = net::HttpSend(call);
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    return reply.ok() ? *reply : net::HttpReply{};
  }
  // Polls an API job until it ends (or 120 s pass); returns its last document.
  nlohmann::json WaitForJob(int port, const std::string& token, const std::string& id) {
    nlohmann::json job;
    bool ended = Eventually([&] {
      auto reply = Call(port, "GET", "/api/v1/jobs/" + id, token);
      if (reply.status != 200) {
        job = nlohmann::json{{"http_status", reply.status}, {"body", reply.body}};
        return true;
      }
      job = nlohmann::json::parse(reply.body);
      return job["state"] != "running";
    }, std::chrono::seconds(120));
    if (!ended) ADD_FAILURE() << "job " << id << " still running after 120 s";
    return job;
  }

  pid_t pid_ = -1;
};

}  // namespace dr::test
