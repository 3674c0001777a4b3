// `ecap-dr key generate` (rotate and check come with the governance work).
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/context.h"
#include "repo/crypto/keys.h"
#include "security/keys/master_key.h"

namespace dr::cli {

using nlohmann::json;

void RegisterKeyCommands(CLI::App& app, CliContext& ctx) {
  auto* key = app.add_subcommand("key", "manage the master encryption key");
  key->require_subcommand(1);
  auto out = std::make_shared<std::string>();
  auto* gen = key->add_subcommand("generate", "write a new random 32-byte master key (base64) to a file, mode 0600");
  gen->add_option("--out", *out, "the key file to create; an existing file is never overwritten")->required();
  gen->callback([&ctx, out] {
    ctx.run = [&ctx, out] {
      auto key = security::GenerateKeyFile(*out);
      if (!key.ok()) return ctx.Fail(key.status());
      std::string id = repo::MasterKeyId(key->bytes);
      return ctx.Succeed(json{{"status", "completed"}, {"key_file", *out}, {"key_id", id}}, [&] {
        fmt::print("wrote a new master key {} to {} (mode 0600)\n", id, *out);
        fmt::print("keep a copy outside the backup location: without it no backup can be restored\n");
      });
    };
  });
}

}  // namespace dr::cli
