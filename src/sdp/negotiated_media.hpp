// The outcome of an offer/answer exchange for the one audio stream of a call: what the RTP session needs to
// send and receive (RFC 3264).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "sdp/session_description.hpp"

namespace va::sdp {

struct TransportAddress {
  AddressType address_type = AddressType::ip4;
  std::string address;  // as the peer wrote it: a literal, or a host name the caller has to resolve
  std::uint16_t port = 0;
  friend bool operator==(const TransportAddress&, const TransportAddress&) = default;
};

// Payload type numbers are chosen by the receiver (RFC 3264 §5.1): we send with the number the peer's SDP
// gave a format, and receive with the number ours gave it. They differ only when a peer renumbers a
// dynamic type in its answer.
struct NegotiatedCodec {
  config::Codec codec = config::Codec::pcmu;
  std::uint8_t send_payload_type = 0;
  std::uint8_t receive_payload_type = 0;
  std::uint32_t rtp_clock_rate = 8000;  // RTP timestamp rate (8000 for G.722 too)
  std::uint32_t sample_rate = 8000;     // audio rate of the codec (16000 for G.722)
  friend bool operator==(const NegotiatedCodec&, const NegotiatedCodec&) = default;
};

struct NegotiatedTelephoneEvent {
  std::uint8_t send_payload_type = 101;
  std::uint8_t receive_payload_type = 101;
  // Normally the codec's RTP clock; 16000 only for a G.722 peer that offered nothing but
  // telephone-event/16000 (its event durations then count 16 kHz ticks).
  std::uint32_t clock_rate = 8000;
  friend bool operator==(const NegotiatedTelephoneEvent&, const NegotiatedTelephoneEvent&) = default;
};

struct NegotiatedSrtp {
  std::string suite;                          // "AES_CM_128_HMAC_SHA1_80"
  std::uint32_t tag = 1;                      // the a=crypto tag both sides agreed on
  std::vector<std::uint8_t> local_key_salt;   // protects what we send
  std::vector<std::uint8_t> remote_key_salt;  // unprotects what we receive
  std::optional<std::uint64_t> remote_lifetime;
  friend bool operator==(const NegotiatedSrtp&, const NegotiatedSrtp&) = default;
};

struct NegotiatedMedia {
  std::size_t media_index = 0;  // which m= line carries the audio
  NegotiatedCodec codec;
  std::optional<NegotiatedTelephoneEvent> telephone_event;  // nullopt: no RFC 4733 (fall back to in-band)
  // Packet time to send with: the peer's a=ptime (what it wants to receive, RFC 4566 §6) capped by its
  // a=maxptime, else ours.
  std::chrono::milliseconds ptime{20};
  TransportAddress remote_rtp;
  TransportAddress remote_rtcp;  // a=rtcp (RFC 3605), else the RTP address with port + 1
  bool rtcp_mux = false;         // RTCP shares the RTP port (RFC 5761)
  // What we do, from our side: sends(direction) → send RTP, receives(direction) → expect RTP.
  Direction direction = Direction::sendrecv;
  // The peer does not want media from us: it wrote sendonly/inactive, or c=0.0.0.0 (RFC 2543 hold).
  bool remote_hold = false;
  std::optional<NegotiatedSrtp> srtp;  // nullopt: plain RTP
  friend bool operator==(const NegotiatedMedia&, const NegotiatedMedia&) = default;
};

}  // namespace va::sdp
