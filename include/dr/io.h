// Byte streams between sources, the repository and restore targets.
// A ByteSource is read once, front to back; a ByteSink takes bytes in order.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "dr/result.h"

namespace dr {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to n bytes into buf; returns 0 at the end of the stream.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
};

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status Write(std::string_view data) = 0;
};

// Reads from a string held by the caller; the string must outlive the source.
class StringSource : public ByteSource {
 public:
  explicit StringSource(std::string_view data) : data_(data) {}
  Result<size_t> Read(char* buf, size_t n) override;

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// Appends to a string held by the caller.
class StringSink : public ByteSink {
 public:
  explicit StringSink(std::string& out) : out_(out) {}
  Status Write(std::string_view data) override {
    out_.append(data);
    return Status::Ok();
  }

 private:
  std::string& out_;
};

// Reads from / writes to an open file descriptor; does not own or close it.
class FdSource : public ByteSource {
 public:
  FdSource(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  Result<size_t> Read(char* buf, size_t n) override;

 private:
  int fd_;
  std::string name_;
};

class FdSink : public ByteSink {
 public:
  FdSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  Status Write(std::string_view data) override;

 private:
  int fd_;
  std::string name_;
};

}  // namespace dr
