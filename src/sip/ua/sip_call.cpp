#include "sip/ua/sip_call.hpp"

#include <boost/asio/post.hpp>
#include <random>

#include "common/log.hpp"
#include "media/srtp_session.hpp"
#include "sdp/offer_answer.hpp"
#include "sdp/parser.hpp"
#include "sdp/serializer.hpp"
#include "sip/response.hpp"
#include "sip/ua/request_bodies.hpp"

namespace va::sip {
namespace {

namespace asio = boost::asio;

constexpr std::string_view kAllow = kAllowedMethods;
constexpr std::string_view kSdp = kSdpMediaType;

bool has_sdp(const Message& m) {
  if (m.body().empty()) return false;
  auto type = m.content_type();
  return type && type->is("application", "sdp");
}

}  // namespace

SipCall::SipCall(CallHost& host, media::MediaThreads::Shard& shard, CallInfo info, std::string media_address)
    : host_(host),
      shard_(shard),
      info_(std::move(info)),
      media_address_(std::move(media_address)),
      local_session_(sdp::new_session_id()),
      glare_timer_(shard.io),
      session_timer_wait_(shard.io) {
  info_.executor = shard_.io.get_executor();
}

SipCall::~SipCall() = default;

void SipCall::set_observer(media::CallLegObserver* observer) {
  observer_ = observer;
  if (leg_) leg_->set_observer(observer);
}

bool SipCall::open_leg() {
  const auto& options = host_.options();
  RtpLegOptions leg_options;
  leg_options.local_address = options.media_bind_address;
  leg_options.media_timeout = options.media_timeout;
  leg_ = RtpLeg::open(shard_.io.get_executor(), *shard_.clock, host_.ports(), leg_options, info_.call_id);
  if (!leg_) return false;
  leg_->set_counters(host_.rtp_counters());
  caps_ = sdp::media_capabilities(options.codecs, options.srtp);
  if (options.srtp != config::SrtpMode::off) {
    // Fresh keys per call (RFC 4568 §6.1), one per suite, the stronger tag first.
    for (auto suite :
         {media::SrtpSuite::aes_cm_128_hmac_sha1_80, media::SrtpSuite::aes_cm_128_hmac_sha1_32}) {
      auto key = media::generate_srtp_key(suite);
      caps_.srtp_keys.push_back(
          {std::string(media::to_string(suite)), {key.key_salt.begin(), key.key_salt.end()}});
    }
  }
  if (media_address_.find(':') != std::string::npos) {
    caps_.ipv6_address = media_address_;
  } else {
    caps_.ipv4_address = media_address_;
  }
  caps_.port = leg_->local_port();
  std::weak_ptr<SipCall> weak = shared_from_this();
  leg_->set_control({[weak] {
                       if (auto self = weak.lock()) self->on_handler_answer();
                     },
                     [weak](media::EndReason reason, std::string detail) {
                       if (auto self = weak.lock()) self->hangup(reason, std::move(detail));
                     }});
  return true;
}

bool SipCall::start_handler(std::unique_ptr<CallHandler> handler) {
  handler_ = std::move(handler);
  if (!handler_) return false;
  set_observer(handler_.get());
  handler_->start(*this, info_);
  return true;
}

std::optional<std::string> SipCall::answer_offer(const Message& request, std::string& warning) {
  auto parsed = sdp::parse(request.body());
  if (!parsed.ok()) {
    warning = "SDP: " + parsed.error->to_string();
    return std::nullopt;
  }
  auto result = sdp::create_answer(parsed.description, caps_, local_session_);
  if (!result.ok()) {
    warning = result.rejection->to_string();
    return std::nullopt;
  }
  if (auto error = leg_->apply(result.media)) {
    warning = *error;
    return std::nullopt;
  }
  return sdp::serialize(result.description);
}

std::optional<std::string> SipCall::apply_answer(const sdp::SessionDescription& offer,
                                                 const Message& message) {
  if (!has_sdp(message)) return "no SDP answer to our offer";
  auto parsed = sdp::parse(message.body());
  if (!parsed.ok()) return "SDP: " + parsed.error->to_string();
  auto answer = sdp::process_answer(offer, parsed.description, caps_);
  if (!answer.ok()) return answer.error->to_string();
  return leg_->apply(answer.media);
}

void SipCall::add_capability_headers(Message& message) {
  message.set_header("Allow", std::string(kAllow));
  message.set_header("Supported", std::string(kSupportedOptions));
}

void SipCall::respond_with_sdp(const ServerTransactionHandle& transaction, int status, const std::string& sdp,
                               const std::optional<SessionExpires>& session_expires, bool require_timer) {
  auto response = make_response(transaction.request(), status, {}, dialog_->id().local_tag);
  if (transaction.request().method() == Method::invite) {
    Dialog::add_dialog_headers(transaction.request(), dialog_->local_contact(), response);
  } else {
    response.add_header("Contact", dialog_->local_contact().to_string());
  }
  add_capability_headers(response);
  if (session_expires) response.add_header("Session-Expires", session_expires->to_string());
  if (require_timer) response.add_header("Require", "timer");
  if (!sdp.empty()) response.set_body(sdp, kSdp);
  transaction.respond(std::move(response));
}

SendOptions SipCall::send_options() const {
  SendOptions options;
  if (flow_) options.flow = *flow_;
  return options;
}

void SipCall::send_in_dialog(Message request, std::function<void(const ClientResponse&)> on_response,
                             ClientTransactionHandle* handle) {
  if (request.method() == Method::invite) reinvite_request_ = request;
  std::weak_ptr<SipCall> weak = shared_from_this();
  auto sent = request;  // the layer adds its Via to its own copy; a retry starts from ours
  auto tx = host_.send_request(
      std::move(request),
      [weak, on_response, sent = std::move(sent), handle](const ClientResponse& response) {
        if (response.message.status() < 200) return;
        auto self = weak.lock();
        if (!self) return;
        asio::post(self->io(), [self, on_response, sent, handle, response] {
          self->on_in_dialog_response(sent, response, on_response, handle);
        });
      },
      send_options());
  if (handle) *handle = tx;
}

void SipCall::on_in_dialog_response(const Message& sent, const ClientResponse& response,
                                    const std::function<void(const ClientResponse&)>& on_response,
                                    ClientTransactionHandle* handle) {
  int status = response.message.status();
  if ((status == 401 || status == 407) && response.source == ResponseSource::network && dialog_ &&
      state_ != State::ended) {
    // §22.2: the same request again with credentials, as a new transaction with the next CSeq.
    auto retry = sent;
    retry.set_header("CSeq",
                     std::to_string(dialog_->next_local_cseq()) + " " + std::string(sent.method_name()));
    if (answer_challenge(response.message, retry)) {
      log::info(
          "sip: answering a challenge in the dialog",
          {{"call_id", info_.call_id}, {"method", std::string(sent.method_name())}, {"status", status}});
      return send_in_dialog(std::move(retry), on_response, handle);
    }
  }
  on_response(response);
}

void SipCall::hangup(media::EndReason reason, std::string detail) {
  switch (state_) {
    case State::setup:
      return hangup_before_established(reason, std::move(detail));
    case State::answered:
    case State::confirmed:
      send_bye(reason, detail);
      return finish(reason, 0, std::move(detail));
    case State::ended:
      return;
  }
}

void SipCall::send_bye(media::EndReason reason, std::string_view detail) {
  if (!dialog_) return;
  auto bye = dialog_->make_request("BYE");
  // RFC 3326: why we hang up, for the peer's logs (Q.850 16 = normal clearing).
  bye.add_header("Reason", "Q.850;cause=16;text=\"" + std::string(media::to_string(reason)) + "\"");
  log::info("sip: sending BYE", {{"call_id", info_.call_id},
                                 {"reason", std::string(media::to_string(reason))},
                                 {"detail", std::string(detail)}});
  host_.send_bye(std::move(bye), send_options());
}

void SipCall::finish(media::EndReason reason, int sip_status, std::string detail) {
  if (state_ == State::ended) return;
  if (role() == "outbound") {
    bool was_answered = state_ == State::answered || state_ == State::confirmed;
    host_.count_outbound(was_answered ? std::string_view("answered") : media::to_string(reason));
  }
  state_ = State::ended;
  glare_timer_.cancel();
  session_timer_wait_.cancel();
  observer_ = nullptr;
  if (leg_) leg_->end({reason, sip_status, detail});
  log::info("sip: call ended", {{"call_id", info_.call_id},
                                {"direction", std::string(role())},
                                {"reason", std::string(media::to_string(reason))},
                                {"status", sip_status},
                                {"detail", detail}});
  host_.call_ended(shared_from_this());
}

void SipCall::confirmed() {
  if (state_ == State::ended) return;
  state_ = State::confirmed;
  if (observer_) observer_->on_answered();
  if (reinvite_wanted_) send_reinvite();
}

void SipCall::on_ack(const Message& ack) {
  if (state_ != State::answered && state_ != State::confirmed) return;
  if (pending_offer_) {
    auto offer = std::move(*pending_offer_);
    pending_offer_.reset();
    if (auto problem = apply_answer(offer, ack)) {
      // §13.3.1.4 / RFC 3264: the dialog exists but the media cannot; end it with BYE.
      log::warn("sip: unusable SDP answer in ACK", {{"call_id", info_.call_id}, {"problem", *problem}});
      if (state_ == State::answered) return hangup(media::EndReason::error, *problem);
    }
  }
  if (state_ == State::answered) confirmed();
}

void SipCall::on_in_dialog_request(const ServerTransactionHandle& transaction) {
  const auto& request = transaction.request();
  if (state_ == State::ended || !dialog_) {
    transaction.respond(481);
    return;
  }
  if (dialog_->check_remote_cseq(request) == RemoteCSeqCheck::out_of_order) {
    transaction.respond(500, "CSeq Out of Order");
    return;
  }
  switch (request.method()) {
    case Method::bye:
      transaction.respond(200);
      log::info("sip: BYE from the peer", {{"call_id", info_.call_id}});
      finish(media::EndReason::remote_hangup, 0, "BYE");
      return;
    case Method::invite:
    case Method::update:
      return on_peer_offer_request(transaction);
    case Method::notify:
      return on_notify(transaction);
    case Method::info: {
      auto type = request.content_type();
      if (!request.body().empty() && type && type->is("application", "dtmf-relay")) {
        if (auto dtmf = parse_dtmf_relay(request.body()); dtmf && leg_) {
          leg_->receive_info_dtmf(dtmf->digit, dtmf->duration);
        }
        transaction.respond(200);
      } else if (request.body().empty()) {
        transaction.respond(200);  // an empty INFO is a keep-alive probe
      } else {
        transaction.respond(415);
      }
      return;
    }
    case Method::options: {
      auto response = make_response(request, 200, {}, dialog_->id().local_tag);
      add_capability_headers(response);
      response.add_header("Accept", std::string(kSdp));
      transaction.respond(std::move(response));
      return;
    }
    default: {
      auto response = make_response(request, 405, {}, dialog_->id().local_tag);
      response.add_header("Allow", std::string(kAllow));
      transaction.respond(std::move(response));
      return;
    }
  }
}

void SipCall::on_peer_offer_request(const ServerTransactionHandle& transaction) {
  const auto& request = transaction.request();
  bool invite = request.method() == Method::invite;
  if ((invite || has_sdp(request)) && (pending_offer_ || reinvite_in_flight_)) {
    // RFC 3261 §14.2 / RFC 3311 §5.2 / RFC 3264 §4: an offer of ours is outstanding (glare); the peer
    // retries later. An UPDATE without SDP (a session refresh) is no offer and goes through.
    log::info("sip: re-INVITE glare, answering 491", {{"call_id", info_.call_id}});
    transaction.respond(491);
    return;
  }
  auto timer = answer_session_timer(request, host_.options().session_timer);
  if (timer.too_small) {
    // RFC 4028 §8.1: too short an interval for us.
    auto response = make_response(request, 422, {}, dialog_->id().local_tag);
    response.add_header("Min-SE", std::to_string(timer.min_se));
    transaction.respond(std::move(response));
    return;
  }
  dialog_->refresh_target(request);
  std::string sdp;
  if (!has_sdp(request)) {
    if (invite) {
      // re-INVITE without SDP: we offer (the same media again), the answer comes in the ACK.
      auto offer = sdp::create_offer(caps_, local_session_);
      sdp = sdp::serialize(offer);
      pending_offer_ = std::move(offer);
    }
  } else {
    std::string warning;
    auto answer = answer_offer(request, warning);
    if (!answer) {
      // §14.2: a refused re-offer leaves the session as it was.
      auto response = make_response(request, 488, {}, dialog_->id().local_tag);
      response.add_header("Warning", "399 voice-agent \"" + warning + "\"");
      transaction.respond(std::move(response));
      return;
    }
    sdp = std::move(*answer);
  }
  respond_with_sdp(transaction, 200, sdp, timer.echo, timer.require_timer);
  // RFC 4028 §10: any refresh restarts the timer; one without Session-Expires turns it off.
  arm_session_timer(timer.timer);
}

// ---------------------------------------------------------------------------------------------------------
// Our re-INVITE: hold/unhold (RFC 3264 §8.4) and session refresh (RFC 4028 §7.4).

void SipCall::hold(bool on) {
  if (state_ == State::ended) return;
  want_hold_ = on;
  log::info("sip: hold requested", {{"call_id", info_.call_id}, {"hold", on}});
  if (state_ != State::confirmed || reinvite_in_flight_ || pending_offer_ ||
      glare_timer_.expiry() > std::chrono::steady_clock::now()) {
    reinvite_wanted_ = true;  // sent once the dialog is confirmed / the current exchange is over
    return;
  }
  send_reinvite();
}

void SipCall::send_reinvite() {
  reinvite_wanted_ = false;
  if (state_ != State::confirmed || !dialog_) return;
  bool hold = want_hold_;
  caps_.direction = hold ? sdp::Direction::sendonly : sdp::Direction::sendrecv;
  auto offer = sdp::create_offer(caps_, local_session_);
  auto request = dialog_->make_request("INVITE");
  add_capability_headers(request);
  if (session_timer_) {
    // We keep refreshing: as the UAC of this re-INVITE that is refresher=uac (RFC 4028 §7.4).
    add_session_timer_request_headers(request, static_cast<std::uint32_t>(session_timer_->interval.count()),
                                      host_.options().session_timer,
                                      session_timer_->we_refresh ? Refresher::uac : Refresher::uas);
  }
  request.set_body(sdp::serialize(offer), kSdp);
  reinvite_in_flight_ = true;
  log::info("sip: sending re-INVITE", {{"call_id", info_.call_id}, {"hold", hold}});
  send_in_dialog(
      std::move(request),
      [this, offer, hold](const ClientResponse& response) { on_reinvite_response(response, offer, hold); },
      &reinvite_);
}

void SipCall::on_reinvite_response(const ClientResponse& response, const sdp::SessionDescription& offer,
                                   bool hold) {
  if (!reinvite_in_flight_) return;  // a repeated 2xx: the transaction layer re-sends our ACK itself
  reinvite_in_flight_ = false;
  int status = response.message.status();
  auto cseq = response.message.cseq();
  if (state_ == State::ended) {
    // The call ended while our re-INVITE was out: a 2xx still needs its ACK (§13.2.2.4).
    if (status >= 200 && status < 300 && dialog_ && cseq) reinvite_.send_ack(dialog_->make_ack(cseq->number));
    return;
  }
  if (status >= 200 && status < 300) {
    // §13.2.2.4: the ACK carries the re-INVITE's CSeq number and credentials.
    auto ack = dialog_->make_ack(cseq ? cseq->number : dialog_->local_cseq());
    if (reinvite_request_) {
      for (const auto& header : reinvite_request_->headers()) {
        if (header.is("Authorization") || header.is("Proxy-Authorization")) ack.add_header(header);
      }
    }
    reinvite_.send_ack(std::move(ack), send_options());
    dialog_->refresh_target_from_response(response.message);
    if (auto problem = apply_answer(offer, response.message)) {
      log::warn("sip: unusable SDP answer to our re-INVITE",
                {{"call_id", info_.call_id}, {"problem", *problem}});
    } else {
      held_ = hold;
      log::info("sip: re-INVITE accepted", {{"call_id", info_.call_id}, {"hold", held_}});
    }
    if (session_timer_) arm_session_timer(session_timer_from_2xx(response.message));
  } else if (status == 491) {
    // §14.1: glare; try again after a random delay (the Call-ID owner waits 2.1-4 s, the other 0-2 s).
    log::info("sip: re-INVITE glare (491), retrying later", {{"call_id", info_.call_id}});
    reinvite_wanted_ = true;
    return retry_reinvite_later();
  } else if (status == 481 || status == 408) {
    // §12.2.1.2: the dialog is gone (or the peer unreachable).
    log::warn("sip: re-INVITE failed, ending the call", {{"call_id", info_.call_id}, {"status", status}});
    send_bye(media::EndReason::error, "re-INVITE " + std::to_string(status));
    return finish(media::EndReason::error, status, "re-INVITE " + std::to_string(status));
  } else {
    // §14.1: any other failure leaves the session as it was.
    log::info("sip: re-INVITE refused", {{"call_id", info_.call_id}, {"status", status}});
    want_hold_ = held_;
  }
  caps_.direction = held_ ? sdp::Direction::sendonly : sdp::Direction::sendrecv;
  if (reinvite_wanted_ || want_hold_ != held_) send_reinvite();
}

void SipCall::retry_reinvite_later() {
  static thread_local std::mt19937 random{std::random_device{}()};
  // In units of 10 ms (§14.1).
  auto units = info_.outbound ? std::uniform_int_distribution<int>(210, 400)(random)
                              : std::uniform_int_distribution<int>(0, 200)(random);
  glare_timer_.expires_after(std::chrono::milliseconds(units * 10));
  std::weak_ptr<SipCall> weak = shared_from_this();
  glare_timer_.async_wait([weak](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->state_ == State::ended) return;
    if (self->reinvite_in_flight_ || self->pending_offer_) return;  // the peer's offer went first
    self->send_reinvite();
  });
}

// ---------------------------------------------------------------------------------------------------------
// Session timers (RFC 4028 §10).

void SipCall::arm_session_timer(std::optional<SessionTimer> timer) {
  session_timer_ = timer;
  refresh_sent_ = false;
  session_timer_wait_.cancel();
  if (!timer || state_ == State::ended) return;
  log::debug("sip: session timer armed", {{"call_id", info_.call_id},
                                          {"interval_s", static_cast<std::int64_t>(timer->interval.count())},
                                          {"we_refresh", timer->we_refresh}});
  wait_session_timer(timer->we_refresh ? timer->refresh_after() : timer->expire_after());
}

void SipCall::wait_session_timer(std::chrono::milliseconds wait) {
  session_timer_wait_.expires_after(wait);
  std::weak_ptr<SipCall> weak = shared_from_this();
  session_timer_wait_.async_wait([weak](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->on_session_timer();
  });
}

void SipCall::on_session_timer() {
  if (state_ == State::ended || !session_timer_) return;
  if (session_timer_->we_refresh && !refresh_sent_) {
    log::info("sip: session refresh", {{"call_id", info_.call_id}});
    refresh_sent_ = true;
    if (reinvite_in_flight_ || pending_offer_) {
      reinvite_wanted_ = true;
    } else {
      send_reinvite();
    }
    // The refresh's 2xx re-arms the timer; without one the session still ends at expiry.
    return wait_session_timer(session_timer_->expire_after() - session_timer_->refresh_after());
  }
  log::warn("sip: session expired without refresh", {{"call_id", info_.call_id}});
  // RFC 4028 §10: BYE when the session expires.
  auto bye = dialog_->make_request("BYE");
  bye.add_header("Reason", "SIP;cause=408;text=\"Session timer expired\"");
  host_.send_bye(std::move(bye), send_options());
  finish(media::EndReason::error, 408, "session timer expired");
}

}  // namespace va::sip
