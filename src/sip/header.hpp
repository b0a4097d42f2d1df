// Header fields (RFC 3261 §7.3, §20): names are case-insensitive and have compact forms ("i" = Call-ID,
// "v" = Via, ...). Known headers get an id and their canonical spelling; unknown ones keep the name received.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace va::sip {

enum class HeaderId : std::uint8_t {
  other,
  accept,
  accept_contact,
  accept_encoding,
  accept_language,
  alert_info,
  allow,
  allow_events,
  authentication_info,
  authorization,
  call_id,
  call_info,
  contact,
  content_disposition,
  content_encoding,
  content_language,
  content_length,
  content_type,
  cseq,
  date,
  error_info,
  event,
  expires,
  from,
  identity,
  identity_info,
  in_reply_to,
  max_forwards,
  min_expires,
  min_se,
  mime_version,
  organization,
  p_asserted_identity,
  p_preferred_identity,
  priority,
  privacy,
  proxy_authenticate,
  proxy_authorization,
  proxy_require,
  rack,
  reason,
  record_route,
  refer_to,
  referred_by,
  reject_contact,
  replaces,
  reply_to,
  request_disposition,
  require,
  retry_after,
  route,
  rseq,
  server,
  session_expires,
  subject,
  subscription_state,
  supported,
  timestamp,
  to,
  unsupported,
  user_agent,
  via,
  warning,
  www_authenticate,
};

// Case-insensitive; compact forms map to their header ("l" → content_length). HeaderId::other if unknown.
HeaderId header_id(std::string_view name);
// "Call-ID", "CSeq", "WWW-Authenticate", ...; "" for HeaderId::other.
std::string_view canonical_header_name(HeaderId id);
// Whether RFC 3261 §7.3.1 allows several values of this header in one line, separated by commas. Headers
// whose values contain unquoted commas (Date, WWW-Authenticate, ...) are not lists.
bool is_list_header(HeaderId id);

struct Header {
  HeaderId id = HeaderId::other;
  std::string name;   // canonical name for known headers, as received for others
  std::string value;  // folding replaced by a single space, trimmed

  // Builds a header from any spelling of its name ("i", "call-id", "Call-ID" → Call-ID).
  static Header make(std::string_view name, std::string value);
  // True when this header has that name (any spelling, compact forms included).
  bool is(std::string_view other_name) const;
};

}  // namespace va::sip
