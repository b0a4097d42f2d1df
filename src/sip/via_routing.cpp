#include "sip/via_routing.hpp"

#include <boost/asio/ip/address.hpp>
#include <string_view>
#include <vector>

#include "sip/syntax.hpp"

namespace va::sip {

namespace {

Header* top_via_header(Message& message) {
  for (auto& h : message.mutable_headers())
    if (h.id == HeaderId::via) return &h;
  return nullptr;
}

HostKind kind_of(const boost::asio::ip::address& address) {
  return address.is_v4() ? HostKind::ipv4 : HostKind::ipv6;
}

// A "received" value may be an IPv6 reference in brackets (RFC 5118 §4.5 notes both forms are seen).
std::string strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return std::string(host);
}

NextHop from_host(TransportKind transport, std::string host, std::uint16_t port) {
  NextHop hop;
  hop.transport = transport;
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  hop.host_kind = ec ? HostKind::hostname : kind_of(address);
  hop.host = std::move(host);
  hop.port = port;
  return hop;
}

}  // namespace

std::string NextHop::to_string() const {
  std::string h = host_kind == HostKind::ipv6 ? "[" + host + "]" : host;
  return std::string(sip::to_string(transport)) + ":" + h + ":" + std::to_string(port);
}

std::optional<NextHop> next_hop_for_uri(const Uri& uri, std::string* error) {
  if (!uri.is_sip()) {
    if (error) *error = "not a sip: or sips: URI";
    return std::nullopt;
  }
  TransportKind transport = uri.scheme == UriScheme::sips ? TransportKind::tls : TransportKind::udp;
  if (std::string_view t = uri.transport(); !t.empty()) {
    auto parsed = transport_from_name(t);
    if (!parsed) {
      if (error) *error = "unsupported transport '" + std::string(t) + "'";
      return std::nullopt;
    }
    // sips: over "transport=tcp" still means TLS (RFC 3261 §26.2.2; transport=tls is deprecated).
    if (uri.scheme != UriScheme::sips) transport = *parsed;
  }
  std::string host = uri.host;
  HostKind kind = uri.host_kind;
  if (auto maddr = uri.param("maddr")) {
    auto hp = parse_host(*maddr, true);
    if (hp) {
      host = hp->host;
      kind = hp->kind;
    }
  }
  NextHop hop;
  hop.transport = transport;
  hop.host = host;
  hop.host_kind = kind;
  hop.port = uri.port.value_or(default_port(transport));
  if (kind == HostKind::hostname) hop.server_name = host;
  return hop;
}

Uri request_target_uri(const Message& request) {
  auto routes = request.routes();
  if (routes && !routes->empty() && routes->front().uri.loose_route()) return routes->front().uri;
  return request.request_uri();
}

void replace_top_via(Message& message, const Via& via) {
  Header* header = top_via_header(message);
  if (header == nullptr) {
    message.prepend_header("Via", via.to_string());
    return;
  }
  std::vector<std::string_view> items;
  if (!split_list(header->value, items) || items.size() <= 1) {
    header->value = via.to_string();
    return;
  }
  std::string value = via.to_string();
  for (std::size_t i = 1; i < items.size(); ++i) {
    value += ", ";
    value += items[i];
  }
  header->value = std::move(value);
}

bool stamp_received(Message& request, const Endpoint& source) {
  Header* header = top_via_header(request);
  if (header == nullptr) return false;
  std::vector<std::string_view> items;
  if (!split_list(header->value, items) || items.empty()) return false;
  auto via = parse_via(items.front());
  if (!via) return false;

  std::string source_host = source.address.to_string();
  bool add_received =
      !host_equals(via->sent_by.host, via->sent_by.kind, source_host, kind_of(source.address));
  if (via->has_rport()) {
    via->params.set("rport", std::to_string(source.port));
    add_received = true;  // RFC 3581 §4: "MUST add a received parameter ... even if it equals sent-by"
  }
  if (!add_received) return true;
  via->params.set("received", source_host);
  replace_top_via(request, *via);
  return true;
}

NextHop response_next_hop(const Via& via, TransportKind transport) {
  std::string host = via.received() ? strip_brackets(*via.received()) : via.sent_by.host;
  std::uint16_t port = via.sent_by.port.value_or(default_port(transport));
  if (!is_reliable(transport)) {
    if (auto rport = via.rport()) port = *rport;
  }
  return from_host(transport, std::move(host), port);
}

}  // namespace va::sip
