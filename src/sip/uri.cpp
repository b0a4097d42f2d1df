#include "sip/uri.hpp"

#include "sip/syntax.hpp"

namespace va::sip {

namespace {

// RFC 3261 §25.1 user-unreserved, the password marks and hnv-unreserved; RFC 3966 visual separators.
constexpr CharSet kUserMarks("&=+$,;?/");
constexpr CharSet kPasswordMarks("&=+$,");
constexpr CharSet kHeaderMarks("[]/?:+$");
constexpr CharSet kTelMarks("+*-.()");

// user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/"
bool is_user_char(char c) {
  return is_unreserved(c) || kUserMarks.contains(c);
}

bool is_password_char(char c) {
  return is_unreserved(c) || kPasswordMarks.contains(c);
}

// hnv-unreserved = "[" / "]" / "/" / "?" / ":" / "+" / "$"
bool is_uri_header_char(char c) {
  return is_unreserved(c) || kHeaderMarks.contains(c);
}

// RFC 3966 phonedigit-hex plus visual separators; '#' only escaped (it would start a fragment).
bool is_tel_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || kTelMarks.contains(c);
}

bool is_scheme(std::string_view s) {
  if (s.empty() || !is_alpha(s.front())) return false;
  for (char c : s)
    if (!is_alnum(c) && c != '+' && c != '-' && c != '.') return false;
  return true;
}

// Characters an opaque URI may hold and still be written inside <...> and read back unchanged.
bool is_opaque_char(char c) {
  auto b = static_cast<unsigned char>(c);
  return b > 0x20 && b < 0x7f && c != '<' && c != '>' && c != '"';
}

ParseError uri_error(std::string message) {
  return parse_error(ParseErrorCode::bad_uri, std::move(message));
}

Result<Uri> parse_sip_uri(Uri uri, std::string_view rest) {
  std::size_t at = rest.find('@');
  std::string_view hostpart = rest;
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    hostpart = rest.substr(at + 1);
    std::size_t colon = userinfo.find(':');
    std::string_view user = userinfo.substr(0, colon);
    if (user.empty() || !all_allowed_or_escaped(user, is_user_char)) return uri_error("malformed user part");
    uri.user = *percent_decode(user);
    if (colon != std::string_view::npos) {
      std::string_view password = userinfo.substr(colon + 1);
      if (!all_allowed_or_escaped(password, is_password_char)) return uri_error("malformed password");
      uri.password = *percent_decode(password);
    }
  }
  std::size_t host_end = hostpart.find_first_of(";?");
  auto hp = parse_hostport(hostpart.substr(0, host_end));
  if (!hp) return hp.error();
  uri.host = std::move(hp->host);
  uri.host_kind = hp->kind;
  uri.port = hp->port;
  if (host_end == std::string_view::npos) return uri;

  std::string_view tail = hostpart.substr(host_end);
  std::size_t question = tail.find('?');
  auto params = parse_params(tail.substr(0, question), ParamSyntax::uri);
  if (!params) return params.error();
  uri.params = std::move(params).value();
  if (question == std::string_view::npos) return uri;

  std::string_view headers = tail.substr(question + 1);
  if (headers.empty()) return uri_error("empty URI headers");
  while (true) {
    std::size_t amp = headers.find('&');
    std::string_view item = headers.substr(0, amp);
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) return uri_error("malformed URI header");
    std::string_view name = item.substr(0, eq);
    std::string_view value = item.substr(eq + 1);
    if (!all_allowed_or_escaped(name, is_uri_header_char) ||
        !all_allowed_or_escaped(value, is_uri_header_char))
      return uri_error("malformed URI header");
    uri.headers.push_back({std::string(name), std::string(value)});
    if (amp == std::string_view::npos) break;
    headers.remove_prefix(amp + 1);
  }
  return uri;
}

Result<Uri> parse_tel_uri(Uri uri, std::string_view rest) {
  std::size_t semi = rest.find(';');
  std::string_view number = rest.substr(0, semi);
  if (number.empty() || !all_allowed_or_escaped(number, is_tel_char))
    return uri_error("malformed tel number");
  uri.user = *percent_decode(number);
  if (semi != std::string_view::npos) {
    auto params = parse_params(rest.substr(semi), ParamSyntax::uri);
    if (!params) return params.error();
    uri.params = std::move(params).value();
  }
  return uri;
}

bool param_values_equal(const std::optional<std::string>& a, const std::optional<std::string>& b) {
  if (!a || !b) return a.has_value() == b.has_value();
  auto x = percent_decode(*a);
  auto y = percent_decode(*b);
  return x && y && iequals(*x, *y);
}

bool uri_params_equivalent(const Params& a, const Params& b) {
  // RFC 3261 §19.1.4: these parameters must be present in both or neither, whatever their defaults.
  for (std::string_view name : {"user", "ttl", "method", "maddr", "transport"}) {
    if (a.has(name) != b.has(name)) return false;
  }
  for (const auto& p : a.items()) {
    const Param* q = b.find(p.name);
    if (q != nullptr && !param_values_equal(p.value, q->value)) return false;
  }
  return true;
}

bool uri_headers_equivalent(const std::vector<UriHeader>& a, const std::vector<UriHeader>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& h : a) {
    bool found = false;
    for (const auto& k : b) {
      if (iequals(h.name, k.name)) {
        found = percent_decode(h.value) == percent_decode(k.value);
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

}  // namespace

Result<Uri> parse_uri(std::string_view text) {
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || !is_scheme(text.substr(0, colon)))
    return uri_error("missing scheme");
  Uri uri;
  uri.scheme_name = to_lower(text.substr(0, colon));
  std::string_view rest = text.substr(colon + 1);
  if (uri.scheme_name == "sip" || uri.scheme_name == "sips") {
    uri.scheme = uri.scheme_name == "sip" ? UriScheme::sip : UriScheme::sips;
    return parse_sip_uri(std::move(uri), rest);
  }
  if (uri.scheme_name == "tel") {
    uri.scheme = UriScheme::tel;
    return parse_tel_uri(std::move(uri), rest);
  }
  uri.scheme = UriScheme::other;
  if (rest.empty()) return uri_error("empty URI");
  for (char c : rest)
    if (!is_opaque_char(c)) return uri_error("invalid character in URI");
  uri.opaque = std::string(rest);
  return uri;
}

std::string Uri::host_port() const {
  std::string out = host_kind == HostKind::ipv6 ? "[" + host + "]" : host;
  if (port) out += ":" + std::to_string(*port);
  return out;
}

std::string Uri::to_string() const {
  std::string out;
  switch (scheme) {
    case UriScheme::sip:
      out = "sip:";
      break;
    case UriScheme::sips:
      out = "sips:";
      break;
    case UriScheme::tel:
      out = "tel:";
      percent_encode(user, is_tel_char, out);
      params.append_to(out);
      return out;
    case UriScheme::other:
      return scheme_name + ":" + opaque;
  }
  if (!user.empty()) {
    percent_encode(user, is_user_char, out);
    if (password) {
      out.push_back(':');
      percent_encode(*password, is_password_char, out);
    }
    out.push_back('@');
  }
  out += host_port();
  params.append_to(out);
  for (std::size_t i = 0; i < headers.size(); ++i) {
    out.push_back(i == 0 ? '?' : '&');
    out += headers[i].name;
    out.push_back('=');
    out += headers[i].value;
  }
  return out;
}

bool uri_equivalent(const Uri& a, const Uri& b) {
  if (a.scheme != b.scheme) return false;
  switch (a.scheme) {
    case UriScheme::other:
      return a.scheme_name == b.scheme_name && a.opaque == b.opaque;
    case UriScheme::tel:
      return a.user == b.user && uri_params_equivalent(a.params, b.params);
    case UriScheme::sip:
    case UriScheme::sips:
      break;
  }
  return a.user == b.user && a.password == b.password &&
         host_equals(a.host, a.host_kind, b.host, b.host_kind) && a.port == b.port &&
         uri_params_equivalent(a.params, b.params) && uri_headers_equivalent(a.headers, b.headers);
}

bool same_host_and_port(const Uri& a, const Uri& b) {
  return host_equals(a.host, a.host_kind, b.host, b.host_kind) && a.port_or_default() == b.port_or_default();
}

}  // namespace va::sip
