#include "sip/trunk/trunk_uri.hpp"

#include <boost/asio/ip/address.hpp>
#include <string>

namespace va::sip {

Uri trunk_uri(std::string_view user, std::string_view host, std::uint16_t port, TransportKind transport) {
  Uri uri;
  uri.scheme = UriScheme::sip;
  uri.scheme_name = "sip";
  uri.user = std::string(user);
  uri.host = std::string(host);
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(std::string(host), ec);
  uri.host_kind = ec ? HostKind::hostname : address.is_v6() ? HostKind::ipv6 : HostKind::ipv4;
  if (port != default_port(transport)) uri.port = port;
  if (transport != TransportKind::udp) uri.params.set("transport", std::string(to_string(transport)));
  return uri;
}

std::optional<HostPort> parse_trunk_host_port(std::string_view text, TransportKind transport) {
  auto parsed = parse_hostport(text);
  if (!parsed) return std::nullopt;
  HostPort out = *parsed;
  if (!out.port) out.port = default_port(transport);
  return out;
}

}  // namespace va::sip
