// Result<T>: a value or a non-ok Status (std::expected is C++23; this is ours).
// DR_RETURN_IF_ERROR and DR_ASSIGN_OR_RETURN are the only macros the project adds,
// plus DR_CHECK for broken invariants (programmer errors abort; they are never a Status).
#pragma once

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <utility>
#include <variant>

#include "dr/status.h"

namespace dr {

namespace internal {
// Collects the "why" of a failed DR_CHECK and aborts when destroyed.
class CheckFailure {
 public:
  CheckFailure(const char* cond, const char* file, int line) {
    stream_ << file << ":" << line << ": check failed: " << cond << ": ";
  }
  [[noreturn]] ~CheckFailure() {
    std::cerr << stream_.str() << std::endl;
    std::abort();
  }
  template <typename T>
  CheckFailure& operator<<(const T& v) {
    stream_ << v;
    return *this;
  }

 private:
  std::ostringstream stream_;
};
}  // namespace internal

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : value_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(value_).ok()) {
      value_ = Status(Code::kFailed, "internal error: Result built from an ok Status");
    }
  }

  bool ok() const { return std::holds_alternative<T>(value_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(value_); }

  T& value() & { return Get(); }
  const T& value() const& { return std::get<T>(value_); }
  T&& value() && { return std::move(Get()); }
  T* operator->() { return &Get(); }
  const T* operator->() const { return &std::get<T>(value_); }
  T& operator*() & { return Get(); }
  const T& operator*() const& { return std::get<T>(value_); }

 private:
  T& Get() {
    if (!ok()) internal::CheckFailure("ok()", __FILE__, __LINE__) << std::get<Status>(value_).ToString();
    return std::get<T>(value_);
  }
  std::variant<Status, T> value_;
};

}  // namespace dr

#define DR_CONCAT_INNER(a, b) a##b
#define DR_CONCAT(a, b) DR_CONCAT_INNER(a, b)

#define DR_RETURN_IF_ERROR(expr)               \
  do {                                         \
    ::dr::Status dr_status_ = (expr);          \
    if (!dr_status_.ok()) return dr_status_;   \
  } while (0)

#define DR_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()

#define DR_ASSIGN_OR_RETURN(lhs, expr) \
  DR_ASSIGN_OR_RETURN_IMPL(DR_CONCAT(dr_result_, __LINE__), lhs, expr)

#define DR_CHECK(cond) \
  if (cond) {          \
  } else               \
    ::dr::internal::CheckFailure(#cond, __FILE__, __LINE__)
