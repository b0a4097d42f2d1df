// Serving one client connection: reading requests (limits, Expect: 100-continue, timeouts), rate limiting,
// routing and CORS, writing responses, keep-alive and lingering close.
#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <exception>
#include <limits>
#include <string_view>
#include <utility>

#include "common/ascii.hpp"
#include "common/log.hpp"
#include "http/server_core.hpp"

namespace va::http::detail {

namespace {

// After a response that ends the connection while the client may still be sending (an unread body, a
// pipelined request), the socket is half-closed and input is discarded for a while before closing: closing
// with unread input makes the kernel send RST, which can destroy the response before the client reads it.
constexpr std::chrono::milliseconds kLingerTimeout{2'000};
constexpr std::size_t kLingerByteLimit = 4 * 1024 * 1024;
constexpr std::size_t kLingerReadSize = 16 * 1024;

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

using ascii::hex_value;
using ascii::iequals;

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

}  // namespace

Connection::Connection(std::shared_ptr<ServerCore> server, tcp::socket socket, const tcp::endpoint& remote)
    : server_(std::move(server)), socket_(std::move(socket)), client_key_(client_key_from(remote.address())) {
  request_.remote_address = remote.address().to_string();
  request_.remote_port = remote.port();
}

Connection::~Connection() {
  // Normally close() ran; this covers an io_context destroyed with our handlers still queued.
  if (phase_ != Phase::closed) server_->forget(this, /*notify_drained=*/false);
}

void Connection::start() {
  wait_for_request();
}

void Connection::begin_drain() {
  if (phase_ == Phase::idle) close();
}

void Connection::abort() {
  close();
}

void Connection::on_deadline() {
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

void Connection::set_deadline(Clock::time_point when) {
  deadline_ticks_.store(to_ticks(when), std::memory_order_relaxed);
}

void Connection::clear_deadline() {
  deadline_ticks_.store(kNoDeadline, std::memory_order_relaxed);
}

bool Connection::draining() const {
  return server_->draining_flag.load(std::memory_order_acquire);
}

void Connection::wait_for_request() {
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

void Connection::read_request() {
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
  bhttp::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) { self->on_header(ec); });
}

void Connection::on_header(const boost::system::error_code& ec) {
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

void Connection::read_body() {
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

void Connection::on_read_error(const boost::system::error_code& ec) {
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

void Connection::fill_request_head() {
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

void Connection::dispatch() {
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

Response Connection::invoke(const Handler& handler, const std::string& route_label) {
  try {
    return handler(request_);
  } catch (const std::exception& e) {
    log_handler_failure(route_label, e.what());
  } catch (...) {
    log_handler_failure(route_label, "unknown exception");
  }
  return Response::error(500, "internal_error", "internal server error");
}

void Connection::log_handler_failure(const std::string& route_label, std::string_view what) const {
  log::error("http handler failed", {{"method", request_.method_text},
                                     {"path", request_.path},
                                     {"route", route_label},
                                     {"remote", request_.remote_address},
                                     {"error", what}});
}

void Connection::write_response(Response response, bool force_close) {
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

void Connection::on_written(const boost::system::error_code& ec) {
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

void Connection::linger() {
  phase_ = Phase::lingering;
  set_deadline(Clock::now() +
               std::min<std::chrono::milliseconds>(kLingerTimeout, server_->options.read_timeout));
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  buffer_.clear();
  discard_input();
}

void Connection::discard_input() {
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

void Connection::close() {
  if (phase_ == Phase::closed) return;
  phase_ = Phase::closed;
  clear_deadline();
  boost::system::error_code ignored;
  socket_.close(ignored);
  server_->forget(this, /*notify_drained=*/true);
}

}  // namespace va::http::detail
