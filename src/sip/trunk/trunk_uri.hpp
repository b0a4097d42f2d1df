// SIP URIs towards a trunk's peers (registrar, outbound proxy, probe target), shared by the REGISTER client
// and the OPTIONS prober.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "sip/flow.hpp"
#include "sip/host.hpp"
#include "sip/uri.hpp"

namespace va::sip {

// sip:[user@]host[:port][;transport=tcp|tls]. The port is left out when it is the transport's default;
// UDP gets no transport parameter (RFC 3263 picks UDP for a sip: URI without one).
Uri trunk_uri(std::string_view user, std::string_view host, std::uint16_t port, TransportKind transport);

// "host:port", "[v6]:port" or "host" (port: the transport's default).
std::optional<HostPort> parse_trunk_host_port(std::string_view text, TransportKind transport);

}  // namespace va::sip
