// The HTTP API's own parts without a daemon: strict bodies, tokens, the
// router's 401/404/405 and identity (over a real loopback socket), and the
// status page's rendering.
#include <httplib.h>

#include <thread>

#include <gtest/gtest.h>

#include "base/encoding.h"
#include "base/fs.h"
#include "server/api_auth.h"
#include "server/api_body.h"
#include "server/api_router.h"
#include "server/status_page.h"
#include "test/support/test_support.h"

namespace dr::server {
namespace {

using nlohmann::json;
using test::TempDir;
using test::WriteFile;

TEST(BodyReaderTest, ReadsKnownFieldsAndNamesWhatIsWrong) {
  BodyReader body;
  ASSERT_TRUE(body.Parse(R"({"full": true, "components": ["files"], "postgresql": {"target_db": "x"}})").ok());
  bool full = false;
  std::vector<std::string> components;
  body.Read("full", full);
  body.Read("components", components);
  BodyReader pg;
  ASSERT_TRUE(body.Sub("postgresql", pg));
  std::string db;
  pg.Read("target_db", db);
  EXPECT_TRUE(pg.Finish().ok());
  EXPECT_TRUE(body.Finish().ok());
  EXPECT_TRUE(full);
  EXPECT_EQ(components, std::vector<std::string>{"files"});
  EXPECT_EQ(db, "x");

  BodyReader typo;
  ASSERT_TRUE(typo.Parse(R"({"dry-run": true})").ok());
  bool dry = false;
  typo.Read("dry_run", dry);
  Status s = typo.Finish();
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("unknown field 'dry-run' (known: dry_run)"), std::string::npos) << s.message();

  BodyReader wrong;
  ASSERT_TRUE(wrong.Parse(R"({"full": "yes"})").ok());
  wrong.Read("full", full);
  EXPECT_NE(wrong.Finish().message().find("field 'full' must be true or false"), std::string::npos);

  BodyReader nested;
  ASSERT_TRUE(nested.Parse(R"({"postgresql": {"port": "x"}})").ok());
  BodyReader inner;
  ASSERT_TRUE(nested.Sub("postgresql", inner));
  int port = 0;
  inner.Read("port", port);
  EXPECT_NE(inner.Finish().message().find("field 'postgresql.port' must be an integer"), std::string::npos);

  BodyReader bad;
  EXPECT_NE(bad.Parse("{not json").message().find("not valid JSON"), std::string::npos);
  EXPECT_NE(bad.Parse("[1]").message().find("must be a JSON object"), std::string::npos);
  EXPECT_TRUE(bad.Parse("").ok());  // no body: {}
}

TEST(TokenAuthTest, MapsTokensToUsersByBearerOrBasic) {
  TempDir dir;
  WriteFile(dir / "bot", "0123456789abcdef-bot\n");
  WriteFile(dir / "viewer", "0123456789abcdef-viewer");
  ::chmod((dir / "bot").c_str(), 0600);
  ::chmod((dir / "viewer").c_str(), 0644);
  std::vector<std::string> warnings;
  auto auth = TokenAuth::Load({{"ops-bot", dir / "bot"}, {"viewer", dir / "viewer"}}, &warnings);
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("user 'viewer'"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("mode 0644"), std::string::npos) << warnings[0];

  EXPECT_EQ(auth->UserFor("Bearer 0123456789abcdef-bot"), "ops-bot");
  EXPECT_EQ(auth->UserFor("bearer   0123456789abcdef-viewer "), "viewer");
  EXPECT_EQ(auth->UserFor("Bearer 0123456789abcdef-bo"), std::nullopt);
  EXPECT_EQ(auth->UserFor(""), std::nullopt);
  EXPECT_EQ(auth->UserFor("Bearer"), std::nullopt);
  EXPECT_EQ(auth->UserFor("Basic " + Base64Encode("viewer:0123456789abcdef-viewer")), "viewer");
  // A browser login names the user: it must be the token's own.
  EXPECT_EQ(auth->UserFor("Basic " + Base64Encode("ops-bot:0123456789abcdef-viewer")), std::nullopt);
  EXPECT_EQ(auth->UserFor("Basic !!!"), std::nullopt);
  // The session id names the credential without revealing it.
  std::string id = TokenAuth::CredentialId("Bearer 0123456789abcdef-bot");
  EXPECT_EQ(id.size(), 8u);
  EXPECT_EQ(id, TokenAuth::CredentialId("Bearer 0123456789abcdef-bot"));
  EXPECT_NE(id, TokenAuth::CredentialId("Bearer 0123456789abcdef-viewer"));
}

TEST(TokenAuthTest, RefusesTokensThatCannotServe) {
  TempDir dir;
  WriteFile(dir / "short", "abc\n");
  WriteFile(dir / "empty", "\n");
  WriteFile(dir / "a", "0123456789abcdef-same");
  WriteFile(dir / "b", "0123456789abcdef-same\n");
  auto missing = TokenAuth::Load({{"bot", dir / "nope"}});
  EXPECT_EQ(missing.status().code(), Code::kConfig);
  EXPECT_NE(missing.status().message().find("user 'bot'): token_file " + (dir / "nope") + " cannot be read"),
            std::string::npos)
      << missing.status().message();
  EXPECT_NE(TokenAuth::Load({{"bot", dir / "short"}}).status().message().find("at least 16"), std::string::npos);
  EXPECT_NE(TokenAuth::Load({{"bot", dir / "empty"}}).status().message().find("is empty"), std::string::npos);
  auto same = TokenAuth::Load({{"a", dir / "a"}, {"b", dir / "b"}});
  EXPECT_NE(same.status().message().find("the same token as user 'a'"), std::string::npos) << same.status().message();
}

// A router on a real loopback socket, with an audit log to check.
class ApiRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_ / "token", "0123456789abcdef-bot");
    auto loaded = TokenAuth::Load({{"ops-bot", dir_ / "token"}});
    ASSERT_TRUE(loaded.ok());
    auth_ = std::move(*loaded);
    ctx_.config.audit.log_file = dir_ / "audit.log";
    router_ = std::make_unique<ApiRouter>(auth_, ctx_);
    router_->Add("GET", "/open", Access::kOpen, [](ApiCall& c) { ApiRouter::Send(c.response, 200, {{"open", true}}); });
    router_->Add("GET", "/api/v1/things/{id}", Access::kToken, [](ApiCall& c) {
      ApiRouter::Send(c.response, 200,
                      {{"id", c.params.at("id")}, {"user", c.identity.user}, {"source", c.identity.source},
                       {"session", c.identity.session}});
    });
    router_->Add("POST", "/api/v1/things/{id}", Access::kToken, [](ApiCall& c) { ApiRouter::Send(c.response, 202, {}); });
    router_->Add("GET", "/", Access::kTokenLogin, [](ApiCall& c) { c.response.set_content("page", "text/html"); });
    router_->Install(server_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  void TearDown() override {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  TempDir dir_;
  TokenAuth auth_;
  ops::OperationContext ctx_;
  std::unique_ptr<ApiRouter> router_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

TEST_F(ApiRouterTest, AnswersUnknownPathsMethodsAndCallersInOnePlace) {
  httplib::Client client("127.0.0.1", port_);
  auto open = client.Get("/open");
  ASSERT_TRUE(open);
  EXPECT_EQ(open->status, 200);

  auto missing = client.Get("/api/v1/nothing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(json::parse(missing->body)["error"]["code"], "not_found");

  auto wrong = client.Delete("/api/v1/things/7");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->get_header_value("Allow"), "GET, POST");
  EXPECT_NE(wrong->body.find("DELETE is not allowed on /api/v1/things/7"), std::string::npos) << wrong->body;

  auto anonymous = client.Get("/api/v1/things/7");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_EQ(anonymous->get_header_value("WWW-Authenticate"), "Bearer realm=\"ecap-dr\"");
  EXPECT_NE(anonymous->body.find("no credential"), std::string::npos) << anonymous->body;
  auto login = client.Get("/");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 401);
  EXPECT_EQ(login->get_header_value("WWW-Authenticate").rfind("Basic realm=\"ecap-dr\"", 0), 0u);

  httplib::Headers bearer{{"Authorization", "Bearer 0123456789abcdef-bot"}};
  auto ok = client.Get("/api/v1/things/7", bearer);
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  json who = json::parse(ok->body);
  EXPECT_EQ(who["id"], "7");
  EXPECT_EQ(who["user"], "ops-bot");
  EXPECT_EQ(who["source"], "127.0.0.1");
  std::string session = who["session"];
  EXPECT_EQ(session.rfind("api-" + TokenAuth::CredentialId("Bearer 0123456789abcdef-bot") + "-", 0), 0u) << session;
  EXPECT_EQ(ok->get_header_value("X-Request-Id"), session);

  auto bad = client.Get("/api/v1/things/7", {{"Authorization", "Bearer not-a-token-of-ours"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 401);
  // Both refusals are in the audit trail, with where they came from.
  auto audit = ReadFile(dir_ / "audit.log");
  ASSERT_TRUE(audit.ok());
  EXPECT_NE(audit->find("\"api.authenticate\""), std::string::npos) << *audit;
  EXPECT_NE(audit->find("GET /api/v1/things/7"), std::string::npos) << *audit;
  EXPECT_NE(audit->find("the credential is not a token of automation.api.tokens"), std::string::npos) << *audit;
  EXPECT_NE(audit->find("127.0.0.1"), std::string::npos) << *audit;
}

TEST(StatusPageTest, ShowsEachSectionAndEscapesWhatComesFromOutside) {
  json view = json::parse(R"({
    "generated_at": "2026-12-02T10:00:00Z", "host": "dr-1",
    "rto_target_seconds": 900, "rpo_target_seconds": 300, "max_backup_age_seconds": 90000,
    "services": [{"name": "primary-db", "status": "failed", "since": "2026-12-02T09:59:00Z", "error": "connection refused"}],
    "components": [{"name": "files", "last_backup": "2026-12-02T09:58:00Z", "age_seconds": 120, "size_bytes": 2048, "jobs": ["nightly"]},
                   {"name": "kafka", "last_backup": null, "age_seconds": null, "size_bytes": 0, "jobs": []}],
    "jobs": [{"name": "<script>alert(1)</script>", "action": "backup", "schedule": "daily 02:00", "running": false,
              "next_runs": [{"local": "2026-12-03 02:00:00 CET"}],
              "last_run": {"outcome": "failed", "started": "2026-12-02T02:00:00Z"}, "last_success": null}],
    "alerts": [{"name": "BackupTooOld", "severity": "critical", "labels": {"component": "kafka"},
                "annotations": {"summary": "The newest kafka backup is older than the limit."}, "starts_at": "2026-12-02T09:00:00Z"}],
    "last_failover": {"timestamp": "2026-12-01T12:00:00Z", "event_type": "failover_completed", "reason": "drill",
                      "rto_seconds": 140, "rpo_seconds": 2, "rto_met": true, "rpo_met": true},
    "last_drill": {"timestamp": "2026-12-02T06:00:00Z", "event_type": "drill_failed", "scenario": "restore-test",
                   "backup_id": "full_0", "rto_seconds": 75, "rpo_seconds": 400, "rto_met": false, "rpo_met": false,
                   "error": "postgresql: <damaged>"},
    "events": [{"timestamp": "2026-12-02T09:58:00Z", "event_type": "backup_completed", "data": {"backup_id": "full_1", "user": "ops"}}]
  })");
  std::string html = RenderStatusPage(view);
  EXPECT_EQ(html.find("<script>"), std::string::npos) << "a job name must not become markup";
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("<meta name=\"viewport\""), std::string::npos);
  EXPECT_NE(html.find("1 alert firing, 1 service not healthy"), std::string::npos);
  EXPECT_NE(html.find("connection refused"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"badge ok\">2m</span>"), std::string::npos) << "files is within the RPO";
  EXPECT_NE(html.find("<span class=\"badge bad\">never</span>"), std::string::npos) << "kafka never backed up";
  EXPECT_NE(html.find("2026-12-03 02:00:00 CET"), std::string::npos);
  EXPECT_NE(html.find("The newest kafka backup is older than the limit."), std::string::npos);
  EXPECT_NE(html.find("2m 20s"), std::string::npos) << "the failover's RTO";
  EXPECT_NE(html.find("<h2>Last drill</h2>"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"badge bad\">failed</span>"), std::string::npos) << "the drill failed";
  EXPECT_NE(html.find("<span class=\"badge bad\">1m 15s</span>"), std::string::npos) << "the drill's RTO, not met";
  EXPECT_NE(html.find("postgresql: &lt;damaged&gt;"), std::string::npos) << "its error, escaped";
  EXPECT_NE(html.find("full_1"), std::string::npos);
  EXPECT_EQ(HtmlEscape("a&b\"'<>"), "a&amp;b&quot;&#39;&lt;&gt;");
}

}  // namespace
}  // namespace dr::server
