#include "dr/status.h"

#include <cstring>
#include <string>

namespace dr {

const CodeInfo& InfoOf(Code code) {
  auto idx = static_cast<size_t>(code);
  if (idx >= std::size(kCodeTable)) idx = static_cast<size_t>(Code::kFailed);
  return kCodeTable[idx];
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  return Status(code_, std::string(context) + ": " + message_);
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(code_name()) + ": " + message_;
}

Status ErrnoStatus(int err, std::string_view what) {
  std::string msg = std::string(what) + ": " + std::strerror(err);
  switch (err) {
    case ENOENT:
      return Status(Code::kNotFound, msg);
    case EEXIST:
      return Status(Code::kAlreadyExists, msg);
    case ENOSPC:
    case EDQUOT:
      return Status(Code::kNoSpace, msg);
    case EACCES:
    case EPERM:
    case EROFS:
      // A file or directory the user may not read or write: exit code 3, as
      // documented, so that a wrong owner or mode is told apart from a failure.
      return Status(Code::kPermissionDenied, msg);
    default:
      return Status(Code::kIoError, msg);
  }
}

}  // namespace dr

#if defined(__SANITIZE_ADDRESS__)
// LeakSanitizer's built-in suppressions, for the sanitizer builds of
// scripts/test.sh (compiled into every binary, so a child process that the
// tests do not start themselves, like `wal push` run by PostgreSQL, has them
// too). librdkafka 2.0.2 keeps one 176-byte allocation of its own when an admin
// request waits for a controller that never comes (DescribeConfigs and
// ListConsumerGroups against the mock cluster): it is made on librdkafka's
// threads with no frame of ours, and AdminCall (net/kafka/client.cc)
// destroys every event, option and queue it is handed. Third-party libraries only.
extern "C" const char* __lsan_default_suppressions() { return "leak:librdkafka.so.1\n"; }
// ... and without the table of suppressions used, which every command that
// talks to the mock cluster would otherwise print (the demo's output too).
extern "C" const char* __lsan_default_options() { return "print_suppressions=0"; }
#endif
