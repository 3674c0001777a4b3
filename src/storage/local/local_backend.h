// A Backend on a local (or mounted) filesystem, rooted at one directory.
// Put writes a temporary file, fsyncs it, renames (or links, to refuse an
// overwrite) it into place and fsyncs the directory, so objects are durable and
// atomic. Files named ".tmp-*" are left-overs of killed writers: invisible to
// List, reported by ListLeftovers with their mtime (a live writer's file keeps
// being written; prune removes only old ones).
#pragma once

#include <memory>
#include <string>

#include "dr/backend.h"

namespace dr::storage {

struct LocalOptions {
  std::string root;
  bool sync = true;  // fsync files and directories; off only for throwaway test data
  // false: root is created by the first Put (`repo init`), so that opening a
  // mistyped path to read from it leaves no empty directory behind.
  bool create_root = true;
};

// Creates root (and parents) when missing, if create_root.
Result<std::unique_ptr<Backend>> NewLocalBackend(const LocalOptions& options);

}  // namespace dr::storage
