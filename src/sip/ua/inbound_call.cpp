#include "sip/ua/inbound_call.hpp"

#include "common/log.hpp"
#include "sdp/offer_answer.hpp"
#include "sdp/serializer.hpp"
#include "sip/response.hpp"

namespace va::sip {
namespace {

bool has_sdp(const Message& m) {
  if (m.body().empty()) return false;
  auto type = m.content_type();
  return type && type->is("application", "sdp");
}

}  // namespace

InboundCall::InboundCall(CallHost& host, media::MediaThreads::Shard& shard, ServerTransactionHandle invite,
                         Dialog dialog, CallInfo info, std::string media_address)
    : SipCall(host, shard, std::move(info), std::move(media_address)), invite_(std::move(invite)) {
  key_ = dialog.id().key();
  if (invite_.flow().transport != TransportKind::udp) flow_ = invite_.flow();
  dialog_ = std::move(dialog);
}

void InboundCall::start() {
  if (!open_leg()) return reject(503, "No Media Ports");

  const auto& invite = invite_.request();
  session_timer_answer_ = answer_session_timer(invite, host_.options().session_timer);
  if (session_timer_answer_.too_small) {
    // RFC 4028 §8.1: the caller retries with our Min-SE.
    auto response = make_response(invite, 422, {}, dialog_->id().local_tag);
    response.add_header("Min-SE", std::to_string(session_timer_answer_.min_se));
    invite_.respond(std::move(response));
    host_.count("rejected");
    return finish(media::EndReason::rejected, 422, "Session Interval Too Small");
  }
  if (has_sdp(invite)) {
    std::string warning;
    auto answer = answer_offer(invite, warning);
    if (!answer) return reject(488, "Not Acceptable Here", warning);
    answer_sdp_ = std::move(*answer);
  } else {
    // Late offer (RFC 3264 §5, RFC 3261 §13.2.1): our offer goes in the 200, the answer comes in the ACK.
    auto offer = sdp::create_offer(caps_, local_session_);
    answer_sdp_ = sdp::serialize(offer);
    pending_offer_ = std::move(offer);
  }

  if (!start_handler(host_.handlers().make(info_.flow))) return reject(480, "Flow Not Available");
  if (state_ == State::setup) {
    // The handler answers later (or never: the ring flow): §13.3.1.1, tell the caller we are alerting.
    // The 180 carries our tag, which makes the dialog early on the caller's side (§12.1.1).
    respond_with_sdp(invite_, 180, {});
    log::info("sip: call ringing", {{"call_id", info_.call_id}, {"flow", info_.flow}});
  }
}

void InboundCall::on_handler_answer() {
  if (state_ != State::setup) return;
  state_ = State::answered;
  respond_with_sdp(invite_, 200, answer_sdp_, session_timer_answer_.echo,
                   session_timer_answer_.require_timer);
  arm_session_timer(session_timer_answer_.timer);
  host_.count("answered");
  log::info("sip: call answered",
            {{"call_id", info_.call_id}, {"flow", info_.flow}, {"dialed", info_.dialed}});
}

void InboundCall::reject(int status, std::string_view reason, std::string warning, media::EndReason end) {
  if (state_ != State::setup) return;
  auto response = make_response(invite_.request(), status, reason, dialog_->id().local_tag);
  if (!warning.empty()) {
    // RFC 3261 §20.43: 399 = miscellaneous warning; the text says what in the offer we could not accept.
    std::string quoted;
    for (char c : warning) quoted += (c == '"' || c == '\\') ? '\'' : c;
    response.add_header("Warning", "399 voice-agent \"" + quoted + "\"");
  }
  if (status == 503) response.add_header("Retry-After", "5");
  invite_.respond(std::move(response));
  host_.count(status == 488 ? "not_acceptable" : status == 503 ? "overloaded" : "rejected");
  log::info("sip: call refused", {{"call_id", info_.call_id}, {"status", status}, {"warning", warning}});
  finish(end, status, warning.empty() ? std::string(reason) : warning);
}

void InboundCall::hangup_before_established(media::EndReason reason, std::string detail) {
  (void)detail;
  // The handler gave up before answering: 503 while draining, else 480 Temporarily Unavailable.
  if (reason == media::EndReason::shutdown) return reject(503, "Service Unavailable", {}, reason);
  reject(480, "Temporarily Unavailable", {},
         reason == media::EndReason::local_hangup ? media::EndReason::rejected : reason);
}

void InboundCall::on_cancel(const ServerTransactionHandle& invite) {
  if (state_ != State::setup) return;  // the 200 went first: the caller will ACK and BYE (§9.2)
  invite.respond(487);
  host_.count("cancelled");
  log::info("sip: call cancelled by the caller", {{"call_id", info_.call_id}});
  finish(media::EndReason::cancelled, 487, "CANCEL");
}

void InboundCall::on_no_ack() {
  if (state_ != State::answered) return;
  // §13.3.1.4: no ACK for our 2xx within 64*T1 — the session ends with BYE.
  hangup(media::EndReason::error, "no ACK for 200");
}

}  // namespace va::sip
