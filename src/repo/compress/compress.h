// Compression leaf module: zstd, keyed by the CompressionId stored in every
// sealed object's header. Knows nothing of encryption or packs.
#pragma once

#include <string>
#include <string_view>

#include "dr/result.h"
#include "repo/format.h"

namespace dr::repo::compress {

// Compresses with zstd at level; returns kNone and leaves out empty when the
// data does not shrink (it is then stored raw).
CompressionId Compress(std::string_view data, int level, std::string& out);

// Decompresses data stored with id; refuses (kCorrupt) outputs above max_size.
Result<std::string> Decompress(CompressionId id, std::string_view data, size_t max_size);
// Decompresses into out, which holds exactly `size` bytes: kCorrupt when the
// data does not decompress to that size. Nothing is allocated or zeroed.
Status DecompressInto(CompressionId id, std::string_view data, char* out, size_t size);

}  // namespace dr::repo::compress
