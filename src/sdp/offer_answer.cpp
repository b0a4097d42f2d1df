// Building offers and answers (RFC 3264 §5, §6); the rules are described in offer_answer.hpp.
#include "sdp/offer_answer.hpp"

#include <algorithm>
#include <cassert>

#include "sdp/crypto_attribute.hpp"
#include "sdp/payload_formats.hpp"
#include "sdp/stream_negotiation.hpp"

namespace va::sdp {
namespace {

using namespace detail;

std::string codec_names(const std::vector<config::Codec>& codecs) {
  std::string out;
  for (auto c : codecs) {
    if (!out.empty()) out += ", ";
    out += codec_format(c).encoding_name;
  }
  return out;
}

std::string offered_formats(const MediaDescription& m) {
  std::string out;
  for (std::size_t i = 0; i < m.formats.size(); ++i) {
    if (!out.empty()) out += ", ";
    auto pt = m.payload_type(i);
    auto f = pt ? m.format(*pt) : std::nullopt;
    out += f ? f->encoding_name + '/' + std::to_string(f->clock_rate) : m.formats[i];
  }
  return out.empty() ? "nothing" : out;
}

const std::string& address_for(const MediaCapabilities& caps, AddressType type) {
  return type == AddressType::ip6 ? caps.ipv6_address : caps.ipv4_address;
}

AddressType address_type_of(std::string_view address) {
  return address.find(':') != std::string_view::npos ? AddressType::ip6 : AddressType::ip4;
}

SessionDescription session_skeleton(const MediaCapabilities& caps, const std::string& address) {
  SessionDescription d;
  d.session_name = caps.session_name.empty() ? "-" : caps.session_name;
  d.connection = ConnectionData{address_type_of(address), address, std::nullopt, std::nullopt};
  d.timings.push_back(Timing{});
  return d;
}

// An m= line that refuses a stream: port 0, as offered otherwise (RFC 3264 §6: at least one format).
MediaDescription rejected(const MediaDescription& m) {
  MediaDescription r;
  r.media = m.media;
  r.port = 0;
  r.proto = m.proto;
  r.formats = m.formats;
  if (r.formats.empty()) r.formats.emplace_back(m.is_rtp() || m.proto.empty() ? "0" : "*");
  if (r.proto.empty()) r.proto = kAvp;
  return r;
}

std::uint8_t free_dynamic_payload_type(const std::vector<std::string>& used, std::uint8_t wanted) {
  auto taken = [&](std::uint8_t pt) {
    return std::find(used.begin(), used.end(), std::to_string(pt)) != used.end();
  };
  if (wanted >= 96 && wanted <= 127 && !taken(wanted)) return wanted;
  for (std::uint8_t pt = 96; pt <= 127; ++pt) {
    if (!taken(pt)) return pt;
  }
  return wanted;
}

void add_format(MediaDescription& m, const RtpMap& map, std::string_view fmtp) {
  m.formats.push_back(std::to_string(map.payload_type));
  m.attributes.add("rtpmap", format_rtpmap(map));
  if (!fmtp.empty()) m.attributes.add("fmtp", std::to_string(map.payload_type) + ' ' + std::string(fmtp));
}

RtpMap our_rtpmap(config::Codec codec) {
  const auto& f = codec_format(codec);
  return RtpMap{f.payload_type, std::string(f.encoding_name), f.rtp_clock_rate, {}};
}

MediaDescription offer_audio(const MediaCapabilities& caps) {
  assert(!caps.codecs.empty());
  MediaDescription m;
  m.media = "audio";
  m.port = caps.port;
  m.proto = caps.srtp == config::SrtpMode::required ? kSavp : kAvp;
  bool g722 = false;
  for (auto codec : caps.codecs) {
    add_format(m, our_rtpmap(codec), codec_format(codec).offer_fmtp);
    g722 = g722 || codec == config::Codec::g722;
  }
  if (caps.telephone_event) {
    auto pt = free_dynamic_payload_type(m.formats, caps.telephone_event_payload_type);
    add_format(m, RtpMap{pt, std::string(kTelephoneEvent), 8000, {}}, "0-15");
    if (caps.offer_wideband_telephone_event && g722) {
      auto wide = free_dynamic_payload_type(m.formats, static_cast<std::uint8_t>(pt + 1));
      add_format(m, RtpMap{wide, std::string(kTelephoneEvent), kWidebandEventClock, {}}, "0-15");
    }
  }
  if (caps.srtp != config::SrtpMode::off) {
    assert(!caps.srtp_keys.empty());
    std::uint32_t tag = 1;
    for (const auto& key : caps.srtp_keys) {
      CryptoAttribute crypto{tag++, key.suite, {SrtpKeyParams{key.key_salt, std::nullopt, std::nullopt}}, {}};
      m.attributes.add("crypto", format_crypto(crypto));
    }
  }
  if (caps.rtcp_mux) m.attributes.add("rtcp-mux");
  m.attributes.add("ptime", std::to_string(caps.ptime.count()));
  m.attributes.set_direction(caps.direction);
  return m;
}

// Where the audio stream goes in a re-offer: where it was, else a free (rejected) slot, else a new line.
std::size_t audio_slot(const std::vector<MediaDescription>& previous) {
  for (std::size_t i = 0; i < previous.size(); ++i) {
    if (previous[i].media == "audio" && previous[i].port != 0) return i;
  }
  for (std::size_t i = 0; i < previous.size(); ++i) {
    if (previous[i].media == "audio") return i;
  }
  for (std::size_t i = 0; i < previous.size(); ++i) {
    if (previous[i].port == 0) return i;
  }
  return previous.size();
}

const SrtpKey* our_key_for(const MediaCapabilities& caps, std::string_view suite) {
  for (const auto& k : caps.srtp_keys) {
    auto size = srtp_key_salt_size(k.suite);
    if (k.suite == suite && size && k.key_salt.size() == *size) return &k;
  }
  return nullptr;
}

struct StreamAnswer {
  MediaDescription m;
  NegotiatedMedia media;
  std::string local_address;
};

struct StreamOutcome {
  std::optional<StreamAnswer> answer;
  NotAcceptable rejection;
};

StreamOutcome refuse(Rejection reason, std::string text) {
  return StreamOutcome{std::nullopt, NotAcceptable{reason, std::move(text)}};
}

StreamOutcome answer_stream(const SessionDescription& offer, std::size_t index,
                            const MediaCapabilities& caps) {
  const auto& m = offer.media[index];
  bool secure = equals_ignoring_case(m.proto, kSavp);
  if (!secure && !equals_ignoring_case(m.proto, kAvp)) {
    return refuse(Rejection::unsupported_transport,
                  "audio over " + m.proto + " (we speak RTP/AVP and RTP/SAVP)");
  }
  const auto* connection = offer.connection_for(m);
  if (!connection) return refuse(Rejection::no_connection_address, "audio stream without c=");
  const auto& local_address = address_for(caps, connection->address_type);
  if (local_address.empty()) {
    return refuse(Rejection::address_family, "offer is " + std::string(to_string(connection->address_type)) +
                                                 " and we have no such address");
  }

  // Codec: ours in preference order, the first the offer has (see offer_answer.hpp).
  auto offered = formats_of(m);
  std::optional<config::Codec> chosen;
  const OfferedFormat* chosen_format = nullptr;
  for (auto codec : caps.codecs) {
    for (const auto& f : offered) {
      if (codec_for(f.map) == codec) {
        chosen = codec;
        chosen_format = &f;
        break;
      }
    }
    if (chosen) break;
  }
  if (!chosen) {
    return refuse(Rejection::no_common_codec,
                  "offer has " + offered_formats(m) + "; we accept " + codec_names(caps.codecs));
  }

  // SRTP (see MediaCapabilities::srtp for the policy).
  std::optional<CryptoAttribute> their_crypto;
  const SrtpKey* our_key = nullptr;
  auto cryptos = crypto_lines(m);
  if (caps.srtp == config::SrtpMode::off) {
    if (secure) {
      return refuse(Rejection::srtp_not_enabled, "offer is RTP/SAVP and SRTP is off (security.srtp)");
    }
  } else {
    for (const auto& c : cryptos) {
      if (!usable_key_form(c)) continue;
      if (const auto* key = our_key_for(caps, c.suite)) {
        their_crypto = c;
        our_key = key;
        break;
      }
    }
    if (!their_crypto && (secure || caps.srtp == config::SrtpMode::required)) {
      if (cryptos.empty()) {
        return refuse(Rejection::srtp_required, secure ? "RTP/SAVP offer without a=crypto"
                                                       : "SRTP is required and the offer has no a=crypto");
      }
      std::string suites;
      for (const auto& c : cryptos) suites += (suites.empty() ? "" : ", ") + c.suite;
      return refuse(Rejection::no_common_crypto_suite, "offer has " + suites + " in forms we cannot use");
    }
  }

  StreamAnswer out;
  out.local_address = local_address;
  auto& a = out.m;
  a.media = m.media;
  a.port = caps.port;
  a.proto = m.proto;
  add_format(a, chosen_format->map, codec_format(*chosen).offer_fmtp);

  auto& media = out.media;
  media.media_index = index;
  const auto& format = codec_format(*chosen);
  media.codec = NegotiatedCodec{*chosen, chosen_format->payload_type, chosen_format->payload_type,
                                format.rtp_clock_rate, format.sample_rate};

  if (caps.telephone_event) {
    std::vector<OfferedFormat> events;
    for (const auto& f : offered) {
      if (is_telephone_event(f.map)) events.push_back(f);
    }
    if (auto event = pick_telephone_event(events, *chosen)) {
      if (auto list = common_telephone_events(m.fmtp(std::to_string(event->payload_type)))) {
        add_format(a, event->map, *list);
        media.telephone_event =
            NegotiatedTelephoneEvent{event->payload_type, event->payload_type, event->map.clock_rate};
      }
    }
  }

  if (their_crypto && our_key) {
    CryptoAttribute ours{their_crypto->tag,
                         their_crypto->suite,
                         {SrtpKeyParams{our_key->key_salt, std::nullopt, std::nullopt}},
                         {}};
    a.attributes.add("crypto", format_crypto(ours));
    const auto& theirs = their_crypto->keys.front();
    media.srtp = NegotiatedSrtp{their_crypto->suite, their_crypto->tag, our_key->key_salt, theirs.key_salt,
                                theirs.lifetime};
  }

  media.rtcp_mux = caps.rtcp_mux && m.rtcp_mux();
  if (media.rtcp_mux) a.attributes.add("rtcp-mux");
  a.attributes.add("ptime", std::to_string(caps.ptime.count()));

  auto theirs = peer_direction(offer, m, *connection);
  media.direction = intersect(reversed(theirs), caps.direction);
  media.remote_hold = !receives(theirs);
  a.attributes.set_direction(media.direction);

  media.ptime = send_ptime(m, caps.ptime);
  media.remote_rtp = TransportAddress{connection->address_type, connection->address, m.port};
  media.remote_rtcp = rtcp_address(m, media.remote_rtp, media.rtcp_mux);
  return StreamOutcome{std::move(out), {}};
}

}  // namespace

SessionDescription create_offer(const MediaCapabilities& caps, LocalSession& session) {
  const auto& address = caps.ipv4_address.empty() ? caps.ipv6_address : caps.ipv4_address;
  assert(!address.empty());
  auto offer = session_skeleton(caps, address);
  auto audio = offer_audio(caps);
  if (session.last() && !session.last()->media.empty()) {
    const auto& previous = session.last()->media;
    auto slot = audio_slot(previous);
    for (std::size_t i = 0; i < previous.size(); ++i) {
      offer.media.push_back(i == slot ? audio : rejected(previous[i]));
    }
    if (slot == previous.size()) offer.media.push_back(std::move(audio));
  } else {
    offer.media.push_back(std::move(audio));
  }
  session.stamp(offer);
  return offer;
}

AnswerResult create_answer(const SessionDescription& offer, const MediaCapabilities& caps,
                           LocalSession& session) {
  AnswerResult result;
  std::optional<StreamAnswer> chosen;
  std::optional<NotAcceptable> first_refusal;
  for (std::size_t i = 0; i < offer.media.size() && !chosen; ++i) {
    const auto& m = offer.media[i];
    if (m.media != "audio" || m.port == 0) continue;
    auto outcome = answer_stream(offer, i, caps);
    if (outcome.answer) {
      chosen = std::move(outcome.answer);
    } else if (!first_refusal) {
      first_refusal = std::move(outcome.rejection);
    }
  }
  if (!chosen) {
    result.rejection = first_refusal
                           ? std::move(*first_refusal)
                           : NotAcceptable{Rejection::no_audio, "the offer has no audio stream with a port"};
    return result;
  }

  result.description = session_skeleton(caps, chosen->local_address);
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    if (i == chosen->media.media_index) {
      result.description.media.push_back(std::move(chosen->m));
    } else {
      result.description.media.push_back(rejected(offer.media[i]));
    }
  }
  result.media = std::move(chosen->media);
  session.stamp(result.description);
  return result;
}

std::string_view to_string(Rejection reason) {
  switch (reason) {
    case Rejection::no_audio:
      return "no_audio";
    case Rejection::unsupported_transport:
      return "unsupported_transport";
    case Rejection::no_common_codec:
      return "no_common_codec";
    case Rejection::srtp_not_enabled:
      return "srtp_not_enabled";
    case Rejection::srtp_required:
      return "srtp_required";
    case Rejection::no_common_crypto_suite:
      return "no_common_crypto_suite";
    case Rejection::address_family:
      return "address_family";
    case Rejection::no_connection_address:
      return "no_connection_address";
  }
  return "unknown";
}

std::string NotAcceptable::to_string() const {
  return std::string(sdp::to_string(reason)) + ": " + detail;
}

}  // namespace va::sdp
