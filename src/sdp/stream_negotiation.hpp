// RFC 3264 rules shared by answering an offer (offer_answer.cpp) and applying an answer
// (answer_processing.cpp). Internal to va_sdp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/config.hpp"
#include "sdp/crypto_attribute.hpp"
#include "sdp/negotiated_media.hpp"
#include "sdp/session_description.hpp"

namespace va::sdp::detail {

inline constexpr std::string_view kAvp = "RTP/AVP";
inline constexpr std::string_view kSavp = "RTP/SAVP";
// telephone-event/16000: what some G.722 phones offer instead of /8000 (see offer_answer.hpp).
inline constexpr std::uint32_t kWidebandEventClock = 16000;

// A format of an m= line: its payload type there and what it is.
struct OfferedFormat {
  std::uint8_t payload_type;
  RtpMap map;
};
// The formats of `m` we can identify (a=rtpmap or RFC 3551 static type), in m= order.
std::vector<OfferedFormat> formats_of(const MediaDescription& m);

// The telephone-event to pair with `codec`: one with the codec's RTP clock, else (G.722 only) /16000.
std::optional<OfferedFormat> pick_telephone_event(const std::vector<OfferedFormat>& events,
                                                  config::Codec codec);

// The readable a=crypto lines of `m`, in order.
std::vector<CryptoAttribute> crypto_lines(const MediaDescription& m);
// A crypto line our SRTP can run: one key, no MKI, no session parameters (see offer_answer.hpp).
bool usable_key_form(const CryptoAttribute& c);

// The peer's direction with an RFC 2543 hold folded in: c=0.0.0.0 means it cannot receive.
Direction peer_direction(const SessionDescription& d, const MediaDescription& m, const ConnectionData& c);

// What to packetize at: the peer's a=ptime (10-120 ms, else ignored) or ours, capped by its a=maxptime.
std::chrono::milliseconds send_ptime(const MediaDescription& peer, std::chrono::milliseconds ours);

// Where the peer wants RTCP: the RTP address with rtcp-mux, a=rtcp (RFC 3605), else RTP port + 1.
TransportAddress rtcp_address(const MediaDescription& m, const TransportAddress& rtp, bool mux);

}  // namespace va::sdp::detail
