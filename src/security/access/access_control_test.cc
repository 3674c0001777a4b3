#include "security/access/access_control.h"

#include <cstdlib>

#include "test/support/test_support.h"

namespace dr::security {
namespace {

// The guide's access_control section, plus a user given roles.
config::AccessControlConfig GuideRules() {
  config::AccessControlConfig c;
  c.enabled = true;
  c.users = {{"backup_admin", {"backup.*"}},
             {"backup_operator", {"backup.create", "backup.list"}},
             {"oncall", {"role:operator", "failover.execute"}},
             {"root_like", {"role:admin"}}};
  c.roles = {{"admin", {"*"}}, {"operator", {"backup.create", "backup.list", "backup.verify"}}};
  return c;
}

TEST(AccessControlTest, EveryPermissionAllowedAndDeniedWhereItShouldBe) {
  AccessControl ac(GuideRules());
  struct Case {
    const char* user;
    const char* permission;
    bool allowed;
  } cases[] = {
      {"backup_admin", "backup.create", true},    {"backup_admin", "backup.restore", true},
      {"backup_admin", "backup.delete", true},    {"backup_admin", "retention.apply", false},
      {"backup_admin", "key.rotate", false},      {"backup_operator", "backup.create", true},
      {"backup_operator", "backup.list", true},   {"backup_operator", "backup.restore", false},
      {"backup_operator", "backup.verify", false}, {"backup_operator", "audit.read", false},
      {"oncall", "backup.verify", true},          {"oncall", "failover.execute", true},
      {"oncall", "backup.delete", false},         {"root_like", "key.rotate", true},
      {"root_like", "runbook.execute", true},     {"stranger", "backup.list", false},
  };
  for (const auto& c : cases) {
    Decision d = ac.Check(c.user, c.permission);
    EXPECT_EQ(d.allowed, c.allowed) << c.user << " " << c.permission << ": " << d.rule;
    EXPECT_FALSE(d.rule.empty());
  }
  EXPECT_EQ(ac.Check("oncall", "backup.verify").rule, "role operator (of user oncall): backup.verify");
  EXPECT_EQ(ac.Check("backup_admin", "backup.restore").rule, "user backup_admin: backup.*");
  EXPECT_EQ(ac.Check("stranger", "backup.list").rule, "user 'stranger' is not listed in access_control.users");
}

TEST(AccessControlTest, DisabledAllowsEverything) {
  config::AccessControlConfig c = GuideRules();
  c.enabled = false;
  EXPECT_TRUE(AccessControl(c).Check("anyone", "key.rotate").allowed);
}

TEST(AccessControlTest, Patterns) {
  EXPECT_TRUE(PatternMatches("*", "audit.read"));
  EXPECT_TRUE(PatternMatches("backup.*", "backup.create"));
  EXPECT_FALSE(PatternMatches("backup.*", "backupx.create"));
  EXPECT_FALSE(PatternMatches("backup.create", "backup.created"));
}

TEST(AccessControlTest, IdentityIsTheOsUserAndTheSshClient) {
  ::setenv("SSH_CLIENT", "10.1.2.3 51234 22", 1);
  Identity id = ProcessIdentity();
  ::unsetenv("SSH_CLIENT");
  EXPECT_FALSE(id.user.empty());
  EXPECT_EQ(id.source, "10.1.2.3");
  EXPECT_FALSE(id.session.empty());
  EXPECT_EQ(ProcessIdentity().source, "local");
}

}  // namespace
}  // namespace dr::security
