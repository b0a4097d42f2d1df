// What inbound and outbound SIP calls share once a dialog exists (RFC 3261 §12-§15, RFC 3264, RFC 3515,
// RFC 4028): the dialog, the SDP offer/answer state, the RTP leg, the call handler (flow) that drives the
// leg, the in-dialog requests from the peer (BYE, re-INVITE, UPDATE, INFO, OPTIONS, NOTIFY), our own
// re-INVITEs (hold/unhold, session refresh) with glare handling (§14.1), blind transfer by REFER
// (call_transfer.cpp) and session timers (session_timer.hpp). InboundCall (UAS) and OutboundCall (UAC) add
// how the dialog is set up.
//
// The call is the media::CallLeg its handler sees: media goes to the RtpLeg, call control (answer, hangup,
// hold, transfer) comes here and becomes SIP.
//
// Threading: everything but the constructor runs on the call's media thread (media_threads.hpp), reached by
// asio::post from the SIP strand; the user agent's tables stay on the strand (CallHost says what the call
// may ask of them, from its own thread).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "media/call_leg.hpp"
#include "media/media_threads.hpp"
#include "sdp/local_session.hpp"
#include "sdp/media_capabilities.hpp"
#include "sdp/session_description.hpp"
#include "sip/transaction_user.hpp"
#include "sip/ua/call_handler.hpp"
#include "sip/ua/dialog.hpp"
#include "sip/ua/rtp_leg.hpp"
#include "sip/ua/rtp_port_allocator.hpp"
#include "sip/ua/session_timer.hpp"
#include "sip/ua/user_agent.hpp"

namespace va::sip {

class SipCall;

// What a call needs from its user agent. Callable from any thread.
class CallHost {
 public:
  virtual ~CallHost() = default;
  virtual const UserAgentOptions& options() const = 0;
  virtual const CallHandlerRegistry& handlers() const = 0;
  virtual RtpPortAllocator& ports() = 0;
  virtual RtpCounters rtp_counters() = 0;
  // sip_calls_total{result} (inbound calls)
  virtual void count(std::string_view result) = 0;
  // sip_outbound_calls_total{result}: answered, or why not (rejected, no_answer, cancelled, error, ...)
  virtual void count_outbound(std::string_view result) = 0;
  // A request of ours (in a dialog, or an outbound INVITE). `on_response` runs on the SIP strand.
  virtual ClientTransactionHandle send_request(Message request, ResponseHandler on_response,
                                               SendOptions options) = 0;
  // BYE: the user agent waits for it when draining.
  virtual void send_bye(Message bye, SendOptions options) = 0;
  // An outbound call's dialog got its remote tag (the 2xx): in-dialog requests from the peer match it.
  virtual void dialog_established(const std::shared_ptr<SipCall>& call, std::string remote_tag) = 0;
  // The call is over: remove it from the tables.
  virtual void call_ended(const std::shared_ptr<SipCall>& call) = 0;
};

class SipCall : public media::CallLeg, public std::enable_shared_from_this<SipCall> {
 public:
  // setup: INVITE in progress (inbound: not answered yet; outbound: no 2xx yet). answered: inbound 2xx sent,
  // waiting for the ACK. confirmed: both sides have the dialog.
  enum class State : std::uint8_t { setup, answered, confirmed, ended };

  SipCall(CallHost& host, media::MediaThreads::Shard& shard, CallInfo info, std::string media_address);
  ~SipCall() override;

  // The dialog table key (Call-ID and our tag): fixed from construction, readable from any thread.
  const std::string& key() const { return key_; }
  boost::asio::io_context& io() { return shard_.io; }

  void on_in_dialog_request(const ServerTransactionHandle& transaction);
  void on_ack(const Message& ack);
  // Ends the call from our side: BYE when established, else refuse / CANCEL (the subclass decides).
  void hangup(media::EndReason reason, std::string detail);

  // media::CallLeg, for the handler.
  std::string_view id() const override { return info_.call_id; }
  void set_observer(media::CallLegObserver* observer) override;
  void answer() override { on_handler_answer(); }
  void hangup(media::EndReason reason = media::EndReason::local_hangup) override {
    hangup(reason, std::string(media::to_string(reason)));
  }
  void transfer(const std::string& target) override;
  void hold(bool on) override;
  bool send_audio(const media::AudioFrame& frame) override { return leg_ && leg_->send_audio(frame); }
  void flush_audio() override {
    if (leg_) leg_->flush_audio();
  }
  std::size_t queued_audio_frames() const override { return leg_ ? leg_->queued_audio_frames() : 0; }
  void send_dtmf(char digit, std::chrono::milliseconds duration) override {
    if (leg_) leg_->send_dtmf(digit, duration);
  }
  media::MediaStats stats() const override { return leg_ ? leg_->stats() : media::MediaStats{}; }

 protected:
  // Subclass hooks.
  virtual void on_handler_answer() {}
  // hangup() before the dialog is established.
  virtual void hangup_before_established(media::EndReason reason, std::string detail) = 0;
  virtual std::string_view role() const = 0;  // "inbound" / "outbound", for logs

  // Opens the RTP leg and fills caps_ (codecs, SRTP keys, address, port). False: no media port.
  bool open_leg();
  // Creates the handler, makes this call its leg, and starts it.
  bool start_handler(std::unique_ptr<CallHandler> handler);
  // The peer's SDP offer in `request`: our answer (the leg is updated) or nullopt and `warning`.
  std::optional<std::string> answer_offer(const Message& request, std::string& warning);
  // The peer's answer to `offer`: applied to the leg, or the problem.
  std::optional<std::string> apply_answer(const sdp::SessionDescription& offer, const Message& message);
  void respond_with_sdp(const ServerTransactionHandle& transaction, int status, const std::string& sdp,
                        const std::optional<SessionExpires>& session_expires = std::nullopt,
                        bool require_timer = false);
  // Our requests in the dialog: final responses come back on this thread. A 401/407 is answered once
  // with credentials when the call has them (answer_challenge), as a new request with the next CSeq;
  // `handle` (optional) then follows the retry's transaction.
  void send_in_dialog(Message request, std::function<void(const ClientResponse&)> on_response,
                      ClientTransactionHandle* handle = nullptr);
  // Adds credentials answering `challenge` (401/407) to `retry`; false when the call has none to give.
  virtual bool answer_challenge(const Message& challenge, Message& retry) {
    (void)challenge;
    (void)retry;
    return false;
  }
  SendOptions send_options() const;
  void send_bye(media::EndReason reason, std::string_view detail);
  void finish(media::EndReason reason, int sip_status, std::string detail);
  // The dialog is confirmed (ACK received / sent): the handler hears on_answered.
  void confirmed();
  // Runs the negotiated session timer (nullopt: none).
  void arm_session_timer(std::optional<SessionTimer> timer);
  // Adds Supported, Allow and our User-Agent style headers common to our INVITEs.
  static void add_capability_headers(Message& message);

  CallHost& host_;
  media::MediaThreads::Shard& shard_;
  CallInfo info_;
  std::string key_;
  std::string media_address_;
  std::optional<Dialog> dialog_;
  std::optional<Flow> flow_;  // the connection the dialog's requests use (TCP/TLS), nullopt for UDP
  sdp::LocalSession local_session_;
  sdp::MediaCapabilities caps_;
  std::optional<sdp::SessionDescription> pending_offer_;  // our offer awaiting the ACK's answer
  std::shared_ptr<RtpLeg> leg_;
  std::unique_ptr<CallHandler> handler_;
  media::CallLegObserver* observer_ = nullptr;
  State state_ = State::setup;

 private:
  void on_peer_offer_request(const ServerTransactionHandle& transaction);  // re-INVITE, UPDATE
  void on_in_dialog_response(const Message& sent, const ClientResponse& response,
                             const std::function<void(const ClientResponse&)>& on_response,
                             ClientTransactionHandle* handle);
  void on_notify(const ServerTransactionHandle& transaction);  // call_transfer.cpp
  void send_reinvite();
  void on_reinvite_response(const ClientResponse& response, const sdp::SessionDescription& offer, bool hold);
  void retry_reinvite_later();
  void on_session_timer();
  void wait_session_timer(std::chrono::milliseconds wait);
  void on_refer_response(const ClientResponse& response);  // call_transfer.cpp
  void transfer_done(int status);                          // call_transfer.cpp

  // Our re-INVITE (hold/unhold, session refresh).
  bool reinvite_in_flight_ = false;
  bool reinvite_wanted_ = false;  // another one once the current one completes (or after the 491 delay)
  bool want_hold_ = false;
  bool held_ = false;
  ClientTransactionHandle reinvite_;
  std::optional<Message> reinvite_request_;  // as last sent (its credentials go into the ACK)
  boost::asio::steady_timer glare_timer_;

  // RFC 4028.
  std::optional<SessionTimer> session_timer_;
  bool refresh_sent_ = false;
  boost::asio::steady_timer session_timer_wait_;

  // RFC 3515: one transfer at a time; its implicit subscription lives until a final NOTIFY.
  struct Transfer {
    std::string target;
    bool accepted = false;  // 202 received
    int last_status = 0;
  };
  std::optional<Transfer> transfer_;

  friend class UserAgentCore;
};

}  // namespace va::sip
