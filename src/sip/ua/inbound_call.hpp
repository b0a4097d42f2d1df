// One inbound SIP call as its UAS sees it (RFC 3261 §13.3, RFC 3264): it answers the INVITE as the handler
// decides (180 Ringing while the handler has not answered), takes the answer of a late offer from the ACK,
// refuses with 480/488/503, and ends on CANCEL (487) or a missing ACK. Everything once the dialog exists
// (in-dialog requests, hold, transfer, session timers, BYE) is SipCall's.
//
// Threading: everything but the constructor runs on the call's media thread (media_threads.hpp).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sip/ua/sip_call.hpp"

namespace va::sip {

class InboundCall : public SipCall {
 public:
  InboundCall(CallHost& host, media::MediaThreads::Shard& shard, ServerTransactionHandle invite,
              Dialog dialog, CallInfo info, std::string media_address);

  const DialogId& dialog_id() const { return dialog_->id(); }
  const Message& invite_request() const { return invite_.request(); }

  void start();
  void on_cancel(const ServerTransactionHandle& invite);
  void on_no_ack();

 protected:
  void on_handler_answer() override;
  void hangup_before_established(media::EndReason reason, std::string detail) override;
  std::string_view role() const override { return "inbound"; }

 private:
  void reject(int status, std::string_view reason, std::string warning = {},
              media::EndReason end = media::EndReason::rejected);

  ServerTransactionHandle invite_;
  std::string answer_sdp_;  // the SDP of our 200 to the INVITE
  SessionTimerAnswer session_timer_answer_;
};

}  // namespace va::sip
