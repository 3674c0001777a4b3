// On-disk constants of the repository format. Every constant here is described
// in docs/format.md; the section is named beside it. Never renumber an id: old
// repositories must stay readable (test/fixtures pins this).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dr::repo {

// §Config. 2: backups are written in snapshot format 2 (item lists), which a
// reader of version 1 would take for empty backups (and whose data its prune
// would delete): it refuses a version-2 repository by name. Version-1
// repositories keep taking format-1 backups until `repo upgrade`.
inline constexpr int kRepositoryVersion = 2;
// §Snapshots: 1 lists the items in the manifest; 2 stores them in item list
// blobs (§Item lists). Both are read.
inline constexpr int kSnapshotFormat = 2;

// §Sealed objects: every blob, pack trailer, index, snapshot and key file body.
inline constexpr uint8_t kSealVersion = 1;
inline constexpr size_t kSealHeaderSize = 20;  // version, cipher, compression, type, key id (4), nonce (12)
inline constexpr size_t kSealTagSize = 16;
inline constexpr size_t kSealOverhead = kSealHeaderSize + kSealTagSize;

enum class CipherId : uint8_t {
  kNone = 0,        // unencrypted repository: tag = first 16 bytes of SHA-256(header || payload)
  kAes256Gcm = 1,   // AES-256-GCM, 96-bit random nonce, 128-bit tag, header as AAD
  kReservedChaCha20Poly1305 = 2,
};

enum class CompressionId : uint8_t {
  kNone = 0,
  kZstd = 1,
  kReservedLz4 = 2,
};

// What a sealed object is; part of the authenticated header, so one kind can
// never be passed off as another.
enum class ObjectType : uint8_t {
  kData = 1,
  kPackTrailer = 2,
  kIndex = 3,
  kSnapshot = 4,
  kKeyFile = 5,
  kWal = 6,  // a PostgreSQL WAL segment, history or backup file (docs/format.md §WAL)
};

// §Packs
inline constexpr std::string_view kPackMagic = "ECDRPK01";
inline constexpr size_t kPackFooterSize = 4 + kPackMagic.size();  // u32 trailer length + magic
inline constexpr size_t kPackEntrySize = 1 + 32 + 4 + 4 + 4;        // type, id, offset, length, raw length
inline constexpr size_t kDefaultPackSize = 16u << 20;

// §Index
inline constexpr std::string_view kIndexMagic = "ECDRIX01";

// §Chunking (FastCDC)
inline constexpr size_t kChunkMin = 256u << 10;
inline constexpr size_t kChunkAvg = 1u << 20;
inline constexpr size_t kChunkMax = 4u << 20;

// Decompressed sizes above this are refused as corrupt (a bomb, or a damaged header).
inline constexpr size_t kMaxPlaintext = 1u << 30;

}  // namespace dr::repo
