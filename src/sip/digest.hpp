// Digest response computation (RFC 2617 §3.2.2, RFC 7616 §3.4.1) with MD5, SHA-256 and SHA-512/256 and their
// -sess variants, qop "auth", "auth-int" or none (RFC 2069 compatibility).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sip/digest_challenge.hpp"

namespace va::sip {

// Lower-case hex digest of `data`; nullopt for DigestAlgorithm::unknown.
std::optional<std::string> digest_hex(DigestAlgorithm algorithm, std::string_view data);

struct DigestResponseInput {
  DigestAlgorithm algorithm = DigestAlgorithm::md5;
  std::string_view username;
  std::string_view realm;
  std::string_view password;
  std::string_view nonce;
  std::string_view method;  // the request's method, e.g. "REGISTER"
  std::string_view uri;     // digest-uri, normally the Request-URI
  std::string_view qop;     // "", "auth" or "auth-int"
  std::uint32_t nc = 1;
  std::string_view cnonce;
  std::string_view body;  // for auth-int
};

// The "response" value; nullopt for an unknown algorithm or qop.
std::optional<std::string> digest_response(const DigestResponseInput& in);

struct DigestAnswer {
  std::string_view username;
  std::string_view password;
  std::string_view method;
  std::string_view uri;
  std::uint32_t nc = 1;     // nonce count: 1 for a fresh nonce, incremented on reuse
  std::string_view cnonce;  // empty: a random one is generated
  std::string_view body;    // for qop=auth-int
};

// Credentials answering `challenge`: its algorithm, qop "auth" when offered (else "auth-int" when offered,
// else none), its opaque echoed. nullopt when the algorithm or the offered qops are unsupported.
std::optional<DigestCredentials> answer_digest_challenge(const DigestChallenge& challenge,
                                                         const DigestAnswer& answer);

// Server side: whether `credentials` carry the right response for `password` (constant-time comparison).
bool digest_credentials_valid(const DigestCredentials& credentials, std::string_view password,
                              std::string_view method, std::string_view body = {});

}  // namespace va::sip
