// alert.test through the operations layer, over a recording HTTP transport:
// authorized by role, audited, one outcome per channel, and the exit codes.
#include "ops/alert_ops.h"

#include "base/fake_clock.h"
#include "security/audit/audit_log.h"
#include "test/support/test_support.h"

namespace dr::ops {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
namespace notify = automation::notify;

class AlertOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_.config.audit.log_file = dir_ / "audit.log";
    ctx_.config.access_control.enabled = true;
    ctx_.config.access_control.roles["admin"] = {"*"};
    ctx_.config.access_control.roles["operator"] = {"backup.create", "backup.list", "alert.test"};
    ctx_.config.access_control.users["ops"] = {"role:operator"};
    ctx_.config.access_control.users["viewer"] = {"backup.list"};
    ctx_.config.alerting.slack = {.enabled = true, .url = "https://hooks.slack.test/services/T0/B0/TOKEN"};
    ctx_.config.alerting.webhook = {.enabled = true, .url = "https://hooks.example.test/ecap"};
    ctx_.identity = {.user = "ops", .session = "s-1", .source = "local"};
    ctx_.clock = &clock_;
  }
  notify::Transports Recording() {
    return {.http = [this](const net::HttpCall& call) -> Result<net::HttpReply> {
      urls_.push_back(call.url);
      return net::HttpReply{.status = call.url.find("example") != std::string::npos ? status_ : 200};
    }};
  }

  test::TempDir dir_;
  FakeClock clock_;
  OperationContext ctx_;
  std::vector<std::string> urls_;
  long status_ = 200;
};

TEST_F(AlertOpsTest, EveryEnabledChannelOnceAndAudited) {
  OpResult r = AlertTest(ctx_, "", Recording());
  ASSERT_OK(r.status);
  EXPECT_EQ(r.data["status"], "success");
  ASSERT_EQ(r.data["channels"].size(), 2u);
  EXPECT_EQ(r.data["channels"][0]["channel"], "slack");
  EXPECT_EQ(r.data["channels"][0]["target"], "https://hooks.slack.test/...");
  EXPECT_EQ(r.data["channels"][1]["success"], true);
  EXPECT_EQ(urls_.size(), 2u);
  auto records = security::AuditLog(ctx_.config.audit.log_file, clock_).Read("", "");
  ASSERT_OK(records);
  ASSERT_EQ(records->size(), 1u);
  EXPECT_THAT((*records)[0].dump(), HasSubstr("alert.test"));
  EXPECT_THAT((*records)[0].dump(), HasSubstr("success"));
  EXPECT_EQ((*records)[0].dump().find("TOKEN"), std::string::npos);
}

TEST_F(AlertOpsTest, AFailedChannelIsExit5AndNamed) {
  status_ = 404;  // permanent: not retried, so the fake clock need not move
  OpResult r = AlertTest(ctx_, "", Recording());
  EXPECT_EQ(r.exit_code(), 5);
  EXPECT_EQ(r.data["status"], "failed");
  EXPECT_EQ(r.data["channels"][0]["success"], true);
  EXPECT_EQ(r.data["channels"][1]["error"], "https://hooks.example.test/... answered 404");
  EXPECT_EQ(r.status.message(), "1 of 2 channels failed: webhook: https://hooks.example.test/... answered 404");
}

TEST_F(AlertOpsTest, OnlyTheChannelNamedAndConfigurationErrors) {
  OpResult one = AlertTest(ctx_, "slack", Recording());
  ASSERT_OK(one.status);
  EXPECT_EQ(one.data["channels"].size(), 1u);
  OpResult off = AlertTest(ctx_, "email", Recording());
  EXPECT_EQ(off.exit_code(), 2);
  EXPECT_THAT(off.status.message(), HasSubstr("email: not configured"));
  EXPECT_EQ(urls_.size(), 1u);
}

TEST_F(AlertOpsTest, NeedsThePermission) {
  ctx_.identity.user = "viewer";
  OpResult r = AlertTest(ctx_, "", Recording());
  EXPECT_EQ(r.exit_code(), 3);
  EXPECT_TRUE(urls_.empty());
  ctx_.config.access_control.users["boss"] = {"role:admin"};
  ctx_.identity.user = "boss";
  EXPECT_OK(AlertTest(ctx_, "", Recording()).status);
}

}  // namespace
}  // namespace dr::ops
