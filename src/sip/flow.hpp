// Where SIP messages come from and go to (RFC 3261 §18): transports, endpoints, the flow a message travelled
// on, and the listen URIs of the configuration ("udp://127.0.0.1:5060", "tcp://[::1]:0",
// "tls://0.0.0.0:5061").
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace va::sip {

enum class TransportKind : std::uint8_t { udp, tcp, tls };

std::string_view to_string(TransportKind kind);  // "udp", "tcp", "tls" (metric labels, listen URIs)
std::string_view via_name(TransportKind kind);   // "UDP", "TCP", "TLS" (the Via sent-protocol)
// Case-insensitive "udp" / "tcp" / "tls"; nullopt for anything else (SCTP, WS, ... are not supported).
std::optional<TransportKind> transport_from_name(std::string_view name);
inline bool is_reliable(TransportKind kind) {
  return kind != TransportKind::udp;
}
inline std::uint16_t default_port(TransportKind kind) {
  return kind == TransportKind::tls ? 5061 : 5060;
}

struct Endpoint {
  boost::asio::ip::address address;
  std::uint16_t port = 0;

  std::string to_string() const;  // "192.0.2.1:5060", "[2001:db8::1]:5060"
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct EndpointHash {
  std::size_t operator()(const Endpoint& e) const;
};

// The path a message travelled on. For stream transports `connection_id` names the connection, so a
// response can go back over it (§18.2.2) and the TU can send in-dialog requests over the same flow.
struct Flow {
  TransportKind transport = TransportKind::udp;
  Endpoint remote;
  Endpoint local;
  std::uint64_t connection_id = 0;  // 0 for UDP
};

// A resolved place to send a request to.
struct Destination {
  TransportKind transport = TransportKind::udp;
  Endpoint remote;
  // TLS: the name the server certificate must carry (the URI host); empty: the certificate must carry the IP.
  std::string server_name;
  // Prefer this flow (an existing connection, or the local UDP socket to send from) when it is still usable.
  std::optional<Flow> flow;
};

struct ListenUri {
  TransportKind transport = TransportKind::udp;
  std::string host;        // IP literal or name; IPv6 without brackets
  std::uint16_t port = 0;  // 0: any free port (tests); the bound port is reported by the transport

  std::string to_string() const;
};

// "udp://host:port" with the host an IPv4 address, "[IPv6]" or a name resolved at bind time.
// Returns nullopt and sets `error` when the text is not such a URI.
std::optional<ListenUri> parse_listen_uri(std::string_view text, std::string* error = nullptr);

}  // namespace va::sip
