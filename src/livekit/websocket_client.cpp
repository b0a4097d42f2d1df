#include "livekit/websocket_client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <deque>

#include "common/ascii.hpp"
#include "http/client.hpp"

namespace va::livekit {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using boost::system::error_code;
using tcp = asio::ip::tcp;

// --- target --------------------------------------------------------------------------------------------

std::optional<WebSocketTarget> WebSocketTarget::parse(std::string_view url, std::string_view path,
                                                      std::string& error) {
  // The LiveKit URL is given in any of its four spellings (livekit.url); http::Origin parses the HTTP ones.
  std::string text(url);
  auto lower = ascii::to_lower(text);
  if (lower.starts_with("wss://")) {
    text = "https://" + text.substr(6);
  } else if (lower.starts_with("ws://")) {
    text = "http://" + text.substr(5);
  }
  auto origin = http::Origin::parse(text, error);
  if (!origin) return std::nullopt;
  WebSocketTarget target;
  target.tls = origin->tls;
  target.host = origin->host;
  target.port = origin->port;
  target.path = origin->base_path + (path.starts_with('/') ? "" : "/") + std::string(path);
  return target;
}

std::string WebSocketTarget::to_string() const {
  bool v6 = host.find(':') != std::string::npos;
  return std::string(tls ? "wss://" : "ws://") + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) +
         path;
}

// --- connection ------------------------------------------------------------------------------------------

namespace {

using PlainStream = websocket::stream<beast::tcp_stream>;
using SecureStream = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

std::string describe(const error_code& ec) {
  return ec.message();
}

// The Host header: brackets around IPv6 literals, the port unless it is the scheme's default.
std::string host_header(const WebSocketTarget& t) {
  bool v6 = t.host.find(':') != std::string::npos;
  bool default_port = t.port == (t.tls ? 443 : 80);
  return (v6 ? "[" + t.host + "]" : t.host) + (default_port ? "" : ":" + std::to_string(t.port));
}

}  // namespace

struct WebSocketClient::Impl {
  Impl(asio::any_io_executor ex, WebSocketOptions o) : executor(ex), options(std::move(o)), deadline(ex) {}

  asio::any_io_executor executor;
  WebSocketOptions options;
  asio::steady_timer deadline;  // the connect timeout
  std::optional<asio::ssl::context> tls_context;
  std::optional<PlainStream> plain;
  std::optional<SecureStream> secure;
  std::optional<tcp::resolver> resolver;
  websocket::response_type upgrade_response;
  WebSocketTarget target;
  std::vector<Header> headers;
  ConnectHandler connect_done;
  bool timed_out = false;
  bool open = false;
  bool closing = false;  // close() was called: no handler runs any more

  beast::flat_buffer read_buffer;
  MessageHandler on_message;
  ClosedHandler on_closed;

  std::deque<std::string> outbox;
  bool writing = false;

  // Runs `f` on whichever stream this connection uses.
  template <class F>
  void with_stream(F&& f) {
    if (secure) {
      f(*secure);
    } else if (plain) {
      f(*plain);
    }
  }
  beast::tcp_stream& lowest() {
    return secure ? beast::get_lowest_layer(*secure) : beast::get_lowest_layer(*plain);
  }

  void finish_connect(std::optional<std::string> error) {
    deadline.cancel();
    if (!connect_done) return;
    auto done = std::move(connect_done);
    connect_done = nullptr;
    if (closing) return;
    if (error && timed_out)
      *error = "connecting to " + target.to_string() + " timed out after " +
               std::to_string(options.connect_timeout.count()) + " ms (" + *error + ")";
    if (!error) open = true;
    done(std::move(error));
  }
};

std::shared_ptr<WebSocketClient> WebSocketClient::create(asio::any_io_executor executor,
                                                         WebSocketOptions options) {
  return std::shared_ptr<WebSocketClient>(
      new WebSocketClient(std::make_unique<Impl>(std::move(executor), std::move(options))));
}

WebSocketClient::WebSocketClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebSocketClient::~WebSocketClient() = default;

bool WebSocketClient::is_open() const {
  return impl_->open && !impl_->closing;
}

void WebSocketClient::connect(const WebSocketTarget& target, std::vector<Header> headers,
                              ConnectHandler done) {
  auto& s = *impl_;
  s.target = target;
  s.headers = std::move(headers);
  s.connect_done = std::move(done);
  if (target.tls) {
    try {
      s.tls_context.emplace(asio::ssl::context::tls_client);
      s.tls_context->set_default_verify_paths();
      if (!s.options.ca_file.empty()) s.tls_context->load_verify_file(s.options.ca_file);
      s.tls_context->set_verify_mode(asio::ssl::verify_peer);
    } catch (const std::exception& e) {
      s.finish_connect("TLS setup: " + std::string(e.what()) +
                       (s.options.ca_file.empty() ? "" : " (CA file " + s.options.ca_file + ")"));
      return;
    }
    s.secure.emplace(s.executor, *s.tls_context);
  } else {
    s.plain.emplace(s.executor);
  }
  s.deadline.expires_after(s.options.connect_timeout);
  s.deadline.async_wait([self = shared_from_this()](const error_code& ec) { self->on_deadline(ec); });
  s.resolver.emplace(s.executor);
  s.resolver->async_resolve(
      target.host, std::to_string(target.port),
      [self = shared_from_this()](const error_code& ec, tcp::resolver::results_type results) {
        self->on_resolved(ec, std::move(results));
      });
}

void WebSocketClient::on_deadline(const error_code& ec) {
  auto& s = *impl_;
  // A completed connect may race the timer: only a connect still in progress is cut.
  if (ec || !s.connect_done) return;
  s.timed_out = true;
  if (s.resolver) s.resolver->cancel();
  s.lowest().close();
}

void WebSocketClient::on_resolved(const error_code& ec, tcp::resolver::results_type results) {
  auto& s = *impl_;
  if (ec) return s.finish_connect("resolve " + s.target.host + ": " + describe(ec));
  s.lowest().async_connect(results,
                           [self = shared_from_this()](const error_code& connect_ec, const tcp::endpoint&) {
                             self->on_connected(connect_ec);
                           });
}

void WebSocketClient::on_connected(const error_code& ec) {
  auto& s = *impl_;
  auto where = s.target.host + ":" + std::to_string(s.target.port);
  if (ec) return s.finish_connect("connect " + where + ": " + describe(ec));
  if (!s.secure) return upgrade();
  error_code address_ec;
  asio::ip::make_address(s.target.host, address_ec);
  // SNI only for names (RFC 6066 §3: literal IP addresses are not permitted in "HostName").
  // (SSL_set_tlsext_host_name is a macro with an old-style cast; this is what it expands to.)
  auto& tls = s.secure->next_layer();
  if (address_ec && SSL_ctrl(tls.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                             const_cast<char*>(s.target.host.c_str())) != 1)
    return s.finish_connect("cannot set SNI host name " + s.target.host);
  tls.set_verify_callback(asio::ssl::host_name_verification(s.target.host));
  tls.async_handshake(
      asio::ssl::stream_base::client, [self = shared_from_this(), where](const error_code& handshake_ec) {
        if (handshake_ec)
          return self->impl_->finish_connect("TLS handshake with " + where + ": " + describe(handshake_ec));
        self->upgrade();
      });
}

void WebSocketClient::upgrade() {
  auto& s = *impl_;
  s.with_stream([this, &s](auto& ws) {
    // Timeouts of the open connection are the protocol's business (the agent worker pings); only the
    // closing handshake is bounded here.
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(2);
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    ws.set_option(timeouts);
    ws.read_message_max(s.options.max_message_bytes);
    ws.binary(true);
    ws.set_option(websocket::stream_base::decorator(
        [headers = s.headers, agent = s.options.user_agent](websocket::request_type& request) {
          request.set(beast::http::field::user_agent, agent);
          for (const auto& [name, value] : headers) request.set(name, value);
        }));
    ws.async_handshake(s.upgrade_response, host_header(s.target), s.target.path,
                       [self = shared_from_this()](const error_code& ec) { self->on_upgraded(ec); });
  });
}

void WebSocketClient::on_upgraded(const error_code& ec) {
  auto& s = *impl_;
  if (!ec) return s.finish_connect(std::nullopt);
  std::string error = "WebSocket upgrade at " + s.target.to_string() + ": " + describe(ec);
  if (s.upgrade_response.result_int() != 0) {
    auto body = s.upgrade_response.body();
    if (body.size() > 200) body.resize(200);
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
    error +=
        " (HTTP " + std::to_string(s.upgrade_response.result_int()) + (body.empty() ? "" : ": " + body) + ")";
  }
  s.finish_connect(std::move(error));
}

void WebSocketClient::start_reading(MessageHandler on_message, ClosedHandler closed) {
  impl_->on_message = std::move(on_message);
  impl_->on_closed = std::move(closed);
  read_next();
}

void WebSocketClient::read_next() {
  auto& s = *impl_;
  if (s.closing || !s.open) return;
  s.with_stream([this, &s](auto& ws) {
    ws.async_read(s.read_buffer,
                  [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_read(ec); });
  });
}

void WebSocketClient::on_read(const error_code& ec) {
  auto& s = *impl_;
  if (s.closing) return;
  if (ec) {
    s.open = false;
    std::string reason;
    if (ec == websocket::error::closed) {
      websocket::close_reason why;
      s.with_stream([&why](auto& ws) { why = ws.reason(); });
      reason = "closed by the server (code " + std::to_string(why.code) +
               (why.reason.empty() ? "" : ": " + std::string(why.reason.data(), why.reason.size())) + ")";
    } else {
      reason = "read: " + describe(ec);
    }
    if (auto closed = std::move(s.on_closed)) closed(std::move(reason));
    return;
  }
  bool binary = false;
  s.with_stream([&binary](auto& ws) { binary = ws.got_binary(); });
  auto payload = beast::buffers_to_string(s.read_buffer.data());
  s.read_buffer.consume(s.read_buffer.size());
  if (s.on_message) s.on_message(std::move(payload), binary);
  read_next();
}

void WebSocketClient::send_binary(std::string payload) {
  auto& s = *impl_;
  if (!s.open || s.closing) return;
  s.outbox.push_back(std::move(payload));
  if (!s.writing) write_next();
}

void WebSocketClient::write_next() {
  auto& s = *impl_;
  if (s.outbox.empty() || s.closing || !s.open) {
    s.writing = false;
    return;
  }
  s.writing = true;
  s.with_stream([this, &s](auto& ws) {
    ws.binary(true);
    ws.async_write(asio::buffer(s.outbox.front()),
                   [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_written(ec); });
  });
}

void WebSocketClient::on_written(const error_code& ec) {
  auto& s = *impl_;
  s.outbox.pop_front();
  if (ec) {
    // The read side reports the broken connection; what is queued can no longer go out.
    s.outbox.clear();
    s.writing = false;
    return;
  }
  write_next();
}

void WebSocketClient::close() {
  auto& s = *impl_;
  if (s.closing) return;
  s.closing = true;
  s.on_message = nullptr;
  s.on_closed = nullptr;
  s.connect_done = nullptr;
  s.deadline.cancel();
  if (s.resolver) s.resolver->cancel();
  if (!s.plain && !s.secure) return;
  if (!s.open) {
    s.lowest().close();
    return;
  }
  s.open = false;
  // A close frame, so the server deregisters the worker at once rather than when the TCP connection dies;
  // bounded by the handshake timeout set in upgrade().
  s.with_stream([this](auto& ws) {
    ws.async_close(websocket::close_code::normal,
                   [self = shared_from_this()](const error_code&) { self->impl_->lowest().close(); });
  });
}

}  // namespace va::livekit
