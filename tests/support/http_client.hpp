// A small HTTP client for integration tests (libcurl underneath), and a helper that finds the address the
// voice-agent binary listens on from its log output.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace va::test {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  long status = 0;  // 0 when no response arrived (see error)
  HeaderList headers;
  std::string body;
  std::string error;            // transport error (connection refused, timeout, ...), empty on success
  bool new_connection = false;  // the request opened a connection rather than reusing a kept-alive one

  // Case-insensitive; the last occurrence wins. nullopt when absent.
  std::optional<std::string> header(std::string_view name) const;
};

class HttpClient {
 public:
  explicit HttpClient(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One client keeps its connections alive between requests, like a browser or a load balancer would.
  HttpResponse request(std::string_view method, const std::string& url, const HeaderList& headers = {},
                       const std::optional<std::string>& body = std::nullopt);
  HttpResponse get(const std::string& url, const HeaderList& headers = {}) {
    return request("GET", url, headers);
  }

 private:
  void* handle_;  // CURL*
  std::chrono::milliseconds timeout_;
};

// A plain TCP connection for tests that need control over the bytes on the wire: half-sent requests,
// pipelining, malformed input. Blocking, with a timeout on every read.
class RawHttpConnection {
 public:
  // `address` is "host:port" or "[v6]:port" (numeric). connected() tells whether it worked.
  explicit RawHttpConnection(const std::string& address);
  ~RawHttpConnection();
  RawHttpConnection(const RawHttpConnection&) = delete;
  RawHttpConnection& operator=(const RawHttpConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool send(std::string_view bytes);
  // One whole response (status line, headers, Content-Length body) as text; nullopt when the connection
  // closed or nothing complete arrived within `timeout`.
  std::optional<std::string> read_response(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True when the peer closed (EOF or reset) within `timeout` without sending anything more.
  bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  enum class ReadResult { data, closed, timed_out };
  ReadResult fill(std::chrono::milliseconds timeout);

  int fd_ = -1;
  std::string buffer_;
};

// The "host:port" of the first {"msg":"http server listening","address":"..."} line (JSON or console log
// format), as logged by voice-agent at start; nullopt when there is none yet.
std::optional<std::string> find_listen_address(const std::string& output);

class Process;
// Waits until `process` has logged its listening address on stderr; nullopt on timeout or when it exited.
std::optional<std::string> wait_for_listen_address(Process& process, std::chrono::milliseconds timeout);

}  // namespace va::test
