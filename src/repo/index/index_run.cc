#include "repo/index/index_run.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace dr::repo {
namespace {

// 85 entries of 48 bytes: a block fits one 4 KiB page, so a lookup reads one.
constexpr size_t kBlockEntries = 85;
constexpr size_t kBufferEntries = kBlockEntries * 1024;  // ~4 MiB of sequential I/O
constexpr size_t kFilterBitsPerEntry = 10;                // ~1% false positives
constexpr size_t kFilterWords = 8;                        // one 64-byte cache line per block
constexpr int kFilterProbes = 6;

uint64_t Word(const BlobId& id, size_t at) {
  uint64_t w;
  std::memcpy(&w, id.bytes.data() + at, sizeof w);
  return w;
}

// Ids are HMACs, uniformly distributed: their own bytes are the hashes. Bytes
// 16.. are used, not those the in-memory map hashes on.
size_t FilterBlock(const BlobId& id, size_t blocks) {
  return static_cast<size_t>((static_cast<unsigned __int128>(Word(id, 16)) * blocks) >> 64);
}

Status WriteAll(int fd, const char* data, size_t size, const std::string& dir) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "unable to write a temporary index file in '" + dir + "'");
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status ReadAll(int fd, char* data, size_t size, uint64_t offset) {
  while (size > 0) {
    ssize_t n = ::pread(fd, data, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "unable to read a temporary index file");
    if (n == 0) return Status(Code::kIoError, "a temporary index file is shorter than written");
    data += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Result<int> OpenTempFile(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
    return ErrnoStatus(errno, "unable to create a temporary index file in '" + dir + "'");
  }
  // A file system without O_TMPFILE: a name, unlinked at once.
  std::string path = dir + "/.ecap-dr-index-XXXXXX";
  fd = ::mkostemp(path.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "unable to create a temporary index file in '" + dir + "'");
  ::unlink(path.c_str());
  return fd;
}

}  // namespace

class IndexRun::Builder {
 public:
  Builder(std::string dir, size_t expected) : dir_(std::move(dir)) {
    run_.reset(new IndexRun());
    run_->filter_.assign(std::max<size_t>(1, (expected * kFilterBitsPerEntry + 511) / 512) * kFilterWords, 0);
    run_->block_first_.reserve(expected / kBlockEntries + 1);
    buffer_.reserve(kBufferEntries);
  }

  Status Open() {
    DR_ASSIGN_OR_RETURN(run_->fd_, OpenTempFile(dir_));
    return Status::Ok();
  }

  Status Add(const IndexEntry& e) {
    if (run_->count_ % kBlockEntries == 0) run_->block_first_.push_back(e.id);
    size_t blocks = run_->filter_.size() / kFilterWords;
    uint64_t* block = run_->filter_.data() + FilterBlock(e.id, blocks) * kFilterWords;
    uint64_t bits = Word(e.id, 24);
    for (int i = 0; i < kFilterProbes; ++i, bits >>= 9) block[(bits & 511) >> 6] |= uint64_t{1} << (bits & 63);
    run_->count_++;
    buffer_.push_back(e);
    if (buffer_.size() == kBufferEntries) return Drain();
    return Status::Ok();
  }

  Result<std::unique_ptr<IndexRun>> Finish() {
    DR_RETURN_IF_ERROR(Drain());
    run_->block_first_.shrink_to_fit();
    return std::move(run_);
  }

 private:
  Status Drain() {
    Status s = WriteAll(run_->fd_, reinterpret_cast<const char*>(buffer_.data()), buffer_.size() * sizeof(IndexEntry), dir_);
    buffer_.clear();
    return s;
  }

  std::string dir_;
  std::unique_ptr<IndexRun> run_;
  std::vector<IndexEntry> buffer_;
};

// Reads a run from the start, a buffer at a time.
class IndexRun::Cursor {
 public:
  explicit Cursor(const IndexRun& run) : run_(run) {}

  // false at the end.
  Result<bool> Next(IndexEntry& out) {
    if (at_ == buffer_.size()) {
      size_t n = std::min(kBufferEntries / 4, run_.count_ - read_);
      if (n == 0) return false;
      buffer_.resize(n);
      DR_RETURN_IF_ERROR(ReadAll(run_.fd_, reinterpret_cast<char*>(buffer_.data()), n * sizeof(IndexEntry),
                                 read_ * sizeof(IndexEntry)));
      read_ += n;
      at_ = 0;
    }
    out = buffer_[at_++];
    return true;
  }

 private:
  const IndexRun& run_;
  std::vector<IndexEntry> buffer_;
  size_t at_ = 0;
  size_t read_ = 0;
};

IndexRun::~IndexRun() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<IndexRun>> IndexRun::Write(const std::string& dir, const std::vector<IndexEntry>& sorted) {
  Builder builder(dir, sorted.size());
  DR_RETURN_IF_ERROR(builder.Open());
  for (const auto& e : sorted) DR_RETURN_IF_ERROR(builder.Add(e));
  return builder.Finish();
}

Result<std::unique_ptr<IndexRun>> IndexRun::Merge(const std::string& dir, const std::vector<const IndexRun*>& runs) {
  size_t total = 0;
  for (const auto* r : runs) total += r->count_;
  Builder builder(dir, total);
  DR_RETURN_IF_ERROR(builder.Open());
  std::vector<Cursor> cursors;
  std::vector<IndexEntry> heads(runs.size());
  std::vector<bool> live(runs.size());
  cursors.reserve(runs.size());
  for (size_t i = 0; i < runs.size(); ++i) {
    cursors.emplace_back(*runs[i]);
    DR_ASSIGN_OR_RETURN(bool more, cursors[i].Next(heads[i]));
    live[i] = more;
  }
  // Few runs are merged at once (Index keeps O(log n) of them): a linear pick.
  for (;;) {
    size_t pick = runs.size();
    for (size_t i = 0; i < runs.size(); ++i) {
      if (live[i] && (pick == runs.size() || IdLess(heads[i].id, heads[pick].id))) pick = i;
    }
    if (pick == runs.size()) break;
    DR_RETURN_IF_ERROR(builder.Add(heads[pick]));
    BlobId added = heads[pick].id;
    for (size_t i = 0; i < runs.size(); ++i) {
      while (live[i] && heads[i].id == added) {
        DR_ASSIGN_OR_RETURN(bool more, cursors[i].Next(heads[i]));
        live[i] = more;
      }
    }
  }
  return builder.Finish();
}

bool IndexRun::MayHave(const BlobId& id) const {
  if (count_ == 0) return false;
  size_t blocks = filter_.size() / kFilterWords;
  const uint64_t* block = filter_.data() + FilterBlock(id, blocks) * kFilterWords;
  uint64_t bits = Word(id, 24);
  for (int i = 0; i < kFilterProbes; ++i, bits >>= 9) {
    if (!(block[(bits & 511) >> 6] & (uint64_t{1} << (bits & 63)))) return false;
  }
  return true;
}

Result<std::optional<IndexEntry>> IndexRun::Find(const BlobId& id) const {
  if (!MayHave(id)) return std::optional<IndexEntry>();
  auto after = std::upper_bound(block_first_.begin(), block_first_.end(), id, IdLess);
  if (after == block_first_.begin()) return std::optional<IndexEntry>();
  size_t block = static_cast<size_t>(after - block_first_.begin()) - 1;
  size_t first = block * kBlockEntries;
  size_t n = std::min(kBlockEntries, count_ - first);
  IndexEntry entries[kBlockEntries];
  DR_RETURN_IF_ERROR(ReadAll(fd_, reinterpret_cast<char*>(entries), n * sizeof(IndexEntry), first * sizeof(IndexEntry)));
  auto it = std::lower_bound(entries, entries + n, id, [](const IndexEntry& e, const BlobId& k) { return IdLess(e.id, k); });
  if (it == entries + n || !(it->id == id)) return std::optional<IndexEntry>();
  return std::optional<IndexEntry>(*it);
}

size_t IndexRun::memory_bytes() const {
  return filter_.capacity() * sizeof(uint64_t) + block_first_.capacity() * sizeof(BlobId);
}

}  // namespace dr::repo
