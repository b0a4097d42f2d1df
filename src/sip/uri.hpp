// SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966) with comparison per RFC 3261 §19.1.4. Other absolute URIs
// (urn:, mailto:, http: — seen in Refer-To, Call-Info, Contact) are kept opaque so messages carrying them
// parse.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/host.hpp"
#include "sip/params.hpp"
#include "sip/parse_error.hpp"

namespace va::sip {

enum class UriScheme { sip, sips, tel, other };

struct UriHeader {
  std::string name;   // as received (escapes kept)
  std::string value;  // as received (escapes kept), may be empty
};

struct Uri {
  UriScheme scheme = UriScheme::sip;
  std::string scheme_name;  // lower-case, e.g. "sip"; the only scheme information for UriScheme::other
  // sip/sips: userinfo without escapes (escaped again on output). tel: the telephone-subscriber number.
  std::string user;
  std::optional<std::string> password;
  std::string host;  // sip/sips only; IPv6 without brackets
  HostKind host_kind = HostKind::hostname;
  std::optional<std::uint16_t> port;
  Params params;                   // uri-parameters (sip/sips) or tel parameters
  std::vector<UriHeader> headers;  // "?name=value&..." (sip/sips)
  std::string opaque;              // UriScheme::other: everything after "scheme:"

  bool is_sip() const { return scheme == UriScheme::sip || scheme == UriScheme::sips; }
  // "host[:port]" with IPv6 in brackets.
  std::string host_port() const;
  std::optional<std::string_view> param(std::string_view name) const { return params.get(name); }
  bool has_param(std::string_view name) const { return params.has(name); }
  // ;lr marks a loose router (RFC 3261 §16.12.1.1, §19.1.1).
  bool loose_route() const { return params.has("lr"); }
  // The transport parameter or "" (the caller picks the default per RFC 3263).
  std::string_view transport() const { return params.get("transport").value_or(std::string_view{}); }
  std::uint16_t port_or_default() const { return port.value_or(scheme == UriScheme::sips ? 5061 : 5060); }

  std::string to_string() const;
};

Result<Uri> parse_uri(std::string_view text);

// RFC 3261 §19.1.4 equivalence: user and password case-sensitive after unescaping, host case-insensitive
// (IP addresses by value), an absent port differs from an explicit one, the user/ttl/method/maddr/transport
// parameters must match when either side has them, other parameters only when both have them, and URI
// headers must all match.
bool uri_equivalent(const Uri& a, const Uri& b);

// Whether `a` and `b` name the same host and effective port (default 5060/5061 applied): the test used when
// deciding whether a Route or Request-URI points at ourselves.
bool same_host_and_port(const Uri& a, const Uri& b);

}  // namespace va::sip
