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
