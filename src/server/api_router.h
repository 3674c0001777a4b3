// The daemon's HTTP routing: one table of (method, path pattern, handler,
// whether a credential is needed), installed on a cpp-httplib server as one
// handler per method, so that every request passes the same steps:
//
//   match the path (else 404) and the method (else 405 with Allow)
//   -> authenticate (TokenAuth; else 401 with WWW-Authenticate, audited)
//   -> the handler, with the caller's Identity (user, session id, source IP)
//
// Patterns are literal segments and {name} segments ("/api/v1/backups/{id}"),
// matched whole. Every answer the router writes itself is the API's JSON
// error {"error": {"code", "message"}}.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dr/status.h"
#include "ops/operation.h"
#include "server/api_auth.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace dr::server {

struct ApiCall {
  const httplib::Request& request;
  httplib::Response& response;
  std::map<std::string, std::string> params;  // the {name} segments
  ops::Identity identity;                     // empty user for a route without a credential
};

using ApiHandler = std::function<void(ApiCall&)>;

enum class Access {
  kOpen,        // no credential (health, readiness, metrics)
  kToken,       // a token (Bearer, or Basic user:token)
  kTokenLogin,  // as kToken; a browser without one is asked to log in (Basic)
};

class ApiRouter {
 public:
  // `ctx`: the daemon's context (configuration, clock, event sink), copied
  // with the caller's identity for each authenticated call's audit.
  ApiRouter(const TokenAuth& auth, const ops::OperationContext& ctx) : auth_(auth), ctx_(ctx) {}

  void Add(const std::string& method, const std::string& pattern, Access access, ApiHandler handler);
  // Registers the table on `server` (call once, after every Add).
  void Install(httplib::Server& server);

  // For handlers: the JSON answer, and the status an error code maps to
  // (invalid_argument 400, permission_denied 403, not_found 404,
  // already_exists/locked 409, unavailable 503, any other 500).
  static void Send(httplib::Response& res, int status, const nlohmann::json& body);
  static void SendError(httplib::Response& res, const Status& status);
  static int HttpStatus(Code code);

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Access access;
    ApiHandler handler;
  };
  void Dispatch(const httplib::Request& req, httplib::Response& res);
  bool Authenticate(const httplib::Request& req, httplib::Response& res, Access access, ops::Identity& who);

  const TokenAuth& auth_;
  ops::OperationContext ctx_;
  std::vector<Route> routes_;
};

}  // namespace dr::server
