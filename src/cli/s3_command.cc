// `ecap-dr s3 mirror --once|--watch`.
#include <chrono>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "base/encoding.h"
#include "base/time_util.h"
#include "cli/context.h"

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
      if (Status denied = ctx.Authorize("s3.mirror", ""); !denied.ok()) return ctx.Fail(denied);
      auto manager = ctx.NewManager();
      if (!manager.ok()) return ctx.Fail(manager.status());
      while (true) {
        auto r = (*manager)->MirrorOnce();
        if (!r.ok()) {
          if (*once) return ctx.Fail(r.status());
          ctx.Warn(r.status().message());
        } else if (*once) {
          return ctx.Succeed(r->ToJson(), [&] {
            fmt::print("mirrored {}: {} copied ({}), {} unchanged, {} deleted; lag was {:.0f} s, now {:.0f} s\n",
                       Count(r->source_objects, "object"), r->copied, HumanBytes(r->bytes_copied), r->unchanged, r->deleted,
                       r->lag_seconds_before, r->lag_seconds);
          });
        } else if (ctx.json_output) {
          json j = r->ToJson();
          j["time"] = FormatUtc(std::chrono::system_clock::now());
          fmt::print("{}\n", j.dump());
        } else {
          fmt::print("{} copied {} ({}), deleted {}; lag {:.0f} s\n", FormatUtc(std::chrono::system_clock::now()),
                     r->copied, HumanBytes(r->bytes_copied), r->deleted, r->lag_seconds);
        }
        std::fflush(stdout);
        auto cfg = ctx.LoadConfig();
        std::this_thread::sleep_for(std::chrono::seconds(cfg.ok() ? cfg->s3.mirror_interval_seconds : 60));
      }
    };
  });
}

}  // namespace dr::cli
