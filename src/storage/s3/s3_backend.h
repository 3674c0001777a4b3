// A Backend on an S3 bucket (under an optional key prefix), laid out like the
// local one (storage/layout). Put is a single PUT (objects are whole: packs are
// ~16 MiB), exclusive when asked with `If-None-Match: *`, so two writers of one
// snapshot name cannot both win. Ranged GETs for blobs; ListObjectsV2 with
// pagination for listings.
#pragma once

#include <memory>
#include <string>

#include "dr/backend.h"
#include "net/s3/s3_client.h"

namespace dr::storage {

struct S3BackendOptions {
  net::s3::S3Options s3;
  std::string prefix;  // "" or "path/inside/bucket/" (a trailing '/' is added when missing)
};

// Checks that the bucket answers (HEAD bucket): a missing bucket or wrong credentials fail here, clearly.
Result<std::unique_ptr<Backend>> NewS3Backend(const S3BackendOptions& options);

}  // namespace dr::storage
