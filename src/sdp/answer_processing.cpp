// Applying the peer's answer to our offer (RFC 3264 §6, §7); the rules are described in offer_answer.hpp.
#include <algorithm>

#include "sdp/offer_answer.hpp"
#include "sdp/payload_formats.hpp"
#include "sdp/stream_negotiation.hpp"

namespace va::sdp {

using namespace detail;

ProcessedAnswer process_answer(const SessionDescription& our_offer, const SessionDescription& answer,
                               const MediaCapabilities& caps) {
  ProcessedAnswer result;
  auto problem = [&](AnswerProblem p, std::string text) {
    result.error = AnswerError{p, std::move(text)};
    return result;
  };
  if (answer.media.size() != our_offer.media.size()) {
    return problem(AnswerProblem::media_count_mismatch,
                   std::to_string(our_offer.media.size()) + " m= lines offered, " +
                       std::to_string(answer.media.size()) + " answered");
  }
  std::size_t index = our_offer.media.size();
  for (std::size_t i = 0; i < our_offer.media.size(); ++i) {
    if (our_offer.media[i].media == "audio" && our_offer.media[i].port != 0) {
      index = i;
      break;
    }
  }
  if (index == our_offer.media.size())
    return problem(AnswerProblem::audio_rejected, "our offer has no audio stream");
  const auto& ours = our_offer.media[index];
  const auto& m = answer.media[index];
  if (m.media != ours.media) {
    return problem(AnswerProblem::media_type_mismatch, "audio answered as m=" + m.media);
  }
  if (m.port == 0) return problem(AnswerProblem::audio_rejected, "the answer rejects audio (port 0)");
  if (!equals_ignoring_case(m.proto, ours.proto)) {
    return problem(AnswerProblem::transport_mismatch, "offered " + ours.proto + ", answered " + m.proto);
  }
  const auto* connection = answer.connection_for(m);
  if (!connection) return problem(AnswerProblem::no_connection_address, "audio stream without c=");

  // Every format of the answer must be one we offered, matched by name and clock (RFC 3264 §6.1).
  auto offered = formats_of(ours);
  auto offered_codec = [&](config::Codec codec) -> const OfferedFormat* {
    for (const auto& f : offered) {
      if (codec_for(f.map) == codec) return &f;
    }
    return nullptr;
  };
  std::optional<NegotiatedCodec> codec;
  std::vector<OfferedFormat> answered_events;  // payload_type: the peer's; map: as we offered it
  for (std::size_t i = 0; i < m.formats.size(); ++i) {
    auto pt = m.payload_type(i);
    if (!pt)
      return problem(AnswerProblem::codec_not_offered, "format '" + m.formats[i] + "' is not a payload type");
    auto format = m.format(*pt);
    if (!format) format = ours.format(*pt);  // our number echoed without a=rtpmap
    if (!format) {
      return problem(AnswerProblem::codec_not_offered,
                     "payload type " + std::to_string(*pt) + " without a=rtpmap");
    }
    if (auto c = codec_for(*format)) {
      const auto* mine = offered_codec(*c);
      if (!mine) {
        return problem(AnswerProblem::codec_not_offered,
                       format->encoding_name + '/' + std::to_string(format->clock_rate) + " was not offered");
      }
      // The first codec of the answer is the one the answerer prefers; we send it.
      if (!codec) {
        const auto& f = codec_format(*c);
        codec = NegotiatedCodec{*c, *pt, mine->payload_type, f.rtp_clock_rate, f.sample_rate};
      }
      continue;
    }
    if (is_telephone_event(*format)) {
      for (const auto& f : offered) {
        if (is_telephone_event(f.map) && f.map.clock_rate == format->clock_rate) {
          answered_events.push_back(OfferedFormat{*pt, f.map});
        }
      }
      continue;  // one we did not offer is ignored
    }
    if (equals_ignoring_case(format->encoding_name, "CN")) continue;  // comfort noise: ignored
    return problem(AnswerProblem::codec_not_offered,
                   format->encoding_name + '/' + std::to_string(format->clock_rate) + " was not offered");
  }
  if (!codec) return problem(AnswerProblem::no_codec, "the answer has no audio codec");

  auto& media = result.media;
  media.media_index = index;
  media.codec = *codec;
  if (auto event = pick_telephone_event(answered_events, codec->codec)) {
    std::uint8_t receive = event->payload_type;
    for (const auto& f : offered) {
      if (is_telephone_event(f.map) && f.map.clock_rate == event->map.clock_rate) receive = f.payload_type;
    }
    media.telephone_event = NegotiatedTelephoneEvent{event->payload_type, receive, event->map.clock_rate};
  }

  // SRTP: the answer picks one of our crypto lines by its tag (RFC 4568 §7.1.2) and brings its own key.
  auto our_cryptos = crypto_lines(ours);
  if (!our_cryptos.empty()) {
    auto their_cryptos = crypto_lines(m);
    if (their_cryptos.empty()) {
      if (caps.srtp == config::SrtpMode::required || equals_ignoring_case(ours.proto, kSavp)) {
        return problem(AnswerProblem::srtp_missing, "the answer has no a=crypto");
      }
    } else {
      const auto& theirs = their_cryptos.front();
      auto mine = std::find_if(our_cryptos.begin(), our_cryptos.end(),
                               [&](const CryptoAttribute& c) { return c.tag == theirs.tag; });
      if (mine == our_cryptos.end() || mine->suite != theirs.suite) {
        return problem(AnswerProblem::crypto_mismatch, "a=crypto tag " + std::to_string(theirs.tag) + " " +
                                                           theirs.suite + " was not offered");
      }
      if (!usable_key_form(theirs)) {
        return problem(AnswerProblem::crypto_mismatch,
                       "a=crypto with MKI, several keys or session parameters");
      }
      media.srtp = NegotiatedSrtp{theirs.suite, theirs.tag, mine->keys.front().key_salt,
                                  theirs.keys.front().key_salt, theirs.keys.front().lifetime};
    }
  }

  auto peer = peer_direction(answer, m, *connection);
  media.direction = intersect(reversed(peer), our_offer.direction_of(ours));
  media.remote_hold = !receives(peer);
  media.ptime = send_ptime(m, caps.ptime);
  media.rtcp_mux = ours.rtcp_mux() && m.rtcp_mux();
  media.remote_rtp = TransportAddress{connection->address_type, connection->address, m.port};
  media.remote_rtcp = rtcp_address(m, media.remote_rtp, media.rtcp_mux);
  return result;
}

std::string_view to_string(AnswerProblem problem) {
  switch (problem) {
    case AnswerProblem::media_count_mismatch:
      return "media_count_mismatch";
    case AnswerProblem::media_type_mismatch:
      return "media_type_mismatch";
    case AnswerProblem::audio_rejected:
      return "audio_rejected";
    case AnswerProblem::transport_mismatch:
      return "transport_mismatch";
    case AnswerProblem::codec_not_offered:
      return "codec_not_offered";
    case AnswerProblem::no_codec:
      return "no_codec";
    case AnswerProblem::srtp_missing:
      return "srtp_missing";
    case AnswerProblem::crypto_mismatch:
      return "crypto_mismatch";
    case AnswerProblem::no_connection_address:
      return "no_connection_address";
  }
  return "unknown";
}

std::string AnswerError::to_string() const {
  return std::string(sdp::to_string(problem)) + ": " + detail;
}

}  // namespace va::sdp
