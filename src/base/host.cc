#include "base/host.h"

#include <unistd.h>

namespace dr {

std::string HostName() {
  char host[256] = {0};
  if (::gethostname(host, sizeof(host) - 1) != 0) return "localhost";
  return host;
}

}  // namespace dr
