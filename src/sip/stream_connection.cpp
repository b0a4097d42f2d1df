#include "sip/stream_connection.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <type_traits>

namespace va::sip {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

const std::shared_ptr<const std::string>& ping_bytes() {
  static const auto bytes = std::make_shared<const std::string>("\r\n\r\n");
  return bytes;
}

const std::shared_ptr<const std::string>& pong_bytes() {
  static const auto bytes = std::make_shared<const std::string>("\r\n");
  return bytes;
}

// RFC 5922 §7.2 (server identity) done by OpenSSL: the certificate must name `server_name`, or the IP we
// connected to when the URI held an IP literal.
void configure_client_identity(SSL* ssl, const std::string& server_name, const Endpoint& remote,
                               bool verify) {
  // SSL_set_tlsext_host_name is a macro with a C cast; this is what it expands to.
  if (!server_name.empty())
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(server_name.c_str()));
  if (!verify) {
    SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
    return;
  }
  SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (!server_name.empty()) {
    X509_VERIFY_PARAM_set1_host(param, server_name.c_str(), 0);
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(param, remote.address.to_string().c_str());
  }
}

template <class Stream>
class BasicStreamConnection final : public StreamConnection {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;

  BasicStreamConnection(Stream stream, const StreamConnectionParams& params, Role role, Endpoint remote,
                        std::string server_name, bool verify_peer, StreamConnectionEvents& events)
      : StreamConnection(params.id, params.transport, role, std::move(remote), events, params.limits),
        stream_(std::move(stream)),
        server_name_(std::move(server_name)),
        verify_peer_(verify_peer) {}

  void start() override {
    if (role() == Role::outbound) {
      state_ = State::connecting;
      auto& socket = stream_.lowest_layer();
      tcp::endpoint target(remote().address, remote().port);
      socket.async_connect(target, [self = shared()](const boost::system::error_code& ec) {
        if (self->state_ == State::closed) return;
        if (ec) return self->fail(ec);
        boost::system::error_code ignored;
        self->stream_.lowest_layer().set_option(tcp::no_delay(true), ignored);
        self->handshake();
      });
    } else {
      boost::system::error_code ignored;
      stream_.lowest_layer().set_option(tcp::no_delay(true), ignored);
      handshake();
    }
  }

 private:
  std::shared_ptr<BasicStreamConnection> shared() {
    return std::static_pointer_cast<BasicStreamConnection>(shared_from_this());
  }

  void handshake() {
    if constexpr (kTls) {
      state_ = State::handshaking;
      auto type = role() == Role::outbound ? asio::ssl::stream_base::client : asio::ssl::stream_base::server;
      if (role() == Role::outbound)
        configure_client_identity(stream_.native_handle(), server_name_, remote(), verify_peer_);
      stream_.async_handshake(type, [self = shared()](const boost::system::error_code& ec) {
        if (self->state_ == State::closed) return;
        if (ec) return self->fail(ec);
        self->opened();
      });
    } else {
      opened();
    }
  }

  void opened() {
    boost::system::error_code ec;
    auto local = stream_.lowest_layer().local_endpoint(ec);
    established(ec ? Endpoint{} : Endpoint{local.address(), local.port()});
    if (state_ != State::open) return;
    read();
    if (!queue_.empty() && !writing_) write_front();
  }

  void read() {
    stream_.async_read_some(asio::buffer(buffer_),
                            [self = shared()](const boost::system::error_code& ec, std::size_t n) {
                              if (self->state_ == State::closed) return;
                              if (ec) return self->fail(ec);
                              self->on_bytes(self->buffer_.data(), n);
                              if (self->state_ == State::open) self->read();
                            });
  }

  void write_front() override {
    if (state_ != State::open || queue_.empty()) return;
    writing_ = true;
    asio::async_write(
        stream_, asio::buffer(*queue_.front().bytes),
        [self = shared()](const boost::system::error_code& ec, std::size_t) { self->on_write_done(ec); });
  }

  void close_socket() override {
    boost::system::error_code ignored;
    // No TLS close_notify: it needs a round trip and a peer that may never answer; SIP does not rely on it.
    stream_.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.lowest_layer().close(ignored);
  }

  Stream stream_;
  std::string server_name_;
  bool verify_peer_;
  std::array<char, 16 * 1024> buffer_{};
};

}  // namespace

StreamConnection::StreamConnection(std::uint64_t id, TransportKind transport, Role role, Endpoint remote,
                                   StreamConnectionEvents& events, ParseLimits limits)
    : id_(id),
      transport_(transport),
      role_(role),
      remote_(std::move(remote)),
      events_(events),
      framer_(limits),
      created_at_(Clock::now()),
      last_activity_(created_at_),
      last_sent_(created_at_) {
  state_ = role == Role::outbound ? State::connecting : State::handshaking;
}

void StreamConnection::established(Endpoint local) {
  local_ = std::move(local);
  state_ = State::open;
  last_activity_ = Clock::now();
  events_.on_stream_established(*this);
}

void StreamConnection::send(std::shared_ptr<const std::string> bytes, SendFailureHandler on_failure) {
  if (state_ == State::closed) {
    if (on_failure) on_failure(std::make_error_code(std::errc::not_connected));
    return;
  }
  last_activity_ = Clock::now();
  enqueue(Outgoing{std::move(bytes), std::move(on_failure)});
}

void StreamConnection::send_ping() {
  if (state_ != State::open) return;
  ping_sent_at_ = Clock::now();
  enqueue(Outgoing{ping_bytes(), {}});
}

void StreamConnection::enqueue(Outgoing item) {
  queue_.push_back(std::move(item));
  if (state_ == State::open && !writing_) write_front();
}

void StreamConnection::on_write_done(std::error_code ec) {
  writing_ = false;
  if (state_ == State::closed) return;
  if (ec) return fail(ec);
  last_sent_ = Clock::now();
  queue_.pop_front();
  if (!queue_.empty()) write_front();
}

void StreamConnection::on_bytes(const char* data, std::size_t n) {
  framer_.feed(std::string_view(data, n));
  for (;;) {
    StreamEvent event = framer_.next();
    switch (event.kind) {
      case StreamEventKind::need_more:
        return;
      case StreamEventKind::keepalive_ping:
        last_activity_ = Clock::now();
        enqueue(Outgoing{pong_bytes(), {}});
        break;
      case StreamEventKind::keepalive_pong:
        ping_sent_at_.reset();
        break;
      case StreamEventKind::message:
        last_activity_ = Clock::now();
        events_.on_stream_event(*this, std::move(event));
        break;
      case StreamEventKind::error: {
        bool fatal = event.fatal;
        events_.on_stream_event(*this, std::move(event));
        if (fatal) {
          close(std::make_error_code(std::errc::protocol_error));
          return;
        }
        break;
      }
    }
    if (state_ == State::closed) return;
  }
}

void StreamConnection::fail(std::error_code ec) {
  close(ec ? ec : std::make_error_code(std::errc::io_error));
}

void StreamConnection::close(std::error_code reason) {
  if (state_ == State::closed) return;
  state_ = State::closed;
  close_socket();
  // The first item may be half written; none of them is known to have arrived. Report every one that has a
  // handler, so its transaction can fail over (§17.1.4) instead of waiting for Timer B/F.
  auto pending = std::move(queue_);
  queue_.clear();
  std::error_code failure = reason ? reason : std::make_error_code(std::errc::connection_aborted);
  for (auto& item : pending)
    if (item.on_failure) item.on_failure(failure);
  events_.on_stream_closed(*this, reason);
}

std::shared_ptr<StreamConnection> make_outbound_connection(const asio::any_io_executor& executor,
                                                           const StreamConnectionParams& params,
                                                           Endpoint remote, std::string server_name,
                                                           StreamConnectionEvents& events) {
  if (params.transport == TransportKind::tls) {
    using Tls = asio::ssl::stream<tcp::socket>;
    return std::make_shared<BasicStreamConnection<Tls>>(Tls(tcp::socket(executor), *params.tls), params,
                                                        StreamConnection::Role::outbound, std::move(remote),
                                                        std::move(server_name), params.verify_peer, events);
  }
  return std::make_shared<BasicStreamConnection<tcp::socket>>(
      tcp::socket(executor), params, StreamConnection::Role::outbound, std::move(remote), std::string(),
      false, events);
}

std::shared_ptr<StreamConnection> make_inbound_connection(tcp::socket socket,
                                                          const StreamConnectionParams& params,
                                                          StreamConnectionEvents& events) {
  boost::system::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  Endpoint remote = ec ? Endpoint{} : Endpoint{peer.address(), peer.port()};
  if (params.transport == TransportKind::tls) {
    using Tls = asio::ssl::stream<tcp::socket>;
    return std::make_shared<BasicStreamConnection<Tls>>(Tls(std::move(socket), *params.tls), params,
                                                        StreamConnection::Role::inbound, std::move(remote),
                                                        std::string(), false, events);
  }
  return std::make_shared<BasicStreamConnection<tcp::socket>>(
      std::move(socket), params, StreamConnection::Role::inbound, std::move(remote), std::string(), false,
      events);
}

}  // namespace va::sip
