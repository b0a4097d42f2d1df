// One TCP or TLS connection carrying SIP (RFC 3261 §18.3 framing, RFC 5626 §4.4.1 CRLF keep-alive).
//
// Runs entirely on the SIP core strand. Bytes read are cut into messages by sip::StreamFramer; messages and
// framing errors go to the owner (StreamConnectionEvents), keep-alive pings are answered here (CRLFCRLF →
// CRLF) and pongs clear the outstanding ping. Sends queue while the connection is being established and are
// written one at a time in order. Idle and keep-alive policy is applied from outside by the ConnectionTable's
// periodic sweep, so a connection owns no timer of its own.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "sip/flow.hpp"
#include "sip/parser.hpp"
#include "sip/stream_framer.hpp"

namespace boost::asio::ssl {
class context;
}

namespace va::sip {

class StreamConnection;

using SendFailureHandler = std::function<void(std::error_code)>;

class StreamConnectionEvents {
 public:
  virtual ~StreamConnectionEvents() = default;
  // The connection is established (TCP connected, TLS handshake done) and can carry messages.
  virtual void on_stream_established(StreamConnection& connection) = 0;
  // StreamEventKind::message or StreamEventKind::error (fatal errors are followed by on_stream_closed).
  virtual void on_stream_event(StreamConnection& connection, StreamEvent&& event) = 0;
  // Called once. Queued sends that never left have had their failure handlers called before this.
  virtual void on_stream_closed(StreamConnection& connection, std::error_code reason) = 0;
};

class StreamConnection : public std::enable_shared_from_this<StreamConnection> {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Role : std::uint8_t { inbound, outbound };
  enum class State : std::uint8_t { connecting, handshaking, open, closed };

  virtual ~StreamConnection() = default;
  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;

  // Outbound: connect, then the TLS handshake; inbound: the TLS handshake. Then reading starts.
  virtual void start() = 0;
  // Queues `bytes`; `on_failure` runs if they cannot be written (the connection failed before they left).
  void send(std::shared_ptr<const std::string> bytes, SendFailureHandler on_failure = {});
  // RFC 5626 §4.4.1 keep-alive ping; the pong clears ping_outstanding().
  void send_ping();
  void close(std::error_code reason = {});

  std::uint64_t id() const { return id_; }
  TransportKind transport() const { return transport_; }
  Role role() const { return role_; }
  State state() const { return state_; }
  const Endpoint& remote() const { return remote_; }
  const Endpoint& local() const { return local_; }
  Flow flow() const { return Flow{transport_, remote_, local_, id_}; }

  Clock::time_point created_at() const { return created_at_; }
  // Last SIP message or keep-alive in either direction (the idle timer's reference).
  Clock::time_point last_activity() const { return last_activity_; }
  // Last bytes written by us (the keep-alive timer's reference: ping only when we have been silent).
  Clock::time_point last_sent() const { return last_sent_; }
  std::optional<Clock::time_point> ping_outstanding() const { return ping_sent_at_; }

 protected:
  StreamConnection(std::uint64_t id, TransportKind transport, Role role, Endpoint remote,
                   StreamConnectionEvents& events, ParseLimits limits);

  // For the implementation (one per stream type).
  virtual void write_front() = 0;
  virtual void close_socket() = 0;

  void established(Endpoint local);
  void on_bytes(const char* data, std::size_t n);
  void on_write_done(std::error_code ec);
  void fail(std::error_code ec);

  struct Outgoing {
    std::shared_ptr<const std::string> bytes;
    SendFailureHandler on_failure;
  };
  std::deque<Outgoing> queue_;
  bool writing_ = false;
  State state_ = State::connecting;

 private:
  void enqueue(Outgoing item);

  std::uint64_t id_;
  TransportKind transport_;
  Role role_;
  Endpoint remote_;
  Endpoint local_;
  StreamConnectionEvents& events_;
  StreamFramer framer_;
  Clock::time_point created_at_;
  Clock::time_point last_activity_;
  Clock::time_point last_sent_;
  std::optional<Clock::time_point> ping_sent_at_;
};

struct StreamConnectionParams {
  std::uint64_t id = 0;
  TransportKind transport = TransportKind::tcp;  // tcp or tls
  ParseLimits limits;
  boost::asio::ssl::context* tls = nullptr;  // required for TransportKind::tls
  bool verify_peer = true;                   // TLS client: check the server certificate and its name
};

// A connection we open to `remote`. `server_name` is the TLS name to verify (empty: verify the IP).
std::shared_ptr<StreamConnection> make_outbound_connection(const boost::asio::any_io_executor& executor,
                                                           const StreamConnectionParams& params,
                                                           Endpoint remote, std::string server_name,
                                                           StreamConnectionEvents& events);
// A connection accepted by a listener; `socket` is already connected.
std::shared_ptr<StreamConnection> make_inbound_connection(boost::asio::ip::tcp::socket socket,
                                                          const StreamConnectionParams& params,
                                                          StreamConnectionEvents& events);

}  // namespace va::sip
