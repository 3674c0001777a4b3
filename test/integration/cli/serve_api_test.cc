// The daemon's HTTP API and status page through the real binary: every
// endpoint allowed for one token's user and denied for another's, long
// operations as jobs whose results are real (the restored bytes equal the
// backed-up ones), bad requests named, every call audited with who, which
// session and from where, and the status page rendered by headless Chromium.
#include <pwd.h>

#include <httplib.h>

#include <mutex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test/integration/cli/serve_harness.h"

namespace dr::test {
namespace {

using nlohmann::json;

class ServeApiTest : public ServeTest {
 protected:
  void SetUp() override {
    ServeTest::SetUp();
    // ops-bot may do everything, viewer may read backups and the status page;
    // the daemon's own account runs the scheduled jobs.
    std::string me = ::getpwuid(::geteuid())->pw_name;
    WriteFile(config_, ReadFileOrDie(config_) + "access_control:\n  enabled: true\n  users:\n    ops-bot: [\"*\"]\n"
                           "    viewer: [\"backup.list\", \"status.read\"]\n    " + me + ": [\"*\"]\n");
  }
  // A long operation: 202 with a Location, then polled to its end.
  json RunJob(int port, const std::string& path, const std::string& body) {
    auto accepted = Call(port, "POST", path, kBotToken, body);
    EXPECT_EQ(accepted.status, 202) << path << ": " << accepted.body;
    if (accepted.status != 202) return json{{"body", accepted.body}};
    json job = json::parse(accepted.body);
    EXPECT_EQ(job["state"], "running");
    EXPECT_EQ(accepted.headers["location"], "/api/v1/jobs/" + job["job_id"].get<std::string>());
    return WaitForJob(port, kBotToken, job["job_id"]);
  }
};

TEST_F(ServeApiTest, EveryEndpointIsAllowedOrDeniedAsItsCliTwinAndLongOnesRunAsJobs) {
  InitRepo();
  int port = Start();
  ASSERT_GT(port, 0);

  // Nobody: 401, and the refusal is audited.
  auto anonymous = Call(port, "GET", "/api/v1/backups", "");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.headers["www-authenticate"], "Bearer realm=\"ecap-dr\"");
  EXPECT_EQ(Call(port, "GET", "/api/v1/backups", "not-a-token-of-this-daemon").status, 401);

  // The viewer reads backups and nothing else.
  auto listed = Call(port, "GET", "/api/v1/backups", kViewerToken);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(json::parse(listed.body)["backups"].size(), 0u);
  struct Denied {
    const char* method;
    const char* path;
    const char* body;
    const char* permission;
  };
  for (const Denied& d : {Denied{"POST", "/api/v1/backups", "{}", "backup.create"},
                          Denied{"POST", "/api/v1/backups/x/verify", "{}", "backup.verify"},
                          Denied{"POST", "/api/v1/backups/x/restore", "{\"target\": \"/tmp/x\"}", "backup.restore"},
                          Denied{"GET", "/api/v1/schedules", "", "schedule.list"},
                          Denied{"POST", "/api/v1/schedules/nightly/run", "", "schedule.run"},
                          Denied{"GET", "/api/v1/alerts", "", "alert.list"},
                          Denied{"GET", "/api/v1/health", "", "dr.health"},
                          Denied{"GET", "/api/v1/events", "", "dr.events"},
                          Denied{"POST", "/api/v1/failover", "{}", "dr.failover"}}) {
    auto r = Call(port, d.method, d.path, kViewerToken, d.body);
    EXPECT_EQ(r.status, 403) << d.method << " " << d.path << ": " << r.body;
    EXPECT_NE(r.body.find("\"permission_denied\""), std::string::npos) << r.body;
    EXPECT_NE(r.body.find(std::string("user 'viewer' may not ") + d.permission), std::string::npos) << r.body;
  }

  // Mistakes are named: 400 and 405.
  auto unknown = Call(port, "POST", "/api/v1/backups", kBotToken, R"({"component": ["files"]})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("unknown field 'component'"), std::string::npos) << unknown.body;
  auto garbled = Call(port, "POST", "/api/v1/backups", kBotToken, "{\"components\": ");
  EXPECT_EQ(garbled.status, 400);
  EXPECT_NE(garbled.body.find("not valid JSON"), std::string::npos) << garbled.body;
  auto method = Call(port, "DELETE", "/api/v1/backups", kBotToken);
  EXPECT_EQ(method.status, 405);
  EXPECT_EQ(method.headers["allow"], "GET, POST");
  // Over the API a backup reads only what the configuration backs up.
  auto outside = Call(port, "POST", "/api/v1/backups", kBotToken, R"({"components": ["files"], "paths": ["/etc"]})");
  EXPECT_EQ(outside.status, 403);
  EXPECT_NE(outside.body.find("path '/etc' is not inside files.paths"), std::string::npos) << outside.body;

  // ops-bot: a backup as a job, then shown, verified and restored byte for byte.
  json created = RunJob(port, "/api/v1/backups", R"({"components": ["files"], "tags": ["api"]})");
  ASSERT_EQ(created["state"], "succeeded") << created.dump(2);
  EXPECT_EQ(created["user"], "ops-bot");
  EXPECT_EQ(created["operation"], "backup.create");
  std::string id = created["result"]["backup_id"];
  EXPECT_EQ(created["result"]["status"], "completed");

  auto shown = Call(port, "GET", "/api/v1/backups/" + id, kViewerToken);
  ASSERT_EQ(shown.status, 200) << shown.body;
  json show = json::parse(shown.body);
  EXPECT_EQ(show["backup_id"], id);
  ASSERT_EQ(show["components"]["files"]["item_details"].size(), 2u) << shown.body;  // data/ and data/a.txt
  EXPECT_NE(show["components"]["files"]["item_details"][1]["name"].get<std::string>().find("data/a.txt"), std::string::npos);
  auto first = Call(port, "GET", "/api/v1/backups/" + id + "?items=1", kViewerToken);
  EXPECT_EQ(json::parse(first.body)["item_details_truncated"], true) << first.body;
  EXPECT_EQ(Call(port, "GET", "/api/v1/backups/" + id + "?items=zero", kViewerToken).status, 400);
  EXPECT_EQ(show["item_details_truncated"], false);
  EXPECT_EQ(Call(port, "GET", "/api/v1/backups/no_such_backup", kBotToken).status, 404);

  json verified = RunJob(port, "/api/v1/backups/" + id + "/verify", R"({"full": true})");
  EXPECT_EQ(verified["state"], "succeeded") << verified.dump(2);
  EXPECT_EQ(verified["result"]["verification_results"]["overall_status"], "passed") << verified.dump(2);

  std::string target = dir_ / "restored";
  json restored = RunJob(port, "/api/v1/backups/" + id + "/restore", R"({"target": ")" + target + R"("})");
  ASSERT_EQ(restored["state"], "succeeded") << restored.dump(2);
  std::string original = dir_ / "data/a.txt";
  std::string copy = target + original;  // files restore under their absolute paths
  ASSERT_TRUE(std::filesystem::exists(copy)) << copy << "\n" << restored.dump(2);
  EXPECT_EQ(ReadFileOrDie(copy), ReadFileOrDie(original));

  // A failed job says why; the viewer cannot see ops-bot's jobs.
  json broken = RunJob(port, "/api/v1/backups/no_such_backup/verify", "{}");
  EXPECT_EQ(broken["state"], "failed");
  EXPECT_EQ(broken["error"]["code"], "not_found") << broken.dump(2);
  EXPECT_EQ(Call(port, "GET", "/api/v1/jobs/" + broken["job_id"].get<std::string>(), kViewerToken).status, 404);
  auto mine = Call(port, "GET", "/api/v1/jobs", kViewerToken);
  EXPECT_EQ(json::parse(mine.body)["jobs"].size(), 0u);
  EXPECT_EQ(json::parse(Call(port, "GET", "/api/v1/jobs", kBotToken).body)["jobs"].size(), 4u);

  // The daemon's scheduler runs a job now; schedules, alerts and events answer.
  json ran = RunJob(port, "/api/v1/schedules/nightly/run", "");
  EXPECT_EQ(ran["state"], "succeeded") << ran.dump(2);
  EXPECT_EQ(ran["result"]["trigger"], "manual");
  EXPECT_EQ(Call(port, "POST", "/api/v1/schedules/no-such-job/run", kBotToken).status, 404);
  auto schedules = Call(port, "GET", "/api/v1/schedules", kBotToken);
  ASSERT_EQ(schedules.status, 200);
  EXPECT_EQ(json::parse(schedules.body)["jobs"][0]["last_run"]["outcome"], "succeeded") << schedules.body;
  auto alerts = Call(port, "GET", "/api/v1/alerts", kBotToken);
  ASSERT_EQ(alerts.status, 200);
  EXPECT_TRUE(json::parse(alerts.body)["alerts"].is_array());
  auto events = Call(port, "GET", "/api/v1/events?limit=3&type=backup_completed", kBotToken);
  ASSERT_EQ(events.status, 200) << events.body;
  json latest = json::parse(events.body)["events"];
  ASSERT_EQ(latest.size(), 2u) << events.body;  // the API's backup and the job's
  EXPECT_EQ(latest[1]["data"]["user"], "ops-bot");
  EXPECT_EQ(latest[1]["data"]["source"], "127.0.0.1");
  EXPECT_EQ(Call(port, "GET", "/api/v1/events?limit=0", kBotToken).status, 400);
  // Without a dr_coordinator section, health and failover say what is missing.
  auto health = Call(port, "GET", "/api/v1/health", kBotToken);
  EXPECT_NE(health.body.find("\"config\""), std::string::npos) << health.body;
  auto failover = Call(port, "POST", "/api/v1/failover", kBotToken, R"({"reason": "drill"})");
  EXPECT_NE(failover.body.find("\"config\""), std::string::npos) << failover.body;

  EXPECT_EQ(Stop(), 0);

  // The audit trail: who, which session, from where, for every call that reached an operation.
  auto audit = Dr("--json audit show");
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  json records = json::parse(audit.out);
  int created_by_bot = 0, denied_viewer = 0, unauthenticated = 0;
  for (const auto& r : records["records"]) {
    std::string user = r.value("user", ""), op = r.value("operation", ""), outcome = r.value("result", "");
    if (user == "ops-bot" && op == "backup.create" && outcome == "success") {
      ++created_by_bot;
      EXPECT_EQ(r["source"], "127.0.0.1") << r.dump();
      EXPECT_EQ(r["session"].get<std::string>().rfind("api-", 0), 0u) << r.dump();
    }
    denied_viewer += user == "viewer" && outcome == "denied";
    unauthenticated += op == "api.authenticate";
  }
  EXPECT_EQ(created_by_bot, 1) << audit.out;
  EXPECT_EQ(denied_viewer, 9) << audit.out;
  EXPECT_EQ(unauthenticated, 2) << audit.out;
}

// Drills over the API: a restore test as a job (its result the command's
// document, the backup restored and checked), a disruptive scenario refused
// outside a drill environment, the viewer denied, and the drill's document
// and the month's report read back.
TEST_F(ServeApiTest, DrillsRunAsJobsAndTheirReportsAreReadBack) {
  InitRepo();
  int port = Start();
  ASSERT_GT(port, 0);
  auto denied = Call(port, "POST", "/api/v1/drills", kViewerToken, "{}");
  EXPECT_EQ(denied.status, 403) << denied.body;
  EXPECT_NE(denied.body.find("user 'viewer' may not drill.run"), std::string::npos) << denied.body;
  auto unknown = Call(port, "POST", "/api/v1/drills", kBotToken, R"({"scenarios": "all"})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("unknown field 'scenarios'"), std::string::npos) << unknown.body;

  json backup = RunJob(port, "/api/v1/backups", R"({"components": ["files"]})");
  ASSERT_EQ(backup["state"], "succeeded") << backup.dump(2);
  json drill = RunJob(port, "/api/v1/drills", R"({"scenario": "restore-test"})");
  ASSERT_EQ(drill["state"], "succeeded") << drill.dump(2);
  EXPECT_EQ(drill["operation"], "drill.run");
  const json& d = drill["result"];
  EXPECT_EQ(d["status"], "passed");
  EXPECT_EQ(d["backup_id"], backup["result"]["backup_id"]);
  ASSERT_EQ(d["components"].size(), 1u) << d.dump(2);
  EXPECT_EQ(d["components"][0]["component"], "files");
  EXPECT_EQ(d["components"][0]["status"], "passed");
  EXPECT_EQ(d["components"][0]["verification"]["files"], d["components"][0]["verification"]["manifest_files"]);
  // In the metrics at once, not within the minute the daemon's other inputs take to be read again.
  auto metrics = Call(port, "GET", "/metrics", "");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("ecap_dr_drill_passed{scenario=\"restore-test\"} 1\n"), std::string::npos)
      << metrics.body;

  json refused = RunJob(port, "/api/v1/drills", R"({"scenario": "database", "disruptive": true})");
  EXPECT_EQ(refused["state"], "failed");
  EXPECT_EQ(refused["error"]["code"], "config") << refused.dump(2);
  EXPECT_NE(refused.dump().find("not marked as a drill environment"), std::string::npos) << refused.dump(2);

  auto one = Call(port, "GET", "/api/v1/drills?drill_id=" + d["drill_id"].get<std::string>(), kBotToken);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(json::parse(one.body)["drill_id"], d["drill_id"]);
  EXPECT_EQ(json::parse(one.body)["components"], d["components"]);
  auto month = Call(port, "GET", "/api/v1/drills", kBotToken);
  ASSERT_EQ(month.status, 200) << month.body;
  EXPECT_EQ(json::parse(month.body)["overall_status"], "passed") << month.body;
  EXPECT_EQ(Call(port, "GET", "/api/v1/drills?month=2026-13", kBotToken).status, 400);
  EXPECT_EQ(Call(port, "GET", "/api/v1/drills?drill_id=drill-none", kBotToken).status, 404);
  EXPECT_EQ(Stop(), 0);
}

// The status page in a real browser: headless Chromium logs in with the
// viewer's token, and the rendered DOM shows the backup, the job and the
// event; a screenshot at a phone's width is kept beside the test's output.
TEST_F(ServeApiTest, TheStatusPageRendersInChromium) {
  InitRepo();
  auto run = Dr("schedule run nightly");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  int port = Start();
  ASSERT_GT(port, 0);
  auto page = Call(port, "GET", "/", kViewerToken);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.headers["content-type"], "text/html; charset=utf-8");
  auto refused = Call(port, "GET", "/", "");
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.headers["www-authenticate"].rfind("Basic", 0), 0u);

  std::string url = "http://viewer:" + std::string(kViewerToken) + "@127.0.0.1:" + std::to_string(port) + "/";
  std::string chromium = "chromium --headless=new --no-sandbox --disable-gpu --no-first-run --user-data-dir=" +
                         dir_ / "chromium";
  std::string dom_file = dir_ / "dom.html";
  int rc = std::system((chromium + " --dump-dom '" + url + "' > " + dom_file + " 2>" + dir_ / "chromium.err").c_str());
  ASSERT_NE(WEXITSTATUS(rc), 127) << "chromium is not installed (scripts/install-deps.sh installs it)";
  ASSERT_EQ(WEXITSTATUS(rc), 0) << ReadFileOrDie(dir_ / "chromium.err");
  std::string dom = ReadFileOrDie(dom_file);
  EXPECT_NE(dom.find("<h1>ecap-dr on "), std::string::npos) << dom;
  EXPECT_NE(dom.find("data-component=\"files\""), std::string::npos) << dom;
  EXPECT_NE(dom.find("data-job=\"nightly\""), std::string::npos) << dom;
  EXPECT_NE(dom.find("backup_completed"), std::string::npos) << dom;
  EXPECT_NE(dom.find("badge ok\">succeeded"), std::string::npos) << dom;
  // The files backup is seconds old: within the RPO target.
  std::smatch age;
  ASSERT_TRUE(std::regex_search(dom, age, std::regex("data-component=\"files\">.*?badge (ok|warn|bad)\">([^<]+)<")));
  EXPECT_EQ(age[1], "ok") << age[2];

  std::string shot = std::filesystem::current_path() / "status-page.png";
  rc = std::system((chromium + " --hide-scrollbars --window-size=412,915 --screenshot=" + shot + " '" + url + "' 2>>" +
                    dir_ / "chromium.err >/dev/null").c_str());
  ASSERT_EQ(WEXITSTATUS(rc), 0) << ReadFileOrDie(dir_ / "chromium.err");
  std::string png = ReadFileOrDie(shot);
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  EXPECT_EQ(Stop(), 0);
}

// An alert end to end: a scheduled job fails, the daemon's rules find it and
// its webhook channel delivers it (Alertmanager's webhook JSON) to a real
// HTTP receiver; the job then succeeds and the resolution is delivered too.
TEST_F(ServeApiTest, AFailedJobReachesTheWebhookAndSoDoesItsResolution) {
  std::mutex mu;
  std::vector<json> received;
  httplib::Server receiver;
  receiver.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    received.push_back(json::parse(req.body, nullptr, false));
    res.status = 200;
  });
  int hook_port = receiver.bind_to_any_port("127.0.0.1");
  ASSERT_GT(hook_port, 0);
  std::thread serving([&] { receiver.listen_after_bind(); });
  // The job `broken` backs up a directory that does not exist yet.
  std::string text = ReadFileOrDie(config_);
  std::string jobs = "  jobs:\n";
  text.insert(text.find(jobs) + jobs.size(), "    - {name: broken, action: backup, components: [files], paths: [\"" +
                                                 dir_ / "later" + "\"], cron: \"0 * * * *\", max_attempts: 1}\n");
  WriteFile(config_, text + "alerting:\n  notifications:\n    webhook: {enabled: true, url: \"http://127.0.0.1:" +
                         std::to_string(hook_port) + "/hook\", hmac_secret: \"s3cret\"}\n");
  InitRepo();
  int port = Start();
  ASSERT_GT(port, 0);
  // The state of BackupFailed{job="broken"} in the newest message that names it ("" before any).
  auto state_of_broken = [&] {
    std::lock_guard lock(mu);
    for (auto m = received.rbegin(); m != received.rend(); ++m) {
      for (const auto& a : m->value("alerts", json::array())) {
        if (a["labels"].value("alertname", "") == "BackupFailed" && a["labels"].value("job", "") == "broken") {
          return a.value("status", "?");
        }
      }
    }
    return std::string();
  };
  auto wait_for_state = [&](const std::string& want) {
    Eventually([&] { return state_of_broken() == want; }, std::chrono::seconds(60));
    return state_of_broken();
  };

  json failed = RunJob(port, "/api/v1/schedules/broken/run", "");
  EXPECT_EQ(failed["state"], "failed") << failed.dump(2);
  EXPECT_EQ(wait_for_state("firing"), "firing") << ReadLog();
  {
    std::lock_guard lock(mu);
    const json& m = received.back();
    EXPECT_EQ(m["version"], "4");
    EXPECT_EQ(m["receiver"].get<std::string>().empty(), false);
  }
  WriteFile(dir_ / "later/now-it-exists.txt", "here\n");
  json fixed = RunJob(port, "/api/v1/schedules/broken/run", "");
  EXPECT_EQ(fixed["state"], "succeeded") << fixed.dump(2);
  EXPECT_EQ(wait_for_state("resolved"), "resolved") << ReadLog();
  EXPECT_EQ(Stop(), 0);
  receiver.stop();
  serving.join();
}

// HTTPS: with a certificate and key the daemon serves the API over TLS only;
// a client that trusts the certificate gets its answer, and a bad key pair is
// refused at start with a message naming the files.
TEST_F(ServeApiTest, ServesTheApiOverTlsWithTheConfiguredCertificate) {
  std::string cert = dir_ / "tls/cert.pem", key = dir_ / "tls/key.pem";
  std::filesystem::create_directories(dir_ / "tls");
  int rc = std::system(("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
                        "-addext subjectAltName=IP:127.0.0.1 -keyout " + key + " -out " + cert + " 2>/dev/null").c_str());
  ASSERT_EQ(WEXITSTATUS(rc), 0) << "openssl must be installed to make a test certificate";
  std::string plain = ReadFileOrDie(config_);
  std::string api = "  api:\n";
  std::string text = plain;
  text.insert(text.find(api) + api.size(), "    tls_certificate: \"" + cert + "\"\n    tls_key: \"" + key + "\"\n");
  WriteFile(config_, text);
  InitRepo();
  int port = Start();
  ASSERT_GT(port, 0);
  net::HttpCall call;
  call.url = "https://127.0.0.1:" + std::to_string(port) + "/api/v1/backups";
  call.headers.push_back("Authorization: Bearer " + std::string(kViewerToken));
  call.ca_bundle = cert;
  call.timeout_ms = 30000;
  auto reply = net::HttpSend(call);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 200) << reply->body;
  EXPECT_NE(reply->body.find("\"backups\""), std::string::npos);
  // Plain HTTP on the TLS port gets no API answer.
  auto clear = net::HttpRequest("GET", "http://127.0.0.1:" + std::to_string(port) + "/healthz", "", 5000);
  EXPECT_TRUE(!clear.ok() || clear->status != 200);
  EXPECT_EQ(Stop(), 0);

  // A key that is not the certificate's: serve refuses to start, naming both files.
  WriteFile(dir_ / "tls/other.pem", "");
  rc = std::system(("openssl genrsa -out " + dir_ / "tls/other.pem" + " 2048 2>/dev/null").c_str());
  ASSERT_EQ(WEXITSTATUS(rc), 0);
  text = plain;
  text.insert(text.find(api) + api.size(),
              "    tls_certificate: \"" + cert + "\"\n    tls_key: \"" + dir_ / "tls/other.pem" + "\"\n");
  WriteFile(config_, text);
  auto refused = Dr("serve", "timeout 60");  // were it to start, it would not hang the test
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("could not be loaded"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find(cert), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace dr::test
