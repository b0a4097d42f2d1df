#include "sip/message.hpp"

#include <limits>

#include "sip/status_code.hpp"
#include "sip/syntax.hpp"

namespace va::sip {

namespace {

ParseError missing(HeaderId id) {
  return parse_error(ParseErrorCode::missing_header,
                     "no " + std::string(canonical_header_name(id)) + " header", canonical_header_name(id));
}

ParseError about(ParseError error, std::string_view header) {
  error.header = std::string(header);
  return error;
}

template <class T, class Parse>
Result<T> parse_first(const Message& m, HeaderId id, Parse parse) {
  const Header* h = m.find(id);
  if (h == nullptr) return missing(id);
  auto r = parse(h->value);
  if (!r) return about(r.error(), h->name);
  return r;
}

// Concatenates the address lists of every header line with this id.
Result<std::vector<Address>> address_lists(const Message& m, HeaderId id) {
  std::vector<Address> out;
  for (const auto& h : m.headers()) {
    if (h.id != id) continue;
    auto list = parse_address_list(h.value);
    if (!list) return about(list.error(), h.name);
    for (auto& a : *list) out.push_back(std::move(a));
  }
  return out;
}

Result<std::uint64_t> parse_number(std::string_view value, std::uint64_t max) {
  auto n = parse_decimal(trim(value), max);
  if (!n) return parse_error(ParseErrorCode::bad_number, "not a decimal number in range");
  return *n;
}

}  // namespace

Message Message::request(std::string method, Uri request_uri) {
  Message m;
  m.is_request_ = true;
  m.method_ = method_from_name(method);
  m.method_name_ = std::move(method);
  m.request_uri_ = std::move(request_uri);
  return m;
}

Message Message::response(int status, std::string reason) {
  Message m;
  m.is_request_ = false;
  m.status_ = status;
  m.reason_ = reason.empty() ? std::string(default_reason_phrase(status)) : std::move(reason);
  return m;
}

const Header* Message::find(std::string_view name) const {
  HeaderId id = header_id(name);
  if (id != HeaderId::other) return find(id);
  for (const auto& h : headers_)
    if (h.id == HeaderId::other && iequals(h.name, name)) return &h;
  return nullptr;
}

const Header* Message::find(HeaderId id) const {
  for (const auto& h : headers_)
    if (h.id == id) return &h;
  return nullptr;
}

std::optional<std::string_view> Message::header(std::string_view name) const {
  const Header* h = find(name);
  if (h == nullptr) return std::nullopt;
  return std::string_view(h->value);
}

std::optional<std::string_view> Message::header(HeaderId id) const {
  const Header* h = find(id);
  if (h == nullptr) return std::nullopt;
  return std::string_view(h->value);
}

std::size_t Message::count(HeaderId id) const {
  std::size_t n = 0;
  for (const auto& h : headers_)
    if (h.id == id) ++n;
  return n;
}

std::vector<std::string_view> Message::header_values(std::string_view name) const {
  HeaderId id = header_id(name);
  if (id != HeaderId::other) return header_values(id);
  std::vector<std::string_view> out;
  for (const auto& h : headers_)
    if (h.id == HeaderId::other && iequals(h.name, name)) out.push_back(h.value);
  return out;
}

std::vector<std::string_view> Message::header_values(HeaderId id) const {
  std::vector<std::string_view> out;
  for (const auto& h : headers_) {
    if (h.id != id) continue;
    if (!is_list_header(id) || !split_list(h.value, out)) out.push_back(h.value);
  }
  return out;
}

void Message::add_header(std::string_view name, std::string value) {
  headers_.push_back(Header::make(name, std::move(value)));
}

void Message::prepend_header(std::string_view name, std::string value) {
  Header h = Header::make(name, std::move(value));
  auto it = headers_.begin();
  for (; it != headers_.end(); ++it)
    if (it->is(h.name)) break;
  if (it == headers_.end()) it = headers_.begin();
  headers_.insert(it, std::move(h));
}

void Message::set_header(std::string_view name, std::string value) {
  bool replaced = false;
  for (auto it = headers_.begin(); it != headers_.end();) {
    if (!it->is(name)) {
      ++it;
    } else if (!replaced) {
      it->value = std::move(value);
      replaced = true;
      ++it;
    } else {
      it = headers_.erase(it);
    }
  }
  if (!replaced) add_header(name, std::move(value));
}

std::size_t Message::remove_header(std::string_view name) {
  std::size_t before = headers_.size();
  std::erase_if(headers_, [&](const Header& h) { return h.is(name); });
  return before - headers_.size();
}

void Message::set_body(std::string body, std::string_view content_type) {
  body_ = std::move(body);
  if (!content_type.empty()) set_header("Content-Type", std::string(content_type));
}

Result<std::string_view> Message::call_id() const {
  const Header* h = find(HeaderId::call_id);
  if (h == nullptr) return missing(HeaderId::call_id);
  return std::string_view(h->value);
}

Result<CSeq> Message::cseq() const {
  return parse_first<CSeq>(*this, HeaderId::cseq, parse_cseq);
}
Result<Address> Message::from() const {
  return parse_first<Address>(*this, HeaderId::from, parse_address);
}
Result<Address> Message::to() const {
  return parse_first<Address>(*this, HeaderId::to, parse_address);
}
Result<Address> Message::refer_to() const {
  return parse_first<Address>(*this, HeaderId::refer_to, parse_address);
}

Result<std::vector<Via>> Message::vias() const {
  std::vector<Via> out;
  for (const auto& h : headers_) {
    if (h.id != HeaderId::via) continue;
    auto list = parse_via_list(h.value);
    if (!list) return about(list.error(), h.name);
    for (auto& v : *list) out.push_back(std::move(v));
  }
  if (out.empty()) return missing(HeaderId::via);
  return out;
}

Result<Via> Message::top_via() const {
  const Header* h = find(HeaderId::via);
  if (h == nullptr) return missing(HeaderId::via);
  auto list = parse_via_list(h->value);
  if (!list) return about(list.error(), h->name);
  return std::move(list->front());
}

Result<ContactList> Message::contacts() const {
  ContactList out;
  for (const auto& h : headers_) {
    if (h.id != HeaderId::contact) continue;
    if (trim(h.value) == "*") {
      out.wildcard = true;
      continue;
    }
    auto list = parse_address_list(h.value);
    if (!list) return about(list.error(), h.name);
    for (auto& a : *list) out.addresses.push_back(std::move(a));
  }
  // RFC 3261 §10.2.2: "*" stands alone.
  if (out.wildcard && !out.addresses.empty())
    return parse_error(ParseErrorCode::bad_address, "'*' combined with addresses", "Contact");
  return out;
}

Result<std::vector<Address>> Message::routes() const {
  return address_lists(*this, HeaderId::route);
}
Result<std::vector<Address>> Message::record_routes() const {
  return address_lists(*this, HeaderId::record_route);
}
Result<std::vector<Address>> Message::p_asserted_identities() const {
  return address_lists(*this, HeaderId::p_asserted_identity);
}

Result<std::uint32_t> Message::max_forwards() const {
  auto n = parse_first<std::uint64_t>(*this, HeaderId::max_forwards,
                                      [](std::string_view v) { return parse_number(v, 255); });
  if (!n) return n.error();
  return static_cast<std::uint32_t>(*n);
}

Result<std::size_t> Message::content_length() const {
  auto n = parse_first<std::uint64_t>(*this, HeaderId::content_length, [](std::string_view v) {
    return parse_number(v, std::numeric_limits<std::uint32_t>::max());
  });
  if (!n) return n.error();
  return static_cast<std::size_t>(*n);
}

Result<MediaType> Message::content_type() const {
  return parse_first<MediaType>(*this, HeaderId::content_type, parse_media_type);
}

Result<std::uint32_t> Message::expires() const {
  auto n = parse_first<std::uint64_t>(*this, HeaderId::expires, [](std::string_view v) {
    return parse_number(v, std::numeric_limits<std::uint32_t>::max());
  });
  if (!n) return n.error();
  return static_cast<std::uint32_t>(*n);
}

std::vector<std::string_view> Message::tokens(HeaderId id) const {
  return header_values(id);
}

bool Message::has_token(HeaderId id, std::string_view token) const {
  for (auto t : header_values(id))
    if (iequals(t, token)) return true;
  return false;
}

void Message::append_to(std::string& out) const {
  if (is_request_) {
    out += method_name_;
    out.push_back(' ');
    out += request_uri_.to_string();
    out += " SIP/2.0\r\n";
  } else {
    out += "SIP/2.0 ";
    out += std::to_string(status_);
    out.push_back(' ');
    out += reason_;
    out += "\r\n";
  }
  bool length_written = false;
  for (const auto& h : headers_) {
    if (h.id == HeaderId::content_length) {
      if (length_written) continue;
      length_written = true;
      out += "Content-Length: " + std::to_string(body_.size()) + "\r\n";
      continue;
    }
    out += h.name;
    out += ": ";
    out += h.value;
    out += "\r\n";
  }
  if (!length_written) out += "Content-Length: " + std::to_string(body_.size()) + "\r\n";
  out += "\r\n";
  out += body_;
}

std::string Message::to_string() const {
  std::string out;
  std::size_t estimate = 64 + body_.size();
  for (const auto& h : headers_) estimate += h.name.size() + h.value.size() + 4;
  out.reserve(estimate);
  append_to(out);
  return out;
}

}  // namespace va::sip
