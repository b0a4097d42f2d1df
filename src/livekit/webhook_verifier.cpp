#include "livekit/webhook_verifier.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <array>
#include <chrono>

#include "common/ascii.hpp"

namespace va::livekit {

std::string_view to_string(WebhookRejection reason) {
  switch (reason) {
    case WebhookRejection::missing_authorization:
      return "missing_authorization";
    case WebhookRejection::malformed_token:
      return "malformed_token";
    case WebhookRejection::unknown_key:
      return "unknown_key";
    case WebhookRejection::bad_signature:
      return "bad_signature";
    case WebhookRejection::expired:
      return "expired";
    case WebhookRejection::not_yet_valid:
      return "not_yet_valid";
    case WebhookRejection::missing_body_hash:
      return "missing_body_hash";
    case WebhookRejection::body_hash_mismatch:
      return "body_hash_mismatch";
  }
  return "unknown";
}

std::string webhook_body_hash(std::string_view body) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest.data());
  std::array<unsigned char, 4 * ((SHA256_DIGEST_LENGTH + 2) / 3) + 1> encoded{};
  int length = EVP_EncodeBlock(encoded.data(), digest.data(), static_cast<int>(digest.size()));
  return std::string(reinterpret_cast<const char*>(encoded.data()), static_cast<std::size_t>(length));
}

WebhookVerifier::WebhookVerifier(std::map<std::string, std::string> secrets_by_key)
    : secrets_by_key_(std::move(secrets_by_key)) {}

std::optional<WebhookVerificationFailure> WebhookVerifier::verify(std::string_view authorization,
                                                                  std::string_view body) const {
  auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  return verify(authorization, body, now);
}

std::optional<WebhookVerificationFailure> WebhookVerifier::verify(std::string_view authorization,
                                                                  std::string_view body,
                                                                  UnixSeconds now) const {
  std::string_view token = authorization;
  while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  constexpr std::string_view kBearer = "bearer ";
  if (token.size() > kBearer.size() && ascii::iequals(token.substr(0, kBearer.size()), kBearer)) {
    token.remove_prefix(kBearer.size());
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  }
  if (token.empty())
    return WebhookVerificationFailure{WebhookRejection::missing_authorization, "no Authorization header"};

  auto verified = verify_access_token(token, secrets_by_key_, now);
  if (const auto* rejection = std::get_if<TokenRejection>(&verified)) {
    WebhookRejection reason = WebhookRejection::malformed_token;
    switch (rejection->error) {
      case TokenError::malformed:
      case TokenError::wrong_algorithm:
        reason = WebhookRejection::malformed_token;
        break;
      case TokenError::unknown_key:
        reason = WebhookRejection::unknown_key;
        break;
      case TokenError::bad_signature:
        reason = WebhookRejection::bad_signature;
        break;
      case TokenError::expired:
        reason = WebhookRejection::expired;
        break;
      case TokenError::not_yet_valid:
        reason = WebhookRejection::not_yet_valid;
        break;
    }
    return WebhookVerificationFailure{reason, rejection->message};
  }
  const auto& claims = std::get<AccessTokenClaims>(verified);
  if (claims.sha256.empty())
    return WebhookVerificationFailure{WebhookRejection::missing_body_hash, "the token has no sha256 claim"};
  const std::string expected = webhook_body_hash(body);
  // Constant time, so the comparison does not reveal how much of a forged hash was right.
  if (claims.sha256.size() != expected.size() ||
      CRYPTO_memcmp(claims.sha256.data(), expected.data(), expected.size()) != 0)
    return WebhookVerificationFailure{WebhookRejection::body_hash_mismatch,
                                      "the body does not match the token's sha256 claim"};
  return std::nullopt;
}

}  // namespace va::livekit
