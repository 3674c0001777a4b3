// The "s3" component's registration (source/registry.h): the data lake's
// buckets, backed up incrementally and restored to the same or another bucket.
#pragma once

#include <string>

#include "source/registry.h"
#include "net/s3/s3_client.h"

namespace dr::source {

// `restore`'s data-lake options. A field off its default counts as given.
struct S3RestoreArgs {
  std::string target_bucket;  // --target-bucket (default: the original buckets)
  std::string prefix;         // --prefix: only keys starting with this
};

// The data lake's endpoint, region and credentials (s3 section); the bucket is left empty.
Result<net::s3::S3Options> LakeS3Options(const config::S3LakeConfig& lake);

SourceSpec<S3RestoreArgs> S3LakeSpec();

}  // namespace dr::source
