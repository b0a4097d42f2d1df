#include "sip/transport.hpp"

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>

#include "common/log.hpp"
#include "sip/bad_request.hpp"
#include "sip/syntax.hpp"

namespace va::sip {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

std::size_t index_of(TransportKind kind) {
  return static_cast<std::size_t>(kind);
}

bool only_line_breaks(std::string_view data) {
  for (char c : data)
    if (c != '\r' && c != '\n') return false;
  return true;
}

std::string sent_by_key(const HostPort& hp) {
  return to_lower(hp.to_string());
}

}  // namespace

TransportLayer::TransportLayer(const asio::any_io_executor& strand, TransportOptions options,
                               TransportUser& user, metrics::Registry& metrics)
    : strand_(strand),
      options_(std::move(options)),
      user_(user),
      dropped_(metrics.counter("sip_messages_dropped_total",
                               "SIP messages received but not passed on, by transport and reason "
                               "(parse error code, foreign_via, connection_limit, ...)",
                               {"transport", "reason"})),
      connections_gauge_(metrics.gauge("sip_connections", "Open SIP TCP/TLS connections", {"transport"})),
      resolver_(strand),
      sweep_timer_(strand) {
  auto& received = metrics.counter("sip_messages_received_total", "SIP messages received and parsed",
                                   {"transport", "kind"});
  auto& sent =
      metrics.counter("sip_messages_sent_total",
                      "SIP messages handed to the network (retransmissions included)", {"transport", "kind"});
  for (TransportKind kind : {TransportKind::udp, TransportKind::tcp, TransportKind::tls}) {
    std::string t(to_string(kind));
    auto& c = counters_[index_of(kind)];
    c.received_requests = &received.with({t, "request"});
    c.received_responses = &received.with({t, "response"});
    c.sent_requests = &sent.with({t, "request"});
    c.sent_responses = &sent.with({t, "response"});
  }
}

TransportLayer::~TransportLayer() = default;

std::optional<std::string> TransportLayer::start() {
  std::vector<ListenUri> uris;
  for (const auto& text : options_.listen) {
    std::string error;
    auto uri = parse_listen_uri(text, &error);
    if (!uri) return error;
    uris.push_back(*uri);
  }
  bool wants_tls = false;
  for (const auto& uri : uris) wants_tls = wants_tls || uri.transport == TransportKind::tls;
  if (wants_tls) {
    std::string error;
    tls_server_ = make_tls_server_context(options_.tls, error);
    if (!tls_server_) return error;
  }
  // The client context is needed only for outbound TLS; a broken CA file fails those sends, not start-up.
  tls_client_ = make_tls_client_context(options_.tls, tls_client_error_);

  for (const auto& uri : uris) {
    if (auto error = bind(uri)) {
      stop();
      return error;
    }
  }
  for (auto& u : udp_) u.socket->start_receiving();
  for (auto& l : stream_listeners_) l.listener->start_accepting();
  schedule_sweep();
  return std::nullopt;
}

std::optional<std::string> TransportLayer::bind(const ListenUri& uri) {
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(uri.host, ec);
  if (ec) {
    // A name ("localhost"): bind to its first address, resolved synchronously at start-up.
    tcp::resolver resolver(strand_);
    auto results = resolver.resolve(uri.host, std::to_string(uri.port), ec);
    if (ec || results.empty())
      return "cannot resolve listen host of " + uri.to_string() + ": " + (ec ? ec.message() : "no address");
    address = results.begin()->endpoint().address();
  }
  ListeningPoint point{uri, uri.transport, Endpoint{address, uri.port}};
  std::error_code bind_error;
  if (uri.transport == TransportKind::udp) {
    auto socket = std::make_shared<UdpTransport>(strand_, static_cast<DatagramSink&>(*this),
                                                 options_.max_datagram_bytes);
    bind_error = socket->open(udp::endpoint(address, uri.port));
    if (!bind_error) {
      point.local = socket->local();
      udp_.push_back(UdpPoint{std::move(socket), points_.size()});
    }
  } else {
    auto listener =
        std::make_shared<StreamListener>(strand_, uri.transport, static_cast<StreamAcceptEvents&>(*this));
    bind_error = listener->open(tcp::endpoint(address, uri.port));
    if (!bind_error) {
      point.local = listener->local();
      stream_listeners_.push_back(StreamPoint{std::move(listener), points_.size()});
    }
  }
  if (bind_error) return "cannot listen on " + uri.to_string() + ": " + bind_error.message();
  points_.push_back(point);
  log::info("SIP listening",
            {{"transport", std::string(to_string(point.transport))}, {"address", point.local.to_string()}});
  return std::nullopt;
}

void TransportLayer::stop() {
  if (stopped_) return;
  stopped_ = true;
  sweep_timer_.cancel();
  resolver_.cancel();
  for (auto& u : udp_) u.socket->close();
  for (auto& l : stream_listeners_) l.listener->close();
  connections_.close_all();
  for (TransportKind kind : {TransportKind::tcp, TransportKind::tls}) update_connection_gauge(kind);
}

void TransportLayer::schedule_sweep() {
  if (stopped_) return;
  sweep_timer_.expires_after(options_.connections.sweep_interval);
  sweep_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->stopped_) return;
    self->connections_.sweep(ConnectionTable::Clock::now(), self->options_.connections);
    self->schedule_sweep();
  });
}

// ---- receive

void TransportLayer::count_drop(TransportKind transport, std::string_view reason) {
  dropped_.with({std::string(to_string(transport)), std::string(reason)}).inc();
}

void TransportLayer::on_datagram(UdpTransport& transport, std::string_view data, const Endpoint& source) {
  if (stopped_) return;
  // CRLF keep-alives sent over UDP by some UAs carry nothing to parse or answer.
  if (only_line_breaks(data)) return;
  Flow flow{TransportKind::udp, source, transport.local(), 0};
  auto parsed = parse_message(data, Framing::datagram, options_.limits);
  if (!parsed) return reject(data, parsed.error(), flow);
  if (auto missing = check_mandatory_headers(*parsed)) return reject(data, *missing, flow);
  receive(std::move(parsed).value(), flow);
}

void TransportLayer::on_stream_event(StreamConnection& connection, StreamEvent&& event) {
  if (stopped_) return;
  Flow flow = connection.flow();
  if (event.kind == StreamEventKind::message) {
    if (auto missing = check_mandatory_headers(*event.message)) {
      std::string raw = event.message->to_string();
      return reject(raw, *missing, flow);
    }
    return receive(std::move(*event.message), flow);
  }
  if (event.kind != StreamEventKind::error || !event.error) return;
  if (event.fatal) {
    // Framing is lost (no Content-Length, limits exceeded): nothing can be answered; the connection closes.
    count_drop(flow.transport, to_string(event.error->code));
    log::debug("SIP stream framing lost",
               {{"remote", flow.remote.to_string()}, {"error", event.error->to_string()}});
    return;
  }
  reject(event.raw, *event.error, flow);
}

void TransportLayer::reject(std::string_view raw, const ParseError& error, const Flow& flow) {
  count_drop(flow.transport, to_string(error.code));
  log::debug("SIP message rejected", {{"transport", std::string(to_string(flow.transport))},
                                      {"remote", flow.remote.to_string()},
                                      {"error", error.to_string()}});
  auto response = make_bad_request_response(raw, error);
  if (!response) return;
  // The 400 copies the request's Via; stamp it as the request would have been, so it follows §18.2.2.
  stamp_received(*response, flow.remote);
  send_stateless_over_flow(*response, flow);
}

void TransportLayer::send_stateless_over_flow(const Message& response, const Flow& flow) {
  auto via = response.top_via();
  if (!via) return;
  send_response(std::make_shared<const std::string>(response.to_string()), flow, *via, {});
}

bool TransportLayer::is_own_sent_by(const Via& via) const {
  return own_sent_by_.count(sent_by_key(via.sent_by)) > 0;
}

void TransportLayer::receive(Message&& message, const Flow& flow) {
  auto& counters = counters_[index_of(flow.transport)];
  if (message.is_request()) {
    counters.received_requests->inc();
    stamp_received(message, flow.remote);
  } else {
    counters.received_responses->inc();
    auto via = message.top_via();
    // §18.1.2: a response whose top Via we did not write is not ours (misrouted, or forged).
    if (!via || !is_own_sent_by(*via)) return count_drop(flow.transport, "foreign_via");
  }
  user_.on_message(IncomingMessage{std::move(message), flow});
}

// ---- connections

void TransportLayer::on_accepted(StreamListener& listener, tcp::socket socket) {
  if (stopped_) return;
  if (connections_.size() >= options_.connections.max_connections) {
    count_drop(listener.transport(), "connection_limit");
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  if (listener.transport() == TransportKind::tls && !tls_server_) return;
  StreamConnectionParams params{next_connection_id_++, listener.transport(), options_.limits,
                                tls_server_.get(), false};
  auto connection =
      make_inbound_connection(std::move(socket), params, static_cast<StreamConnectionEvents&>(*this));
  connections_.add(connection);
  update_connection_gauge(listener.transport());
  connection->start();
}

void TransportLayer::on_stream_established(StreamConnection& connection) {
  log::debug("SIP connection established",
             {{"transport", std::string(to_string(connection.transport()))},
              {"remote", connection.remote().to_string()},
              {"outbound", connection.role() == StreamConnection::Role::outbound}});
}

void TransportLayer::on_stream_closed(StreamConnection& connection, std::error_code reason) {
  log::debug("SIP connection closed", {{"transport", std::string(to_string(connection.transport()))},
                                       {"remote", connection.remote().to_string()},
                                       {"reason", reason ? reason.message() : std::string("closed")}});
  connections_.remove(connection);
  update_connection_gauge(connection.transport());
}

void TransportLayer::update_connection_gauge(TransportKind transport) {
  connections_gauge_.with({std::string(to_string(transport))})
      .set(static_cast<double>(connections_.count(transport)));
}

std::shared_ptr<StreamConnection> TransportLayer::open_connection(const Destination& destination) {
  if (destination.transport == TransportKind::tls && !tls_client_) return nullptr;
  StreamConnectionParams params{next_connection_id_++, destination.transport, options_.limits,
                                tls_client_.get(), options_.tls.verify_peer};
  auto connection = make_outbound_connection(strand_, params, destination.remote, destination.server_name,
                                             static_cast<StreamConnectionEvents&>(*this));
  connections_.add(connection);
  update_connection_gauge(destination.transport);
  connection->start();
  return connection;
}

// ---- send

void TransportLayer::post_error(SendErrorHandler on_error, std::error_code ec) {
  if (!on_error) return;
  asio::post(strand_, [on_error = std::move(on_error), ec] { on_error(ec); });
}

const ListeningPoint* TransportLayer::point_for(TransportKind transport,
                                                const asio::ip::address& remote) const {
  for (const auto& p : points_)
    if (p.transport == transport && p.local.address.is_v6() == remote.is_v6()) return &p;
  return nullptr;
}

UdpTransport* TransportLayer::udp_for(const Endpoint& remote, const std::optional<Endpoint>& local) {
  if (local) {
    for (auto& u : udp_)
      if (u.socket->local() == *local) return u.socket.get();
  }
  for (auto& u : udp_)
    if (u.socket->is_v6() == remote.address.is_v6()) return u.socket.get();
  return nullptr;
}

asio::ip::address TransportLayer::local_address_towards(const asio::ip::address& remote) {
  std::string key = remote.to_string();
  if (auto it = local_address_cache_.find(key); it != local_address_cache_.end()) return it->second;
  // Connecting a UDP socket sends nothing; it only asks the kernel which source address it would route from.
  boost::system::error_code ec;
  udp::socket probe(strand_);
  probe.open(remote.is_v6() ? udp::v6() : udp::v4(), ec);
  if (!ec) probe.connect(udp::endpoint(remote, 5060), ec);
  asio::ip::address local;
  if (!ec) local = probe.local_endpoint(ec).address();
  if (ec)
    local = remote.is_v6() ? asio::ip::address(asio::ip::address_v6::loopback())
                           : asio::ip::address(asio::ip::address_v4::loopback());
  if (local_address_cache_.size() > 1024) local_address_cache_.clear();
  local_address_cache_[key] = local;
  return local;
}

std::optional<HostPort> TransportLayer::sent_by_for(const Destination& destination) {
  const ListeningPoint* point = point_for(destination.transport, destination.remote.address);
  if (point == nullptr) return std::nullopt;
  HostPort hp;
  if (!options_.advertised_host.empty()) {
    auto parsed = parse_host(options_.advertised_host, true);
    if (parsed) {
      hp = *parsed;
    } else {
      hp.host = options_.advertised_host;
    }
  } else {
    asio::ip::address address = point->local.address;
    if (address.is_unspecified()) address = local_address_towards(destination.remote.address);
    hp.host = address.to_string();
    hp.kind = address.is_v6() ? HostKind::ipv6 : HostKind::ipv4;
  }
  hp.port = point->local.port;
  std::string key = sent_by_key(hp);
  if (own_sent_by_.size() < 4096) own_sent_by_.insert(std::move(key));
  return hp;
}

bool TransportLayer::prefers_tcp(std::size_t size, const Destination& destination,
                                 bool transport_explicit) const {
  return options_.udp_to_tcp_threshold > 0 && !transport_explicit &&
         destination.transport == TransportKind::udp && size > options_.udp_to_tcp_threshold &&
         point_for(TransportKind::tcp, destination.remote.address) != nullptr;
}

void TransportLayer::resolve(const NextHop& hop, std::function<void(std::error_code, Destination)> done) {
  Destination destination;
  destination.transport = hop.transport;
  destination.server_name = hop.server_name;
  boost::system::error_code ec;
  auto address = asio::ip::make_address(hop.host, ec);
  if (!ec) {
    destination.remote = Endpoint{address, hop.port};
    return done({}, std::move(destination));
  }
  resolver_.async_resolve(
      hop.host, std::to_string(hop.port), tcp::resolver::numeric_service,
      [self = shared_from_this(), destination = std::move(destination), done = std::move(done)](
          const boost::system::error_code& error, const tcp::resolver::results_type& results) mutable {
        if (self->stopped_) return;
        if (error) return done(error, destination);
        for (const auto& entry : results) {
          auto candidate = entry.endpoint().address();
          if (self->point_for(destination.transport, candidate) == nullptr) continue;
          destination.remote = Endpoint{candidate, entry.endpoint().port()};
          return done({}, destination);
        }
        done(boost::system::error_code(asio::error::host_not_found), destination);
      });
}

void TransportLayer::send_udp(const SharedBytes& bytes, const Endpoint& remote,
                              const std::optional<Endpoint>& local, SendErrorHandler on_error) {
  UdpTransport* socket = udp_for(remote, local);
  if (socket == nullptr)
    return post_error(std::move(on_error), std::make_error_code(std::errc::address_family_not_supported));
  if (auto ec = socket->send(bytes, remote)) post_error(std::move(on_error), ec);
}

void TransportLayer::send_stream(const SharedBytes& bytes, const Destination& destination,
                                 SendErrorHandler on_error) {
  std::shared_ptr<StreamConnection> connection;
  if (destination.flow && destination.flow->transport == destination.transport &&
      destination.flow->connection_id != 0)
    connection = connections_.by_id(destination.flow->connection_id);
  if (!connection) connection = connections_.by_remote(destination.transport, destination.remote);
  if (!connection) connection = open_connection(destination);
  if (!connection) {
    if (!tls_client_error_.empty()) log::warn("SIP TLS client unavailable", {{"error", tls_client_error_}});
    return post_error(std::move(on_error), std::make_error_code(std::errc::protocol_not_supported));
  }
  connection->send(bytes, std::move(on_error));
}

void TransportLayer::send_request(const SharedBytes& bytes, const Destination& destination,
                                  SendErrorHandler on_error) {
  if (stopped_) return post_error(std::move(on_error), std::make_error_code(std::errc::operation_canceled));
  counters_[index_of(destination.transport)].sent_requests->inc();
  if (destination.transport == TransportKind::udp) {
    std::optional<Endpoint> local;
    if (destination.flow && destination.flow->transport == TransportKind::udp)
      local = destination.flow->local;
    return send_udp(bytes, destination.remote, local, std::move(on_error));
  }
  send_stream(bytes, destination, std::move(on_error));
}

void TransportLayer::send_response(const SharedBytes& bytes, const Flow& request_flow, const Via& via,
                                   SendErrorHandler on_error) {
  if (stopped_) return post_error(std::move(on_error), std::make_error_code(std::errc::operation_canceled));
  counters_[index_of(request_flow.transport)].sent_responses->inc();
  if (is_reliable(request_flow.transport)) {
    // §18.2.2: over the connection the request came on while it is open.
    if (auto connection = connections_.by_id(request_flow.connection_id)) {
      connection->send(bytes, std::move(on_error));
      return;
    }
  }
  NextHop hop = response_next_hop(via, request_flow.transport);
  resolve(hop, [self = shared_from_this(), bytes, request_flow, on_error = std::move(on_error)](
                   std::error_code ec, Destination destination) mutable {
    if (ec) return self->post_error(std::move(on_error), ec);
    if (request_flow.transport == TransportKind::udp)
      return self->send_udp(bytes, destination.remote, request_flow.local, std::move(on_error));
    // The request's connection is gone: open one to received (or sent-by) and the sent-by port.
    self->send_stream(bytes, destination, std::move(on_error));
  });
}

}  // namespace va::sip
