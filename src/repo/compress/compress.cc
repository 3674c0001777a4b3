#include "repo/compress/compress.h"

#include <zstd.h>

#include <cstring>
#include <memory>

namespace dr::repo::compress {
namespace {
// One context per thread: creating a ZSTD_CCtx costs more than compressing a small blob.
struct CCtxHolder {
  ZSTD_CCtx* ctx = ZSTD_createCCtx();
  ~CCtxHolder() { ZSTD_freeCCtx(ctx); }
};
struct DCtxHolder {
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  ~DCtxHolder() { ZSTD_freeDCtx(ctx); }
};
}  // namespace

CompressionId Compress(std::string_view data, int level, std::string& out) {
  thread_local CCtxHolder holder;
  // A per-thread scratch buffer: sizing a fresh string to the compress bound
  // would zero-fill and fault in megabytes per call only to keep a fraction.
  thread_local std::unique_ptr<char[]> scratch;
  thread_local size_t scratch_size = 0;
  size_t bound = ZSTD_compressBound(data.size());
  if (scratch_size < bound) {
    scratch.reset(new char[bound]);  // not value-initialized: only the pages zstd writes are touched
    scratch_size = bound;
  }
  size_t n = ZSTD_compressCCtx(holder.ctx, scratch.get(), bound, data.data(), data.size(), level);
  if (ZSTD_isError(n) || n >= data.size()) {
    out.clear();
    return CompressionId::kNone;
  }
  out.assign(scratch.get(), n);
  return CompressionId::kZstd;
}

namespace {

// How many bytes data decompresses to, as its id says (zstd: the frame's header).
Result<size_t> ContentSize(CompressionId id, std::string_view data) {
  if (id == CompressionId::kNone) return data.size();
  if (id != CompressionId::kZstd) return Corrupt("unknown compression id " + std::to_string(static_cast<int>(id)));
  unsigned long long size = ZSTD_getFrameContentSize(data.data(), data.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return Corrupt("zstd frame has no valid content size");
  }
  return static_cast<size_t>(size);
}

std::string Claims(CompressionId id, size_t size) {
  return id == CompressionId::kNone ? "stored data is " + std::to_string(size) + " bytes"
                                    : "zstd frame claims " + std::to_string(size) + " bytes";
}

}  // namespace

Result<std::string> Decompress(CompressionId id, std::string_view data, size_t max_size) {
  DR_ASSIGN_OR_RETURN(size_t size, ContentSize(id, data));
  if (size > max_size) return Corrupt(Claims(id, size) + ", more than allowed");
  std::string out(size, '\0');
  DR_RETURN_IF_ERROR(DecompressInto(id, data, out.data(), out.size()));
  return out;
}

Status DecompressInto(CompressionId id, std::string_view data, char* out, size_t size) {
  DR_ASSIGN_OR_RETURN(size_t claimed, ContentSize(id, data));
  if (claimed != size) return Corrupt(Claims(id, claimed) + ", expected " + std::to_string(size));
  if (id == CompressionId::kNone) {
    std::memcpy(out, data.data(), size);
    return Status::Ok();
  }
  thread_local DCtxHolder holder;
  size_t n = ZSTD_decompressDCtx(holder.ctx, out, size, data.data(), data.size());
  if (ZSTD_isError(n) || n != size) {
    return Corrupt(std::string("zstd decompression failed: ") + (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short"));
  }
  return Status::Ok();
}

}  // namespace dr::repo::compress
