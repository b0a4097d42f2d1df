#include "sip/header.hpp"

#include "sip/syntax.hpp"

namespace va::sip {

namespace {

struct HeaderInfo {
  HeaderId id;
  std::string_view name;
  char compact;  // RFC 3261 §7.3.3 and the IANA SIP header registry; 0 if none
  bool list;
};

constexpr HeaderInfo kHeaders[] = {
    {HeaderId::accept, "Accept", 0, true},
    {HeaderId::accept_contact, "Accept-Contact", 'a', true},
    {HeaderId::accept_encoding, "Accept-Encoding", 0, true},
    {HeaderId::accept_language, "Accept-Language", 0, true},
    {HeaderId::alert_info, "Alert-Info", 0, true},
    {HeaderId::allow, "Allow", 0, true},
    {HeaderId::allow_events, "Allow-Events", 'u', true},
    {HeaderId::authentication_info, "Authentication-Info", 0, false},
    {HeaderId::authorization, "Authorization", 0, false},
    {HeaderId::call_id, "Call-ID", 'i', false},
    {HeaderId::call_info, "Call-Info", 0, true},
    {HeaderId::contact, "Contact", 'm', true},
    {HeaderId::content_disposition, "Content-Disposition", 0, false},
    {HeaderId::content_encoding, "Content-Encoding", 'e', true},
    {HeaderId::content_language, "Content-Language", 0, true},
    {HeaderId::content_length, "Content-Length", 'l', false},
    {HeaderId::content_type, "Content-Type", 'c', false},
    {HeaderId::cseq, "CSeq", 0, false},
    {HeaderId::date, "Date", 0, false},
    {HeaderId::error_info, "Error-Info", 0, true},
    {HeaderId::event, "Event", 'o', false},
    {HeaderId::expires, "Expires", 0, false},
    {HeaderId::from, "From", 'f', false},
    {HeaderId::identity, "Identity", 'y', false},
    {HeaderId::identity_info, "Identity-Info", 'n', false},
    {HeaderId::in_reply_to, "In-Reply-To", 0, true},
    {HeaderId::max_forwards, "Max-Forwards", 0, false},
    {HeaderId::min_expires, "Min-Expires", 0, false},
    {HeaderId::min_se, "Min-SE", 0, false},
    {HeaderId::mime_version, "MIME-Version", 0, false},
    {HeaderId::organization, "Organization", 0, false},
    {HeaderId::p_asserted_identity, "P-Asserted-Identity", 0, true},
    {HeaderId::p_preferred_identity, "P-Preferred-Identity", 0, true},
    {HeaderId::priority, "Priority", 0, false},
    {HeaderId::privacy, "Privacy", 0, false},
    {HeaderId::proxy_authenticate, "Proxy-Authenticate", 0, false},
    {HeaderId::proxy_authorization, "Proxy-Authorization", 0, false},
    {HeaderId::proxy_require, "Proxy-Require", 0, true},
    {HeaderId::rack, "RAck", 0, false},
    {HeaderId::reason, "Reason", 0, true},
    {HeaderId::record_route, "Record-Route", 0, true},
    {HeaderId::refer_to, "Refer-To", 'r', false},
    {HeaderId::referred_by, "Referred-By", 'b', false},
    {HeaderId::reject_contact, "Reject-Contact", 'j', true},
    {HeaderId::replaces, "Replaces", 0, false},
    {HeaderId::reply_to, "Reply-To", 0, false},
    {HeaderId::request_disposition, "Request-Disposition", 'd', true},
    {HeaderId::require, "Require", 0, true},
    {HeaderId::retry_after, "Retry-After", 0, false},
    {HeaderId::route, "Route", 0, true},
    {HeaderId::rseq, "RSeq", 0, false},
    {HeaderId::server, "Server", 0, false},
    {HeaderId::session_expires, "Session-Expires", 'x', false},
    {HeaderId::subject, "Subject", 's', false},
    {HeaderId::subscription_state, "Subscription-State", 0, false},
    {HeaderId::supported, "Supported", 'k', true},
    {HeaderId::timestamp, "Timestamp", 0, false},
    {HeaderId::to, "To", 't', false},
    {HeaderId::unsupported, "Unsupported", 0, true},
    {HeaderId::user_agent, "User-Agent", 0, false},
    {HeaderId::via, "Via", 'v', true},
    {HeaderId::warning, "Warning", 0, true},
    {HeaderId::www_authenticate, "WWW-Authenticate", 0, false},
};

const HeaderInfo* info(HeaderId id) {
  for (const auto& h : kHeaders)
    if (h.id == id) return &h;
  return nullptr;
}

}  // namespace

HeaderId header_id(std::string_view name) {
  if (name.size() == 1) {
    char c = ascii_lower(name.front());
    if (c == 0) return HeaderId::other;
    for (const auto& h : kHeaders)
      if (h.compact == c) return h.id;
    return HeaderId::other;
  }
  for (const auto& h : kHeaders)
    if (h.name.size() == name.size() && iequals(h.name, name)) return h.id;
  return HeaderId::other;
}

std::string_view canonical_header_name(HeaderId id) {
  const HeaderInfo* h = info(id);
  return h != nullptr ? h->name : std::string_view{};
}

bool is_list_header(HeaderId id) {
  const HeaderInfo* h = info(id);
  return h != nullptr && h->list;
}

Header Header::make(std::string_view name, std::string value) {
  Header h;
  h.id = header_id(name);
  h.name = h.id == HeaderId::other ? std::string(name) : std::string(canonical_header_name(h.id));
  h.value = std::move(value);
  return h;
}

bool Header::is(std::string_view other_name) const {
  HeaderId other_id = header_id(other_name);
  if (other_id != HeaderId::other || id != HeaderId::other) return other_id == id;
  return iequals(name, other_name);
}

}  // namespace va::sip
