// The REGISTER client of a register-mode trunk (RFC 3261 §10.2): keeps one binding of our Contact at the
// trunk's registrar, so the carrier (e.g. an MTS Exolve SIP ID) delivers calls to us.
//
//   REGISTER sip:sip.exolve.ru SIP/2.0                        (via trunk.outbound_proxy when set, with
//                                                             Route: <sip:proxy;lr>, RFC 3261 §8.1.2)
//   From/To: <sip:88314...@sip.exolve.ru>                     (username @ registrar)
//   Call-ID: one per client and process lifetime (§10.2: the same for every refresh); CSeq increments
//   Contact: <sip:88314...@<our address>:<port>[;transport=tcp]>;expires=300[;+sip.instance="<urn:uuid:...>"]
//   Expires: 300
//
// - 401/407: answered by UacAuthentication (uac_authentication.hpp: MD5, SHA-256 or SHA-512/256 and their
//   -sess forms, qop=auth with a fresh cnonce, the strongest challenge of trunk.realm, any realm when that is
//   empty). Refreshes reuse the nonce with nc incremented (no extra round trip); a challenge with stale=true,
//   or one answering a reused nonce, is answered again with the new nonce; one answering credentials for a
//   fresh nonce means the password is wrong: a failure ("credentials rejected"). At most three challenges
//   an attempt.
// - 423 Interval Too Brief: retried at once with the registrar's Min-Expires.
// - 2xx: registered for the interval the registrar granted (our Contact's expires in the 2xx, else its
//   Expires header, else what we asked); refreshed per registration_refresh_delay (trunk_retry_schedule).
// - Anything else (a rejection, a timeout, a transport error, a registrar name that does not resolve) is a
//   failure: retried with exponential backoff per RetrySchedule, reported "failed" after
//   reconnect_attempts in a row, and retried at backoff_max forever after.
// - unregister(): REGISTER with Expires: 0 for our Contact (graceful shutdown), bounded in time.
//
// The Contact host is trunk-independent: sip.public_address when set, else the address of our listener for
// the trunk's transport, else (a wildcard listener) the local address the kernel routes towards the
// registrar. NAT traversal beyond public_address (RFC 5626 outbound, keep-alives per flow) is not done.
//
// Threading: everything runs on the transaction layer's strand; the status and peer callbacks too. The
// public functions may be called from any thread.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/metrics.hpp"
#include "sip/flow.hpp"
#include "sip/transaction_layer.hpp"
#include "sip/trunk/trunk_retry_schedule.hpp"

namespace va::sip {

enum class RegistrationState { unregistered, registering, registered, failed };
std::string_view to_string(RegistrationState state);

struct RegistrationStatus {
  RegistrationState state = RegistrationState::unregistered;
  int last_status = 0;  // the last final response (synthetic 408/503 included); 0: none yet
  std::string reason;   // "200 OK", "403 Forbidden", "cannot resolve sip.exolve.ru: Host not found", ...
  std::chrono::seconds expires{0};  // registered: the interval the registrar granted
  std::uint32_t consecutive_failures = 0;
  std::chrono::milliseconds retry_in{0};  // after a failure: the wait before the next attempt
};

struct RegistrationOptions {
  std::string trunk;      // for logs and metric labels
  std::string registrar;  // host name or IP literal: the Request-URI host and the AOR's domain
  std::uint16_t port = 5060;
  TransportKind transport = TransportKind::udp;
  std::string outbound_proxy;  // "host:port" ("[v6]:port"); empty: requests go to the registrar
  std::string username;
  std::string password;
  std::string realm;  // empty: answer a challenge of any realm
  std::chrono::seconds expires{300};
  RetrySchedule retry;
  std::string advertised_host;  // sip.public_address; empty: see the header comment
  std::string instance_id;      // "urn:uuid:..." sent as +sip.instance (RFC 5626 §4.1); empty: none
  std::string allow;            // the Allow header (§10.2: the methods the user agent takes); empty: none
  // How long unregister() waits for the registrar's answer to Expires: 0.
  std::chrono::milliseconds unregister_timeout{3000};
};

class RegistrationSession;

class RegistrationClient {
 public:
  using StatusHandler = std::function<void(const RegistrationStatus& status)>;
  // Every address a response to our REGISTER came from (the registrar or proxy, as the network sees it):
  // trunk admission accepts INVITEs from there.
  using PeerHandler = std::function<void(const boost::asio::ip::address& peer)>;

  // `layer` must be started (its listening points are read) and outlive the client; `metrics` may be
  // null. sip_register_requests_total{trunk,result} counts every final response (or failure to send).
  RegistrationClient(TransactionLayer& layer, RegistrationOptions options, StatusHandler on_status,
                     PeerHandler on_peer = {}, metrics::Registry* metrics = nullptr);
  ~RegistrationClient();  // stop()
  RegistrationClient(const RegistrationClient&) = delete;
  RegistrationClient& operator=(const RegistrationClient&) = delete;

  void start();
  // Removes our binding (REGISTER Expires: 0) when one may exist and stops; `done` runs on the strand once
  // the registrar answered, or unregister_timeout passed, or at once when there was nothing to remove.
  void unregister(std::function<void()> done);
  // No more requests or callbacks (an unregister in flight is abandoned).
  void stop();

 private:
  std::shared_ptr<RegistrationSession> session_;
};

}  // namespace va::sip
