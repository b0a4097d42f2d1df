// Inbound admission by trunk (implements InboundAdmission): which trunk a new INVITE came in on, and
// whether it may come in at all.
//
// Policy, in this order (the first rule that matches decides):
//  1. No trunk configured at all: every INVITE is admitted (trunk ""). A bare SIP endpoint for tests and
//     LiveKit bridge mode, with no carrier to protect.
//  2. The source address (the packet's, not Via or Contact, which anyone can write) lies in a static-IP
//     trunk's `allowed_addresses` (addresses and CIDR blocks, IPv4 and IPv6; IPv4-mapped IPv6 sources count
//     as IPv4): that trunk. Trunks are tried in configuration order.
//  3. The source address is one a register trunk's registrar or outbound proxy answered our REGISTER from,
//     or that its registrar / outbound_proxy name resolved to (learned at run time, kept for the process
//     lifetime): that register trunk. Calls arrive over the registration from the registrar or its proxy.
//  4. Anything else: 403 Forbidden (sip_calls_total{result="forbidden"}), with a log line naming the source.
// Then, when the chosen trunk has `inbound_auth` (username and password), the INVITE must carry digest
// credentials (RFC 3261 §22.2): without them, or with a nonce we did not issue for this source and Call-ID,
// it is answered 401 with two WWW-Authenticate challenges, MD5 first and SHA-256 second, qop="auth",
// stateless HMAC nonces (trunk_digest_nonce.hpp) valid for 5 minutes. MD5 comes first although RFC 8760
// §2.3 lists the preferred algorithm first: UACs that read only the first challenge, or the first
// "algorithm=" of all of them (SIPp 3.6), know MD5 only, and since either answer is accepted the order
// gains no security, only interoperability. A client that prefers SHA-256 picks the second. A genuine
// nonce older than its lifetime gets a new 401 with stale=true. A wrong username or response, a realm other
// than ours, an algorithm or qop we did not offer: 403 Forbidden. The response is compared in constant time.
//
// The loopback demo (scripts/demo) and the example configuration keep working by rule 2: its static-IP
// trunk allows 127.0.0.1/32, and SIPp calls from 127.0.0.1.
//
// Threading: admit() runs on the SIP strand; add_registrar_address() may be called from any thread.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.hpp"
#include "sip/inbound_admission.hpp"
#include "sip/trunk/trunk_address_range.hpp"
#include "sip/trunk/trunk_digest_nonce.hpp"

namespace va::sip {

struct TrunkAdmissionOptions {
  // The realm of our challenges: sip.public_address when set, else "voice-agent".
  std::string realm = "voice-agent";
  std::chrono::seconds nonce_lifetime{300};
};

class TrunkAdmission : public InboundAdmission {
 public:
  explicit TrunkAdmission(const std::vector<config::Trunk>& trunks, TrunkAdmissionOptions options = {});

  AdmissionDecision admit(const IncomingMessage& invite) override;
  // Rule 3: INVITEs from `address` belong to the register trunk `trunk`.
  void add_registrar_address(std::string_view trunk, const boost::asio::ip::address& address);

  // The challenge sent for an INVITE without valid credentials (exposed for tests).
  AdmissionDecision challenge(const IncomingMessage& invite, std::string_view trunk, bool stale) const;

 private:
  struct TrunkPolicy {
    std::string name;
    bool static_ip = false;
    std::vector<AddressRange> allowed;              // static_ip
    std::vector<boost::asio::ip::address> learned;  // register: registrar / proxy addresses
    std::string auth_username;                      // empty: no inbound digest
    std::string auth_password;
  };

  const TrunkPolicy* match(const boost::asio::ip::address& source) const;
  AdmissionDecision authenticate(const IncomingMessage& invite, const TrunkPolicy& trunk) const;

  // Refusal log lines: at most kRefusalLinesPerSecond, then one line saying how many were left out (a SIP
  // scanner must not flood the log).
  bool refusal_log_allowed(std::int64_t& suppressed);

  TrunkAdmissionOptions options_;
  DigestNonceIssuer nonces_;
  mutable std::mutex mutex_;  // guards TrunkPolicy::learned and the refusal log budget
  std::vector<TrunkPolicy> trunks_;
  std::chrono::steady_clock::time_point refusal_window_{};
  int refusal_lines_ = 0;
  std::int64_t refusals_suppressed_ = 0;
};

}  // namespace va::sip
