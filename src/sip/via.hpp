// Via (RFC 3261 §20.42, §18.2.1) with rport (RFC 3581) and IPv6 sent-by (RFC 5118):
//   Via: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK776asdhds;rport=5062;received=2001:db8::9
// One header may carry several via-parms separated by commas; the topmost is first.
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

// RFC 3261 §8.1.1.7: branches of RFC 3261-compliant transactions start with this magic cookie.
inline constexpr std::string_view kBranchMagicCookie = "z9hG4bK";

struct Via {
  std::string protocol_name = "SIP";
  std::string protocol_version = "2.0";
  std::string transport = "UDP";  // as received; compare case-insensitively
  HostPort sent_by;
  Params params;

  std::optional<std::string_view> branch() const { return params.get("branch"); }
  std::optional<std::string_view> received() const { return params.get("received"); }
  std::optional<std::string_view> maddr() const { return params.get("maddr"); }
  // RFC 3581: a valueless ;rport in a request asks for the source port to be filled in by the server.
  bool has_rport() const { return params.has("rport"); }
  std::optional<std::uint16_t> rport() const;
  std::optional<std::uint8_t> ttl() const;
  bool has_rfc3261_branch() const;

  std::string to_string() const;  // "SIP/2.0/UDP host:port;params"
};

// One via-parm.
Result<Via> parse_via(std::string_view text);
// A Via header value: one or more via-parms separated by commas.
Result<std::vector<Via>> parse_via_list(std::string_view text);

}  // namespace va::sip
