// The "s3" component's registration (source/registry.h): the data lake's
// buckets, backed up incrementally and restored to the same or another bucket.
#pragma once

#include <string>

#include "source/registry.h"
#include "net/s3/s3_client.h"
#include "source/s3lake/mirror.h"

namespace dr::source {

// `restore`'s data-lake options. A field off its default counts as given.
struct S3RestoreArgs {
  std::string target_bucket;  // --target-bucket (default: the original buckets)
  std::string prefix;         // --prefix: only keys starting with this
};

// The data lake's endpoint, region and credentials (s3 section); the bucket is left empty.
Result<net::s3::S3Options> LakeS3Options(const config::S3LakeConfig& lake);

// `s3 mirror` as configured (s3.mirror): the source bucket with the lake's
// endpoint, the target bucket with its own endpoint and region (else
// aws.backup_region), both with the lake's credentials. kConfig without a
// source and a target.
Result<MirrorOptions> MirrorFromConfig(const config::Config& config);

SourceSpec<S3RestoreArgs> S3LakeSpec();

}  // namespace dr::source
