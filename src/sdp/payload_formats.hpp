// RTP payload formats as SDP names them: the RFC 3551 static payload types, the audio codecs voice-agent
// speaks, and telephone-event (RFC 4733).
//
// Offers and answers identify a format by its encoding name and clock rate, never by a dynamic payload type
// number: the same codec may be 96 in one peer's offer and 101 in another's (RFC 3264 §6.1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/config.hpp"
#include "sdp/session_description.hpp"

namespace va::sdp {

// RFC 3551 §6 (tables 4 and 5): what a static payload type means when no a=rtpmap says otherwise.
std::optional<RtpMap> static_payload_type(std::uint8_t payload_type);

// How one of our codecs appears in SDP.
struct CodecFormat {
  config::Codec codec;
  std::string_view encoding_name;  // "PCMU", "PCMA", "G722", "G729"
  std::uint8_t payload_type;       // its static payload type (RFC 3551)
  std::uint32_t rtp_clock_rate;    // the RTP timestamp rate written in SDP
  std::uint32_t sample_rate;       // the audio rate the codec really carries
  std::string_view offer_fmtp;     // a=fmtp we add to offers and answers; empty for none
};
// G.722 is 16 kHz audio with an RTP clock of 8000, because RFC 1890 got it wrong and RFC 3551 §4.5.2 kept the
// mistake for compatibility: rtpmap "G722/8000", timestamps advance 8000 per second.
const CodecFormat& codec_format(config::Codec codec);

// Which of our codecs an offered format is: by encoding name (any case), clock rate and a single channel.
// Quirk accepted: "G722/16000", written by peers that confuse the audio rate with the RTP clock, is G.722.
std::optional<config::Codec> codec_for(const RtpMap& format);

inline constexpr std::string_view kTelephoneEvent = "telephone-event";
bool is_telephone_event(const RtpMap& format);

// The events we handle: the 16 DTMF events 0-15 (digits, *, #, A-D) of RFC 4733 §3.2.
// Given the a=fmtp of an offered telephone-event (nullopt: absent, which RFC 4733 §2.4.1 reads as 0-15),
// the events both sides handle written as an fmtp value ("0-15", "0-11"); nullopt when there are none. An
// unreadable list is taken as the default.
std::optional<std::string> common_telephone_events(std::optional<std::string_view> offered_fmtp);

}  // namespace va::sdp
