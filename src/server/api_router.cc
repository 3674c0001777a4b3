#include "server/api_router.h"

#include <httplib.h>

#include <set>
#include <sstream>

#include "base/crypto.h"
#include "base/encoding.h"
#include "base/status_json.h"

namespace dr::server {

using nlohmann::json;

namespace {

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(path);
  for (std::string s; std::getline(in, s, '/');) {
    if (!s.empty()) out.push_back(s);
  }
  return out;
}

bool Match(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
           std::map<std::string, std::string>& params) {
  if (pattern.size() != path.size()) return false;
  std::map<std::string, std::string> found;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const std::string& p = pattern[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      found[p.substr(1, p.size() - 2)] = path[i];
    } else if (p != path[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

}  // namespace

void ApiRouter::Add(const std::string& method, const std::string& pattern, Access access, ApiHandler handler) {
  routes_.push_back({method, Segments(pattern), access, std::move(handler)});
}

void ApiRouter::Install(httplib::Server& server) {
  auto dispatch = [this](const httplib::Request& req, httplib::Response& res) { Dispatch(req, res); };
  // Every path of every method comes here, so that 404, 405 and 401 are decided in one place.
  server.Get(".*", dispatch);
  server.Post(".*", dispatch);
  server.Put(".*", dispatch);
  server.Patch(".*", dispatch);
  server.Delete(".*", dispatch);
  server.set_payload_max_length(1 << 20);
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    SendError(res, Failed("internal error while answering this request; the daemon's log may say more"));
  });
}

int ApiRouter::HttpStatus(Code code) {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kInvalidArgument:
      return 400;
    case Code::kPermissionDenied:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kAlreadyExists:
    case Code::kLocked:
      return 409;
    case Code::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

void ApiRouter::Send(httplib::Response& res, int status, const json& body) {
  res.status = status;
  // Names from outside (file names, object keys) may not be UTF-8: replaced, never thrown on.
  res.set_content(body.dump(2, ' ', false, json::error_handler_t::replace) + "\n", "application/json");
}

void ApiRouter::SendError(httplib::Response& res, const Status& status) {
  Send(res, HttpStatus(status.code()), json{{"error", ErrorJson(status)}});
}

bool ApiRouter::Authenticate(const httplib::Request& req, httplib::Response& res, Access access, ops::Identity& who) {
  std::string header = req.get_header_value("Authorization");
  who.source = req.remote_addr;
  std::string credential = TokenAuth::CredentialId(header);
  who.session = "api-" + (credential.empty() ? std::string("none") : credential) + "-" +
                HexEncode(crypto::RandomBytes(4));
  res.set_header("X-Request-Id", who.session);
  std::optional<std::string> user = auth_.UserFor(header);
  if (user) {
    who.user = *user;
    return true;
  }
  std::string reason = auth_.empty() ? "the API has no tokens: add automation.api.tokens to the configuration"
                       : header.empty() ? "no credential: send Authorization: Bearer <token>"
                                        : "the credential is not a token of automation.api.tokens";
  ops::OperationContext ctx = ctx_;
  ctx.identity = who;
  ctx.identity.user = "(unauthenticated)";
  ops::RecordUnauthenticated(ctx, req.method + " " + req.path, reason);
  res.set_header("WWW-Authenticate", access == Access::kTokenLogin ? "Basic realm=\"ecap-dr\", charset=\"UTF-8\""
                                                                   : "Bearer realm=\"ecap-dr\"");
  Send(res, 401, json{{"error", {{"code", "unauthenticated"}, {"message", reason}}}});
  return false;
}

void ApiRouter::Dispatch(const httplib::Request& req, httplib::Response& res) {
  std::vector<std::string> path = Segments(req.path);
  std::set<std::string> allowed;
  for (const auto& route : routes_) {
    std::map<std::string, std::string> params;
    if (!Match(route.segments, path, params)) continue;
    // HEAD is answered as GET without the body (cpp-httplib drops it).
    if (route.method != req.method && !(req.method == "HEAD" && route.method == "GET")) {
      allowed.insert(route.method);
      continue;
    }
    ApiCall call{req, res, std::move(params), {}};
    if (route.access != Access::kOpen && !Authenticate(req, res, route.access, call.identity)) return;
    route.handler(call);
    return;
  }
  if (allowed.empty()) {
    return Send(res, 404, json{{"error", {{"code", "not_found"}, {"message", "no such endpoint: " + req.path}}}});
  }
  std::string allow;
  for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
  res.set_header("Allow", allow);
  Send(res, 405, json{{"error", {{"code", "method_not_allowed"},
                                 {"message", req.method + " is not allowed on " + req.path + " (allowed: " + allow + ")"}}}});
}

}  // namespace dr::server
