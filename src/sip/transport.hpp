// The SIP transport layer (RFC 3261 §18, RFC 3581, RFC 5626 keep-alive) over Boost.Asio: listens on the
// configured URIs (UDP, TCP, TLS; IPv4 and IPv6), turns received bytes into messages for the transaction
// layer, and sends requests and responses by the rules of §18.1 and §18.2.
//
// Receive: datagrams go through sip::parse_message, streams through sip::StreamFramer (inside
// StreamConnection). Requests that do not parse but keep Via/From/To/Call-ID/CSeq are answered 400 (505 for
// another SIP version) by sip::make_bad_request_response; everything else that does not parse is dropped and
// counted in sip_messages_dropped_total{transport,reason}. Requests get received=/rport= (§18.2.1, RFC 3581);
// responses whose top Via was not written by us are dropped (§18.1.2).
//
// Send: requests reuse an open connection to the destination or open one (§18.1.1); responses go back over
// the request's connection, else to received/sent-by (§18.2.2), and over UDP to received:rport from the
// socket the request arrived on (RFC 3581 §4).
//
// Names: only IP literals and names the system resolver knows (/etc/hosts, A/AAAA through
// boost::asio::ip::tcp::resolver) are supported; RFC 3263 NAPTR/SRV lookups are not implemented yet, so a
// trunk must be configured with the host and port to use.
//
// Threading: every member runs on the SIP core strand given at construction (see transaction_layer.hpp).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/metrics.hpp"
#include "sip/connection_table.hpp"
#include "sip/flow.hpp"
#include "sip/message.hpp"
#include "sip/parser.hpp"
#include "sip/stream_connection.hpp"
#include "sip/tcp_transport.hpp"
#include "sip/tls_transport.hpp"
#include "sip/udp_transport.hpp"
#include "sip/via_routing.hpp"

namespace boost::asio::ssl {
class context;
}

namespace va::sip {

struct TransportOptions {
  std::vector<std::string> listen{"udp://0.0.0.0:5060"};  // parse_listen_uri syntax
  // Host written into Via sent-by (and offered to the TU for Contact) when a listener is bound to a wildcard
  // address; empty: the local address the kernel routes towards the destination. Config: sip.public_address.
  std::string advertised_host;
  ParseLimits limits;
  std::size_t max_datagram_bytes = 65'535;
  ConnectionPolicy connections;
  TlsSettings tls;
  // RFC 3261 §18.1.1 asks that a request larger than 1300 bytes (with no known path MTU) go over TCP. Many
  // trunks accept only UDP, and a firewall that silently drops the SYN would delay the request by the
  // connect timeout, so this is opt-in: 0 disables it; a value N sends requests longer than N bytes over TCP
  // when a TCP listener exists and the URI does not name a transport, falling back to UDP when the
  // connection cannot be established (§18.1.1 "SHOULD retry the request, using UDP").
  std::size_t udp_to_tcp_threshold = 0;
};

// A bound listener: where it listens and the sent-by it writes into Via.
struct ListeningPoint {
  ListenUri uri;  // as configured
  TransportKind transport = TransportKind::udp;
  Endpoint local;  // with the port actually bound (listen URIs may say port 0)
};

struct IncomingMessage {
  Message message;
  Flow flow;
};

using SharedBytes = std::shared_ptr<const std::string>;
using SendErrorHandler = std::function<void(std::error_code)>;

class TransportUser {
 public:
  virtual ~TransportUser() = default;
  // A parsed message with the mandatory headers (§8.1.1); requests already carry received/rport.
  virtual void on_message(IncomingMessage&& message) = 0;
};

class TransportLayer final : public std::enable_shared_from_this<TransportLayer>,
                             private DatagramSink,
                             private StreamAcceptEvents,
                             private StreamConnectionEvents {
 public:
  TransportLayer(const boost::asio::any_io_executor& strand, TransportOptions options, TransportUser& user,
                 metrics::Registry& metrics);
  ~TransportLayer() override;

  // Binds every listen URI (synchronously, so errors surface at start-up). Returns an error message naming
  // the URI, or nullopt. Call before the strand runs anything else.
  std::optional<std::string> start();
  // Closes listeners and connections; pending sends are dropped.
  void stop();

  const std::vector<ListeningPoint>& listening_points() const { return points_; }
  const TransportOptions& options() const { return options_; }

  // Resolves a next hop. IP literals complete immediately (inside the call); names go through the system
  // resolver. The error is host_not_found when no address of a family we listen on exists.
  void resolve(const NextHop& hop, std::function<void(std::error_code, Destination)> done);
  // The sent-by to put into the Via of a request to `destination` (and remember as ours, §18.1.2); nullopt
  // when no listener serves that transport and address family.
  std::optional<HostPort> sent_by_for(const Destination& destination);
  // §18.1.1: whether a request of `size` bytes for `destination` should switch from UDP to TCP.
  bool prefers_tcp(std::size_t size, const Destination& destination, bool transport_explicit) const;

  // Sends a request. `on_error` runs later (never inside this call) when it could not be sent.
  void send_request(const SharedBytes& bytes, const Destination& destination, SendErrorHandler on_error);
  // Sends a response to a request that arrived on `request_flow` and whose top Via (as stamped) is `via`.
  void send_response(const SharedBytes& bytes, const Flow& request_flow, const Via& via,
                     SendErrorHandler on_error);

  std::size_t connection_count() const { return connections_.size(); }

 private:
  struct UdpPoint {
    std::shared_ptr<UdpTransport> socket;
    std::size_t point = 0;  // index into points_
  };
  struct StreamPoint {
    std::shared_ptr<StreamListener> listener;
    std::size_t point = 0;
  };
  struct Counters {
    metrics::Counter* received_requests = nullptr;
    metrics::Counter* received_responses = nullptr;
    metrics::Counter* sent_requests = nullptr;
    metrics::Counter* sent_responses = nullptr;
  };

  // DatagramSink, StreamAcceptEvents, StreamConnectionEvents
  void on_datagram(UdpTransport& transport, std::string_view data, const Endpoint& source) override;
  void on_accepted(StreamListener& listener, boost::asio::ip::tcp::socket socket) override;
  void on_stream_established(StreamConnection& connection) override;
  void on_stream_event(StreamConnection& connection, StreamEvent&& event) override;
  void on_stream_closed(StreamConnection& connection, std::error_code reason) override;

  std::optional<std::string> bind(const ListenUri& uri);
  void receive(Message&& message, const Flow& flow);
  // A message that failed to parse (or lacks mandatory headers): answer 400/505 when possible, count it.
  void reject(std::string_view raw, const ParseError& error, const Flow& flow);
  void send_stateless_over_flow(const Message& response, const Flow& flow);
  bool is_own_sent_by(const Via& via) const;
  void send_udp(const SharedBytes& bytes, const Endpoint& remote, const std::optional<Endpoint>& local,
                SendErrorHandler on_error);
  void send_stream(const SharedBytes& bytes, const Destination& destination, SendErrorHandler on_error);
  std::shared_ptr<StreamConnection> open_connection(const Destination& destination);
  UdpTransport* udp_for(const Endpoint& remote, const std::optional<Endpoint>& local);
  const ListeningPoint* point_for(TransportKind transport, const boost::asio::ip::address& remote) const;
  boost::asio::ip::address local_address_towards(const boost::asio::ip::address& remote);
  void post_error(SendErrorHandler on_error, std::error_code ec);
  void count_drop(TransportKind transport, std::string_view reason);
  void update_connection_gauge(TransportKind transport);
  void schedule_sweep();

  boost::asio::any_io_executor strand_;
  TransportOptions options_;
  TransportUser& user_;
  metrics::Family<metrics::Counter>& dropped_;
  metrics::Family<metrics::Gauge>& connections_gauge_;
  Counters counters_[3];

  std::vector<ListeningPoint> points_;
  std::vector<UdpPoint> udp_;
  std::vector<StreamPoint> stream_listeners_;
  ConnectionTable connections_;
  std::unique_ptr<boost::asio::ssl::context> tls_server_;
  std::unique_ptr<boost::asio::ssl::context> tls_client_;
  std::string tls_client_error_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer sweep_timer_;
  std::unordered_set<std::string> own_sent_by_;
  std::unordered_map<std::string, boost::asio::ip::address> local_address_cache_;
  std::uint64_t next_connection_id_ = 1;
  bool stopped_ = false;
};

}  // namespace va::sip
