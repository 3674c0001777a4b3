// The disruptive drills' load on the data lake (the storage and region
// scenarios): one small object at a time under the drill's prefix, put into
// the bucket the platform serves the lake from now (asked before every
// connection, as the lake's consumers follow the storage switch), every
// object the bucket acknowledged recorded by the LoadWriter; afterwards the
// drill's objects read back from a bucket and removed from every bucket.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "dr/result.h"
#include "drill/disruptive.h"
#include "drill/load_writer.h"
#include "net/s3/s3_client.h"

namespace dr::drill {

struct LakeLoad {
  // The lake's bucket and its mirror (each with endpoint, region, credentials, bucket).
  net::s3::S3Options primary, replica;
  std::string prefix;  // inside what the mirror copies; the drill's objects go under prefix + "ecap-dr-drill/<id>/"
  // The bucket the platform serves the lake from now (coordinator::ActiveBucket).
  std::function<Result<std::string>()> active_bucket;
};

// Where a drill's objects go: lake.prefix + "ecap-dr-drill/<drill_id>/".
std::string LakeDrillPrefix(const LakeLoad& lake, const std::string& drill_id);

// The load's target: objects under `prefix` in the active bucket (`lake` must outlive it).
std::unique_ptr<LoadTarget> LakeTarget(const LakeLoad& lake, std::string prefix, std::string drill_id);

// The drill's objects in `bucket`: seq -> intact (the bytes it was written with).
Result<std::map<int64_t, bool>> ReadDrillObjects(const LakeLoad& lake, const std::string& bucket,
                                                 const std::string& prefix, const std::string& drill_id);

// Deletes the drill's objects from the lake's bucket, its mirror and
// `active` (the bucket active after recovery, "" when unknown; a bucket that
// is gone has none); recorded in result.removed, or result.cleanup_errors.
void RemoveDrillObjects(const LakeLoad& lake, const std::string& prefix, const std::string& active,
                        DisruptiveResult& result, Timeline& timeline);

}  // namespace dr::drill
