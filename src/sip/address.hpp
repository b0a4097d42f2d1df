// name-addr / addr-spec with header parameters (RFC 3261 §20.10, §25.1): the value form of From, To, Contact,
// Route, Record-Route, Refer-To, Reply-To and P-Asserted-Identity.
//   "Alice \"A\" Smith" <sip:alice@example.com;transport=tcp>;tag=1928301774
//   sip:alice@example.com;tag=1928301774     (addr-spec: ;tag belongs to the header, not the URI)
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/params.hpp"
#include "sip/parse_error.hpp"
#include "sip/uri.hpp"

namespace va::sip {

struct Address {
  std::string display_name;  // unquoted and unescaped; empty when absent
  Uri uri;
  Params params;  // header parameters (tag, expires, q, +sip.instance, ...)

  std::optional<std::string_view> tag() const { return params.get("tag"); }
  // Always written as name-addr ("<uri>"), which is valid whatever the URI contains.
  std::string to_string() const;
};

Result<Address> parse_address(std::string_view text);
// A comma-separated list of addresses (Contact, Route, Record-Route, P-Asserted-Identity values).
Result<std::vector<Address>> parse_address_list(std::string_view text);

}  // namespace va::sip
