// What a PostgreSQL database is beyond its contents: owner, encoding and
// locale, connection limit, privileges (GRANT/REVOKE ... ON DATABASE),
// ALTER DATABASE / ALTER ROLE ... IN DATABASE settings, comment, template and
// allow-connections flags. `pg_dump` without --create leaves all of these out
// of what `pg_restore -d` applies, so a dropped database came back owned by the
// restoring user and open to every role. The backup records them as JSON in
// the dump item's meta ("database_properties"); the restore re-creates the
// database with them, under its own or another name.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dr/result.h"
#include "source/postgres/client.h"

namespace dr::source::pg {

// Reads the properties of `database` through `conn` (any database of that server).
// kNotFound when the database does not exist.
Result<nlohmann::json> ReadDatabaseProperties(Connection& conn, const std::string& database);

// The CREATE DATABASE statement for `name` with the recorded encoding, locale,
// tablespace and connection limit, from template0 (as pg_dump --create does: a
// template1 with extra objects would clash with the dump's). `properties` may be
// null (a backup made before they were recorded): then server defaults apply.
std::string CreateDatabaseSql(Connection& conn, const std::string& name, const nlohmann::json& properties);

// Applies owner, privileges, settings, comment and flags to database `name`,
// which the restore just created and filled. Each statement stands alone: one
// that fails (a role missing on the target, a setting the server does not
// know) is returned as a warning naming what was not restored, and the others
// still apply. Privileges are applied exactly: PUBLIC loses what the backup
// did not grant it even when a grant to a missing role fails, so a failure
// never leaves the database more open than it was.
// `shown_as`: the name warnings use (the final name while `name` is still the
// partial one); empty means `name`.
std::vector<std::string> ApplyDatabaseProperties(Connection& conn, const std::string& name,
                                                 const nlohmann::json& properties, const std::string& shown_as = "");

}  // namespace dr::source::pg
