// Status: the error value every layer returns across its boundary.
//
// A Status is a Code plus a lowercase message that names the object concerned
// ("unable to read pack 'ab12…' from /repo: no such file"). Codes are stable:
// they are CLI exit codes, metric labels and audit fields, so they live in one
// table (kCodeTable) and are never renumbered. See STYLE.md §4.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dr {

enum class Code : uint16_t {
  kOk = 0,
  kFailed,              // an operation failed for a reason not listed below
  kInvalidArgument,     // bad usage: unknown option, malformed id, ...
  kConfig,              // bad configuration, unreadable or malformed key
  kPermissionDenied,    // access control said no
  kNotFound,            // the named object does not exist
  kAlreadyExists,       // the named object exists and would be overwritten
  kWrongKey,            // the master key does not open the repository
  kCorrupt,             // data failed authentication, a checksum, or parsing
  kUnavailable,         // a server or backend did not answer; worth retrying
  kNoSpace,             // the target ran out of space
  kIoError,             // local I/O failed (not space)
  kLocked,              // someone else holds an exclusive lock
  kCancelled,           // the operation was interrupted
};

struct CodeInfo {
  Code code;
  const char* name;
  bool retryable;
  int exit_code;  // what `ecap-dr` exits with; README lists the table
};

// Exit codes: 0 ok, 1 operation failed, 2 usage or configuration error,
// 3 permission denied, 4 data corrupt, 5 server or backend unavailable,
// 6 no space left. 1..3 are ARCHITECTURE.md's; 4..6 refine "failed" so that
// scripts can tell a damaged repository from a full disk.
inline constexpr CodeInfo kCodeTable[] = {
    {Code::kOk, "ok", false, 0},
    {Code::kFailed, "failed", false, 1},
    {Code::kInvalidArgument, "invalid_argument", false, 2},
    {Code::kConfig, "config", false, 2},
    {Code::kPermissionDenied, "permission_denied", false, 3},
    {Code::kNotFound, "not_found", false, 1},
    {Code::kAlreadyExists, "already_exists", false, 1},
    {Code::kWrongKey, "wrong_key", false, 1},
    {Code::kCorrupt, "corrupt", false, 4},
    {Code::kUnavailable, "unavailable", true, 5},
    {Code::kNoSpace, "no_space", false, 6},
    {Code::kIoError, "io_error", false, 1},
    {Code::kLocked, "locked", true, 1},
    {Code::kCancelled, "cancelled", false, 1},
};

constexpr bool CodeTableIsOrdered() {
  for (size_t i = 0; i < std::size(kCodeTable); ++i) {
    if (static_cast<size_t>(kCodeTable[i].code) != i) return false;
  }
  return true;
}
static_assert(CodeTableIsOrdered(), "kCodeTable must list codes in enum order");

const CodeInfo& InfoOf(Code code);

// The code whose name (kCodeTable) is `name`; kFailed for a name no code has.
constexpr Code CodeFromName(std::string_view name) {
  for (const auto& info : kCodeTable) {
    if (name == info.name) return info.code;
  }
  return Code::kFailed;
}

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  bool retryable() const { return InfoOf(code_).retryable; }
  int exit_code() const { return InfoOf(code_).exit_code; }
  const char* code_name() const { return InfoOf(code_).name; }

  // Prefixes the message with what the caller was doing: "restore backup 'x': <message>".
  Status WithContext(std::string_view context) const;
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status Failed(std::string m) { return {Code::kFailed, std::move(m)}; }
inline Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status ConfigError(std::string m) { return {Code::kConfig, std::move(m)}; }
inline Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
inline Status Corrupt(std::string m) { return {Code::kCorrupt, std::move(m)}; }
inline Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status IoError(std::string m) { return {Code::kIoError, std::move(m)}; }

// Turns an errno value into a Status whose message names the path and the operation.
Status ErrnoStatus(int err, std::string_view what);

}  // namespace dr
