#include "livekit/access_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace va::livekit {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int decode_char(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

void put(nlohmann::json& j, const char* name, const std::optional<bool>& v) {
  if (v) j[name] = *v;
}

std::optional<bool> get_bool(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

std::string get_string(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

TokenRejection reject(TokenError e, std::string message) {
  return TokenRejection{e, std::move(message)};
}

}  // namespace

bool is_valid_kind(std::string_view kind) {
  return kind == "standard" || kind == "agent" || kind == "sip" || kind == "ingress" || kind == "egress";
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = (b(i) << 16U) | (b(i + 1) << 8U) | b(i + 2);
    out += kAlphabet[(v >> 18U) & 63U];
    out += kAlphabet[(v >> 12U) & 63U];
    out += kAlphabet[(v >> 6U) & 63U];
    out += kAlphabet[v & 63U];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const unsigned v = b(i) << 16U;
    out += kAlphabet[(v >> 18U) & 63U];
    out += kAlphabet[(v >> 12U) & 63U];
  } else if (rest == 2) {
    const unsigned v = (b(i) << 16U) | (b(i + 1) << 8U);
    out += kAlphabet[(v >> 18U) & 63U];
    out += kAlphabet[(v >> 12U) & 63U];
    out += kAlphabet[(v >> 6U) & 63U];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = decode_char(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6U) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> static_cast<unsigned>(bits)) & 0xFFU);
    }
  }
  // Leftover bits must be zero, so every token has exactly one encoding.
  if ((acc & ((1U << static_cast<unsigned>(bits)) - 1U)) != 0) return std::nullopt;
  return out;
}

nlohmann::json to_json(const VideoGrant& g) {
  nlohmann::json j = nlohmann::json::object();
  put(j, "roomJoin", g.room_join);
  if (g.room) j["room"] = *g.room;
  put(j, "roomCreate", g.room_create);
  put(j, "roomAdmin", g.room_admin);
  put(j, "roomList", g.room_list);
  put(j, "canPublish", g.can_publish);
  put(j, "canSubscribe", g.can_subscribe);
  put(j, "canPublishData", g.can_publish_data);
  put(j, "hidden", g.hidden);
  put(j, "agent", g.agent);
  return j;
}

nlohmann::json to_json(const SipGrant& g) {
  nlohmann::json j = nlohmann::json::object();
  put(j, "admin", g.admin);
  put(j, "call", g.call);
  return j;
}

std::string mint_access_token(const AccessTokenClaims& c, std::string_view api_secret) {
  nlohmann::json payload = nlohmann::json::object();
  payload["iss"] = c.api_key;
  payload["nbf"] = c.not_before;
  payload["exp"] = c.expires_at;
  if (!c.identity.empty()) {
    payload["sub"] = c.identity;
    payload["jti"] = c.identity;
  }
  if (!c.name.empty()) payload["name"] = c.name;
  if (!c.metadata.empty()) payload["metadata"] = c.metadata;
  if (!c.attributes.empty()) payload["attributes"] = c.attributes;
  if (!c.kind.empty()) payload["kind"] = c.kind;
  if (c.video) payload["video"] = to_json(*c.video);
  if (c.sip) payload["sip"] = to_json(*c.sip);
  if (!c.sha256.empty()) payload["sha256"] = c.sha256;
  const std::string signing_input =
      base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." + base64url_encode(payload.dump());
  return signing_input + "." + base64url_encode(hmac_sha256(api_secret, signing_input));
}

std::string_view to_string(TokenError error) {
  switch (error) {
    case TokenError::malformed:
      return "malformed";
    case TokenError::wrong_algorithm:
      return "wrong_algorithm";
    case TokenError::unknown_key:
      return "unknown_key";
    case TokenError::bad_signature:
      return "bad_signature";
    case TokenError::expired:
      return "expired";
    case TokenError::not_yet_valid:
      return "not_yet_valid";
  }
  return "unknown";
}

std::variant<AccessTokenClaims, TokenRejection> verify_access_token(
    std::string_view token, const std::map<std::string, std::string>& secrets_by_key, UnixSeconds now) {
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return reject(TokenError::malformed, "token must have three dot-separated segments");
  const auto header_text = base64url_decode(token.substr(0, dot1));
  const auto payload_text = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  const auto signature = base64url_decode(token.substr(dot2 + 1));
  if (!header_text || !payload_text || !signature)
    return reject(TokenError::malformed, "token segment is not valid base64url");
  const auto header = nlohmann::json::parse(*header_text, nullptr, false);
  const auto payload = nlohmann::json::parse(*payload_text, nullptr, false);
  if (!header.is_object() || !payload.is_object())
    return reject(TokenError::malformed, "token header or payload is not a JSON object");
  const std::string alg = get_string(header, "alg");
  if (alg != "HS256")
    return reject(TokenError::wrong_algorithm, "token algorithm \"" + alg + "\" is not HS256");

  AccessTokenClaims c;
  c.api_key = get_string(payload, "iss");
  const auto secret = secrets_by_key.find(c.api_key);
  if (secret == secrets_by_key.end())
    return reject(TokenError::unknown_key, "token issuer \"" + c.api_key + "\" is not a known API key");
  const std::string expected = hmac_sha256(secret->second, token.substr(0, dot2));
  if (signature->size() != expected.size() ||
      CRYPTO_memcmp(signature->data(), expected.data(), expected.size()) != 0)
    return reject(TokenError::bad_signature,
                  "token signature does not match the API secret of key \"" + c.api_key + "\"");

  const auto nbf = payload.find("nbf");
  const auto exp = payload.find("exp");
  if (exp == payload.end() || !exp->is_number_integer() ||
      (nbf != payload.end() && !nbf->is_number_integer()))
    return reject(TokenError::malformed, "token exp/nbf missing or not an integer");
  c.expires_at = exp->get<UnixSeconds>();
  c.not_before = nbf == payload.end() ? 0 : nbf->get<UnixSeconds>();
  const auto leeway = kTokenLeeway.count();
  if (now > c.expires_at + leeway) return reject(TokenError::expired, "token has expired");
  if (now + leeway < c.not_before) return reject(TokenError::not_yet_valid, "token is not valid yet");

  c.identity = get_string(payload, "sub");
  c.name = get_string(payload, "name");
  c.metadata = get_string(payload, "metadata");
  c.kind = get_string(payload, "kind");
  c.sha256 = get_string(payload, "sha256");
  if (auto a = payload.find("attributes"); a != payload.end() && a->is_object()) {
    for (const auto& item : a->items())
      if (item.value().is_string()) c.attributes[item.key()] = item.value().get<std::string>();
  }
  if (auto v = payload.find("video"); v != payload.end() && v->is_object()) {
    VideoGrant g;
    g.room_join = get_bool(*v, "roomJoin");
    if (auto r = v->find("room"); r != v->end() && r->is_string()) g.room = r->get<std::string>();
    g.room_create = get_bool(*v, "roomCreate");
    g.room_admin = get_bool(*v, "roomAdmin");
    g.room_list = get_bool(*v, "roomList");
    g.can_publish = get_bool(*v, "canPublish");
    g.can_subscribe = get_bool(*v, "canSubscribe");
    g.can_publish_data = get_bool(*v, "canPublishData");
    g.hidden = get_bool(*v, "hidden");
    g.agent = get_bool(*v, "agent");
    c.video = g;
  }
  if (auto s = payload.find("sip"); s != payload.end() && s->is_object()) {
    c.sip = SipGrant{get_bool(*s, "admin"), get_bool(*s, "call")};
  }
  return c;
}

}  // namespace va::livekit
