#include "sip/host.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstring>

#include "sip/syntax.hpp"

namespace va::sip {

namespace {

// inet_pton needs a NUL-terminated string; addresses are short, so a stack buffer suffices.
bool ip_bytes(std::string_view text, int family, unsigned char* out) {
  std::array<char, 64> buf{};
  if (text.size() >= buf.size()) return false;
  std::memcpy(buf.data(), text.data(), text.size());
  return inet_pton(family, buf.data(), out) == 1;
}

bool is_ipv4(std::string_view text) {
  unsigned char bytes[4];
  return ip_bytes(text, AF_INET, bytes);
}

bool is_ipv6(std::string_view text) {
  unsigned char bytes[16];
  return ip_bytes(text, AF_INET6, bytes);
}

// hostname = *( domainlabel "." ) toplabel [ "." ]; labels of alphanum and '-'. Underscores are tolerated
// because they occur in real DNS names (e.g. SRV-style owner names used as hosts).
bool is_hostname(std::string_view text) {
  if (text.empty()) return false;
  if (text.back() == '.') text.remove_suffix(1);
  if (text.empty()) return false;
  std::size_t label_len = 0;
  bool all_numeric = true;
  for (char c : text) {
    if (c == '.') {
      if (label_len == 0) return false;
      label_len = 0;
      continue;
    }
    if (!is_alnum(c) && c != '-' && c != '_') return false;
    if (!is_digit(c)) all_numeric = false;
    ++label_len;
  }
  // A dotted all-digit string that is not a valid IPv4 address (e.g. 1.2.3.256) is neither form.
  return label_len != 0 && !all_numeric;
}

}  // namespace

std::string HostPort::host_text() const {
  return kind == HostKind::ipv6 ? "[" + host + "]" : host;
}

std::string HostPort::to_string() const {
  std::string out = host_text();
  if (port) out += ":" + std::to_string(*port);
  return out;
}

Result<HostPort> parse_host(std::string_view text, bool allow_bare_ipv6) {
  HostPort hp;
  if (!text.empty() && text.front() == '[') {
    if (text.size() < 3 || text.back() != ']' || !is_ipv6(text.substr(1, text.size() - 2)))
      return parse_error(ParseErrorCode::bad_host, "malformed IPv6 reference");
    hp.host = std::string(text.substr(1, text.size() - 2));
    hp.kind = HostKind::ipv6;
    return hp;
  }
  if (is_ipv4(text)) {
    hp.kind = HostKind::ipv4;
  } else if (allow_bare_ipv6 && is_ipv6(text)) {
    hp.kind = HostKind::ipv6;
  } else if (!is_hostname(text)) {
    return parse_error(ParseErrorCode::bad_host, "malformed host");
  }
  hp.host = std::string(text);
  return hp;
}

Result<HostPort> parse_hostport(std::string_view text) {
  std::string_view host = text;
  std::optional<std::string_view> port;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos)
      return parse_error(ParseErrorCode::bad_host, "unterminated IPv6 reference");
    host = text.substr(0, close + 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return parse_error(ParseErrorCode::bad_host, "junk after IPv6 reference");
      port = rest.substr(1);
    }
  } else {
    std::size_t colon = text.find(':');
    if (colon != std::string_view::npos) {
      host = text.substr(0, colon);
      port = text.substr(colon + 1);
    }
  }
  auto hp = parse_host(host);
  if (!hp) return hp;
  if (port) {
    auto value = parse_decimal(*port, 65535);
    if (!value) return parse_error(ParseErrorCode::bad_host, "malformed port");
    hp->port = static_cast<std::uint16_t>(*value);
  }
  return hp;
}

bool host_equals(std::string_view a, HostKind a_kind, std::string_view b, HostKind b_kind) {
  if (a_kind != b_kind) return false;
  if (a_kind == HostKind::ipv6) {
    unsigned char x[16];
    unsigned char y[16];
    return ip_bytes(a, AF_INET6, x) && ip_bytes(b, AF_INET6, y) && std::memcmp(x, y, 16) == 0;
  }
  return iequals(a, b);
}

}  // namespace va::sip
