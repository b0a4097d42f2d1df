// The Via rules of the transport layer and the choice of the next hop:
//  - §18.2.1 + RFC 3581 §4: a server stamps the top Via of a received request with received= (and rport=
//    when the client asked for it), so responses find their way back through NATs;
//  - §18.2.2 + RFC 3581 §4: where a response goes when it cannot (UDP) or can no longer (closed connection)
//    follow the request's flow;
//  - §18.1.1 + RFC 3263 without DNS SRV/NAPTR: the transport, host and port a request is sent to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sip/flow.hpp"
#include "sip/host.hpp"
#include "sip/message.hpp"
#include "sip/uri.hpp"
#include "sip/via.hpp"

namespace va::sip {

// Transport, host and port, before the host is resolved to an address.
struct NextHop {
  TransportKind transport = TransportKind::udp;
  std::string host;  // IPv6 without brackets
  HostKind host_kind = HostKind::hostname;
  std::uint16_t port = 5060;
  std::string server_name;  // TLS: the name to verify (the URI host when it is a name)

  std::string to_string() const;
};

// RFC 3263 §4 without NAPTR/SRV: the transport is the URI's transport parameter, TLS for sips: URIs, else
// UDP; the host is maddr when present, else the URI host; the port is the URI port or the transport default.
// nullopt for a non-SIP URI or an unsupported transport parameter (e.g. sctp), with the reason in `error`.
std::optional<NextHop> next_hop_for_uri(const Uri& uri, std::string* error = nullptr);

// The URI a request is sent towards (§8.1.2, §16.12): the first Route when it is a loose router (;lr),
// else the Request-URI. Strict routing (a Route without ;lr) is the dialog layer's business: it rewrites the
// Request-URI, so the Request-URI is used here.
Uri request_target_uri(const Message& request);

// §18.2.1: adds received=<source address> to the top Via when its sent-by is a name or another address, and
// (RFC 3581 §4) fills in rport=<source port> and always adds received when the Via carries a valueless rport.
// Returns false when the message has no parsable top Via (the parser has already checked Via grammar, so
// this does not happen for parsed messages).
bool stamp_received(Message& request, const Endpoint& source);

// §18.2.2: the next hop of a response whose top Via is `via`, for the transport the request came over.
// Unreliable: received (else the sent-by host), port rport (else the sent-by port, else the default).
// Reliable: received (else the sent-by host) and the sent-by port (else the default) — used only when the
// request's connection is gone. maddr (multicast) is not supported: responses go to received/sent-by.
NextHop response_next_hop(const Via& via, TransportKind transport);

// Replaces the first via-parm of the first Via header with `via` (other via-parms keep their text).
void replace_top_via(Message& message, const Via& via);

}  // namespace va::sip
