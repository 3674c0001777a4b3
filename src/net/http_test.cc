// The one libcurl transport, against a scripted local HTTP server: what it
// sends (method, headers, body, the path as given), what it collects (status,
// headers, the body up to its limit), connection reuse, and how it classifies
// transport failures (kUnavailable: worth another attempt; kFailed: not).
#include "net/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <httplib.h>

#include "test/support/test_support.h"

namespace dr::net {
namespace {

using test::StatusIs;

struct Seen {
  std::string method, path, body, header, expect;
  int remote_port = 0;
};

// Records every request; answers 201 with a header and a 10-byte body.
class Server {
 public:
  Server() {
    auto record = [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mu_);
        seen_.push_back({req.method, req.path, req.body, req.get_header_value("X-Test"),
                         req.get_header_value("Expect"), req.remote_port});
      }
      res.status = 201;
      res.set_header("X-Reply", "yes");
      res.set_content(req.path == "/big" ? std::string(2 << 20, 'b') : "0123456789", "text/plain");
    };
    server_.Get(".*", record);
    server_.Put(".*", record);
    server_.Post(".*", record);
    server_.Delete(".*", record);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Server() {
    server_.stop();
    thread_.join();
  }
  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::vector<Seen> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Seen> seen_;
};

TEST(HttpTransportTest, PutSendsTheBodyHeadersAndPathAsGiven) {
  Server server;
  HttpTransport transport;
  std::string body = test::RandomData(100 << 10, 3);
  auto reply = transport.Perform({.method = "PUT",
                                  .url = server.Url("/bucket/a/./b/../c"),
                                  .headers = {"X-Test: one", "Expect:"},
                                  .body = body,
                                  .timeout_ms = 10000,
                                  .path_as_is = true});
  ASSERT_OK(reply);
  EXPECT_EQ(reply->status, 201);
  EXPECT_EQ(reply->headers["x-reply"], "yes");
  EXPECT_EQ(reply->body, "0123456789");
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "PUT");
  EXPECT_EQ(seen[0].path, "/bucket/a/./b/../c");
  EXPECT_EQ(seen[0].body, body);
  EXPECT_EQ(seen[0].header, "one");
  EXPECT_EQ(seen[0].expect, "") << "no 100-continue round trip";
}

TEST(HttpTransportTest, PostDeleteAndHead) {
  Server server;
  HttpTransport transport;
  ASSERT_OK(transport.Perform({.method = "POST", .url = server.Url("/p"), .body = "{\"a\":1}"}));
  ASSERT_OK(transport.Perform({.method = "DELETE", .url = server.Url("/d")}));
  auto head = transport.Perform({.method = "HEAD", .url = server.Url("/h")});
  ASSERT_OK(head);
  EXPECT_EQ(head->status, 201);
  EXPECT_EQ(head->body, "");
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].body, "{\"a\":1}");
  EXPECT_EQ(seen[1].method, "DELETE");
  EXPECT_EQ(seen[2].method, "HEAD");
}

TEST(HttpTransportTest, KeepsTheBodyUpToItsLimit) {
  Server server;
  HttpTransport transport;
  auto reply = transport.Perform({.url = server.Url("/g"), .max_body = 4});
  ASSERT_OK(reply);
  EXPECT_EQ(reply->status, 201);
  EXPECT_EQ(reply->body, "0123");
  auto big = HttpRequest("GET", server.Url("/big"), "", 10000);
  ASSERT_OK(big);
  EXPECT_EQ(big->body.size(), 1u << 20);
}

// The second request rides on the first one's connection (the same client port).
TEST(HttpTransportTest, ReusesItsConnections) {
  Server server;
  HttpTransport transport;
  ASSERT_OK(transport.Perform({.url = server.Url("/1")}));
  ASSERT_OK(transport.Perform({.url = server.Url("/2")}));
  HttpTransport other;
  ASSERT_OK(other.Perform({.url = server.Url("/3")}));
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].remote_port, seen[1].remote_port);
  EXPECT_NE(seen[0].remote_port, seen[2].remote_port);
}

TEST(HttpRequestTest, PostsJson) {
  Server server;
  auto reply = HttpRequest("POST", server.Url("/v3/kv/range"), "{\"key\":\"x\"}", 10000);
  ASSERT_OK(reply);
  EXPECT_EQ(reply->status, 201);
  EXPECT_EQ(server.seen().at(0).body, "{\"key\":\"x\"}");
}

// A port nobody listens on: bound, then closed without listening.
int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(HttpTransportTest, TransportFailuresSayWhetherToTryAgain) {
  HttpTransport transport;
  std::string refused = "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/x";
  EXPECT_THAT(transport.Perform({.url = refused, .timeout_ms = 10000}), StatusIs(Code::kUnavailable));
  EXPECT_THAT(transport.Perform({.url = "nosuchscheme://127.0.0.1/x"}), StatusIs(Code::kFailed));
  // The one-off request names what failed, and is always worth another try to its callers.
  auto r = HttpRequest("GET", refused, "", 10000);
  EXPECT_THAT(r, StatusIs(Code::kUnavailable));
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("GET " + refused));
}

}  // namespace
}  // namespace dr::net
