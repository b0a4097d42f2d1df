#include "http/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "common/log.hpp"
#include "http/cors.hpp"
#include "http/rate_limiter.hpp"

namespace va::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// After a response that ends the connection while the client may still be sending (an unread body, a
// pipelined request), the socket is half-closed and input is discarded for a while before closing: closing
// with unread input makes the kernel send RST, which can destroy the response before the client reads it.
constexpr std::chrono::milliseconds kLingerTimeout{2'000};
constexpr std::size_t kLingerByteLimit = 4 * 1024 * 1024;
constexpr std::size_t kLingerReadSize = 16 * 1024;
// Pause before accepting again after accept() failed (e.g. EMFILE), so the loop does not spin.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

constexpr std::string_view kContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n";

Method method_from_verb(bhttp::verb verb) {
  switch (verb) {
    case bhttp::verb::get:
      return Method::get;
    case bhttp::verb::head:
      return Method::head;
    case bhttp::verb::post:
      return Method::post;
    case bhttp::verb::put:
      return Method::put;
    case bhttp::verb::patch:
      return Method::patch;
    case bhttp::verb::delete_:
      return Method::delete_;
    case bhttp::verb::options:
      return Method::options;
    default:
      return Method::other;
  }
}

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends the percent-decoded `path` (RFC 3986 §2.1); a malformed escape is kept literally.
void append_decoded_path(std::string& out, std::string_view path) {
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size()) {
      const int hi = hex_value(path[i + 1]);
      const int lo = hex_value(path[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(path[i]);
  }
}

// Splits a request-target into path and query. Absolute-form ("http://host/p?q", RFC 9112 §3.2.2) is
// reduced to its path.
void split_target(std::string_view target, std::string& path, std::string& query) {
  path.clear();
  query.clear();
  if (target.starts_with("http://") || target.starts_with("https://")) {
    const auto authority = target.find("://") + 3;
    const auto slash = target.find_first_of("/?", authority);
    target = slash == std::string_view::npos ? std::string_view{} : target.substr(slash);
  }
  const auto question = target.find('?');
  const std::string_view raw_path = target.substr(0, question);
  if (question != std::string_view::npos) query.assign(target.substr(question + 1));
  if (raw_path.empty()) {
    path.push_back('/');
  } else {
    append_decoded_path(path, raw_path);
  }
}

// RFC 9110 §6.6.1: an origin server with a clock sends Date. Formatted once per second per thread.
std::string_view http_date() {
  static constexpr std::array<const char*, 7> kDays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  thread_local std::time_t cached_second = -1;
  thread_local std::array<char, 40> text{};
  thread_local std::size_t length = 0;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm utc{};
    gmtime_r(&now, &utc);
    const int written = std::snprintf(text.data(), text.size(), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                                      kDays[static_cast<std::size_t>(utc.tm_wday % 7)], utc.tm_mday,
                                      kMonths[static_cast<std::size_t>(utc.tm_mon % 12)], utc.tm_year + 1900,
                                      utc.tm_hour, utc.tm_min, utc.tm_sec);
    length = written > 0 ? static_cast<std::size_t>(written) : 0;
    cached_second = now;
  }
  return {text.data(), length};
}

void append_number(std::string& out, std::uint64_t value) {
  std::array<char, 24> digits{};
  const auto result = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  out.append(digits.data(), result.ptr);
}

bool has_line_break(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

// A response to HEAD, 1xx, 204 or 304 has no body (RFC 9110 §6.4.1).
bool status_has_body(unsigned status) {
  return status >= 200 && status != 204 && status != 304;
}

std::string endpoint_text(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  std::string text = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  text += ':';
  text += std::to_string(endpoint.port());
  return text;
}

// "host:port" or "[v6]:port"; a host name is resolved (numeric addresses are the norm).
tcp::endpoint parse_listen_address(asio::io_context& io, const std::string& address) {
  std::string host;
  std::string port;
  if (!address.empty() && address.front() == '[') {
    const auto close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':') {
      throw std::runtime_error("http: invalid listen address \"" + address +
                               "\" (expected [v6-address]:port)");
    }
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos || address.find(':') != colon) {
      throw std::runtime_error("http: invalid listen address \"" + address +
                               "\" (expected host:port, IPv6 as [address]:port)");
    }
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  unsigned port_number = 0;
  const auto parsed = std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (port.empty() || parsed.ec != std::errc{} || parsed.ptr != port.data() + port.size() ||
      port_number > 65535) {
    throw std::runtime_error("http: invalid port in listen address \"" + address + "\"");
  }
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(host, ec);
  if (!ec) return {ip, static_cast<std::uint16_t>(port_number)};

  tcp::resolver resolver(io);
  const auto results =
      resolver.resolve(host, port, tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    throw std::runtime_error("http: cannot resolve listen address \"" + address +
                             "\": " + (ec ? ec.message() : std::string("no addresses")));
  }
  return results.begin()->endpoint();
}

ClientKey client_key_from(const asio::ip::address& address) {
  ClientKey key{};
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    key[10] = 0xff;
    key[11] = 0xff;
    std::copy(bytes.begin(), bytes.end(), key.begin() + 12);
  } else {
    const auto bytes = address.to_v6().to_bytes();
    std::copy(bytes.begin(), bytes.end(), key.begin());
  }
  return key;
}

std::int64_t to_ticks(Clock::time_point t) {
  return t.time_since_epoch().count();
}
constexpr std::int64_t kNoDeadline = std::numeric_limits<std::int64_t>::max();

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
  Connection(std::shared_ptr<ServerCore> server, tcp::socket socket, const tcp::endpoint& remote)
      : server_(std::move(server)),
        socket_(std::move(socket)),
        client_key_(client_key_from(remote.address())) {
    request_.remote_address = remote.address().to_string();
    request_.remote_port = remote.port();
  }

  ~Connection() {
    // Normally close() ran; this covers an io_context destroyed with our handlers still queued.
    if (phase_ != Phase::closed) server_->forget(this, /*notify_drained=*/false);
  }

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  asio::any_io_executor executor() { return socket_.get_executor(); }

  void start() { wait_for_request(); }

  // Graceful shutdown: an idle keep-alive connection closes now; one serving a request finishes it (the
  // response says "Connection: close") and closes afterwards.
  void begin_drain() {
    if (phase_ == Phase::idle) close();
  }

  void abort() { close(); }

  bool deadline_passed(std::int64_t now_ticks) const {
    return deadline_ticks_.load(std::memory_order_relaxed) <= now_ticks;
  }

  void on_deadline() {
    const auto now = Clock::now();
    if (phase_ == Phase::closed || !deadline_passed(to_ticks(now))) return;
    switch (phase_) {
      case Phase::reading:
        // Cancelling the read lets its handler answer 408 (the client may still be listening).
        server_->rejected_timeout.inc();
        timed_out_ = true;
        set_deadline(now + server_->options.read_timeout);
        socket_.cancel();
        break;
      case Phase::writing:
        server_->rejected_timeout.inc();
        close();
        break;
      case Phase::idle:
      case Phase::lingering:
      case Phase::handling:
      case Phase::closed:
        close();
        break;
    }
  }

 private:
  enum class Phase { idle, reading, handling, writing, lingering, closed };

  void set_deadline(Clock::time_point when) {
    deadline_ticks_.store(to_ticks(when), std::memory_order_relaxed);
  }
  void clear_deadline() { deadline_ticks_.store(kNoDeadline, std::memory_order_relaxed); }
  bool draining() const { return server_->draining_flag.load(std::memory_order_acquire); }

  void wait_for_request() {
    if (draining()) {
      close();
      return;
    }
    if (buffer_.size() > 0) {  // a pipelined request is already here
      read_request();
      return;
    }
    phase_ = Phase::idle;
    set_deadline(Clock::now() + server_->options.idle_timeout);
    // Waiting for readability (rather than reading) tells an idle keep-alive connection apart from one
    // that has started a request, which graceful shutdown must let finish.
    socket_.async_wait(tcp::socket::wait_read,
                       [self = shared_from_this()](const boost::system::error_code& ec) {
                         if (self->phase_ != Phase::idle) return;
                         if (ec) {
                           self->close();
                           return;
                         }
                         self->read_request();
                       });
  }

  void read_request() {
    phase_ = Phase::reading;
    started_ = Clock::now();
    set_deadline(started_ + server_->options.read_timeout);
    header_parsed_ = false;
    timed_out_ = false;
    route_index_ = Router::no_route;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(server_->options.header_limit, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(server_->options.body_limit);
    bhttp::async_read_header(socket_, buffer_, *parser_,
                             [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                               self->on_header(ec);
                             });
  }

  void on_header(const boost::system::error_code& ec) {
    if (phase_ != Phase::reading) return;
    if (ec) {
      on_read_error(ec);
      return;
    }
    header_parsed_ = true;
    fill_request_head();

    if (server_->rate_limiter) {
      const auto decision = server_->rate_limiter->check(client_key_, started_);
      if (!decision.allowed) {
        server_->rejected_rate_limited.inc();
        route_index_ = server_->router.match(request_).route_index;
        Response response = Response::error(429, "rate_limited", "too many requests, retry later");
        std::string retry_after;
        append_number(retry_after, decision.retry_after_seconds);
        response.header("Retry-After", std::move(retry_after));
        if (server_->cors_enabled) server_->cors.apply(request_, response);
        write_response(std::move(response), /*force_close=*/!parser_->is_done());
        return;
      }
    }

    if (parser_->is_done()) {
      dispatch();
      return;
    }
    if (iequals(request_.header("Expect"), "100-continue")) {
      // RFC 9110 §10.1.1: tell the client to send the body it is holding back.
      asio::async_write(socket_, asio::buffer(kContinueResponse.data(), kContinueResponse.size()),
                        [self = shared_from_this()](const boost::system::error_code& write_ec, std::size_t) {
                          if (self->phase_ != Phase::reading) return;
                          if (write_ec) {
                            self->on_read_error(write_ec);
                            return;
                          }
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    bhttp::async_read(socket_, buffer_, *parser_,
                      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                        if (self->phase_ != Phase::reading) return;
                        if (ec) {
                          self->on_read_error(ec);
                          return;
                        }
                        self->dispatch();
                      });
  }

  void on_read_error(const boost::system::error_code& ec) {
    if (timed_out_) {
      write_response(Response::error(408, "request_timeout", "the request was not received in time"), true);
      return;
    }
    if (ec == bhttp::error::body_limit) {
      server_->rejected_body_too_large.inc();
      write_response(Response::error(413, "body_too_large", "request body exceeds the limit"), true);
      return;
    }
    if (ec == bhttp::error::header_limit) {
      server_->rejected_bad_request.inc();
      write_response(Response::error(431, "headers_too_large", "request headers exceed the limit"), true);
      return;
    }
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      server_->rejected_bad_request.inc();
      write_response(Response::error(400, "bad_request", "malformed HTTP request"), true);
      return;
    }
    // The client went away (EOF, reset, or EOF in the middle of a message): nobody to answer.
    close();
  }

  void fill_request_head() {
    const auto& message = parser_->get();
    request_.method = method_from_verb(message.method());
    const auto method_text = message.method_string();
    request_.method_text.assign(method_text.data(), method_text.size());
    const auto target = message.target();
    request_.target.assign(target.data(), target.size());
    split_target(request_.target, request_.path, request_.query);

    std::size_t count = 0;
    for (auto it = message.begin(); it != message.end(); ++it) ++count;
    request_.headers.resize(count);
    std::size_t i = 0;
    for (const auto& field : message) {
      const auto name = field.name_string();
      const auto value = field.value();
      request_.headers[i].name.assign(name.data(), name.size());
      request_.headers[i].value.assign(value.data(), value.size());
      ++i;
    }
    request_.body.clear();
  }

  void dispatch() {
    phase_ = Phase::handling;
    clear_deadline();
    request_.body = std::move(parser_->get().body());

    ServerCore& server = *server_;
    if (CorsPolicy::is_preflight(request_)) {
      route_index_ = server.router.match(request_).route_index;
      write_response(server.cors.preflight(request_, server.router), false);
      return;
    }

    const Router::Match match = server.router.match(request_);
    route_index_ = match.route_index;
    Response response;
    switch (match.status) {
      case 0:
        response = invoke(*match.handler, match.route_label);
        break;
      case 404:
        response = Response::error(404, "not_found", "no route for this path");
        break;
      case 405:
        response = Response::error(405, "method_not_allowed", "method not allowed for this path");
        response.header("Allow", match.allow);
        break;
      case 415:
        response = Response::error(415, "unsupported_media_type", "unsupported request body media type");
        break;
      default:
        response = Response::error(match.status, "error", "request rejected");
        break;
    }
    if (server.cors_enabled) server.cors.apply(request_, response);
    write_response(std::move(response), false);
  }

  Response invoke(const Handler& handler, const std::string& route_label) {
    try {
      return handler(request_);
    } catch (const std::exception& e) {
      log_handler_failure(route_label, e.what());
    } catch (...) {
      log_handler_failure(route_label, "unknown exception");
    }
    return Response::error(500, "internal_error", "internal server error");
  }

  void log_handler_failure(const std::string& route_label, std::string_view what) const {
    log::error("http handler failed", {{"method", request_.method_text},
                                       {"path", request_.path},
                                       {"route", route_label},
                                       {"remote", request_.remote_address},
                                       {"error", what}});
  }

  void write_response(Response response, bool force_close) {
    response_ = std::move(response);
    bool keep_alive = !force_close && header_parsed_ && parser_->get().keep_alive() && !draining();
    const bool http10 = header_parsed_ && parser_->get().version() == 10;
    // Input we did not consume (a body we refused, a half-read request) forbids reusing the connection.
    unread_input_ = !header_parsed_ || !parser_->is_done();
    if (unread_input_) keep_alive = false;

    const unsigned status = response_.status;
    const bool has_body = status_has_body(status);
    head_.clear();
    head_ += "HTTP/1.1 ";
    append_number(head_, status);
    head_ += ' ';
    const auto known_status = bhttp::int_to_status(status);
    if (known_status != bhttp::status::unknown) {
      const auto reason = bhttp::obsolete_reason(known_status);
      head_.append(reason.data(), reason.size());
    }
    head_ += "\r\nDate: ";
    head_ += http_date();
    if (!server_->options.server_header.empty()) {
      head_ += "\r\nServer: ";
      head_ += server_->options.server_header;
    }
    if (has_body) {
      if (!response_.content_type.empty()) {
        head_ += "\r\nContent-Type: ";
        head_ += response_.content_type;
      }
      head_ += "\r\nContent-Length: ";
      append_number(head_, response_.body.size());
    }
    for (const auto& header : response_.headers) {
      if (iequals(header.name, "Content-Length")) continue;  // ours is authoritative
      if (iequals(header.name, "Connection")) {
        if (iequals(header.value, "close")) keep_alive = false;
        continue;
      }
      if (header.name.empty() || has_line_break(header.name) || has_line_break(header.value)) {
        log::warn("http response header dropped (line break)",
                  {{"route", server_->router.route_label(route_index_)}});
        continue;
      }
      head_ += "\r\n";
      head_ += header.name;
      head_ += ": ";
      head_ += header.value;
    }
    if (!keep_alive) {
      head_ += "\r\nConnection: close";
    } else if (http10) {
      head_ += "\r\nConnection: keep-alive";
    }
    head_ += "\r\n\r\n";
    close_after_write_ = !keep_alive;

    const bool send_body = has_body && request_.method != Method::head && !response_.body.empty();
    const std::array<asio::const_buffer, 2> buffers{
        asio::buffer(head_), send_body ? asio::buffer(response_.body) : asio::const_buffer{}};
    phase_ = Phase::writing;
    set_deadline(Clock::now() + server_->options.read_timeout);
    asio::async_write(socket_, buffers,
                      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                        self->on_written(ec);
                      });
  }

  void on_written(const boost::system::error_code& ec) {
    const auto now = Clock::now();
    const Method method = header_parsed_ ? request_.method : Method::other;
    const std::uint64_t key = ServerCore::counter_key(route_index_, method, response_.status);
    if (key != counter_key_ || counter_ == nullptr) {
      counter_ = &server_->request_counter(route_index_, method, response_.status);
      counter_key_ = key;
    }
    counter_->inc();
    server_->duration_for(route_index_).observe(std::chrono::duration<double>(now - started_).count());
    if (log::enabled(log::Level::debug)) {
      log::debug("http request",
                 {{"method", request_.method_text},
                  {"path", request_.path},
                  {"status", response_.status},
                  {"remote", request_.remote_address},
                  {"duration_ms", std::chrono::duration<double, std::milli>(now - started_).count()}});
    }

    if (phase_ != Phase::writing) return;  // closed meanwhile (abort, write timeout)
    if (ec) {
      close();
      return;
    }
    if (!close_after_write_) {
      wait_for_request();
      return;
    }
    if (unread_input_ || buffer_.size() > 0) {
      linger();
      return;
    }
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    close();
  }

  void linger() {
    phase_ = Phase::lingering;
    set_deadline(Clock::now() +
                 std::min<std::chrono::milliseconds>(kLingerTimeout, server_->options.read_timeout));
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    buffer_.clear();
    discard_input();
  }

  void discard_input() {
    socket_.async_read_some(buffer_.prepare(kLingerReadSize),
                            [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                              if (self->phase_ != Phase::lingering) return;
                              self->lingered_bytes_ += n;
                              if (ec || self->lingered_bytes_ > kLingerByteLimit) {
                                self->close();
                                return;
                              }
                              self->discard_input();
                            });
  }

  void close() {
    if (phase_ == Phase::closed) return;
    phase_ = Phase::closed;
    clear_deadline();
    boost::system::error_code ignored;
    socket_.close(ignored);
    server_->forget(this, /*notify_drained=*/true);
  }

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

// ---------------------------------------------------------------------------------------------------------

std::chrono::milliseconds sweep_interval_for(const ServerOptions& options) {
  const auto shortest = std::min(options.read_timeout, options.idle_timeout);
  return std::clamp<std::chrono::milliseconds>(shortest / 4, std::chrono::milliseconds{10},
                                               std::chrono::milliseconds{250});
}

}  // namespace

ServerCore::ServerCore(asio::io_context& io_context, ServerOptions server_options, Router route_table,
                       metrics::Registry& metrics_registry)
    : io(io_context),
      options(std::move(server_options)),
      router(std::move(route_table)),
      cors(options.cors),
      cors_enabled(!options.cors.allowed_origins.empty()),
      sweep_interval(sweep_interval_for(options)),
      requests_total(metrics_registry.counter("http_requests_total",
                                              "HTTP requests served, by route, method and status",
                                              {"route", "method", "status"})),
      connections_active(
          metrics_registry.gauge("http_connections_active", "Open HTTP client connections").get()),
      rejected_rate_limited(metrics_registry
                                .counter("http_rejected_total",
                                         "HTTP requests refused before reaching a handler, by reason",
                                         {"reason"})
                                .with({"rate_limited"})),
      rejected_body_too_large(
          metrics_registry.counter("http_rejected_total", "", {"reason"}).with({"body_too_large"})),
      rejected_bad_request(
          metrics_registry.counter("http_rejected_total", "", {"reason"}).with({"bad_request"})),
      rejected_timeout(metrics_registry.counter("http_rejected_total", "", {"reason"}).with({"timeout"})),
      strand(asio::make_strand(io_context)),
      sweep_timer(strand) {
  if (options.rate_limit.enabled) {
    rate_limiter = std::make_unique<RateLimiter>(RateLimiterOptions{options.rate_limit.requests_per_second,
                                                                    options.rate_limit.burst,
                                                                    options.rate_limit.max_tracked_clients});
  }
  auto& durations =
      metrics_registry.histogram("http_request_duration_seconds",
                                 "Time from the first byte of a request to its response written", {"route"});
  // Index route_count() is past the routes: route_label() gives "unmatched" for it.
  for (std::size_t i = 0; i <= router.route_count(); ++i) {
    route_durations.push_back(&durations.with({router.route_label(i)}));
  }
}

metrics::Counter& ServerCore::request_counter(std::size_t route, Method method, unsigned status) {
  const std::uint64_t key = counter_key(route, method, status);
  {
    std::shared_lock lock(counters_mutex);
    if (auto it = counters.find(key); it != counters.end()) return *it->second;
  }
  metrics::Counter& counter = requests_total.with(
      {router.route_label(route), std::string(to_string(method)), std::to_string(status)});
  std::unique_lock lock(counters_mutex);
  counters.emplace(key, &counter);
  return counter;
}

void ServerCore::accept(Listener& listener) {
  listener.acceptor.async_accept(
      asio::make_strand(io),
      [self = shared_from_this(), &listener](const boost::system::error_code& ec, tcp::socket socket) {
        self->on_accept(listener, ec, std::move(socket));
      });
}

void ServerCore::on_accept(Listener& listener, const boost::system::error_code& ec, tcp::socket socket) {
  if (!listener.acceptor.is_open() || ec == asio::error::operation_aborted) return;
  if (ec) {
    log::warn("http accept failed", {{"address", listener.address}, {"error", ec.message()}});
    listener.retry_timer.expires_after(kAcceptRetryDelay);
    listener.retry_timer.async_wait(
        [self = shared_from_this(), &listener](const boost::system::error_code& wait_ec) {
          if (!wait_ec && listener.acceptor.is_open()) self->accept(listener);
        });
    return;
  }

  boost::system::error_code endpoint_ec;
  const auto remote = socket.remote_endpoint(endpoint_ec);
  if (!endpoint_ec) {
    socket.set_option(tcp::no_delay(true), endpoint_ec);  // responses are written whole; never wait for ACKs
    auto connection = std::make_shared<Connection>(shared_from_this(), std::move(socket), remote);
    bool accepted = false;
    {
      std::lock_guard lock(connections_mutex);
      if (!draining) {
        connections.emplace(connection.get(), connection);
        accepted = true;
      }
    }
    if (accepted) {
      connections_active.inc();
      asio::post(connection->executor(), [connection] { connection->start(); });
    }
  }
  accept(listener);
}

void ServerCore::close_listeners() {
  for (auto& listener : listeners) {
    boost::system::error_code ignored;
    listener->acceptor.close(ignored);
    listener->retry_timer.cancel();
  }
}

void ServerCore::schedule_sweep() {
  sweep_timer.expires_after(sweep_interval);
  sweep_timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->sweep();
  });
}

// One timer for all connections instead of one per connection: a request only stores its deadline (an
// atomic write), and this sweep, a few times per timeout period, sends the expired ones their timeout.
void ServerCore::sweep() {
  const auto now = to_ticks(Clock::now());
  bool keep_running = true;
  {
    std::lock_guard lock(connections_mutex);
    for (const auto& [raw, weak] : connections) {
      if (!raw->deadline_passed(now)) continue;
      if (auto connection = weak.lock()) {
        asio::post(connection->executor(), [connection] { connection->on_deadline(); });
      }
    }
    keep_running = !(draining && connections.empty());
  }
  if (keep_running) schedule_sweep();
}

void ServerCore::forget(Connection* connection, bool notify_drained) {
  std::function<void()> drained;
  {
    std::lock_guard lock(connections_mutex);
    if (connections.erase(connection) == 0) return;
    if (notify_drained && draining && connections.empty()) drained = std::move(on_drained);
  }
  connections_active.dec();
  if (drained) {
    asio::post(strand, [self = shared_from_this()] { self->sweep_timer.cancel(); });
    drained();
  }
}

std::vector<std::shared_ptr<Connection>> ServerCore::snapshot() const {
  std::vector<std::shared_ptr<Connection>> result;
  std::lock_guard lock(connections_mutex);
  result.reserve(connections.size());
  for (const auto& [raw, weak] : connections) {
    if (auto connection = weak.lock()) result.push_back(std::move(connection));
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------

struct Server::Impl : ServerCore {
  using ServerCore::ServerCore;
};

Server::Server(asio::io_context& io, ServerOptions options, Router router, metrics::Registry& metrics)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(router), metrics)) {}

Server::~Server() {
  // Handlers may still run on io threads; they keep Impl alive. Stop listening and close what is left, and
  // never call back into an owner that is going away.
  {
    std::lock_guard lock(impl_->connections_mutex);
    impl_->on_drained = nullptr;
  }
  asio::post(impl_->strand, [impl = impl_] {
    impl->close_listeners();
    impl->sweep_timer.cancel();
  });
  abort_connections();
}

void Server::start() {
  if (impl_->started) throw std::logic_error("http: Server::start called twice");
  impl_->started = true;
  std::vector<std::unique_ptr<ServerCore::Listener>> listeners;
  std::vector<std::string> endpoints;
  for (const auto& address : impl_->options.listen) {
    const tcp::endpoint endpoint = parse_listen_address(impl_->io, address);
    auto listener = std::make_unique<ServerCore::Listener>(
        ServerCore::Listener{address, tcp::acceptor(impl_->strand), asio::steady_timer(impl_->strand)});
    try {
      auto& acceptor = listener->acceptor;
      acceptor.open(endpoint.protocol());
      acceptor.set_option(tcp::acceptor::reuse_address(true));
      // Keep "[::]:p" and "0.0.0.0:p" independent, as written in the configuration.
      if (endpoint.address().is_v6()) acceptor.set_option(asio::ip::v6_only(true));
      acceptor.bind(endpoint);
      acceptor.listen(asio::socket_base::max_listen_connections);
      endpoints.push_back(endpoint_text(acceptor.local_endpoint()));
    } catch (const boost::system::system_error& e) {
      throw std::runtime_error("http: cannot listen on " + address + ": " + e.code().message());
    }
    listeners.push_back(std::move(listener));
  }
  impl_->endpoints = std::move(endpoints);
  for (const auto& endpoint : impl_->endpoints) log::info("http server listening", {{"address", endpoint}});

  asio::post(impl_->strand,
             [impl = impl_, listeners = std::make_shared<decltype(listeners)>(std::move(listeners))] {
               for (auto& listener : *listeners) {
                 impl->listeners.push_back(std::move(listener));
                 impl->accept(*impl->listeners.back());
               }
               impl->schedule_sweep();
             });
}

std::vector<std::string> Server::local_endpoints() const {
  return impl_->endpoints;
}

void Server::shutdown(std::function<void()> on_drained) {
  asio::post(impl_->strand, [impl = impl_, on_drained = std::move(on_drained)]() mutable {
    impl->close_listeners();
    std::vector<std::shared_ptr<Connection>> connections;
    bool drained_now = false;
    {
      std::lock_guard lock(impl->connections_mutex);
      impl->draining = true;
      impl->draining_flag.store(true, std::memory_order_release);
      if (impl->connections.empty()) {
        drained_now = true;
      } else if (impl->on_drained) {
        // A second shutdown call: both callbacks run.
        impl->on_drained = [first = std::move(impl->on_drained), second = std::move(on_drained)] {
          first();
          if (second) second();
        };
      } else {
        impl->on_drained = std::move(on_drained);
      }
      for (const auto& [raw, weak] : impl->connections) {
        if (auto connection = weak.lock()) connections.push_back(std::move(connection));
      }
    }
    for (auto& connection : connections) {
      asio::post(connection->executor(), [connection] { connection->begin_drain(); });
    }
    if (drained_now) {
      impl->sweep_timer.cancel();
      if (on_drained) on_drained();
    }
  });
}

void Server::abort_connections() {
  for (auto& connection : impl_->snapshot()) {
    asio::post(connection->executor(), [connection] { connection->abort(); });
  }
}

std::size_t Server::active_connections() const {
  std::lock_guard lock(impl_->connections_mutex);
  return impl_->connections.size();
}

}  // namespace va::http
