#include "dr/io.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dr {

Result<size_t> StringSource::Read(char* buf, size_t n) {
  size_t take = std::min(n, data_.size() - pos_);
  std::memcpy(buf, data_.data() + pos_, take);
  pos_ += take;
  return take;
}

Result<size_t> FdSource::Read(char* buf, size_t n) {
  while (true) {
    ssize_t got = ::read(fd_, buf, n);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno == EINTR) continue;
    return ErrnoStatus(errno, "unable to read '" + name_ + "'");
  }
}

Status FdSink::Write(std::string_view data) {
  while (!data.empty()) {
    ssize_t put = ::write(fd_, data.data(), data.size());
    if (put < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "unable to write '" + name_ + "'");
    }
    data.remove_prefix(static_cast<size_t>(put));
  }
  return Status::Ok();
}

}  // namespace dr
