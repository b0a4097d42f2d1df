#include "sip/inbound_call.hpp"

#include <cctype>

#include "common/log.hpp"
#include "media/srtp_session.hpp"
#include "sdp/offer_answer.hpp"
#include "sdp/parser.hpp"
#include "sdp/serializer.hpp"
#include "sip/response.hpp"

namespace va::sip {
namespace {

constexpr std::string_view kAllow = kAllowedMethods;
constexpr std::string_view kSdp = kSdpMediaType;

bool has_sdp(const Message& m) {
  if (m.body().empty()) return false;
  auto type = m.content_type();
  return type && type->is("application", "sdp");
}

// "Signal=5\r\nDuration=160\r\n" (the de-facto application/dtmf-relay format of Cisco and most PBXes).
std::optional<std::pair<char, std::chrono::milliseconds>> parse_dtmf_relay(std::string_view body) {
  std::optional<char> digit;
  std::chrono::milliseconds duration{100};
  while (!body.empty()) {
    auto end = body.find('\n');
    auto line = body.substr(0, end);
    body = end == std::string_view::npos ? std::string_view{} : body.substr(end + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    auto name = line.substr(0, eq);
    auto value = line.substr(eq + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    auto lower = [](std::string_view s) {
      std::string out(s);
      for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return out;
    };
    if (lower(name) == "signal" && !value.empty()) {
      char c = static_cast<char>(std::toupper(static_cast<unsigned char>(value.front())));
      if ((c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D')) digit = c;
    } else if (lower(name) == "duration") {
      try {
        duration = std::chrono::milliseconds(std::stoi(std::string(value)));
      } catch (const std::exception&) {
      }
    }
  }
  if (!digit) return std::nullopt;
  return std::pair{*digit, duration};
}

}  // namespace

void InboundCall::start() {
  const auto& options = ua_.options();
  RtpLegOptions leg_options;
  leg_options.local_address = options.media_bind_address;
  leg_options.media_timeout = options.media_timeout;
  leg_ = RtpLeg::open(shard_.io.get_executor(), *shard_.clock, ua_.ports(), leg_options, info_.call_id);
  if (!leg_) return reject(503, "No Media Ports");
  leg_->set_counters(ua_.rtp_counters());
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

  const auto& invite = invite_.request();
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

  handler_ = ua_.handlers().make(info_.flow);
  std::weak_ptr<InboundCall> weak = shared_from_this();
  leg_->set_control({[weak] {
                       if (auto self = weak.lock()) self->answer();
                     },
                     [weak](media::EndReason reason, std::string detail) {
                       if (auto self = weak.lock()) self->hangup(reason, std::move(detail));
                     }});
  leg_->set_observer(handler_.get());
  info_.executor = shard_.io.get_executor();
  handler_->start(*leg_, info_);
  if (state_ == State::incoming) {
    // The handler answers later (or never: the ring flow): §13.3.1.1, tell the caller we are alerting.
    // The 180 carries our tag, which makes the dialog early on the caller's side (§12.1.1).
    respond_with_sdp(invite_, 180, {});
    log::info("sip: call ringing", {{"call_id", info_.call_id}, {"flow", info_.flow}});
  }
}

std::optional<std::string> InboundCall::answer_offer(const Message& request, std::string& warning) {
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

void InboundCall::respond_with_sdp(const ServerTransactionHandle& transaction, int status,
                                   const std::string& sdp) {
  auto response = make_response(transaction.request(), status, {}, dialog_.id().local_tag);
  if (transaction.request().method() == Method::invite) {
    Dialog::add_dialog_headers(transaction.request(), dialog_.local_contact(), response);
  } else {
    response.add_header("Contact", dialog_.local_contact().to_string());
  }
  response.add_header("Allow", std::string(kAllow));
  if (!sdp.empty()) response.set_body(sdp, kSdp);
  transaction.respond(std::move(response));
}

void InboundCall::answer() {
  if (state_ != State::incoming) return;
  state_ = State::answered;
  respond_with_sdp(invite_, 200, answer_sdp_);
  ua_.count("answered");
  log::info("sip: call answered",
            {{"call_id", info_.call_id}, {"flow", info_.flow}, {"dialed", info_.dialed}});
}

void InboundCall::reject(int status, std::string_view reason, std::string warning, media::EndReason end) {
  if (state_ != State::incoming) return;
  auto response = make_response(invite_.request(), status, reason, dialog_.id().local_tag);
  if (!warning.empty()) {
    // RFC 3261 §20.43: 399 = miscellaneous warning; the text says what in the offer we could not accept.
    std::string quoted;
    for (char c : warning) quoted += (c == '"' || c == '\\') ? '\'' : c;
    response.add_header("Warning", "399 voice-agent \"" + quoted + "\"");
  }
  if (status == 503) response.add_header("Retry-After", "5");
  invite_.respond(std::move(response));
  ua_.count(status == 488 ? "not_acceptable" : status == 503 ? "overloaded" : "rejected");
  log::info("sip: call refused", {{"call_id", info_.call_id}, {"status", status}, {"warning", warning}});
  finish(end, status, warning.empty() ? std::string(reason) : warning);
}

void InboundCall::hangup(media::EndReason reason, std::string detail) {
  switch (state_) {
    case State::incoming:
      // The handler gave up before answering: 503 while draining, else 480 Temporarily Unavailable.
      if (reason == media::EndReason::shutdown) return reject(503, "Service Unavailable", {}, reason);
      return reject(480, "Temporarily Unavailable", {},
                    reason == media::EndReason::local_hangup ? media::EndReason::rejected : reason);
    case State::answered:
    case State::confirmed:
      send_bye(reason, detail);
      return finish(reason, 0, std::move(detail));
    case State::ended:
      return;
  }
}

void InboundCall::send_bye(media::EndReason reason, std::string_view detail) {
  auto bye = dialog_.make_request("BYE");
  // RFC 3326: why we hang up, for the peer's logs (Q.850 16 = normal clearing).
  bye.add_header("Reason", "Q.850;cause=16;text=\"" + std::string(media::to_string(reason)) + "\"");
  (void)detail;
  ua_.send_bye(std::move(bye), invite_.flow());
}

void InboundCall::finish(media::EndReason reason, int sip_status, std::string detail) {
  if (state_ == State::ended) return;
  state_ = State::ended;
  if (leg_) leg_->end({reason, sip_status, detail});
  log::info(
      "sip: call ended",
      {{"call_id", info_.call_id}, {"reason", std::string(media::to_string(reason))}, {"detail", detail}});
  ua_.call_ended(shared_from_this());
}

void InboundCall::on_ack(const Message& ack) {
  if (state_ != State::answered && state_ != State::confirmed) return;
  if (pending_offer_) {
    auto offer = std::move(*pending_offer_);
    pending_offer_.reset();
    std::optional<std::string> problem;
    if (!has_sdp(ack)) {
      problem = "ACK without the SDP answer to our offer";
    } else if (auto parsed = sdp::parse(ack.body()); !parsed.ok()) {
      problem = "SDP: " + parsed.error->to_string();
    } else if (auto answer = sdp::process_answer(offer, parsed.description, caps_); !answer.ok()) {
      problem = answer.error->to_string();
    } else if (auto error = leg_->apply(answer.media)) {
      problem = *error;
    }
    if (problem) {
      // §13.3.1.4 / RFC 3264: the dialog exists but the media cannot; end it with BYE.
      log::warn("sip: unusable SDP answer in ACK", {{"call_id", info_.call_id}, {"problem", *problem}});
      if (state_ == State::answered) return hangup(media::EndReason::error, *problem);
    }
  }
  if (state_ == State::answered) {
    state_ = State::confirmed;
    if (handler_) handler_->on_answered();
  }
}

void InboundCall::on_cancel(const ServerTransactionHandle& invite) {
  if (state_ != State::incoming) return;  // the 200 went first: the caller will ACK and BYE (§9.2)
  invite.respond(487);
  ua_.count("cancelled");
  finish(media::EndReason::cancelled, 487, "CANCEL");
}

void InboundCall::on_no_ack() {
  if (state_ != State::answered) return;
  // §13.3.1.4: no ACK for our 2xx within 64*T1 — the session ends with BYE.
  hangup(media::EndReason::error, "no ACK for 200");
}

void InboundCall::on_in_dialog_request(const ServerTransactionHandle& transaction) {
  const auto& request = transaction.request();
  if (state_ == State::ended) {
    transaction.respond(481);
    return;
  }
  if (dialog_.check_remote_cseq(request) == RemoteCSeqCheck::out_of_order) {
    transaction.respond(500, "CSeq Out of Order");
    return;
  }
  switch (request.method()) {
    case Method::bye:
      transaction.respond(200);
      finish(media::EndReason::remote_hangup, 0, "BYE");
      return;
    case Method::invite:
    case Method::update: {
      if (request.method() == Method::invite && pending_offer_) {
        // RFC 3261 §14.2 / RFC 3264 §4: our offer is still outstanding (glare).
        transaction.respond(491);
        return;
      }
      dialog_.refresh_target(request);
      if (!has_sdp(request)) {
        if (request.method() == Method::update) return respond_with_sdp(transaction, 200, {});
        // re-INVITE without SDP: we offer (the same media again), the answer comes in the ACK.
        auto offer = sdp::create_offer(caps_, local_session_);
        auto text = sdp::serialize(offer);
        pending_offer_ = std::move(offer);
        return respond_with_sdp(transaction, 200, text);
      }
      std::string warning;
      auto answer = answer_offer(request, warning);
      if (!answer) {
        // §14.2: a refused re-offer leaves the session as it was.
        auto response = make_response(request, 488, {}, dialog_.id().local_tag);
        response.add_header("Warning", "399 voice-agent \"" + warning + "\"");
        transaction.respond(std::move(response));
        return;
      }
      return respond_with_sdp(transaction, 200, *answer);
    }
    case Method::info: {
      auto type = request.content_type();
      if (!request.body().empty() && type && type->is("application", "dtmf-relay")) {
        if (auto dtmf = parse_dtmf_relay(request.body()); dtmf && leg_) {
          leg_->receive_info_dtmf(dtmf->first, dtmf->second);
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
      auto response = make_response(request, 200, {}, dialog_.id().local_tag);
      response.add_header("Allow", std::string(kAllow));
      response.add_header("Accept", std::string(kSdp));
      transaction.respond(std::move(response));
      return;
    }
    default: {
      auto response = make_response(request, 405, {}, dialog_.id().local_tag);
      response.add_header("Allow", std::string(kAllow));
      transaction.respond(std::move(response));
      return;
    }
  }
}

}  // namespace va::sip
