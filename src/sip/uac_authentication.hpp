// A UAC answering digest challenges (RFC 3261 §22.2, §22.3; RFC 7616; RFC 8760): a 401 (WWW-Authenticate)
// or 407 (Proxy-Authenticate) to a request of ours becomes credentials for its retry (same Call-ID and From
// tag, CSeq + 1, done by the caller). Of several challenges the strongest algorithm we speak wins
// (SHA-256 over MD5, RFC 8760 §2.4); qop=auth is preferred (digest.hpp).
//
// Loop protection: each nonce is answered at most once by a retry. A second challenge with a nonce we
// already answered means the credentials were refused, unless it says stale=true (RFC 7616 §3.3: the nonce
// expired, the credentials were right). The nonce count goes up each time a nonce is reused for a later
// request of the dialog (RFC 7616 §3.4).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "sip/digest_challenge.hpp"
#include "sip/message.hpp"

namespace va::sip {

struct UacCredentials {
  std::string username;
  std::string password;
};

class UacAuthentication {
 public:
  explicit UacAuthentication(UacCredentials credentials) : credentials_(std::move(credentials)) {}

  // For a 401/407: adds Authorization / Proxy-Authorization to `retry` (the request to send next, built by
  // the caller with its final Request-URI and body) and returns true; false when the response cannot or must
  // not be answered (no usable challenge, or a repeated nonce without stale=true). `why` says which.
  bool answer(const Message& response, Message& retry, std::string& why);

 private:
  UacCredentials credentials_;
  std::map<std::string, std::uint32_t> nonce_counts_;  // nonce → the nc last sent with it
};

}  // namespace va::sip
