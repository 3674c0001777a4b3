#include "test/support/test_support.h"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace dr::test {

ScopedTmpfs::ScopedTmpfs(const std::string& path, const std::string& size) : path_(path) {
  std::filesystem::create_directories(path);
  mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  error_ = mounted_ ? "" : std::string("cannot mount a small tmpfs (this test needs root): ") + std::strerror(errno);
}

ScopedTmpfs::~ScopedTmpfs() {
  if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "ecap-dr-test-XXXXXX").string();
  char* p = ::mkdtemp(tmpl.data());
  if (p == nullptr) std::abort();
  path_ = p;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string RandomData(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    for (size_t j = 0; j < 8 && i + j < n; ++j) out[i + j] = static_cast<char>(v >> (8 * j));
  }
  return out;
}

std::string TextData(size_t n, uint64_t seed) {
  static const char* kWords[] = {"order", "customer", "click", "checkout", "cart", "payment", "refund",
                                 "shipment", "sku", "price", "berlin", "paris", "tokyo", "2026-11-26"};
  std::mt19937_64 rng(seed);
  std::string out;
  out.reserve(n + 32);
  while (out.size() < n) {
    out += std::to_string(rng() % 100000);
    out += ',';
    out += kWords[rng() % std::size(kWords)];
    out += rng() % 8 == 0 ? '\n' : ' ';
  }
  out.resize(n);
  return out;
}

void WriteFile(const std::string& path, const std::string& data) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream f(path, std::ios::binary);
  f << data;
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    ADD_FAILURE() << "cannot read " << path;
    return "";
  }
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace dr::test

namespace dr::test {
namespace {
class BorrowedBackend : public Backend {
 public:
  explicit BorrowedBackend(Backend& target) : target_(target) {}
  BackendProperties Properties() const override { return target_.Properties(); }
  Status Put(const ObjectName& name, std::string_view data, const PutOptions& options) override {
    return target_.Put(name, data, options);
  }
  Result<std::string> Get(const ObjectName& name, ByteRange range) override { return target_.Get(name, range); }
  Result<ObjectInfo> Stat(const ObjectName& name) override { return target_.Stat(name); }
  Status List(ObjectKind kind, const std::function<Status(const ObjectInfo&)>& visit) override {
    return target_.List(kind, visit);
  }
  Status Remove(const ObjectName& name) override { return target_.Remove(name); }
  Status ListLeftovers(const std::function<Status(const Leftover&)>& visit) override {
    return target_.ListLeftovers(visit);
  }
  Status RemoveLeftover(const Leftover& leftover) override { return target_.RemoveLeftover(leftover); }

 private:
  Backend& target_;
};
}  // namespace

std::unique_ptr<Backend> BorrowBackend(Backend& target) { return std::make_unique<BorrowedBackend>(target); }

bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace dr::test
