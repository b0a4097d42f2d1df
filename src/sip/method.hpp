// SIP request methods (RFC 3261 §7.1 and the extensions we handle). Method names are case-sensitive: "invite"
// is an extension method, not INVITE.
#pragma once

#include <cstdint>
#include <string_view>

namespace va::sip {

enum class Method : std::uint8_t {
  extension,  // any other token; the name is kept next to it
  invite,
  ack,
  bye,
  cancel,
  options,
  register_,
  info,    // RFC 6086
  update,  // RFC 3311
  refer,   // RFC 3515
  notify,  // RFC 6665
  subscribe,
  message,  // RFC 3428
  prack,    // RFC 3262
  publish,  // RFC 3903
};

Method method_from_name(std::string_view name);
// The canonical name; "" for Method::extension.
std::string_view method_name(Method method);

}  // namespace va::sip
