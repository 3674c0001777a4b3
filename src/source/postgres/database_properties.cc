#include "source/postgres/database_properties.h"

#include <map>
#include <set>

namespace dr::source::pg {

using nlohmann::json;

Result<json> ReadDatabaseProperties(Connection& conn, const std::string& database) {
  bool v15 = conn.server_version() >= 150000;  // locale providers (ICU per database) came in 15
  // 17 renamed daticulocale to datlocale (it also holds the builtin provider's locale).
  std::string locale_column = conn.server_version() >= 170000 ? "d.datlocale" : "d.daticulocale";
  std::string sql =
      "select pg_get_userbyid(d.datdba), pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, "
      "d.datconnlimit::text, d.datistemplate::text, d.datallowconn::text, t.spcname, "
      "coalesce(shobj_description(d.oid, 'pg_database'), ''), (d.datacl is null)::text, " +
      (v15 ? "d.datlocprovider::text, coalesce(" + locale_column + ", '')" : std::string("'c', ''")) +
      " from pg_database d join pg_tablespace t on t.oid = d.dattablespace where d.datname = $1";
  DR_ASSIGN_OR_RETURN(auto rows, conn.Query(sql, {database}));
  if (rows.empty()) return NotFound("database '" + database + "' does not exist on " + conn.where());
  const auto& r = rows[0];
  json p{{"owner", r[0]},
         {"encoding", r[1]},
         {"collate", r[2]},
         {"ctype", r[3]},
         {"connection_limit", std::stoi(r[4])},
         {"is_template", r[5] == "true"},
         {"allow_connections", r[6] == "true"},
         {"tablespace", r[7]},
         {"comment", r[8]},
         {"locale_provider", r[10] == "i" ? "icu" : "libc"},
         {"icu_locale", r[11]}};
  // A NULL ACL means the defaults (owner all, PUBLIC connect and temporary):
  // kept as null so the restore leaves the new database's defaults alone.
  p["acl"] = nullptr;
  if (r[9] != "true") {
    DR_ASSIGN_OR_RETURN(auto acl, conn.Query("select case when a.grantee = 0 then '' else pg_get_userbyid(a.grantee) end, "
                                             "pg_get_userbyid(a.grantor), a.privilege_type, a.is_grantable::text "
                                             "from pg_database d, aclexplode(d.datacl) a where d.datname = $1",
                                             {database}));
    p["acl"] = json::array();
    for (const auto& a : acl) {
      p["acl"].push_back({{"grantee", a[0]}, {"grantor", a[1]}, {"privilege", a[2]}, {"grantable", a[3] == "true"}});
    }
  }
  // ALTER DATABASE ... SET (role "") and ALTER ROLE ... IN DATABASE ... SET, in their order.
  DR_ASSIGN_OR_RETURN(auto settings,
                      conn.Query("select coalesce(pg_get_userbyid(nullif(s.setrole, 0)), ''), c.cfg "
                                 "from pg_db_role_setting s join pg_database d on d.oid = s.setdatabase, "
                                 "unnest(s.setconfig) with ordinality c(cfg, n) where d.datname = $1 order by 1, c.n",
                                 {database}));
  p["settings"] = json::array();
  for (const auto& s : settings) p["settings"].push_back({{"role", s[0]}, {"setting", s[1]}});
  return p;
}

std::string CreateDatabaseSql(Connection& conn, const std::string& name, const json& properties) {
  std::string sql = "create database " + conn.QuoteIdent(name) + " with template = template0";
  if (!properties.is_object()) return sql;
  sql += " encoding = " + conn.QuoteLiteral(properties.value("encoding", "UTF8"));
  if (properties.value("locale_provider", "libc") == "icu") {
    sql += " locale_provider = icu icu_locale = " + conn.QuoteLiteral(properties.value("icu_locale", ""));
  }
  sql += " lc_collate = " + conn.QuoteLiteral(properties.value("collate", "C"));
  sql += " lc_ctype = " + conn.QuoteLiteral(properties.value("ctype", "C"));
  std::string tablespace = properties.value("tablespace", "pg_default");
  if (tablespace != "pg_default") sql += " tablespace = " + conn.QuoteIdent(tablespace);
  return sql;
}

namespace {

// Variables whose value is a list that PostgreSQL stores with its elements
// quoted (guc.c GUC_LIST_QUOTE): each element goes back as its own literal, as
// pg_dump's makeAlterConfigCommand does; any other value is one literal.
bool IsListQuoted(const std::string& name) {
  static const std::set<std::string> kLists = {"local_preload_libraries", "search_path", "session_preload_libraries",
                                               "shared_preload_libraries", "temp_tablespaces", "unix_socket_directories"};
  return kLists.count(name) > 0;
}

std::string SettingValue(Connection& conn, const std::string& name, const std::string& value) {
  if (!IsListQuoted(name)) return conn.QuoteLiteral(value);
  std::vector<std::string> elements;
  std::string cur;
  bool quoted = false, any = false;
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (quoted) {
      if (c == '"' && i + 1 < value.size() && value[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = any = true;
    } else if (c == ',') {
      elements.push_back(cur);
      cur.clear();
      any = false;
    } else if (c != ' ' || any) {
      cur += c;
      any = true;
    }
  }
  while (!cur.empty() && cur.back() == ' ') cur.pop_back();
  elements.push_back(cur);
  std::string out;
  for (const auto& e : elements) out += (out.empty() ? "" : ", ") + conn.QuoteLiteral(e);
  return out;
}

}  // namespace

std::vector<std::string> ApplyDatabaseProperties(Connection& conn, const std::string& name, const json& properties,
                                                 const std::string& shown_as) {
  std::vector<std::string> warnings;
  if (!properties.is_object()) return warnings;
  const std::string db = conn.QuoteIdent(name);
  const std::string what = "database '" + (shown_as.empty() ? name : shown_as) + "'";
  // Roles are checked first, so a missing one is named plainly rather than by a server error.
  std::map<std::string, bool> role_exists;
  auto exists = [&](const std::string& role) {
    auto it = role_exists.find(role);
    if (it != role_exists.end()) return it->second;
    auto n = conn.QueryValue("select count(*) from pg_roles where rolname = $1", {role});
    return role_exists[role] = n.ok() && *n != "0";
  };
  auto exec = [&](const std::string& sql, const std::string& lost) {
    Status s = conn.Exec(sql);
    if (!s.ok()) warnings.push_back(what + ": " + lost + " not restored: " + s.message());
    return s.ok();
  };

  std::string owner = properties.value("owner", "");
  if (!owner.empty()) {
    if (!exists(owner)) {
      warnings.push_back(what + ": owner '" + owner + "' not restored: the role does not exist on " + conn.where() +
                         " (restore it first, e.g. with --globals)");
    } else {
      exec("alter database " + db + " owner to " + conn.QuoteIdent(owner), "owner '" + owner + "'");
    }
  }

  if (properties.contains("acl") && properties["acl"].is_array()) {
    // The recorded list is the whole ACL: start from none, then grant it back.
    auto current_owner = conn.QueryValue("select pg_get_userbyid(datdba) from pg_database where datname = $1", {name});
    bool cleared = exec("revoke all on database " + db + " from public", "privileges") &&
                   current_owner.ok() &&
                   exec("revoke all on database " + db + " from " + conn.QuoteIdent(*current_owner), "privileges");
    if (cleared) {
      std::map<std::pair<std::string, bool>, std::vector<std::string>> grants;  // (grantee, grantable) -> privileges
      for (const auto& a : properties["acl"]) {
        grants[{a.value("grantee", ""), a.value("grantable", false)}].push_back(a.value("privilege", ""));
      }
      for (const auto& [key, privileges] : grants) {
        const auto& [grantee, grantable] = key;
        std::string list;
        for (const auto& p : privileges) list += (list.empty() ? "" : ", ") + p;
        std::string to = grantee.empty() ? "public" : conn.QuoteIdent(grantee);
        std::string lost = "privileges " + list + " of " + (grantee.empty() ? "PUBLIC" : "role '" + grantee + "'");
        if (!grantee.empty() && !exists(grantee)) {
          warnings.push_back(what + ": " + lost + " not restored: the role does not exist on " + conn.where());
          continue;
        }
        exec("grant " + list + " on database " + db + " to " + to + (grantable ? " with grant option" : ""), lost);
      }
    }
  }

  for (const auto& s : properties.value("settings", json::array())) {
    std::string role = s.value("role", "");
    std::string setting = s.value("setting", "");
    auto eq = setting.find('=');
    if (eq == std::string::npos) continue;
    std::string var = setting.substr(0, eq);
    std::string lost = "setting " + setting + (role.empty() ? "" : " of role '" + role + "'");
    std::string assign = " set " + conn.QuoteIdent(var) + " to " + SettingValue(conn, var, setting.substr(eq + 1));
    if (role.empty()) {
      exec("alter database " + db + assign, lost);
    } else if (!exists(role)) {
      warnings.push_back(what + ": " + lost + " not restored: the role does not exist on " + conn.where());
    } else {
      exec("alter role " + conn.QuoteIdent(role) + " in database " + db + assign, lost);
    }
  }

  int limit = properties.value("connection_limit", -1);
  if (limit != -1) exec("alter database " + db + " connection limit " + std::to_string(limit), "connection limit");
  std::string comment = properties.value("comment", "");
  if (!comment.empty()) exec("comment on database " + db + " is " + conn.QuoteLiteral(comment), "comment");
  // Last: a template or a database that refuses connections is as the backup had it, once filled.
  if (properties.value("is_template", false)) exec("alter database " + db + " is_template true", "is_template");
  if (!properties.value("allow_connections", true)) {
    exec("alter database " + db + " allow_connections false", "allow_connections = false");
  }
  return warnings;
}

}  // namespace dr::source::pg
