// A UAC answering digest challenges (RFC 3261 §22.2, §22.3, §22.4; RFC 7616; RFC 8760): a 401
// (WWW-Authenticate) or 407 (Proxy-Authenticate) to a request of ours becomes credentials for its retry (same
// Call-ID and From tag, CSeq + 1, done by the caller). Of several challenges the strongest algorithm we speak
// wins (SHA-256 over MD5, RFC 8760 §2.4); qop=auth is preferred (digest.hpp). Used by outbound calls (INVITE
// and in-dialog requests) and by the trunks' REGISTER client.
//
// Refusal, so that wrong credentials never make us loop:
//   - each nonce is answered at most once by a retry: the same nonce challenged again means the credentials
//     were refused, unless it says stale=true (RFC 7616 §3.3: the nonce expired, the credentials were right);
//   - credentials computed for a nonce at its first use (nc=1) challenged again in the same realm without
//     stale=true were refused too, whatever the new nonce (registrars hand out a fresh nonce per challenge).
// Reuse: authorize() puts credentials for the last answered challenge on a later request with the next
// nonce count (RFC 3261 §22.4, RFC 7616 §3.4.5), e.g. a REGISTER refresh, so it is not challenged again.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "sip/digest_challenge.hpp"
#include "sip/message.hpp"

namespace va::sip {

struct UacCredentials {
  std::string username;
  std::string password;
  std::string realm = {};  // empty: answer a challenge of any realm
};

class UacAuthentication {
 public:
  explicit UacAuthentication(UacCredentials credentials) : credentials_(std::move(credentials)) {}

  // For a 401/407: adds Authorization / Proxy-Authorization to `retry` and returns true; false when the
  // response cannot or must not be answered (no usable challenge, a realm other than the configured one, or
  // refused credentials), with `why` saying which and refused() telling the last case apart. `retry` is the
  // request to send next with its final Request-URI and body, and still carrying the credentials, if any,
  // of the request that was challenged (they are how a refusal of a fresh nonce is recognised).
  bool answer(const Message& response, Message& retry, std::string& why);

  // Adds credentials for the last challenge answered, with the next nonce count, to a new request; false
  // when there is none. The request must have its final Request-URI and body.
  bool authorize(Message& request);

  // The challenge last answered (for logs); null before the first.
  const DigestChallenge* last_challenge() const { return last_ ? &last_->challenge : nullptr; }

  // Whether the last answer() that failed did so because the server refused the credentials.
  bool refused() const { return refused_; }

  // Drops the remembered challenge and the nonces answered (a new registration attempt starts clean).
  void forget();

 private:
  struct Remembered {
    DigestChallenge challenge;
    bool proxy = false;
  };

  bool add_credentials(const DigestChallenge& challenge, bool proxy, std::uint32_t nc, Message& request);
  std::uint32_t* nonce_count(const std::string& nonce);

  UacCredentials credentials_;
  // nonce → the nc last sent with it; the newest few only (a registration lives for months, one nonce a
  // refresh at most).
  std::deque<std::pair<std::string, std::uint32_t>> nonce_counts_;
  std::optional<Remembered> last_;
  bool refused_ = false;
};

}  // namespace va::sip
