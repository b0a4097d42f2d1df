#include "sip/ua/outbound_call.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "common/log.hpp"
#include "sdp/offer_answer.hpp"
#include "sdp/serializer.hpp"

namespace va::sip {
namespace {

namespace asio = boost::asio;

constexpr std::string_view kSdp = kSdpMediaType;

bool has_sdp(const Message& m) {
  if (m.body().empty()) return false;
  auto type = m.content_type();
  return type && type->is("application", "sdp");
}

double q_value(const Address& contact) {
  auto q = contact.params.get("q");
  if (!q) return 1.0;
  try {
    return std::stod(std::string(*q));
  } catch (const std::exception&) {
    return 0.0;
  }
}

}  // namespace

OutboundCall::OutboundCall(CallHost& host, media::MediaThreads::Shard& shard, CallInfo info,
                           std::string media_address, OutboundCallSetup setup,
                           std::unique_ptr<CallHandler> handler)
    : SipCall(host, shard, std::move(info), std::move(media_address)),
      setup_(std::move(setup)),
      pending_handler_(std::move(handler)),
      ring_timer_(shard.io) {
  key_ = info_.call_id + '\n' + std::string(setup_.from.tag().value_or(""));
  if (setup_.credentials) auth_.emplace(*setup_.credentials);
  session_expires_ = static_cast<std::uint32_t>(host.options().session_timer.expires.count());
  visited_targets_.insert(setup_.target.to_string());
}

void OutboundCall::start() {
  if (!open_leg()) {
    log::warn("sip: outbound call without a media port", {{"call_id", info_.call_id}});
    return finish(media::EndReason::error, 0, "no media port");
  }
  offer_ = sdp::create_offer(caps_, local_session_);
  if (!start_handler(std::move(pending_handler_))) return finish(media::EndReason::error, 0, "no handler");
  if (state_ != State::setup) return;  // the handler hung up in start(): no INVITE
  ring_timer_.expires_after(setup_.ring_timeout);
  std::weak_ptr<SipCall> weak = shared_from_this();
  ring_timer_.async_wait([weak](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    static_cast<OutboundCall&>(*self).on_ring_timeout();
  });
  send_invite(build_invite(false));
}

Message OutboundCall::build_invite(bool keep_credentials) const {
  auto request = Message::request("INVITE", setup_.target);
  if (setup_.proxy) {
    // §8.1.2: an outbound proxy is a preloaded route; ;lr keeps the Request-URI the target's.
    auto route = *setup_.proxy;
    route.params.set("lr");
    request.add_header("Route", "<" + route.to_string() + ">");
  }
  request.add_header("From", setup_.from.to_string());
  request.add_header("To", setup_.to.to_string());
  request.add_header("Call-ID", info_.call_id);
  request.add_header("CSeq", std::to_string(cseq_) + " INVITE");
  request.add_header("Contact", setup_.local_contact.to_string());
  add_capability_headers(request);
  add_session_timer_request_headers(request, session_expires_, host_.options().session_timer);
  request.set_body(sdp::serialize(*offer_), kSdp);
  if (keep_credentials && invite_) copy_credentials(*invite_, request);
  return request;
}

void OutboundCall::copy_credentials(const Message& from, Message& to) {
  for (const auto& header : from.headers()) {
    if (header.is("Authorization") || header.is("Proxy-Authorization")) to.add_header(header);
  }
}

void OutboundCall::send_invite(Message request) {
  invite_ = request;
  log::info("sip: sending INVITE", {{"call_id", info_.call_id},
                                    {"target", setup_.target.to_string()},
                                    {"cseq", static_cast<std::int64_t>(cseq_)},
                                    {"flow", info_.flow}});
  std::weak_ptr<SipCall> weak = shared_from_this();
  invite_tx_ = host_.send_request(
      std::move(request),
      [weak](const ClientResponse& response) {
        auto self = weak.lock();
        if (!self) return;
        asio::post(self->io(),
                   [self, response] { static_cast<OutboundCall&>(*self).on_invite_response(response); });
      },
      SendOptions{});
}

void OutboundCall::on_invite_response(const ClientResponse& response) {
  const auto& m = response.message;
  auto cseq = m.cseq();
  if (!cseq || cseq->number != cseq_) return;  // a straggler of an INVITE we replaced (auth, redirect)
  int status = m.status();
  if (status < 200) return on_provisional(m);
  if (status < 300) return on_success(m);
  on_failure(response);
}

void OutboundCall::on_provisional(const Message& response) {
  if (state_ != State::setup || response.status() == 100) return;
  auto to = response.to();
  bool tagged = to && to->tag() && !to->tag()->empty();
  if (tagged && !dialog_) {
    // §12.1.2: an early dialog; its requests (and the 2xx) may still change target and route set.
    auto dialog = Dialog::create_uac(*invite_, response, setup_.local_contact);
    if (dialog) dialog_ = std::move(*dialog);
  }
  log::info("sip: outbound call progress", {{"call_id", info_.call_id}, {"status", response.status()}});
  if (has_sdp(response)) {
    // Early media (RFC 3960 §3, the gateway model): the 18x answer starts the RTP leg now.
    if (auto problem = apply_answer(*offer_, response)) {
      log::warn("sip: unusable early media answer", {{"call_id", info_.call_id}, {"problem", *problem}});
    } else if (!early_media_) {
      early_media_ = true;
      log::info("sip: early media", {{"call_id", info_.call_id}, {"status", response.status()}});
    }
  }
}

void OutboundCall::on_success(const Message& response) {
  auto to = response.to();
  std::string remote_tag(to ? to->tag().value_or("") : std::string_view{});
  if (state_ != State::setup) {
    // Another 2xx: a retransmission the transaction layer did not absorb, or a fork. Our ACK goes to the
    // dialog we kept; a forked dialog is acknowledged and ended at once (§13.2.2.4).
    if (dialog_ && remote_tag == dialog_->id().remote_tag) return;
    auto fork = Dialog::create_uac(*invite_, response, setup_.local_contact);
    if (!fork) return;
    log::info("sip: ending a forked dialog", {{"call_id", info_.call_id}, {"remote_tag", remote_tag}});
    auto ack = fork->make_ack(cseq_);
    copy_credentials(*invite_, ack);
    invite_tx_.send_ack(std::move(ack));
    host_.send_bye(fork->make_request("BYE"), SendOptions{});
    return;
  }
  ring_timer_.cancel();
  if (dialog_ && dialog_->id().remote_tag == remote_tag) {
    if (!dialog_->confirm(response)) dialog_.reset();
  } else {
    dialog_.reset();
  }
  if (!dialog_) {
    auto dialog = Dialog::create_uac(*invite_, response, setup_.local_contact);
    if (!dialog) {
      // No dialog can be built (no To tag or Contact): nothing to ACK towards; give up on the call.
      log::warn("sip: unusable 2xx to our INVITE",
                {{"call_id", info_.call_id}, {"problem", dialog.error().to_string()}});
      return finish(media::EndReason::error, response.status(), "2xx without dialog");
    }
    dialog_ = std::move(*dialog);
  }
  host_.dialog_established(shared_from_this(), remote_tag);
  // §13.2.2.4: the ACK carries the INVITE's CSeq and credentials.
  auto ack = dialog_->make_ack(cseq_);
  copy_credentials(*invite_, ack);
  invite_tx_.send_ack(std::move(ack));

  if (cancel_reason_) {
    // The 2xx crossed our CANCEL (§9.1): the call exists, so it ends with BYE.
    state_ = State::confirmed;
    send_bye(*cancel_reason_, cancel_detail_);
    return finish(*cancel_reason_, 0, cancel_detail_);
  }
  std::optional<std::string> problem;
  if (has_sdp(response)) {
    problem = apply_answer(*offer_, response);
  } else if (!early_media_) {
    problem = "no SDP answer in the 2xx";
  }
  if (problem) {
    log::warn("sip: unusable SDP answer", {{"call_id", info_.call_id}, {"problem", *problem}});
    state_ = State::confirmed;
    send_bye(media::EndReason::error, *problem);
    return finish(media::EndReason::error, 0, *problem);
  }
  log::info("sip: outbound call answered", {{"call_id", info_.call_id}, {"status", response.status()}});
  arm_session_timer(host_.options().session_timer.enabled ? session_timer_from_2xx(response) : std::nullopt);
  confirmed();
}

void OutboundCall::on_failure(const ClientResponse& response) {
  const auto& m = response.message;
  int status = m.status();
  if (state_ != State::setup) return;
  if (cancel_reason_) {
    // 487 Request Terminated (or whatever the final status) after our CANCEL.
    ring_timer_.cancel();
    return finish(*cancel_reason_, status, cancel_detail_);
  }
  if (response.source != ResponseSource::network) {
    ring_timer_.cancel();
    log::warn("sip: outbound INVITE failed",
              {{"call_id", info_.call_id}, {"status", status}, {"reason", std::string(m.reason())}});
    return finish(media::EndReason::error, status,
                  response.source == ResponseSource::timeout ? "no response" : "transport error");
  }
  if ((status == 401 || status == 407) && auth_) {
    ++cseq_;
    auto retry = build_invite(true);
    std::string why;
    if (auth_->answer(m, retry, why)) {
      dialog_.reset();  // §12.1.2: only the response to the INVITE that succeeds makes the dialog
      log::info("sip: answering digest challenge", {{"call_id", info_.call_id}, {"status", status}});
      return send_invite(std::move(retry));
    }
    log::warn("sip: digest challenge not answered",
              {{"call_id", info_.call_id}, {"status", status}, {"why", why}});
  }
  if (status == 422 && !retried_422_) {
    // RFC 4028 §7.4: again with at least the peer's Min-SE.
    retried_422_ = true;
    if (auto min_se = min_se_of(m); min_se && *min_se > session_expires_) {
      session_expires_ = *min_se;
      ++cseq_;
      dialog_.reset();
      log::info("sip: 422, retrying with the peer's Min-SE",
                {{"call_id", info_.call_id}, {"session_expires", static_cast<std::int64_t>(*min_se)}});
      return send_invite(build_invite(true));
    }
  }
  if (status >= 300 && status < 400 && follow_redirect(m)) return;
  ring_timer_.cancel();
  log::info("sip: outbound call rejected",
            {{"call_id", info_.call_id}, {"status", status}, {"reason", std::string(m.reason())}});
  finish(media::EndReason::rejected, status, std::string(m.reason()));
}

bool OutboundCall::follow_redirect(const Message& response) {
  auto contacts = response.contacts();
  if (contacts && !contacts->wildcard) {
    auto sorted = contacts->addresses;
    // §8.1.3.4: try the targets in q order, highest first (stable for equal q).
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const Address& a, const Address& b) { return q_value(a) > q_value(b); });
    std::deque<Uri> fresh;
    for (const auto& contact : sorted) {
      if (!contact.uri.is_sip()) continue;
      if (!visited_targets_.insert(contact.uri.to_string()).second) continue;  // loop protection
      fresh.push_back(contact.uri);
    }
    // The targets of the newest redirect go first (they are closer to the callee).
    redirect_targets_.insert(redirect_targets_.begin(), fresh.begin(), fresh.end());
  }
  if (redirect_targets_.empty() || redirects_ >= kMaxRedirects) {
    log::info("sip: no redirect target left", {{"call_id", info_.call_id}, {"redirects", redirects_}});
    return false;
  }
  ++redirects_;
  setup_.target = redirect_targets_.front();
  redirect_targets_.pop_front();
  ++cseq_;
  dialog_.reset();
  early_media_ = false;
  log::info(
      "sip: following redirect",
      {{"call_id", info_.call_id}, {"status", response.status()}, {"target", setup_.target.to_string()}});
  send_invite(build_invite(false));  // credentials were for the previous target's realm
  return true;
}

bool OutboundCall::answer_challenge(const Message& challenge, Message& retry) {
  if (!auth_) return false;
  std::string why;
  if (auth_->answer(challenge, retry, why)) return true;
  log::warn("sip: in-dialog challenge not answered", {{"call_id", info_.call_id}, {"why", why}});
  return false;
}

void OutboundCall::on_ring_timeout() {
  if (state_ != State::setup) return;
  log::info("sip: outbound call not answered in time, cancelling",
            {{"call_id", info_.call_id},
             {"ring_timeout_ms", static_cast<std::int64_t>(setup_.ring_timeout.count())}});
  cancel_invite(media::EndReason::no_answer, "ring timeout");
}

void OutboundCall::hangup_before_established(media::EndReason reason, std::string detail) {
  if (!invite_) {
    // Nothing sent yet (the handler hung up in start(), or the user agent is shutting down).
    ring_timer_.cancel();
    return finish(reason, 0, std::move(detail));
  }
  cancel_invite(reason, std::move(detail));
}

void OutboundCall::cancel_invite(media::EndReason reason, std::string detail) {
  if (cancel_reason_) return;
  cancel_reason_ = reason;
  cancel_detail_ = std::move(detail);
  ring_timer_.cancel();
  // §9.1: CANCEL once a provisional response came (the transaction layer holds it until then); the INVITE
  // then ends with 487, or with a 2xx that crossed the CANCEL (then ACK + BYE).
  invite_tx_.cancel();
}

}  // namespace va::sip
