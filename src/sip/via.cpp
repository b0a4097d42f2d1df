#include "sip/via.hpp"

#include "sip/syntax.hpp"

namespace va::sip {

namespace {

ParseError via_error(std::string message) {
  return parse_error(ParseErrorCode::bad_via, std::move(message));
}

// Reads a token at `i` (after optional white space) and advances past it.
std::string_view read_token(std::string_view s, std::size_t& i) {
  while (i < s.size() && is_ws(s[i])) ++i;
  std::size_t start = i;
  while (i < s.size() && is_token_char(s[i])) ++i;
  return s.substr(start, i - start);
}

bool read_slash(std::string_view s, std::size_t& i) {
  while (i < s.size() && is_ws(s[i])) ++i;
  if (i >= s.size() || s[i] != '/') return false;
  ++i;
  return true;
}

std::optional<ParseError> check_via_params(const Params& params) {
  for (const auto& p : params.items()) {
    if (iequals(p.name, "ttl")) {
      if (!p.value || !parse_decimal(*p.value, 255)) return via_error("malformed ttl");
    } else if (iequals(p.name, "rport")) {
      if (p.value && !parse_decimal(*p.value, 65535)) return via_error("malformed rport");
    } else if (iequals(p.name, "received")) {
      if (!p.value || !parse_host(*p.value, true)) return via_error("malformed received");
    } else if (iequals(p.name, "maddr")) {
      if (!p.value || !parse_host(*p.value)) return via_error("malformed maddr");
    } else if (iequals(p.name, "branch")) {
      if (!p.value || !is_token(*p.value)) return via_error("malformed branch");
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::uint16_t> Via::rport() const {
  auto v = params.get("rport");
  if (!v) return std::nullopt;
  auto n = parse_decimal(*v, 65535);
  if (!n) return std::nullopt;
  return static_cast<std::uint16_t>(*n);
}

std::optional<std::uint8_t> Via::ttl() const {
  auto v = params.get("ttl");
  if (!v) return std::nullopt;
  auto n = parse_decimal(*v, 255);
  if (!n) return std::nullopt;
  return static_cast<std::uint8_t>(*n);
}

bool Via::has_rfc3261_branch() const {
  auto b = branch();
  return b && b->size() > kBranchMagicCookie.size() &&
         b->substr(0, kBranchMagicCookie.size()) == kBranchMagicCookie;
}

std::string Via::to_string() const {
  std::string out = protocol_name + "/" + protocol_version + "/" + transport + " " + sent_by.to_string();
  params.append_to(out);
  return out;
}

Result<Via> parse_via(std::string_view text) {
  text = trim(text);
  Via via;
  std::size_t i = 0;
  std::string_view name = read_token(text, i);
  if (name.empty() || !read_slash(text, i)) return via_error("malformed sent-protocol");
  std::string_view version = read_token(text, i);
  if (version.empty() || !read_slash(text, i)) return via_error("malformed sent-protocol");
  std::string_view transport = read_token(text, i);
  if (transport.empty()) return via_error("missing transport");
  if (i >= text.size() || !is_ws(text[i])) return via_error("missing sent-by");
  while (i < text.size() && is_ws(text[i])) ++i;

  // sent-by ends at white space or ';' (an IPv6 reference contains ':' but neither of those).
  std::size_t end = i;
  while (end < text.size() && !is_ws(text[end]) && text[end] != ';') ++end;
  std::string_view sent_by = text.substr(i, end - i);
  // White space is allowed around the port colon of sent-by (COLON = SWS ":" SWS) but never seen; not
  // supported.
  auto hp = parse_hostport(sent_by);
  if (!hp) return via_error("malformed sent-by: " + hp.error().message);
  auto params = parse_params(text.substr(end), ParamSyntax::header);
  if (!params) return via_error(params.error().message);
  if (auto bad = check_via_params(*params)) return *bad;

  via.protocol_name = std::string(name);
  via.protocol_version = std::string(version);
  via.transport = std::string(transport);
  via.sent_by = std::move(hp).value();
  via.params = std::move(params).value();
  return via;
}

Result<std::vector<Via>> parse_via_list(std::string_view text) {
  std::vector<std::string_view> items;
  if (!split_list(text, items)) return via_error("unterminated quoted string");
  if (items.empty()) return via_error("empty Via");
  std::vector<Via> out;
  out.reserve(items.size());
  for (auto item : items) {
    auto via = parse_via(item);
    if (!via) return via.error();
    out.push_back(std::move(via).value());
  }
  return out;
}

}  // namespace va::sip
