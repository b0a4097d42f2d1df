// Stateless nonces for the inbound digest challenge of a trunk (trunk.inbound_auth): the server keeps no
// table of issued nonces, so a flood of unauthenticated INVITEs costs no memory.
//
//   nonce = 16 hex digits of the issue time (Unix seconds) || 64 hex digits of
//           HMAC-SHA256(key, time || ":" || binding)
//
// The binding ties a nonce to what the retried request must repeat: trunk_admission binds it to the source
// address and the Call-ID (RFC 3261 §22.2: a UAC retries with the same Call-ID), so credentials captured
// from one call cannot be replayed for another call or from another address. The key is random per process:
// after a restart every nonce is unknown and the client is simply challenged again. Verification recomputes
// the MAC and compares in constant time; a genuine nonce older than the lifetime is "stale" (RFC 2617
// §3.2.1 stale=true: the client retries with the new nonce without asking its user again).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace va::sip {

enum class NonceCheck { valid, stale, invalid };

class DigestNonceIssuer {
 public:
  // An empty key: 32 random bytes from OpenSSL's CSPRNG.
  explicit DigestNonceIssuer(std::chrono::seconds lifetime = std::chrono::seconds(300), std::string key = {});

  std::string issue(std::string_view binding, std::chrono::system_clock::time_point now) const;
  // invalid: not issued by this key for this binding (or malformed, or dated in the future by more than a
  // few seconds of clock step); stale: genuine but older than the lifetime.
  NonceCheck check(std::string_view nonce, std::string_view binding,
                   std::chrono::system_clock::time_point now) const;

  std::chrono::seconds lifetime() const { return lifetime_; }

 private:
  std::string mac_hex(std::string_view time_hex, std::string_view binding) const;

  std::chrono::seconds lifetime_;
  std::string key_;
};

}  // namespace va::sip
