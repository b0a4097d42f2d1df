// One inbound SIP call as its UAS sees it (RFC 3261 §12-§15, RFC 3264): the dialog, the SDP offer/answer
// state, the RTP leg and the call handler (flow) that drives the leg. It answers the INVITE as the handler
// decides, takes the answer of a late offer from the ACK, answers re-INVITE/UPDATE (hold/unhold, new SDP),
// INFO DTMF, OPTIONS and BYE in the dialog, and hangs up with BYE.
//
// Threading: everything but the constructor runs on the call's media thread (media_threads.hpp), reached by
// asio::post from the SIP strand; the user agent's tables stay on the strand (InboundCallHost says what the
// call may ask of them, from its own thread).
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "media/call_leg.hpp"
#include "sdp/local_session.hpp"
#include "sdp/media_capabilities.hpp"
#include "sdp/session_description.hpp"
#include "sip/call_handler.hpp"
#include "sip/dialog.hpp"
#include "sip/media_threads.hpp"
#include "sip/rtp_leg.hpp"
#include "sip/rtp_port_allocator.hpp"
#include "sip/transaction_user.hpp"
#include "sip/user_agent.hpp"

namespace va::sip {

inline constexpr std::string_view kAllowedMethods = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE";
inline constexpr std::string_view kSdpMediaType = "application/sdp";

class InboundCall;

// What a call needs from its user agent. Callable from any thread.
class InboundCallHost {
 public:
  virtual ~InboundCallHost() = default;
  virtual const UserAgentOptions& options() const = 0;
  virtual const CallHandlerRegistry& handlers() const = 0;
  virtual RtpPortAllocator& ports() = 0;
  virtual RtpCounters rtp_counters() = 0;
  // sip_calls_total{result}
  virtual void count(std::string_view result) = 0;
  virtual void send_bye(Message bye, const Flow& flow) = 0;
  // The call is over: remove it from the tables.
  virtual void call_ended(const std::shared_ptr<InboundCall>& call) = 0;
};

// One inbound call. Everything but the constructor runs on the call's media thread.
class InboundCall : public std::enable_shared_from_this<InboundCall> {
 public:
  enum class State : std::uint8_t { incoming, answered, confirmed, ended };

  InboundCall(InboundCallHost& ua, MediaThreads::Shard& shard, ServerTransactionHandle invite, Dialog dialog,
              InboundCallInfo info, std::string media_address)
      : ua_(ua),
        shard_(shard),
        invite_(std::move(invite)),
        dialog_(std::move(dialog)),
        info_(std::move(info)),
        media_address_(std::move(media_address)),
        local_session_(sdp::new_session_id()) {}

  const DialogId& id() const { return dialog_.id(); }
  const Message& invite_request() const { return invite_.request(); }
  boost::asio::io_context& io() { return shard_.io; }

  void start();
  void on_in_dialog_request(const ServerTransactionHandle& transaction);
  void on_ack(const Message& ack);
  void on_cancel(const ServerTransactionHandle& invite);
  void on_no_ack();
  void hangup(media::EndReason reason, std::string detail);

 private:
  void answer();
  void reject(int status, std::string_view reason, std::string warning = {},
              media::EndReason end = media::EndReason::rejected);
  void send_bye(media::EndReason reason, std::string_view detail);
  void finish(media::EndReason reason, int sip_status, std::string detail);
  void respond_with_sdp(const ServerTransactionHandle& transaction, int status, const std::string& sdp);
  // The SDP of a request: an answer to send (200) or the reason for a 488.
  std::optional<std::string> answer_offer(const Message& request, std::string& warning);

  InboundCallHost& ua_;
  MediaThreads::Shard& shard_;
  ServerTransactionHandle invite_;
  Dialog dialog_;
  InboundCallInfo info_;
  std::string media_address_;
  sdp::LocalSession local_session_;
  sdp::MediaCapabilities caps_;
  std::optional<sdp::SessionDescription> pending_offer_;  // our offer awaiting the ACK's answer
  std::string answer_sdp_;                                // the SDP of our 200 to the INVITE
  std::shared_ptr<RtpLeg> leg_;
  std::unique_ptr<CallHandler> handler_;
  State state_ = State::incoming;
};

}  // namespace va::sip
