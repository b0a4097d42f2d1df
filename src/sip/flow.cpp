#include "sip/flow.hpp"

#include <charconv>
#include <functional>

#include "sip/syntax.hpp"

namespace va::sip {

std::string_view to_string(TransportKind kind) {
  switch (kind) {
    case TransportKind::udp:
      return "udp";
    case TransportKind::tcp:
      return "tcp";
    case TransportKind::tls:
      return "tls";
  }
  return "udp";
}

std::string_view via_name(TransportKind kind) {
  switch (kind) {
    case TransportKind::udp:
      return "UDP";
    case TransportKind::tcp:
      return "TCP";
    case TransportKind::tls:
      return "TLS";
  }
  return "UDP";
}

std::optional<TransportKind> transport_from_name(std::string_view name) {
  if (iequals(name, "udp")) return TransportKind::udp;
  if (iequals(name, "tcp")) return TransportKind::tcp;
  if (iequals(name, "tls")) return TransportKind::tls;
  return std::nullopt;
}

std::string Endpoint::to_string() const {
  std::string host = address.to_string();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(port);
}

std::size_t EndpointHash::operator()(const Endpoint& e) const {
  std::size_t h = std::hash<unsigned>{}(e.port);
  if (e.address.is_v4()) {
    h ^= std::hash<std::uint32_t>{}(e.address.to_v4().to_uint()) * 31;
  } else {
    auto bytes = e.address.to_v6().to_bytes();
    for (unsigned char b : bytes) h = h * 131 + b;
  }
  return h;
}

std::string ListenUri::to_string() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return std::string(sip::to_string(transport)) + "://" + h + ":" + std::to_string(port);
}

std::optional<ListenUri> parse_listen_uri(std::string_view text, std::string* error) {
  auto fail = [&](std::string message) -> std::optional<ListenUri> {
    if (error) *error = "'" + std::string(text) + "': " + std::move(message);
    return std::nullopt;
  };
  std::size_t sep = text.find("://");
  if (sep == std::string_view::npos) return fail("expected transport://host:port");
  auto transport = transport_from_name(text.substr(0, sep));
  if (!transport) return fail("transport must be udp, tcp or tls");
  std::string_view rest = text.substr(sep + 3);
  ListenUri uri;
  uri.transport = *transport;
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return fail("unterminated IPv6 reference");
    uri.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (rest.empty() || rest.front() != ':') return fail("missing port");
    port_text = rest.substr(1);
  } else {
    std::size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) return fail("missing port");
    uri.host = std::string(rest.substr(0, colon));
    port_text = rest.substr(colon + 1);
  }
  if (uri.host.empty()) return fail("missing host");
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535 || port_text.empty())
    return fail("port must be 0-65535");
  uri.port = static_cast<std::uint16_t>(port);
  return uri;
}

}  // namespace va::sip
