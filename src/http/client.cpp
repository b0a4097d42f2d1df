#include "http/client.hpp"

#include <openssl/ssl.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <charconv>
#include <optional>

#include "common/ascii.hpp"

namespace va::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;

std::string_view to_string(ClientErrorKind kind) {
  switch (kind) {
    case ClientErrorKind::resolve:
      return "resolve";
    case ClientErrorKind::connect:
      return "connect";
    case ClientErrorKind::tls:
      return "tls";
    case ClientErrorKind::timeout:
      return "timeout";
    case ClientErrorKind::io:
      return "io";
    case ClientErrorKind::response_too_large:
      return "response_too_large";
    case ClientErrorKind::bad_response:
      return "bad_response";
  }
  return "io";
}

std::optional<Origin> Origin::parse(std::string_view url, std::string& error) {
  Origin o;
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    error = "'" + std::string(url) + "' is not a URL (expected http://host[:port] or https://host[:port])";
    return std::nullopt;
  }
  auto scheme = ascii::to_lower(url.substr(0, scheme_end));
  if (scheme == "https") {
    o.tls = true;
  } else if (scheme != "http") {
    error = "unsupported scheme '" + scheme + "' (expected http or https)";
    return std::nullopt;
  }
  auto rest = url.substr(scheme_end + 3);
  auto path_start = rest.find_first_of("/?#");
  auto authority = rest.substr(0, path_start);
  if (path_start != std::string_view::npos && rest[path_start] == '/') {
    auto path = rest.substr(path_start);
    path = path.substr(0, path.find_first_of("?#"));
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    o.base_path = std::string(path);
  }
  if (authority.find('@') != std::string_view::npos) {
    error = "credentials in the URL are not supported";
    return std::nullopt;
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "unterminated IPv6 literal in '" + std::string(url) + "'";
      return std::nullopt;
    }
    o.host = std::string(authority.substr(1, close - 1));
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        error = "unexpected text after the IPv6 literal in '" + std::string(url) + "'";
        return std::nullopt;
      }
      port_text = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    o.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (o.host.empty()) {
    error = "no host in '" + std::string(url) + "'";
    return std::nullopt;
  }
  o.port = o.tls ? 443 : 80;
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 || value > 65535) {
      error = "invalid port '" + std::string(port_text) + "' in '" + std::string(url) + "'";
      return std::nullopt;
    }
    o.port = static_cast<std::uint16_t>(value);
  }
  return o;
}

std::string Origin::to_string() const {
  bool v6 = host.find(':') != std::string::npos;
  return std::string(tls ? "https" : "http") + "://" + (v6 ? "[" + host + "]" : host) + ":" +
         std::to_string(port) + base_path;
}

std::string_view ClientResponse::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (ascii::iequals(h.name, name)) return h.value;
  }
  return {};
}

// One kept-alive connection and the private io_context its operations run on. Each operation is started
// asynchronously and the context is run until it completes; the stream's expiry bounds it.
struct Client::Connection {
  asio::io_context io;
  std::optional<asio::ssl::context> tls_context;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;

  beast::tcp_stream& tcp() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
  bool open() { return (plain || secure) && tcp().socket().is_open(); }
  void reset() {
    error_code ignored;
    if (plain || secure) tcp().socket().close(ignored);
    plain.reset();
    secure.reset();
    buffer.clear();
  }

  // Runs the io_context until the started operation has finished.
  void complete() {
    io.restart();
    io.run();
  }
};

namespace {

std::string describe(const error_code& ec) {
  return ec.message();
}

bool closed_by_peer(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::ssl::error::stream_truncated;
}

}  // namespace

Client::Client(Origin origin, ClientOptions options)
    : origin_(std::move(origin)), options_(std::move(options)), connection_(std::make_unique<Connection>()) {}

Client::~Client() {
  close();
}

void Client::close() {
  std::lock_guard lock(mutex_);
  connection_->reset();
}

std::optional<ClientError> Client::connect_locked() {
  auto& c = *connection_;
  const std::string endpoint = origin_.to_string();
  c.reset();
  const auto deadline = std::chrono::steady_clock::now() + options_.connect_timeout;
  // Resolve, bounded by a timer (the resolver has no expiry of its own).
  tcp::resolver resolver(c.io);
  asio::steady_timer timer(c.io);
  error_code resolve_ec;
  tcp::resolver::results_type endpoints;
  bool resolve_timed_out = false;
  timer.expires_at(deadline);
  timer.async_wait([&](const error_code& ec) {
    if (!ec) {
      resolve_timed_out = true;
      resolver.cancel();
    }
  });
  resolver.async_resolve(origin_.host, std::to_string(origin_.port),
                         [&](const error_code& ec, tcp::resolver::results_type results) {
                           resolve_ec = ec;
                           endpoints = std::move(results);
                           timer.cancel();
                         });
  c.complete();
  if (resolve_timed_out)
    return ClientError{ClientErrorKind::timeout, "resolving " + origin_.host + " timed out"};
  if (resolve_ec)
    return ClientError{ClientErrorKind::resolve, "resolve " + origin_.host + ": " + describe(resolve_ec)};

  if (origin_.tls) {
    if (!c.tls_context) {
      try {
        c.tls_context.emplace(asio::ssl::context::tls_client);
        c.tls_context->set_default_verify_paths();
        if (!options_.ca_file.empty()) c.tls_context->load_verify_file(options_.ca_file);
        c.tls_context->set_verify_mode(asio::ssl::verify_peer);
      } catch (const std::exception& e) {
        c.tls_context.reset();
        return ClientError{ClientErrorKind::tls,
                           "TLS setup: " + std::string(e.what()) +
                               (options_.ca_file.empty() ? "" : " (CA file " + options_.ca_file + ")")};
      }
    }
    c.secure.emplace(c.io, *c.tls_context);
  } else {
    c.plain.emplace(c.io);
  }
  error_code connect_ec;
  c.tcp().expires_at(deadline);
  c.tcp().async_connect(endpoints, [&](const error_code& ec, const tcp::endpoint&) { connect_ec = ec; });
  c.complete();
  if (connect_ec == beast::error::timeout) {
    c.reset();
    return ClientError{ClientErrorKind::timeout, "connect " + endpoint + " timed out"};
  }
  if (connect_ec) {
    c.reset();
    return ClientError{ClientErrorKind::connect, "connect " + endpoint + ": " + describe(connect_ec)};
  }
  if (c.secure) {
    error_code address_ec;
    asio::ip::make_address(origin_.host, address_ec);
    // SNI only for names (RFC 6066 §3: literal IP addresses are not permitted in "HostName").
    // (SSL_set_tlsext_host_name is a macro with an old-style cast; this is what it expands to.)
    if (address_ec && SSL_ctrl(c.secure->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                               TLSEXT_NAMETYPE_host_name, const_cast<char*>(origin_.host.c_str())) != 1) {
      c.reset();
      return ClientError{ClientErrorKind::tls, "cannot set SNI host name " + origin_.host};
    }
    c.secure->set_verify_callback(asio::ssl::host_name_verification(origin_.host));
    error_code handshake_ec;
    c.secure->async_handshake(asio::ssl::stream_base::client,
                              [&](const error_code& ec) { handshake_ec = ec; });
    c.complete();
    if (handshake_ec) {
      auto kind = handshake_ec == beast::error::timeout ? ClientErrorKind::timeout : ClientErrorKind::tls;
      c.reset();
      return ClientError{kind, "TLS handshake with " + endpoint + ": " + describe(handshake_ec)};
    }
  }
  return std::nullopt;
}

namespace {

// request_streaming: how long in all, and how much, a body the caller stopped reading may still take to end.
constexpr std::chrono::milliseconds kDrainGrace{200};
constexpr std::size_t kMaxDrainBytes = 64 * 1024;

bhttp::request<bhttp::string_body> make_request(const Origin& origin, const ClientOptions& options,
                                                std::string_view method, std::string_view target,
                                                const std::vector<Header>& headers, std::string_view body) {
  bhttp::request<bhttp::string_body> req;
  req.method_string(std::string(method));
  req.target(origin.base_path + std::string(target));
  req.version(11);
  bool v6 = origin.host.find(':') != std::string::npos;
  bool default_port = origin.port == (origin.tls ? 443 : 80);
  req.set(bhttp::field::host, (v6 ? "[" + origin.host + "]" : origin.host) +
                                  (default_port ? "" : ":" + std::to_string(origin.port)));
  req.set(bhttp::field::user_agent, options.user_agent);
  for (const auto& h : headers) req.insert(h.name, h.value);
  req.body() = std::string(body);
  req.prepare_payload();
  req.keep_alive(true);
  return req;
}

}  // namespace

ClientResult Client::request(std::string_view method, std::string_view target,
                             const std::vector<Header>& headers, std::string_view body) {
  std::lock_guard lock(mutex_);
  auto& c = *connection_;
  const std::string endpoint = origin_.to_string();

  auto req = make_request(origin_, options_, method, target, headers, body);

  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = c.open();
    if (!reused) {
      if (auto error = connect_locked()) return *error;
    }
    error_code write_ec;
    c.tcp().expires_after(options_.request_timeout);
    if (c.secure) {
      bhttp::async_write(*c.secure, req, [&](const error_code& ec, std::size_t) { write_ec = ec; });
    } else {
      bhttp::async_write(*c.plain, req, [&](const error_code& ec, std::size_t) { write_ec = ec; });
    }
    c.complete();
    bhttp::response_parser<bhttp::string_body> parser;
    parser.header_limit(64 * 1024);
    parser.body_limit(options_.max_response_bytes);
    error_code read_ec = write_ec;
    if (!write_ec) {
      if (c.secure) {
        bhttp::async_read(*c.secure, c.buffer, parser,
                          [&](const error_code& ec, std::size_t) { read_ec = ec; });
      } else {
        bhttp::async_read(*c.plain, c.buffer, parser,
                          [&](const error_code& ec, std::size_t) { read_ec = ec; });
      }
      c.complete();
    }
    if (read_ec) {
      const bool nothing_received = !parser.got_some();
      c.reset();
      // The server closed the idle connection before our request reached it: once more on a new one.
      if (reused && nothing_received && closed_by_peer(read_ec) && attempt == 0) continue;
      if (read_ec == beast::error::timeout)
        return ClientError{ClientErrorKind::timeout, "no complete response from " + endpoint + " within " +
                                                         std::to_string(options_.request_timeout.count()) +
                                                         " ms"};
      if (read_ec == bhttp::error::body_limit)
        return ClientError{ClientErrorKind::response_too_large,
                           "response from " + endpoint + " exceeds " +
                               std::to_string(options_.max_response_bytes) + " bytes"};
      if (parser.got_some() &&
          read_ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category())
        return ClientError{ClientErrorKind::bad_response,
                           "malformed response from " + endpoint + ": " + describe(read_ec)};
      return ClientError{ClientErrorKind::io, std::string(write_ec ? "sending to " : "reading from ") +
                                                  endpoint + ": " + describe(read_ec)};
    }
    auto res = parser.release();
    ClientResponse out;
    out.status = res.result_int();
    out.reused_connection = reused;
    for (const auto& field : res)
      out.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    out.body = std::move(res.body());
    if (!res.keep_alive()) c.reset();
    return out;
  }
  return ClientError{ClientErrorKind::io, "connection to " + endpoint + " closed twice before a response"};
}

ClientResult Client::request_streaming(std::string_view method, std::string_view target,
                                       const std::vector<Header>& headers, std::string_view body,
                                       const BodyChunkHandler& on_chunk) {
  std::lock_guard lock(mutex_);
  auto& c = *connection_;
  const std::string endpoint = origin_.to_string();
  auto req = make_request(origin_, options_, method, target, headers, body);

  auto timed_out = [&](std::string_view what) {
    return ClientError{ClientErrorKind::timeout, std::string(what) + " from " + endpoint + " within " +
                                                     std::to_string(options_.request_timeout.count()) +
                                                     " ms"};
  };
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = c.open();
    if (!reused) {
      if (auto error = connect_locked()) return *error;
    }
    error_code ec;
    c.tcp().expires_after(options_.request_timeout);
    if (c.secure) {
      bhttp::async_write(*c.secure, req, [&](const error_code& e, std::size_t) { ec = e; });
    } else {
      bhttp::async_write(*c.plain, req, [&](const error_code& e, std::size_t) { ec = e; });
    }
    c.complete();
    bhttp::response_parser<bhttp::buffer_body> parser;
    parser.header_limit(64 * 1024);
    parser.body_limit(
        boost::none);  // a stream's length is the consumer's business; errors bodies are capped below
    if (!ec) {
      if (c.secure) {
        bhttp::async_read_header(*c.secure, c.buffer, parser,
                                 [&](const error_code& e, std::size_t) { ec = e; });
      } else {
        bhttp::async_read_header(*c.plain, c.buffer, parser,
                                 [&](const error_code& e, std::size_t) { ec = e; });
      }
      c.complete();
    }
    if (ec) {
      const bool nothing_received = !parser.got_some();
      c.reset();
      if (reused && nothing_received && closed_by_peer(ec) && attempt == 0) continue;
      if (ec == beast::error::timeout) return timed_out("no response");
      return ClientError{ClientErrorKind::io, "reading from " + endpoint + ": " + describe(ec)};
    }
    ClientResponse out;
    out.status = parser.get().result_int();
    out.reused_connection = reused;
    for (const auto& field : parser.get())
      out.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    const bool success = out.status >= 200 && out.status < 300;
    // The body: to the handler as it arrives on success; kept (bounded) for the caller's error message
    // otherwise. Each piece must arrive within request_timeout of the previous one: a stream as long as the
    // audio it carries is not bounded as a whole, only its stalls are.
    std::array<char, 16 * 1024> piece{};
    // The next piece of the body into `piece` within `timeout`: its size, or 0 with `ec` set.
    auto read_piece = [&](std::chrono::milliseconds timeout) -> std::size_t {
      parser.get().body().data = piece.data();
      parser.get().body().size = piece.size();
      c.tcp().expires_after(timeout);
      if (c.secure) {
        bhttp::async_read_some(*c.secure, c.buffer, parser,
                               [&](const error_code& e, std::size_t) { ec = e; });
      } else {
        bhttp::async_read_some(*c.plain, c.buffer, parser, [&](const error_code& e, std::size_t) { ec = e; });
      }
      c.complete();
      if (ec == bhttp::error::need_buffer) ec = {};
      return ec ? 0 : piece.size() - parser.get().body().size;
    };
    while (!parser.is_done()) {
      const std::size_t got = read_piece(options_.request_timeout);
      if (ec) {
        c.reset();
        if (ec == beast::error::timeout) return timed_out("the response stalled: no data");
        // The peer closed the connection inside the body (Beast reports partial_message).
        if (ec == bhttp::error::partial_message || closed_by_peer(ec))
          return ClientError{ClientErrorKind::io,
                             "response from " + endpoint + " cut short: " + describe(ec)};
        if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category())
          return ClientError{ClientErrorKind::bad_response,
                             "malformed response from " + endpoint + ": " + describe(ec)};
        return ClientError{ClientErrorKind::io, "response from " + endpoint + " cut short: " + describe(ec)};
      }
      if (got == 0) continue;
      if (!success) {
        if (out.body.size() + got > options_.max_response_bytes) {
          c.reset();
          return ClientError{ClientErrorKind::response_too_large,
                             "response from " + endpoint + " exceeds " +
                                 std::to_string(options_.max_response_bytes) + " bytes"};
        }
        out.body.append(piece.data(), got);
      } else if (!on_chunk(std::string_view(piece.data(), got))) {
        // The rest is not wanted. A body about to end (an event stream's terminating chunk right after its
        // last event) is read to its end within a short grace, so the connection can serve the next
        // request; otherwise the connection goes (it cannot be reused mid-body).
        out.stopped = true;
        const auto drain_until = std::chrono::steady_clock::now() + kDrainGrace;
        std::size_t drained = 0;
        while (!parser.is_done() && !ec && drained <= kMaxDrainBytes) {
          const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
              drain_until - std::chrono::steady_clock::now());
          if (left <= std::chrono::milliseconds::zero()) break;
          drained += read_piece(left);
        }
        if (!parser.is_done() || !parser.get().keep_alive()) c.reset();
        return out;
      }
    }
    if (!parser.get().keep_alive()) c.reset();
    return out;
  }
  return ClientError{ClientErrorKind::io, "connection to " + endpoint + " closed twice before a response"};
}

}  // namespace va::http
