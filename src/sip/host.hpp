// host and hostport (RFC 3261 §25.1) with IPv6 references (RFC 5118): "example.com", "192.0.2.1",
// "[2001:db8::1]", each optionally followed by ":port".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sip/parse_error.hpp"

namespace va::sip {

enum class HostKind { hostname, ipv4, ipv6 };

struct HostPort {
  std::string host;  // IPv6 addresses without the brackets
  HostKind kind = HostKind::hostname;
  std::optional<std::uint16_t> port;

  // The host as it appears in a URI or Via: IPv6 in brackets.
  std::string host_text() const;
  // host_text() plus ":port" when a port is present.
  std::string to_string() const;
};

// host alone (hostname, IPv4address or IPv6reference). IPv6 without brackets is accepted only when
// `allow_bare_ipv6` (Via received= carries bare IPv6address per RFC 3261's grammar; RFC 5118 §4.5).
Result<HostPort> parse_host(std::string_view text, bool allow_bare_ipv6 = false);
Result<HostPort> parse_hostport(std::string_view text);

// Hostnames compare case-insensitively, IP addresses by value ("[2001:DB8::1]" equals "[2001:db8:0::1]").
bool host_equals(std::string_view a, HostKind a_kind, std::string_view b, HostKind b_kind);

}  // namespace va::sip
