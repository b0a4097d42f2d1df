// One outbound SIP call as its UAC places it (RFC 3261 §8.1, §13.2, §12.1.2, §22.2; RFC 4028 §7):
//   INVITE with our SDP offer (codecs as for inbound calls) → 100/180 (a tagged 1xx makes an early dialog),
//   183 with SDP = early media (the RTP leg starts on that answer), 2xx → the dialog is confirmed, ACK, the
//   handler hears on_answered and drives the leg as for an inbound call;
//   401/407 → the INVITE again with digest credentials (MD5 or SHA-256, qop=auth, CSeq + 1, same Call-ID
//   and From tag; each nonce answered once, uac_authentication.hpp);
//   422 → again with the peer's Min-SE (once);
//   3xx → the Contact targets in q order (at most kMaxRedirects, never a target twice);
//   the ring timeout → CANCEL, EndReason::no_answer; any other final non-2xx → EndReason::rejected with
//   its status; hangup() before the answer → CANCEL.
//
// Threading: everything but the constructor runs on the call's media thread (media_threads.hpp).
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "sip/ua/sip_call.hpp"
#include "sip/uac_authentication.hpp"

namespace va::sip {

// Everything the user agent decided for the call before handing it to its media thread.
struct OutboundCallSetup {
  Uri target;                // the Request-URI of the first INVITE
  Address from;              // with our tag
  Address to;                // the target, without tag
  Address local_contact;     //
  std::optional<Uri> proxy;  // outbound proxy: a preloaded Route (§8.1.2)
  std::optional<UacCredentials> credentials;
  std::chrono::milliseconds ring_timeout{60000};
};

class OutboundCall : public SipCall {
 public:
  static constexpr int kMaxRedirects = 5;

  OutboundCall(CallHost& host, media::MediaThreads::Shard& shard, CallInfo info, std::string media_address,
               OutboundCallSetup setup, std::unique_ptr<CallHandler> handler);

  void start();

 protected:
  void hangup_before_established(media::EndReason reason, std::string detail) override;
  std::string_view role() const override { return "outbound"; }
  bool answer_challenge(const Message& challenge, Message& retry) override;

 private:
  // Our INVITE to setup_.target with CSeq cseq_; with the credentials of the last one when
  // `keep_credentials`.
  Message build_invite(bool keep_credentials) const;
  static void copy_credentials(const Message& from, Message& to);
  void send_invite(Message request);
  void on_invite_response(const ClientResponse& response);
  void on_provisional(const Message& response);
  void on_success(const Message& response);
  void on_failure(const ClientResponse& response);
  bool follow_redirect(const Message& response);
  void on_ring_timeout();
  void cancel_invite(media::EndReason reason, std::string detail);

  OutboundCallSetup setup_;
  std::unique_ptr<CallHandler> pending_handler_;
  std::optional<UacAuthentication> auth_;
  std::optional<Message>
      invite_;  // the INVITE last sent (for the dialog, the auth retry and the ACK's credentials)
  std::uint32_t cseq_ = 1;
  ClientTransactionHandle invite_tx_;
  std::optional<sdp::SessionDescription> offer_;
  bool early_media_ = false;
  std::uint32_t session_expires_ = 0;
  bool retried_422_ = false;
  std::deque<Uri> redirect_targets_;
  std::set<std::string> visited_targets_;
  int redirects_ = 0;
  std::optional<media::EndReason> cancel_reason_;  // CANCEL sent: why
  std::string cancel_detail_;
  boost::asio::steady_timer ring_timer_;
};

}  // namespace va::sip
