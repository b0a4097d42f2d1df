// The HTTP/1.1 server (Boost.Beast on asio): keep-alive, pipelining-safe sequential handling per connection,
// request body limit (413), per-client-IP token-bucket rate limiting (429 + Retry-After), CORS for configured
// origins (preflight included), JSON error bodies, request metrics by route and status, and graceful
// shutdown: stop accepting, let in-flight requests finish, close idle keep-alive connections, finish within a
// deadline.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/metrics.hpp"
#include "http/router.hpp"

namespace va::http {

struct RateLimitOptions {
  bool enabled = true;
  double requests_per_second = 50;  // token refill rate per client IP
  double burst = 100;               // bucket size
  // Clients tracked at once; beyond it the least recently seen are forgotten (bounds memory under a flood
  // of source addresses).
  std::size_t max_tracked_clients = 100'000;
};

struct CorsOptions {
  std::vector<std::string> allowed_origins;  // exact origins, or "*"
  std::vector<std::string> allowed_headers = {"Content-Type", "Authorization"};
  std::chrono::seconds max_age{600};
};

struct ServerOptions {
  std::vector<std::string> listen;  // "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:8080"
  std::size_t body_limit = 1024 * 1024;
  std::size_t header_limit = 16 * 1024;
  std::chrono::milliseconds read_timeout{30'000};  // per request, headers + body
  std::chrono::milliseconds idle_timeout{60'000};  // keep-alive idle
  RateLimitOptions rate_limit;
  CorsOptions cors;
  std::string server_header = "voice-agent";
};

class Server {
 public:
  Server(boost::asio::io_context& io, ServerOptions options, Router router, metrics::Registry& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting. Throws std::runtime_error naming the address on bind failure.
  void start();
  // Actual bound endpoints as "host:port" (useful with port 0).
  std::vector<std::string> local_endpoints() const;

  // Stops accepting; connections finish the request they are serving and then close; idle keep-alive
  // connections close now. `on_drained` runs (on an io thread) when no connection remains.
  void shutdown(std::function<void()> on_drained);
  // Closes every remaining connection immediately (deadline passed).
  void abort_connections();
  std::size_t active_connections() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace va::http
