// The grammar of HTTP Digest authentication as SIP uses it (RFC 3261 §22, §25.1; RFC 2617; RFC 7616; RFC
// 8760): challenges in WWW-Authenticate / Proxy-Authenticate and credentials in Authorization /
// Proxy-Authorization. Computing the response is digest.hpp.
//   WWW-Authenticate: Digest realm="sip.exolve.ru", nonce="5f2a...", qop="auth", algorithm=MD5, opaque="x"
//   Authorization: Digest username="88314...", realm="sip.exolve.ru", nonce="5f2a...",
//                  uri="sip:sip.exolve.ru", response="...", algorithm=MD5, cnonce="...", qop=auth,
//                  nc=00000001
// One challenge per header line: that is what servers send (RFC 8760 offers several algorithms as several
// header fields); several challenges comma-joined in one line are not supported.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.hpp"
#include "sip/parse_error.hpp"

namespace va::sip {

enum class DigestAlgorithm { md5, md5_sess, sha256, sha256_sess, sha512_256, sha512_256_sess, unknown };

// Case-insensitive: "MD5", "MD5-sess", "SHA-256", "SHA-256-sess", "SHA-512-256", "SHA-512-256-sess".
DigestAlgorithm digest_algorithm_from_name(std::string_view name);
std::string_view digest_algorithm_name(DigestAlgorithm algorithm);  // "" for unknown

struct DigestChallenge {
  std::string realm;
  std::string nonce;
  std::optional<std::string> opaque;
  std::optional<std::string> domain;
  DigestAlgorithm algorithm = DigestAlgorithm::md5;  // MD5 when the parameter is absent (RFC 2617 §3.2.1)
  std::string algorithm_name;                        // as received; empty when absent
  std::vector<std::string> qop;                      // "auth", "auth-int"; empty: RFC 2069 compatibility
  bool stale = false;
  bool userhash = false;

  bool offers_qop(std::string_view value) const;
  std::string to_string() const;  // "Digest realm=..., nonce=..., ..." (for servers that challenge)
};

// The value of one WWW-Authenticate or Proxy-Authenticate header. Non-Digest schemes are bad_auth.
Result<DigestChallenge> parse_digest_challenge(std::string_view value);
// Every Digest challenge of a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate), in order; headers of other
// schemes are skipped, malformed Digest ones are an error.
Result<std::vector<DigestChallenge>> digest_challenges(const Message& response);

struct DigestCredentials {
  std::string username;
  std::string realm;
  std::string nonce;
  std::string uri;
  std::string response;
  std::string algorithm;  // name as sent; empty: parameter omitted (MD5)
  std::string cnonce;     // empty: omitted
  std::string opaque;     // empty: omitted
  std::string qop;        // empty: omitted (then nc and cnonce are not sent)
  std::uint32_t nc = 0;   // nonce count, written as 8 hex digits

  std::string to_string() const;  // "Digest username=\"...\", ..."
};

// The value of an Authorization or Proxy-Authorization header (for inbound digest checks).
Result<DigestCredentials> parse_digest_credentials(std::string_view value);

}  // namespace va::sip
