// Content-defined chunking with FastCDC (Xia et al., "The Design of Fast
// Content-Defined Chunking for Data Deduplication Based Storage Systems", 2020):
// a gear rolling hash with normalized chunking, so that an insertion moves cut
// points only near it and a dump that changed by 1% stores about 1% new data.
//
// Written by hand: no Debian package provides FastCDC for C++.
//
// The gear table is derived from a per-repository secret seed, so chunk sizes
// do not reveal content to whoever holds the storage (restic uses a secret
// polynomial for the same reason).
#pragma once

#include <array>
#include <memory>
#include <cstdint>
#include <string>

#include "dr/io.h"
#include "repo/format.h"

namespace dr::repo {

struct ChunkerParams {
  size_t min_size = kChunkMin;
  size_t avg_size = kChunkAvg;  // must be a power of two
  size_t max_size = kChunkMax;
};

using GearTable = std::array<uint64_t, 256>;
GearTable MakeGearTable(uint64_t seed);

// Finds the length of the first chunk in data[0, len); data holds either at
// least max_size bytes or the rest of the stream.
size_t FindCutPoint(const GearTable& gear, const ChunkerParams& params, const unsigned char* data, size_t len);

// Splits a ByteSource into chunks. Not thread-safe; the source must outlive it.
class Chunker {
 public:
  Chunker(ByteSource& source, const GearTable& gear, const ChunkerParams& params);
  // Moves the next chunk into *chunk. Returns false at the end of the stream.
  Result<bool> Next(std::string* chunk);

 private:
  Status Fill();

  ByteSource& source_;
  const GearTable& gear_;
  ChunkerParams params_;
  // Grows by doubling from 64 KiB to 2 x max_size as the stream turns out to
  // need it, and is never zeroed: a backup of many small files makes a Chunker
  // per file, and a buffer of 2 x 4 MiB zeroed for each took two thirds of the
  // CPU of a backup of 30,000 small files.
  std::unique_ptr<char[]> buf_;
  size_t capacity_ = 0;
  size_t pos_ = 0;  // start of unconsumed data in buf_
  size_t end_ = 0;  // end of valid data in buf_
  bool eof_ = false;
};

}  // namespace dr::repo
