// The PostgreSQL client (net/postgres: libpq and the client tools) under the
// names the postgres source has always used: dr::source::pg::Connection, ...
#pragma once

#include "net/postgres/pg_client.h"

namespace dr::source::pg {

using net::pg::Connection;
using net::pg::MakeConninfo;
using net::pg::ParseConninfo;
using net::pg::ServerTarget;
using net::pg::ToolPath;
using net::pg::ToolVersion;
using net::pg::VersionString;

}  // namespace dr::source::pg
