// The "s3" component: a data lake's buckets (or bucket/prefix) backed up
// object by object. An object whose key, size and ETag match the previous
// backup is not read again (its blobs are reused), so an incremental backup
// costs the listing plus one ranged read per changed object. Objects are read
// in 8 MiB ranges pinned to the listed ETag (If-Match), so memory stays bounded
// and an object rewritten during the backup is read again whole.
//
// Items: "<bucket>/<key>" (kind "s3_object"; meta: bucket, key, etag, last
// modified, and the object's metadata and tags as object_meta.h describes). An
// unchanged object whose item lacks that metadata (an older backup) or whose
// modification time moved (metadata replaced in place) costs one HEAD, not a read.
#pragma once

#include <string>
#include <vector>

#include "dr/source.h"
#include "net/s3/s3_client.h"
#include "source/component_items.h"
#include "repo/snapshot/snapshot.h"

namespace dr::source {

struct S3LakeOptions {
  net::s3::S3Options s3;         // endpoint, region, credentials; the bucket comes from targets
  std::vector<std::string> targets;  // "bucket" or "bucket/prefix/"
  // The last backup's "s3" component, if any. A format-2 base comes as a
  // summary and is read through open_list in listing order (BaseItems).
  const repo::SnapshotComponent* previous = nullptr;
  OpenList open_list;
  // Objects handled per window of the listing (about a listing page): what is
  // held of a target at a time. Tests make it small to cross windows.
  size_t window = 1000;
};

struct S3LakeStats {
  uint64_t objects = 0;
  uint64_t objects_read = 0;
  uint64_t objects_unchanged = 0;
  uint64_t bytes_read = 0;
  uint64_t requests = 0;
};

class S3LakeSource : public Source {
 public:
  explicit S3LakeSource(S3LakeOptions options) : options_(std::move(options)) {}
  std::string component() const override { return "s3"; }
  Status Backup(ItemWriter& writer) override;
  const S3LakeStats& stats() const { return stats_; }

 private:
  // Backs up one window of a target's listing (in listing order).
  Status BackupObjects(ItemWriter& writer, net::s3::S3Client& client, const std::string& bucket,
                       const std::vector<net::s3::ListedObject>& objects, BaseItems& base);

  S3LakeOptions options_;
  S3LakeStats stats_;
};

struct S3LakeRestoreOptions {
  net::s3::S3Options s3;
  std::string target_bucket;  // default: each object's own bucket
  std::string prefix;         // only keys starting with this
  uint64_t multipart_threshold = 64u << 20;
  uint64_t part_size = 16u << 20;
  OpenList open_list;  // walks a format-2 component's list (ForEachComponentItem)
};

// Puts every selected object back, walking the component's items in order,
// with its metadata and tags (object_meta.h) (s3lake_restore.cc). Small
// objects are read in batches and PUT in parallel; large ones go up as
// multipart uploads (aborted on failure). An object becomes visible only once
// all its bytes were authenticated and its size matched, so a failure
// leaves no partial object under its key. Stops at the first error (the
// objects of its batch being uploaded still finish), which names the object.
// Returns objects and bytes.
Result<std::pair<uint64_t, uint64_t>> RestoreS3Lake(const repo::SnapshotComponent& component, ItemReader& reader,
                                                    const S3LakeRestoreOptions& options);

}  // namespace dr::source
