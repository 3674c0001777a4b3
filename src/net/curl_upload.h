// A request body libcurl reads from memory (CURLOPT_READFUNCTION with
// CURLOPT_READDATA pointing at a CurlUpload): the HTTP client's bodies and
// the SMTP client's messages.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string_view>

namespace dr::net {

struct CurlUpload {
  std::string_view data;  // not owned: outlives the transfer
  size_t pos = 0;
};

// libcurl's read callback: the next bytes of the CurlUpload `user`.
inline size_t ReadCurlUpload(char* buf, size_t size, size_t n, void* user) {
  auto* up = static_cast<CurlUpload*>(user);
  size_t take = std::min(size * n, up->data.size() - up->pos);
  std::memcpy(buf, up->data.data() + up->pos, take);
  up->pos += take;
  return take;
}

}  // namespace dr::net
