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

Result<std::string> Decompress(CompressionId id, std::string_view data, size_t max_size) {
  if (id == CompressionId::kNone) {
    if (data.size() > max_size) return Corrupt("stored data is larger than allowed");
    return std::string(data);
  }
  if (id != CompressionId::kZstd) {
    return Corrupt("unknown compression id " + std::to_string(static_cast<int>(id)));
  }
  unsigned long long size = ZSTD_getFrameContentSize(data.data(), data.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return Corrupt("zstd frame has no valid content size");
  }
  if (size > max_size) return Corrupt("zstd frame claims " + std::to_string(size) + " bytes, more than allowed");
  std::string out(size, '\0');
  DR_RETURN_IF_ERROR(DecompressInto(id, data, out.data(), out.size()));
  return out;
}

Status DecompressInto(CompressionId id, std::string_view data, char* out, size_t size) {
  if (id == CompressionId::kNone) {
    if (data.size() != size) return Corrupt("stored data is " + std::to_string(data.size()) + " bytes, expected " + std::to_string(size));
    std::memcpy(out, data.data(), size);
    return Status::Ok();
  }
  if (id != CompressionId::kZstd) {
    return Corrupt("unknown compression id " + std::to_string(static_cast<int>(id)));
  }
  unsigned long long frame = ZSTD_getFrameContentSize(data.data(), data.size());
  if (frame == ZSTD_CONTENTSIZE_ERROR || frame == ZSTD_CONTENTSIZE_UNKNOWN) {
    return Corrupt("zstd frame has no valid content size");
  }
  if (frame != size) return Corrupt("zstd frame claims " + std::to_string(frame) + " bytes, expected " + std::to_string(size));
  thread_local DCtxHolder holder;
  size_t n = ZSTD_decompressDCtx(holder.ctx, out, size, data.data(), data.size());
  if (ZSTD_isError(n) || n != size) {
    return Corrupt(std::string("zstd decompression failed: ") + (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short"));
  }
  return Status::Ok();
}

}  // namespace dr::repo::compress
