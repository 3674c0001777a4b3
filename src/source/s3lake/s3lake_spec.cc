#include "source/s3lake/s3lake_spec.h"

#include "source/s3lake/s3lake_source.h"

namespace dr::source {

Result<net::s3::S3Options> LakeS3Options(const config::S3LakeConfig& lake) {
  DR_ASSIGN_OR_RETURN(auto credentials, net::s3::ResolveCredentials(lake.access_key_id, lake.secret_access_key));
  return net::s3::S3Options{
      .endpoint = lake.endpoint.empty() ? "https://s3." + lake.region + ".amazonaws.com" : lake.endpoint,
      .region = lake.region,
      .bucket = "",
      .path_style = lake.force_path_style,
      .credentials = credentials};
}

Result<MirrorOptions> MirrorFromConfig(const config::Config& config) {
  const auto& lake = config.s3;
  if (lake.mirror_source.empty() || lake.mirror_target.empty()) {
    return ConfigError("s3 mirror needs s3.mirror.source and s3.mirror.target");
  }
  DR_ASSIGN_OR_RETURN(auto from, LakeS3Options(lake));
  from.bucket = lake.mirror_source;
  auto to = from;
  to.bucket = lake.mirror_target;
  to.region = !lake.mirror_target_region.empty() ? lake.mirror_target_region
              : !config.aws.backup_region.empty() ? config.aws.backup_region
                                                  : from.region;
  if (!lake.mirror_target_endpoint.empty()) to.endpoint = lake.mirror_target_endpoint;
  return MirrorOptions{from, to, lake.mirror_prefix, lake.mirror_delete, lake.MirrorStateFile()};
}

SourceSpec<S3RestoreArgs> S3LakeSpec() {
  using Opts = S3RestoreArgs;
  SourceSpec<Opts> spec;
  spec.name = "s3";
  spec.setting = "s3.buckets";
  spec.configured = [](const config::Config& c) { return !c.s3.buckets.empty(); };
  spec.check = [](const config::Config& c, const BackupArgs&) {
    if (c.s3.buckets.empty()) return ConfigError("component 's3' needs s3.buckets in the configuration");
    return Status::Ok();
  };
  // Unchanged objects are taken from the newest earlier backup of the lake.
  spec.incremental = true;
  spec.base_fits = [](const repo::SnapshotComponent&, const config::Config&, const BackupArgs&) { return true; };
  spec.make = [](const SourceEnv& env, const BackupArgs& args,
                 const repo::SnapshotComponent* previous) -> Result<std::unique_ptr<Source>> {
    DR_ASSIGN_OR_RETURN(auto s3, LakeS3Options(env.config->s3));
    return std::unique_ptr<Source>(std::make_unique<S3LakeSource>(
        S3LakeOptions{s3, env.config->s3.buckets, args.read_all ? nullptr : previous, env.open_list}));
  };
  spec.reads_base_in_order = true;
  spec.modes = {{"s3", "component 's3'"}};
  spec.options = {
      {"--target-bucket", [](const ItemTarget&, const Opts& o) { return !o.target_bucket.empty(); }, {"s3"}},
      {"--prefix", [](const ItemTarget&, const Opts& o) { return !o.prefix.empty(); }, {"s3"}},
  };
  spec.restore = [](const SourceEnv& env, const repo::SnapshotComponent& component, ItemReader& reader,
                    const ItemTarget&, const Opts& o) -> Result<RestoreStats> {
    DR_ASSIGN_OR_RETURN(auto s3, LakeS3Options(env.config->s3));
    DR_ASSIGN_OR_RETURN(auto stats,
                        RestoreS3Lake(component, reader, {.s3 = s3, .target_bucket = o.target_bucket,
                                                          .prefix = o.prefix, .open_list = env.open_list}));
    return RestoreStats{
        .items = stats.first,
        .bytes = stats.second,
        .target = o.target_bucket.empty() ? "the original buckets" : "s3://" + o.target_bucket};
  };
  spec.restores_from_list = true;
  return spec;
}

}  // namespace dr::source
