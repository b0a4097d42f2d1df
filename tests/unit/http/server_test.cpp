// The server on a real loopback socket, driven by libcurl (a real HTTP client) and, where a test needs
// control over the bytes on the wire (half-sent requests, malformed input), by a raw TCP socket.
#include "http/server.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <cctype>
#include <chrono>
#include <future>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.hpp"
#include "support/running_http_server.hpp"

namespace va::http {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// ------------------------------------------------------------------------------------------------ clients

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

struct HttpResult {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  long new_connections = 0;
  std::string error;

  std::string header(const std::string& name) const {
    auto it = headers.find(lower(name));
    return it == headers.end() ? std::string{} : it->second;
  }
};

// One libcurl easy handle = one client with a connection cache, so consecutive requests reuse the
// connection when the server keeps it alive.
class CurlClient {
 public:
  CurlClient() : handle_(curl_easy_init()) {
    if (handle_ == nullptr) throw std::runtime_error("curl_easy_init failed");
  }
  ~CurlClient() { curl_easy_cleanup(handle_); }
  CurlClient(const CurlClient&) = delete;
  CurlClient& operator=(const CurlClient&) = delete;

  HttpResult request(const std::string& method, const std::string& url,
                     const std::vector<std::string>& headers = {},
                     const std::optional<std::string>& body = std::nullopt) {
    HttpResult result;
    curl_easy_reset(handle_);
    curl_easy_setopt(handle_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(handle_, CURLOPT_TIMEOUT_MS, 10'000L);
    curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);
    if (method == "HEAD") {
      curl_easy_setopt(handle_, CURLOPT_NOBODY, 1L);
    } else if (method != "GET") {
      curl_easy_setopt(handle_, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    if (body) {
      curl_easy_setopt(handle_, CURLOPT_POSTFIELDS, body->data());
      curl_easy_setopt(handle_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
    }
    curl_slist* list = nullptr;
    for (const auto& header : headers) list = curl_slist_append(list, header.c_str());
    curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, &CurlClient::on_body);
    curl_easy_setopt(handle_, CURLOPT_WRITEDATA, &result);
    curl_easy_setopt(handle_, CURLOPT_HEADERFUNCTION, &CurlClient::on_header);
    curl_easy_setopt(handle_, CURLOPT_HEADERDATA, &result);
    const CURLcode code = curl_easy_perform(handle_);
    curl_slist_free_all(list);
    if (code != CURLE_OK) result.error = curl_easy_strerror(code);
    curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &result.status);
    curl_easy_getinfo(handle_, CURLINFO_NUM_CONNECTS, &result.new_connections);
    return result;
  }

 private:
  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    static_cast<HttpResult*>(user)->body.append(data, size * count);
    return size * count;
  }
  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    std::string line(data, size * count);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      auto value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      value.erase(value.find_last_not_of(" \t\r\n") + 1);
      static_cast<HttpResult*>(user)->headers[lower(line.substr(0, colon))] = value;
    }
    return size * count;
  }

  CURL* handle_;
};

// A blocking TCP client for byte-level control; every read gives up after a few seconds.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  // Reads one response (headers + Content-Length body); empty when the connection closed first.
  std::string read_response() {
    while (true) {
      const auto end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t length = 0;
        const auto head = lower(buffer_.substr(0, end));
        if (auto pos = head.find("\r\ncontent-length:"); pos != std::string::npos) {
          length = std::stoul(head.substr(pos + 17));
        }
        if (buffer_.size() >= end + 4 + length) {
          auto response = buffer_.substr(0, end + 4 + length);
          buffer_.erase(0, end + 4 + length);
          return response;
        }
      }
      if (!fill()) return {};
    }
  }
  // True when the server closed the connection (EOF or reset) before sending anything more.
  bool closed_by_peer() { return buffer_.empty() && !fill(); }

 private:
  bool fill() {
    char chunk[4096];
    const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_;
  bool connected_ = false;
  std::string buffer_;
};

// ------------------------------------------------------------------------------------------------ fixture

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};
const CurlGlobal curl_global;

Router demo_router() {
  Router router;
  router.add(Method::get, "/hello", [](const Request&) { return Response::text(200, "hello"); });
  RouteOptions json_only;
  json_only.accepted_media_types = {"application/json"};
  router.add(
      Method::post, "/echo", [](const Request& request) { return Response::json(200, request.body); },
      json_only);
  router.add(Method::get, "/boom", [](const Request&) -> Response { throw std::runtime_error("kaboom"); });
  router.add(Method::get, "/headers", [](const Request& request) {
    return Response::text(200,
                          std::string(request.header("X-Probe")) + "|" + request.path + "|" + request.query);
  });
  return router;
}

ServerOptions loopback_options() {
  return test::loopback_http_options();
}

// The server under test with the demo routes.
class RunningServer : public test::RunningHttpServer {
 public:
  explicit RunningServer(ServerOptions options = loopback_options(), Router router = demo_router())
      : RunningHttpServer(std::move(options), std::move(router)) {}
};

// Metrics are recorded when the write completes, which may be a moment after the client has the bytes.
template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = 3s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return predicate();
}

// ------------------------------------------------------------------------------------------------ tests

TEST(HttpServer, ReportsBoundEndpointForPortZero) {
  RunningServer server;
  ASSERT_EQ(server.server().local_endpoints().size(), 1u);
  EXPECT_THAT(server.server().local_endpoints()[0], StartsWith("127.0.0.1:"));
  EXPECT_GT(server.port(), 0);
}

TEST(HttpServer, KeepAliveReusesOneConnection) {
  RunningServer server;
  CurlClient client;
  for (int i = 0; i < 3; ++i) {
    const auto result = client.request("GET", server.url("/hello"));
    ASSERT_EQ(result.status, 200) << result.error;
    EXPECT_EQ(result.body, "hello");
    EXPECT_EQ(result.new_connections, i == 0 ? 1 : 0) << "request " << i;
    EXPECT_EQ(result.header("Server"), "voice-agent");
    EXPECT_FALSE(result.header("Date").empty());
  }
  EXPECT_EQ(server.server().active_connections(), 1u);
}

TEST(HttpServer, PassesDecodedPathQueryAndHeaders) {
  RunningServer server;
  CurlClient client;
  const auto result = client.request("GET", server.url("/head%65rs?x=1&y=%20"), {"X-Probe: yes"});
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "yes|/headers|x=1&y=%20");
}

TEST(HttpServer, UnknownPathIs404Json) {
  RunningServer server;
  CurlClient client;
  const auto result = client.request("GET", server.url("/nope"));
  EXPECT_EQ(result.status, 404);
  EXPECT_THAT(result.header("Content-Type"), StartsWith("application/json"));
  EXPECT_THAT(result.body, HasSubstr(R"("code":"not_found")"));
  EXPECT_TRUE(eventually([&] {
    return server.counter("http_requests_total", {"unmatched", "GET", "404"},
                          {"route", "method", "status"}) == 1;
  }));
}

TEST(HttpServer, WrongMethodIs405WithAllow) {
  RunningServer server;
  CurlClient client;
  const auto result = client.request("DELETE", server.url("/hello"));
  EXPECT_EQ(result.status, 405);
  EXPECT_EQ(result.header("Allow"), "GET, HEAD");
  EXPECT_THAT(result.body, HasSubstr(R"("status":405)"));
}

TEST(HttpServer, UnacceptedMediaTypeIs415) {
  RunningServer server;
  CurlClient client;
  const auto rejected = client.request("POST", server.url("/echo"), {"Content-Type: text/plain"}, "hi");
  EXPECT_EQ(rejected.status, 415);
  const auto accepted =
      client.request("POST", server.url("/echo"), {"Content-Type: application/json"}, R"({"a":1})");
  EXPECT_EQ(accepted.status, 200);
  EXPECT_EQ(accepted.body, R"({"a":1})");
}

TEST(HttpServer, OversizedBodyIs413AndClosesTheConnection) {
  auto options = loopback_options();
  options.body_limit = 1024;
  RunningServer server(options);
  CurlClient client;
  const auto result = client.request("POST", server.url("/echo"), {"Content-Type: application/json"},
                                     std::string(64 * 1024, 'x'));
  EXPECT_EQ(result.status, 413) << result.error;
  EXPECT_EQ(result.header("Connection"), "close");
  EXPECT_THAT(result.body, HasSubstr(R"("code":"body_too_large")"));
  EXPECT_TRUE(
      eventually([&] { return server.counter("http_rejected_total", {"body_too_large"}, {"reason"}) == 1; }));

  // A chunked body is cut off at the limit too.
  RawClient raw(server.port());
  raw.send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: "
      "chunked\r\n\r\n");
  raw.send("800\r\n" + std::string(0x800, 'y') + "\r\n");
  EXPECT_THAT(raw.read_response(), StartsWith("HTTP/1.1 413"));
}

TEST(HttpServer, OversizedHeadersAre431) {
  auto options = loopback_options();
  options.header_limit = 1024;
  RunningServer server(options);
  CurlClient client;
  const auto result = client.request("GET", server.url("/hello"), {"X-Big: " + std::string(4096, 'a')});
  EXPECT_EQ(result.status, 431);
}

TEST(HttpServer, MalformedRequestIs400ThenClose) {
  RunningServer server;
  RawClient raw(server.port());
  raw.send("THIS IS NOT HTTP\r\n\r\n");
  const auto response = raw.read_response();
  EXPECT_THAT(response, StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(lower(response), HasSubstr("connection: close"));
  EXPECT_THAT(response, HasSubstr(R"("code":"bad_request")"));
  EXPECT_TRUE(raw.closed_by_peer());
}

TEST(HttpServer, ExhaustedBucketIs429WithRetryAfter) {
  auto options = loopback_options();
  options.rate_limit = {.enabled = true, .requests_per_second = 0.01, .burst = 2};
  RunningServer server(options);
  CurlClient client;
  EXPECT_EQ(client.request("GET", server.url("/hello")).status, 200);
  EXPECT_EQ(client.request("GET", server.url("/hello")).status, 200);
  const auto limited = client.request("GET", server.url("/hello"));
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("Retry-After"), "100");
  EXPECT_THAT(limited.body, HasSubstr(R"("code":"rate_limited")"));
  // Unknown paths are limited as well: the limit applies before routing.
  EXPECT_EQ(client.request("GET", server.url("/nope")).status, 429);
  EXPECT_TRUE(
      eventually([&] { return server.counter("http_rejected_total", {"rate_limited"}, {"reason"}) == 2; }));
}

TEST(HttpServer, CorsPreflightAllowedAndDenied) {
  auto options = loopback_options();
  options.cors.allowed_origins = {"https://console.example.com"};
  RunningServer server(options);
  CurlClient client;

  const auto allowed =
      client.request("OPTIONS", server.url("/echo"),
                     {"Origin: https://console.example.com", "Access-Control-Request-Method: POST"});
  EXPECT_EQ(allowed.status, 204);
  EXPECT_EQ(allowed.header("Access-Control-Allow-Origin"), "https://console.example.com");
  EXPECT_EQ(allowed.header("Access-Control-Allow-Methods"), "POST");
  EXPECT_EQ(allowed.header("Access-Control-Max-Age"), "600");
  EXPECT_TRUE(allowed.body.empty());

  const auto denied =
      client.request("OPTIONS", server.url("/echo"),
                     {"Origin: https://evil.example.com", "Access-Control-Request-Method: POST"});
  EXPECT_EQ(denied.status, 403);
  EXPECT_TRUE(denied.header("Access-Control-Allow-Origin").empty());
  EXPECT_THAT(denied.body, HasSubstr(R"("status":403)"));

  const auto simple = client.request("GET", server.url("/hello"), {"Origin: https://console.example.com"});
  EXPECT_EQ(simple.status, 200);
  EXPECT_EQ(simple.header("Access-Control-Allow-Origin"), "https://console.example.com");
  EXPECT_EQ(simple.header("Vary"), "Origin");
}

TEST(HttpServer, HeadIsServedByGetWithoutBody) {
  RunningServer server;
  CurlClient client;
  const auto result = client.request("HEAD", server.url("/hello"));
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.header("Content-Length"), "5");
  EXPECT_TRUE(result.body.empty());
  // The connection stays usable: the server did not send the 5 bytes.
  const auto next = client.request("GET", server.url("/hello"));
  EXPECT_EQ(next.body, "hello");
  EXPECT_EQ(next.new_connections, 0);
}

TEST(HttpServer, HandlerExceptionIs500AndServerKeepsServing) {
  RunningServer server;
  CurlClient client;
  const auto failed = client.request("GET", server.url("/boom"));
  EXPECT_EQ(failed.status, 500);
  EXPECT_THAT(failed.body, HasSubstr(R"("code":"internal_error")"));
  EXPECT_THAT(failed.body, Not(HasSubstr("kaboom")));  // internals stay in the log
  EXPECT_EQ(client.request("GET", server.url("/hello")).status, 200);
}

TEST(HttpServer, ExpectContinueGetsInterimResponse) {
  RunningServer server;
  RawClient raw(server.port());
  raw.send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
      "Expect: 100-continue\r\n\r\n");
  EXPECT_THAT(raw.read_response(), StartsWith("HTTP/1.1 100 Continue"));
  raw.send("{}");
  const auto response = raw.read_response();
  EXPECT_THAT(response, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(response, testing::EndsWith("\r\n\r\n{}"));
}

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
  RunningServer server;
  RawClient raw(server.port());
  raw.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(raw.read_response(), StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(raw.read_response(), StartsWith("HTTP/1.1 404"));
}

TEST(HttpServer, Http10WithoutKeepAliveIsClosedAfterResponse) {
  RunningServer server;
  RawClient raw(server.port());
  raw.send("GET /hello HTTP/1.0\r\n\r\n");
  EXPECT_THAT(raw.read_response(), HasSubstr("\r\n\r\nhello"));
  EXPECT_TRUE(raw.closed_by_peer());
}

TEST(HttpServer, SlowRequestGets408) {
  auto options = loopback_options();
  options.read_timeout = 200ms;
  RunningServer server(options);
  RawClient raw(server.port());
  raw.send("GET /hello HTTP/1.1\r\nHost: x\r\n");  // never finishes the headers
  EXPECT_THAT(raw.read_response(), StartsWith("HTTP/1.1 408"));
  EXPECT_TRUE(raw.closed_by_peer());
  EXPECT_TRUE(
      eventually([&] { return server.counter("http_rejected_total", {"timeout"}, {"reason"}) == 1; }));
}

TEST(HttpServer, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  auto options = loopback_options();
  options.idle_timeout = 200ms;
  RunningServer server(options);
  RawClient raw(server.port());
  raw.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(raw.read_response(), StartsWith("HTTP/1.1 200"));
  EXPECT_TRUE(raw.closed_by_peer());
  EXPECT_TRUE(eventually([&] { return server.server().active_connections() == 0; }));
}

TEST(HttpServer, RecordsRequestMetricsByRouteAndConnections) {
  RunningServer server;
  CurlClient client;
  ASSERT_EQ(client.request("GET", server.url("/hello")).status, 200);
  ASSERT_EQ(client.request("HEAD", server.url("/hello")).status, 200);
  EXPECT_TRUE(eventually([&] {
    return server.counter("http_requests_total", {"/hello", "GET", "200"}, {"route", "method", "status"}) ==
               1 &&
           server.counter("http_requests_total", {"/hello", "HEAD", "200"}, {"route", "method", "status"}) ==
               1;
  }));
  EXPECT_EQ(server.metrics().gauge("http_connections_active", "").get().value(), 1.0);
  EXPECT_EQ(server.metrics()
                .histogram("http_request_duration_seconds", "", {"route"})
                .with({"/hello"})
                .snapshot()
                .count,
            2u);
}

TEST(HttpServer, BindFailureNamesTheAddress) {
  RunningServer first;
  const std::string taken = "127.0.0.1:" + std::to_string(first.port());
  metrics::Registry registry;
  boost::asio::io_context io;
  ServerOptions options;
  options.listen = {taken};
  Server second(io, options, Router{}, registry);
  try {
    second.start();
    FAIL() << "start() should have thrown";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr(taken));
  }
}

TEST(HttpServer, InvalidListenAddressIsRejected) {
  metrics::Registry registry;
  boost::asio::io_context io;
  for (const char* address : {"127.0.0.1", "::1:80", "[::1]80", "127.0.0.1:99999", "127.0.0.1:http"}) {
    ServerOptions options;
    options.listen = {address};
    Server server(io, options, Router{}, registry);
    EXPECT_THROW(server.start(), std::runtime_error) << address;
  }
}

TEST(HttpServer, ListensOnIpv6Loopback) {
  auto options = loopback_options();
  options.listen = {"[::1]:0"};
  std::optional<RunningServer> server;
  try {
    server.emplace(options);
  } catch (const std::runtime_error& e) {
    GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
  }
  const auto endpoint = server->server().local_endpoints().at(0);
  EXPECT_THAT(endpoint, StartsWith("[::1]:"));
  CurlClient client;
  const auto result = client.request("GET", "http://" + endpoint + "/hello");
  EXPECT_EQ(result.status, 200) << result.error;
}

TEST(HttpServer, ShutdownWithoutConnectionsDrainsAtOnce) {
  RunningServer server;
  auto drained = server.shutdown();
  EXPECT_EQ(drained.wait_for(5s), std::future_status::ready);
}

TEST(HttpServer, GracefulShutdownFinishesTheRequestInFlight) {
  Router router = demo_router();
  router.add(Method::post, "/upload", [](const Request& request) {
    return Response::json(200, R"({"received":)" + std::to_string(request.body.size()) + "}");
  });
  RunningServer server(loopback_options(), std::move(router));

  RawClient idle(server.port());  // a keep-alive connection between requests
  idle.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_THAT(idle.read_response(), StartsWith("HTTP/1.1 200"));

  RawClient uploading(server.port());
  uploading.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345");
  ASSERT_TRUE(eventually([&] { return server.server().active_connections() == 2; }));
  std::this_thread::sleep_for(100ms);  // let the server start reading the half-sent request

  auto drained = server.shutdown();
  EXPECT_TRUE(idle.closed_by_peer()) << "idle keep-alive connections close at once";
  EXPECT_FALSE(RawClient(server.port()).connected()) << "no new connections after shutdown";
  EXPECT_EQ(drained.wait_for(200ms), std::future_status::timeout) << "a request is still in flight";

  uploading.send("67890");
  const auto response = uploading.read_response();
  EXPECT_THAT(response, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(lower(response), HasSubstr("connection: close"));
  EXPECT_THAT(response, HasSubstr(R"({"received":10})"));
  EXPECT_TRUE(uploading.closed_by_peer());
  EXPECT_EQ(drained.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(server.server().active_connections(), 0u);
}

TEST(HttpServer, AbortClosesConnectionsInFlight) {
  RunningServer server;
  RawClient uploading(server.port());
  uploading.send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{");
  ASSERT_TRUE(eventually([&] { return server.server().active_connections() == 1; }));
  auto drained = server.shutdown();
  EXPECT_EQ(drained.wait_for(200ms), std::future_status::timeout);
  server.server().abort_connections();
  EXPECT_EQ(drained.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(uploading.closed_by_peer());
}

}  // namespace
}  // namespace va::http
