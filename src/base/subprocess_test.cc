#include "base/subprocess.h"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "test/support/test_support.h"

namespace dr {
namespace {

// The whole tree goes: a child that started one of its own (as pg_restore -j
// starts its workers), both sharing the stderr pipe Wait drains to its end.
// Without the grandchild killed too, Wait would not return while it lives.
TEST(SubprocessTest, KillTreeEndsTheChildAndWhatItStarted) {
  auto child = Subprocess::Start({.argv = {"sh", "-c", "sleep 1000 & echo $!; exec sleep 1000"}});
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  std::string line;
  char c;
  while (::read((*child)->stdout_fd(), &c, 1) == 1 && c != '\n') line += c;
  pid_t grandchild = static_cast<pid_t>(std::stol(line));
  ASSERT_EQ(::kill(grandchild, 0), 0);
  EXPECT_TRUE((*child)->KillTree(SIGKILL));
  auto code = (*child)->Wait();
  ASSERT_TRUE(code.ok()) << code.status().ToString();
  EXPECT_EQ(*code, 128 + SIGKILL);
  EXPECT_FALSE((*child)->KillTree(SIGKILL)) << "reaped: nothing to signal";
  // The grandchild was killed: gone, or a zombie until init reaps it.
  auto dead = [&] {
    std::ifstream in("/proc/" + std::to_string(grandchild) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    auto paren = stat.rfind(')');
    return stat.empty() || (paren != std::string::npos && stat.substr(paren + 2, 1) == "Z");
  };
  EXPECT_TRUE(test::Eventually(dead, std::chrono::seconds(30))) << "the grandchild lives on";
}

}  // namespace
}  // namespace dr
