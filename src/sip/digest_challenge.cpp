#include "sip/digest_challenge.hpp"

#include <array>
#include <cstdio>
#include <utility>

#include "sip/syntax.hpp"

namespace va::sip {

namespace {

constexpr std::array<std::pair<DigestAlgorithm, std::string_view>, 6> kAlgorithms{{
    {DigestAlgorithm::md5, "MD5"},
    {DigestAlgorithm::md5_sess, "MD5-sess"},
    {DigestAlgorithm::sha256, "SHA-256"},
    {DigestAlgorithm::sha256_sess, "SHA-256-sess"},
    {DigestAlgorithm::sha512_256, "SHA-512-256"},
    {DigestAlgorithm::sha512_256_sess, "SHA-512-256-sess"},
}};

constexpr std::string_view kScheme = "Digest ";

ParseError auth_error(std::string message) {
  return parse_error(ParseErrorCode::bad_auth, std::move(message));
}

struct AuthParam {
  std::string_view name;
  std::string value;  // unquoted
  bool quoted = false;
};

// "Digest" LWS auth-param *(COMMA auth-param), auth-param = token EQUAL (token / quoted-string).
Result<std::vector<AuthParam>> parse_digest_params(std::string_view value) {
  value = trim(value);
  std::size_t i = 0;
  while (i < value.size() && is_token_char(value[i])) ++i;
  if (!iequals(value.substr(0, i), "Digest")) return auth_error("not a Digest header");
  if (i < value.size() && !is_ws(value[i])) return auth_error("no white space after Digest");
  std::vector<std::string_view> items;
  if (!split_list(value.substr(i), items)) return auth_error("unterminated quoted string");
  std::vector<AuthParam> out;
  out.reserve(items.size());
  for (auto item : items) {
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) return auth_error("auth-param without '='");
    AuthParam p;
    p.name = trim(item.substr(0, eq));
    std::string_view v = trim(item.substr(eq + 1));
    if (!is_token(p.name)) return auth_error("malformed auth-param name");
    if (!v.empty() && v.front() == '"') {
      auto u = unquote(v);
      if (!u) return auth_error("malformed quoted value of " + std::string(p.name));
      p.value = std::move(u).value();
      p.quoted = true;
    } else if (is_token(v)) {
      p.value = std::string(v);
    } else {
      return auth_error("malformed value of " + std::string(p.name));
    }
    out.push_back(std::move(p));
  }
  return out;
}

void split_qop_list(std::string_view list, std::vector<std::string>& out) {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view item = trim(list.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

void append_param(std::string& out, std::string_view name, std::string_view value, bool quoted) {
  if (out.size() > kScheme.size()) out += ", ";
  out += name;
  out.push_back('=');
  out += quoted ? quote(value) : std::string(value);
}

}  // namespace

DigestAlgorithm digest_algorithm_from_name(std::string_view name) {
  for (const auto& a : kAlgorithms)
    if (iequals(a.second, name)) return a.first;
  return DigestAlgorithm::unknown;
}

std::string_view digest_algorithm_name(DigestAlgorithm algorithm) {
  for (const auto& a : kAlgorithms)
    if (a.first == algorithm) return a.second;
  return {};
}

bool DigestChallenge::offers_qop(std::string_view value) const {
  for (const auto& q : qop)
    if (iequals(q, value)) return true;
  return false;
}

Result<DigestChallenge> parse_digest_challenge(std::string_view value) {
  auto params = parse_digest_params(value);
  if (!params) return params.error();
  DigestChallenge c;
  bool has_realm = false;
  bool has_nonce = false;
  for (auto& p : *params) {
    if (iequals(p.name, "realm")) {
      c.realm = std::move(p.value);
      has_realm = true;
    } else if (iequals(p.name, "nonce")) {
      c.nonce = std::move(p.value);
      has_nonce = true;
    } else if (iequals(p.name, "opaque")) {
      c.opaque = std::move(p.value);
    } else if (iequals(p.name, "domain")) {
      c.domain = std::move(p.value);
    } else if (iequals(p.name, "algorithm")) {
      c.algorithm = digest_algorithm_from_name(p.value);
      c.algorithm_name = std::move(p.value);
    } else if (iequals(p.name, "qop")) {
      split_qop_list(p.value, c.qop);
    } else if (iequals(p.name, "stale")) {
      c.stale = iequals(p.value, "true");
    } else if (iequals(p.name, "userhash")) {
      c.userhash = iequals(p.value, "true");
    }
  }
  if (!has_realm || !has_nonce) return auth_error("challenge without realm or nonce");
  return c;
}

Result<std::vector<DigestChallenge>> digest_challenges(const Message& response) {
  std::vector<DigestChallenge> out;
  for (const auto& h : response.headers()) {
    if (h.id != HeaderId::www_authenticate && h.id != HeaderId::proxy_authenticate) continue;
    std::string_view v = trim(h.value);
    std::size_t scheme_end = 0;
    while (scheme_end < v.size() && is_token_char(v[scheme_end])) ++scheme_end;
    if (!iequals(v.substr(0, scheme_end), "Digest")) continue;
    auto c = parse_digest_challenge(v);
    if (!c) {
      ParseError e = c.error();
      e.header = h.name;
      return e;
    }
    out.push_back(std::move(c).value());
  }
  return out;
}

std::string DigestChallenge::to_string() const {
  std::string out(kScheme);
  append_param(out, "realm", realm, true);
  if (domain) append_param(out, "domain", *domain, true);
  append_param(out, "nonce", nonce, true);
  if (opaque) append_param(out, "opaque", *opaque, true);
  if (stale) append_param(out, "stale", "true", false);
  if (!algorithm_name.empty()) {
    append_param(out, "algorithm", algorithm_name, false);
  } else if (algorithm != DigestAlgorithm::md5 && algorithm != DigestAlgorithm::unknown) {
    append_param(out, "algorithm", digest_algorithm_name(algorithm), false);
  }
  if (!qop.empty()) {
    std::string list;
    for (const auto& q : qop) list += (list.empty() ? "" : ",") + q;
    append_param(out, "qop", list, true);
  }
  if (userhash) append_param(out, "userhash", "true", false);
  return out;
}

Result<DigestCredentials> parse_digest_credentials(std::string_view value) {
  auto params = parse_digest_params(value);
  if (!params) return params.error();
  DigestCredentials c;
  int required = 0;
  for (auto& p : *params) {
    if (iequals(p.name, "username")) {
      c.username = std::move(p.value);
      required |= 1;
    } else if (iequals(p.name, "realm")) {
      c.realm = std::move(p.value);
      required |= 2;
    } else if (iequals(p.name, "nonce")) {
      c.nonce = std::move(p.value);
      required |= 4;
    } else if (iequals(p.name, "uri")) {
      c.uri = std::move(p.value);
      required |= 8;
    } else if (iequals(p.name, "response")) {
      c.response = std::move(p.value);
      required |= 16;
    } else if (iequals(p.name, "algorithm")) {
      c.algorithm = std::move(p.value);
    } else if (iequals(p.name, "cnonce")) {
      c.cnonce = std::move(p.value);
    } else if (iequals(p.name, "opaque")) {
      c.opaque = std::move(p.value);
    } else if (iequals(p.name, "qop")) {
      c.qop = std::move(p.value);
    } else if (iequals(p.name, "nc")) {
      // nonce-count = 8LHEX
      if (p.value.size() != 8) return auth_error("nc is not 8 hex digits");
      std::uint32_t nc = 0;
      for (char ch : p.value) {
        char lower = ascii_lower(ch);
        int digit = is_digit(ch) ? ch - '0' : (lower >= 'a' && lower <= 'f') ? lower - 'a' + 10 : -1;
        if (digit < 0) return auth_error("nc is not 8 hex digits");
        nc = nc * 16 + static_cast<std::uint32_t>(digit);
      }
      c.nc = nc;
    }
  }
  if (required != 31) return auth_error("credentials without username, realm, nonce, uri or response");
  return c;
}

std::string DigestCredentials::to_string() const {
  std::string out(kScheme);
  append_param(out, "username", username, true);
  append_param(out, "realm", realm, true);
  append_param(out, "nonce", nonce, true);
  append_param(out, "uri", uri, true);
  append_param(out, "response", response, true);
  if (!algorithm.empty()) append_param(out, "algorithm", algorithm, false);
  if (!cnonce.empty()) append_param(out, "cnonce", cnonce, true);
  if (!opaque.empty()) append_param(out, "opaque", opaque, true);
  if (!qop.empty()) {
    char nc_text[9];
    std::snprintf(nc_text, sizeof nc_text, "%08x", nc);
    append_param(out, "qop", qop, false);
    append_param(out, "nc", nc_text, false);
  }
  return out;
}

}  // namespace va::sip
