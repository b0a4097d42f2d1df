// The server's shared state (ServerCore: configuration, metrics, listeners, the set of open connections) and
// one client connection (Connection), as seen by server.cpp, which accepts and drains connections, and by
// connection.cpp, which serves requests on one. Internal to va_http: nothing outside src/http includes it.
#pragma once

#include <algorithm>
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/metrics.hpp"
#include "http/cors.hpp"
#include "http/message.hpp"
#include "http/rate_limiter.hpp"
#include "http/router.hpp"
#include "http/server.hpp"

namespace va::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

inline std::int64_t to_ticks(Clock::time_point t) {
  return t.time_since_epoch().count();
}
inline constexpr std::int64_t kNoDeadline = std::numeric_limits<std::int64_t>::max();

class Connection;

struct ServerCore : std::enable_shared_from_this<ServerCore> {
  ServerCore(asio::io_context& io_context, ServerOptions server_options, Router route_table,
             metrics::Registry& metrics_registry);

  // --- configuration, immutable while serving ---
  asio::io_context& io;
  ServerOptions options;
  Router router;
  CorsPolicy cors;
  bool cors_enabled;
  std::unique_ptr<RateLimiter> rate_limiter;  // null when disabled
  std::chrono::milliseconds sweep_interval;

  // --- metrics, resolved once ---
  metrics::Family<metrics::Counter>& requests_total;
  std::vector<metrics::Histogram*> route_durations;  // by route index; the last one is "unmatched"
  metrics::Gauge& connections_active;
  metrics::Counter& rejected_rate_limited;
  metrics::Counter& rejected_body_too_large;
  metrics::Counter& rejected_bad_request;
  metrics::Counter& rejected_timeout;
  std::shared_mutex counters_mutex;
  std::unordered_map<std::uint64_t, metrics::Counter*> counters;  // (route, method, status) → child

  // --- listeners; touched only on `strand` ---
  struct Listener {
    std::string address;
    tcp::acceptor acceptor;
    asio::steady_timer retry_timer;
  };
  asio::strand<asio::io_context::executor_type> strand;
  std::vector<std::unique_ptr<Listener>> listeners;
  std::vector<std::string> endpoints;  // written by start(), read-only afterwards
  asio::steady_timer sweep_timer;
  bool started = false;

  // --- connections ---
  mutable std::mutex connections_mutex;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;
  bool draining = false;  // guarded by connections_mutex
  std::atomic<bool> draining_flag{false};
  std::function<void()> on_drained;  // guarded by connections_mutex

  metrics::Histogram& duration_for(std::size_t route) {
    return *route_durations[std::min(route, route_durations.size() - 1)];
  }
  metrics::Counter& request_counter(std::size_t route, Method method, unsigned status);
  static std::uint64_t counter_key(std::size_t route, Method method, unsigned status) {
    const std::uint64_t route_part = route == Router::no_route ? 0xffff'ffffULL : route;
    return (route_part << 32) | (static_cast<std::uint64_t>(method) << 16) | status;
  }

  void accept(Listener& listener);
  void on_accept(Listener& listener, const boost::system::error_code& ec, tcp::socket socket);
  void close_listeners();
  void schedule_sweep();
  void sweep();
  // Drops a closed connection; the last one of a draining server runs on_drained (unless the connection is
  // being destroyed with the io_context, when nothing may be posted any more).
  void forget(Connection* connection, bool notify_drained);
  std::vector<std::shared_ptr<Connection>> snapshot() const;
};

// One client connection. Every handler runs on the connection's strand (the socket's executor), so the
// state below needs no locks; only `deadline_ticks_` is read by the server's timeout sweep.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<ServerCore> server, tcp::socket socket, const tcp::endpoint& remote);
  ~Connection();

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  asio::any_io_executor executor() { return socket_.get_executor(); }

  void start();

  // Graceful shutdown: an idle keep-alive connection closes now; one serving a request finishes it (the
  // response says "Connection: close") and closes afterwards.
  void begin_drain();

  void abort();

  bool deadline_passed(std::int64_t now_ticks) const {
    return deadline_ticks_.load(std::memory_order_relaxed) <= now_ticks;
  }

  void on_deadline();

 private:
  enum class Phase { idle, reading, handling, writing, lingering, closed };

  void set_deadline(Clock::time_point when);
  void clear_deadline();
  bool draining() const;

  void wait_for_request();
  void read_request();
  void on_header(const boost::system::error_code& ec);
  void read_body();
  void on_read_error(const boost::system::error_code& ec);
  void fill_request_head();
  void dispatch();
  Response invoke(const Handler& handler, const std::string& route_label);
  void log_handler_failure(const std::string& route_label, std::string_view what) const;
  void write_response(Response response, bool force_close);
  void on_written(const boost::system::error_code& ec);
  void linger();
  void discard_input();
  void close();

  std::shared_ptr<ServerCore> server_;
  tcp::socket socket_;
  ClientKey client_key_;
  std::atomic<std::int64_t> deadline_ticks_{kNoDeadline};

  Phase phase_ = Phase::idle;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Request request_;  // reused across requests: strings keep their capacity
  Response response_;
  std::string head_;
  Clock::time_point started_{};
  std::size_t route_index_ = Router::no_route;
  bool header_parsed_ = false;
  bool timed_out_ = false;
  bool unread_input_ = false;
  bool close_after_write_ = false;
  std::size_t lingered_bytes_ = 0;
  // The last request counter used: a keep-alive client usually repeats the same route and status.
  std::uint64_t counter_key_ = 0;
  metrics::Counter* counter_ = nullptr;
};

}  // namespace va::http::detail
