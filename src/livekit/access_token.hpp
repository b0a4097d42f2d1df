// LiveKit access tokens: HS256 JWTs signed with the API secret (see docs/operations.md "Access tokens").
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace va::livekit {

// The `video` claim. Unset fields are omitted from the JSON, as LiveKit's SDKs do.
struct VideoGrant {
  std::optional<bool> room_join;
  std::optional<std::string> room;
  std::optional<bool> room_create;
  std::optional<bool> room_admin;
  std::optional<bool> room_list;
  std::optional<bool> can_publish;
  std::optional<bool> can_subscribe;
  std::optional<bool> can_publish_data;
  std::optional<bool> hidden;
  std::optional<bool> agent;
  friend bool operator==(const VideoGrant&, const VideoGrant&) = default;
};

// The `sip` claim.
struct SipGrant {
  std::optional<bool> admin;
  std::optional<bool> call;
  friend bool operator==(const SipGrant&, const SipGrant&) = default;
};

using UnixSeconds = std::int64_t;

struct AccessTokenClaims {
  std::string api_key;   // iss
  std::string identity;  // sub; also jti, as LiveKit's server SDKs set it
  std::string name;
  std::string metadata;
  std::map<std::string, std::string> attributes;
  std::string kind;  // "standard", "agent", "sip", "ingress", "egress"; empty: omitted
  std::optional<VideoGrant> video;
  std::optional<SipGrant> sip;
  std::string sha256;  // webhook body hash; empty: omitted
  UnixSeconds not_before = 0;
  UnixSeconds expires_at = 0;
};

inline constexpr std::chrono::seconds kDefaultTokenTtl = std::chrono::hours(6);
// LiveKit accepts one minute of clock skew on nbf/exp.
inline constexpr std::chrono::seconds kTokenLeeway = std::chrono::seconds(60);

bool is_valid_kind(std::string_view kind);

nlohmann::json to_json(const VideoGrant& grant);
nlohmann::json to_json(const SipGrant& grant);

// Signs the claims (nbf/exp as given) with `api_secret`.
std::string mint_access_token(const AccessTokenClaims& claims, std::string_view api_secret);

enum class TokenError { malformed, wrong_algorithm, unknown_key, bad_signature, expired, not_yet_valid };
std::string_view to_string(TokenError error);

struct TokenRejection {
  TokenError error;
  std::string message;
};

// Verifies a token against the known API keys (key → secret) at time `now`. Never throws.
std::variant<AccessTokenClaims, TokenRejection> verify_access_token(
    std::string_view token, const std::map<std::string, std::string>& secrets_by_key, UnixSeconds now);

// base64url without padding (RFC 7515 §2).
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace va::livekit
