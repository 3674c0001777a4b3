#include "base/ownership.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "test/support/test_support.h"

namespace dr {
namespace {

uid_t OwnerOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_uid;
}

// Root writing into a directory of another user (postgres, for its
// archive_command) gives what it creates to that user; into its own, keeps it.
TEST(OwnershipTest, WhatRootCreatesInAnotherUsersDirectoryIsThatUsers) {
  // The suite runs as root (scripts/test.sh installs packages; CI runs it so): giving a file away needs it.
  ASSERT_EQ(::geteuid(), 0u) << "giving files to another user needs root, as scripts/test.sh runs";
  test::TempDir dir;
  const std::string theirs = dir.path() + "/theirs", mine = dir.path() + "/mine";
  ASSERT_OK(MakeDirs(theirs, 0700));
  ASSERT_OK(MakeDirs(mine, 0700));
  ASSERT_EQ(::chown(theirs.c_str(), 65534, 65534), 0);

  ASSERT_OK(WriteFileAtomic(theirs + "/key", "secret\n", {.mode = 0600}));
  EXPECT_EQ(OwnerOf(theirs + "/key"), 65534u);
  ASSERT_OK(WriteFileAtomic(theirs + "/key", "rotated\n", {.mode = 0600}));  // replaced: still theirs
  EXPECT_EQ(OwnerOf(theirs + "/key"), 65534u);
  ASSERT_OK(MakeDirs(theirs + "/data/ab", 0700));
  EXPECT_EQ(OwnerOf(theirs + "/data"), 65534u);
  EXPECT_EQ(OwnerOf(theirs + "/data/ab"), 65534u);
  ASSERT_OK(WriteFileAtomic(theirs + "/data/ab/pack", "p", {.mode = 0600}));
  EXPECT_EQ(OwnerOf(theirs + "/data/ab/pack"), 65534u);

  ASSERT_OK(WriteFileAtomic(mine + "/key", "secret\n", {.mode = 0600}));
  EXPECT_EQ(OwnerOf(mine + "/key"), 0u);
  // In root's own directory, a file that belongs to another user keeps its
  // owner when root replaces it (a key file postgres reads).
  ASSERT_OK(WriteFileAtomic(mine + "/theirs.key", "secret\n", {.mode = 0600}));
  ASSERT_EQ(::chown((mine + "/theirs.key").c_str(), 65534, 65534), 0);
  ASSERT_OK(WriteFileAtomic(mine + "/theirs.key", "rotated\n", {.mode = 0600}));
  EXPECT_EQ(OwnerOf(mine + "/theirs.key"), 65534u);

  // The directory's owner cannot point root's chown at another file: not
  // through a symlink planted under the expected name, nor a hard link.
  ASSERT_EQ(::symlink((mine + "/key").c_str(), (theirs + "/events.db").c_str()), 0);
  GiveToParentOwner(theirs + "/events.db");
  EXPECT_EQ(OwnerOf(mine + "/key"), 0u);
  ASSERT_EQ(::link((mine + "/key").c_str(), (theirs + "/events.db-wal").c_str()), 0);
  GiveToParentOwner(theirs + "/events.db-wal");
  EXPECT_EQ(OwnerOf(mine + "/key"), 0u);
}

}  // namespace
}  // namespace dr
