#include "ops/database_ops.h"

#include "base/time_util.h"
#include "source/postgres/postgres_spec.h"
#include "source/postgres/repair.h"
#include "source/postgres/scratch_server.h"

namespace dr::ops {

using nlohmann::json;

namespace {

Result<std::string> DatabaseOrDefault(const OperationContext& ctx, const std::string& database) {
  std::string db = database.empty() ? ctx.config.postgresql.database : database;
  if (db.empty()) return ConfigError("no database named, and postgresql.database is not set in " + ctx.config.source);
  return db;
}

OpResult SetWrites(OperationContext& ctx, const std::string& database, bool pause) {
  Operation op(ctx, "dr.failover", (pause ? "pause writes " : "resume writes ") + database);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto db = DatabaseOrDefault(ctx, database);
  if (!db.ok()) return op.Finish(ErrorResult(db.status()));
  auto server = source::ServerFromConfig(AsServedNow(ctx.config).postgresql);
  auto r = pause ? source::PauseWrites(server, *db) : source::ResumeWrites(server, *db);
  if (!r.ok()) return op.Finish(ErrorResult(r.status()));
  json data{{"database", *db}, {"server", server.Where()}, {"was_paused", r->was_paused},
            {"sessions_ended", r->sessions_ended}};
  return op.Finish(OpResult{.data = data}, data, pause ? "writes_paused" : "writes_resumed", data);
}

}  // namespace

OpResult PauseWrites(OperationContext& ctx, const std::string& database) { return SetWrites(ctx, database, true); }

OpResult ResumeWrites(OperationContext& ctx, const std::string& database) { return SetWrites(ctx, database, false); }

OpResult InspectTables(OperationContext& ctx, const std::string& database, const std::vector<std::string>& tables) {
  Operation op(ctx, "dr.health", "inspect " + database);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto db = DatabaseOrDefault(ctx, database);
  if (!db.ok()) return op.Finish(ErrorResult(db.status()));
  auto server = source::ServerFromConfig(AsServedNow(ctx.config).postgresql);
  auto counts = source::CountRows(server, *db, tables);
  if (!counts.ok()) return op.Finish(ErrorResult(counts.status()));
  auto paused = source::WritesPaused(server, *db);
  if (!paused.ok()) return op.Finish(ErrorResult(paused.status()));
  json list = json::array();
  for (const auto& [table, rows] : *counts) list.push_back({{"table", table}, {"rows", rows}});
  return op.Finish(OpResult{.data = {{"database", *db}, {"server", server.Where()}, {"writes_paused", *paused},
                                     {"tables", list}}});
}

OpResult RepairRows(OperationContext& ctx, const std::string& clean_conninfo, const std::string& database,
                    const std::vector<std::string>& tables, bool apply) {
  Operation op(ctx, "backup.restore", (apply ? "repair rows of " : "compare rows of ") + database);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  auto db = DatabaseOrDefault(ctx, database);
  if (!db.ok()) return op.Finish(ErrorResult(db.status()));
  auto settings = source::pg::ParseConninfo(clean_conninfo);
  if (!settings.ok()) return op.Finish(ErrorResult(settings.status()));
  // The clean copy is a restore of this server: the same login and database name.
  const config::PostgresConfig pg = AsServedNow(ctx.config).postgresql;
  if (!settings->contains("user") && !pg.username.empty()) (*settings)["user"] = pg.username;
  if (!settings->contains("password") && !pg.password.empty()) (*settings)["password"] = pg.password;
  if (!settings->contains("dbname")) (*settings)["dbname"] = *db;
  std::string stamp = FormatUtc(ctx.clock->Now(), false);
  std::erase_if(stamp, [](char c) { return c < '0' || c > '9'; });
  auto server = source::ServerFromConfig(pg);
  auto r = source::RepairRows(source::pg::MakeConninfo(*settings), server, *db, tables, stamp.substr(0, 14), apply);
  if (!r.ok()) return op.Finish(ErrorResult(r.status()));
  json list = json::array();
  uint64_t updated = 0, inserted = 0;
  for (const auto& t : *r) {
    list.push_back({{"table", t.table}, {"clean_rows", t.clean_rows}, {"updated", t.updated},
                    {"inserted", t.inserted}, {"saved_as", t.saved_as}});
    updated += t.updated;
    inserted += t.inserted;
  }
  json data{{"database", *db}, {"server", server.Where()}, {"tables", list}, {"updated", updated},
            {"inserted", inserted}, {"applied", apply}};
  return op.Finish(OpResult{.data = data}, {{"updated", updated}, {"inserted", inserted}, {"applied", apply}},
                   apply ? "rows_repaired" : "",
                   {{"database", *db}, {"updated", updated}, {"inserted", inserted}});
}

OpResult StartScratchServer(OperationContext& ctx, const std::string& pgdata, int port) {
  Operation op(ctx, "backup.restore", "scratch server " + pgdata);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  const config::PostgresConfig pg = AsServedNow(ctx.config).postgresql;
  auto login = source::ServerFromConfig(pg);
  auto r = source::StartScratchServer({.pgdata = pgdata, .port = port, .bin_dir = pg.bin_dir}, login);
  if (!r.ok()) return op.Finish(ErrorResult(r.status()));
  std::map<std::string, std::string> settings{{"host", "127.0.0.1"}, {"port", std::to_string(r->port)}};
  if (!pg.username.empty()) settings["user"] = pg.username;
  if (!pg.database.empty()) settings["dbname"] = pg.database;
  json data{{"pgdata", r->pgdata}, {"port", r->port}, {"host", "127.0.0.1"},
            {"conninfo", source::pg::MakeConninfo(settings)}, {"log_file", r->log_file}};
  return op.Finish(OpResult{.data = data}, {{"port", r->port}}, "scratch_server_started",
                   {{"pgdata", r->pgdata}, {"port", r->port}});
}

OpResult StopScratchServer(OperationContext& ctx, const std::string& pgdata, bool remove) {
  Operation op(ctx, "backup.restore", "scratch server " + pgdata);
  if (Status s = op.Authorize(); !s.ok()) return op.Denied(s);
  Status s = source::StopScratchServer(pgdata, ctx.config.postgresql.bin_dir, remove);
  if (!s.ok()) return op.Finish(ErrorResult(s));
  json data{{"pgdata", pgdata}, {"removed", remove}};
  return op.Finish(OpResult{.data = data}, data, "scratch_server_stopped", data);
}

}  // namespace dr::ops
