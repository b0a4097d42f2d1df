// Verifies that a webhook request came from our LiveKit server and was not altered on the way.
//
// LiveKit signs each webhook with a JWT in the Authorization header: issuer = API key, HS256 with the API
// secret, a short exp, and a `sha256` claim holding base64(SHA-256(raw body)). The header carries the bare
// token (no scheme). We also accept a "Bearer " prefix: the token decides, not the scheme, and a proxy or a
// hand-written sender that adds the usual scheme should not be locked out for that alone.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "livekit/access_token.hpp"

namespace va::livekit {

enum class WebhookRejection {
  missing_authorization,
  malformed_token,
  unknown_key,
  bad_signature,
  expired,
  not_yet_valid,
  missing_body_hash,
  body_hash_mismatch,
};
std::string_view to_string(WebhookRejection reason);

struct WebhookVerificationFailure {
  WebhookRejection reason;
  std::string message;  // never contains the token
};

// base64 (standard alphabet, padded) of SHA-256(body): the `sha256` claim LiveKit puts in the token.
std::string webhook_body_hash(std::string_view body);

class WebhookVerifier {
 public:
  // `secrets_by_key`: the API keys we accept and their secrets.
  explicit WebhookVerifier(std::map<std::string, std::string> secrets_by_key);

  // nullopt when `authorization` is a valid token of a known key (nbf/exp with kTokenLeeway at `now`) whose
  // sha256 claim matches `body`. Never throws.
  std::optional<WebhookVerificationFailure> verify(std::string_view authorization, std::string_view body,
                                                   UnixSeconds now) const;
  // The same at the current system time.
  std::optional<WebhookVerificationFailure> verify(std::string_view authorization,
                                                   std::string_view body) const;

 private:
  std::map<std::string, std::string> secrets_by_key_;
};

}  // namespace va::livekit
