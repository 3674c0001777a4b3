// `ecap-dr s3 mirror --once|--watch`.
#include <chrono>
#include <cstdio>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "base/encoding.h"
#include "base/time_util.h"
#include "cli/context.h"
#include "ops/backup_ops.h"

namespace dr::cli {

using nlohmann::json;

void RegisterS3Commands(CLI::App& app, CliContext& ctx) {
  auto* s3 = app.add_subcommand("s3", "the data lake");
  s3->require_subcommand(1);
  auto once = std::make_shared<bool>(false);
  auto watch = std::make_shared<bool>(false);
  auto* mirror = s3->add_subcommand("mirror", "mirror a data-lake bucket to the backup-region bucket (s3.mirror); "
                                              "prints the lag, the storage RPO");
  auto* once_flag = mirror->add_flag("--once", *once, "one pass, then exit");
  mirror->add_flag("--watch", *watch, "a pass every s3.mirror.interval_seconds until interrupted")->excludes(once_flag);
  mirror->callback([&ctx, once, watch] {
    ctx.run = [&ctx, once, watch] {
      if (!*once && !*watch) return ctx.Fail(InvalidArgument("give --once or --watch"));
      auto op = ctx.Ops();
      if (!op.ok()) return ctx.Fail(op.status());
      if (*once) {
        ops::OpResult r = ops::MirrorOnce(*op);
        return ctx.Print(r, [&] {
          const json& j = r.data;
          auto n = [&](const char* key) { return j[key].get<uint64_t>(); };
          fmt::print("mirrored {}: {} copied ({}), {} unchanged, {} deleted; lag was {:.0f} s, now {:.0f} s\n",
                     Count(n("source_objects"), "object"), n("copied"), HumanBytes(n("bytes_copied")), n("unchanged"),
                     n("deleted"), j["lag_seconds_before"].get<double>(), j["lag_seconds"].get<double>());
        });
      }
      ops::OpResult end = ops::MirrorWatch(*op, [&](const ops::OpResult& pass) {
        if (!pass.ok()) {
          ctx.Warn(pass.status.message());
        } else if (ctx.json_output) {
          json j = pass.data;
          j["time"] = FormatUtc(std::chrono::system_clock::now());
          fmt::print("{}\n", j.dump());
        } else {
          fmt::print("{} copied {} ({}), deleted {}; lag {:.0f} s\n", FormatUtc(std::chrono::system_clock::now()),
                     pass.data["copied"].get<uint64_t>(), HumanBytes(pass.data["bytes_copied"].get<uint64_t>()),
                     pass.data["deleted"].get<uint64_t>(), pass.data["lag_seconds"].get<double>());
        }
        std::fflush(stdout);
        return true;  // until interrupted
      });
      return ctx.Print(end, [] {});  // only a denial ends the watch
    };
  });
}

}  // namespace dr::cli
