#include "sip/address.hpp"

#include "sip/syntax.hpp"

namespace va::sip {

namespace {

ParseError address_error(std::string message) {
  return parse_error(ParseErrorCode::bad_address, std::move(message));
}

// display-name = *(token LWS) / quoted-string. Bytes >= 0x80 are tolerated unquoted: UTF-8 names sent without
// quotes are common in the wild and harmless to carry.
bool is_unquoted_display_name(std::string_view s) {
  for (char c : s) {
    if (!is_token_char(c) && !is_ws(c) && static_cast<unsigned char>(c) < 0x80) return false;
  }
  return true;
}

Result<Uri> parse_address_uri(std::string_view text) {
  auto uri = parse_uri(text);
  if (!uri) return address_error("malformed URI: " + uri.error().message);
  return uri;
}

}  // namespace

Result<Address> parse_address(std::string_view text) {
  text = trim(text);
  if (text.empty()) return address_error("empty address");
  Address address;
  std::size_t angle = std::string_view::npos;
  if (text.front() == '"') {
    std::size_t end = quoted_string_end(text, 0);
    if (end == std::string_view::npos) return address_error("unterminated display name");
    auto name = unquote(text.substr(0, end));
    if (!name) return name.error();
    address.display_name = std::move(name).value();
    std::size_t i = end;
    while (i < text.size() && is_ws(text[i])) ++i;
    if (i >= text.size() || text[i] != '<') return address_error("quoted display name without <URI>");
    angle = i;
  } else {
    angle = text.find('<');
    if (angle != std::string_view::npos) {
      std::string_view name = trim(text.substr(0, angle));
      if (!is_unquoted_display_name(name)) return address_error("malformed display name");
      address.display_name = std::string(name);
    }
  }

  std::string_view params;
  if (angle != std::string_view::npos) {
    std::size_t close = text.find('>', angle);
    if (close == std::string_view::npos) return address_error("missing '>'");
    auto uri = parse_address_uri(text.substr(angle + 1, close - angle - 1));
    if (!uri) return uri.error();
    address.uri = std::move(uri).value();
    params = text.substr(close + 1);
  } else {
    // addr-spec: a URI with ';', ',' or '?' must be in <>, so the first ';' starts the header parameters
    // (RFC 3261 §20.10).
    std::size_t semi = text.find(';');
    std::string_view spec = trim(text.substr(0, semi));
    if (spec.find_first_of(" \t,?") != std::string_view::npos) return address_error("malformed addr-spec");
    auto uri = parse_address_uri(spec);
    if (!uri) return uri.error();
    address.uri = std::move(uri).value();
    if (semi != std::string_view::npos) params = text.substr(semi);
  }
  auto parsed = parse_params(params, ParamSyntax::header);
  if (!parsed) return parsed.error();
  address.params = std::move(parsed).value();
  return address;
}

Result<std::vector<Address>> parse_address_list(std::string_view text) {
  std::vector<std::string_view> items;
  if (!split_list(text, items)) return address_error("unterminated quote or angle bracket");
  if (items.empty()) return address_error("empty address list");
  std::vector<Address> out;
  out.reserve(items.size());
  for (auto item : items) {
    auto a = parse_address(item);
    if (!a) return a.error();
    out.push_back(std::move(a).value());
  }
  return out;
}

std::string Address::to_string() const {
  std::string out;
  if (!display_name.empty()) {
    out = quote(display_name);
    out.push_back(' ');
  }
  out.push_back('<');
  out += uri.to_string();
  out.push_back('>');
  params.append_to(out);
  return out;
}

}  // namespace va::sip
