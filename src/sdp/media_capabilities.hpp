// What we can and want to do with audio on one call: the input of every offer and answer we make.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "sdp/session_description.hpp"

namespace va::sdp {

// One SRTP master key we are ready to use, for one suite (RFC 4568). The caller draws the bytes from a CSPRNG
// (media::generate_srtp_key); the SDP layer only writes and matches them.
struct SrtpKey {
  std::string suite;                   // "AES_CM_128_HMAC_SHA1_80"
  std::vector<std::uint8_t> key_salt;  // master key followed by master salt (30 bytes for AES_CM_128_*)
  friend bool operator==(const SrtpKey&, const SrtpKey&) = default;
};

struct MediaCapabilities {
  // Audio codecs in preference order, first preferred. G729 belongs here only when the build and the
  // configuration enable it (media_capabilities() leaves it out otherwise).
  std::vector<config::Codec> codecs{config::Codec::pcmu, config::Codec::pcma, config::Codec::g722};

  // RFC 4733 DTMF. Offered as telephone-event/8000: the RTP clock of every codec we speak is 8000 (G.722
  // included, RFC 3551 §4.5.2), and RFC 4733 §2.1 ties the event clock to the audio codec's RTP clock.
  bool telephone_event = true;
  std::uint8_t telephone_event_payload_type = 101;  // dynamic (96-127); 101 is what carriers and Cisco expect
  // Also offer telephone-event/16000 next to G.722 (payload type telephone_event_payload_type + 1). Off: no
  // peer we interoperate with needs it — baresip and LiveKit SIP offer only telephone-event/8000 with G.722 —
  // and a second telephone-event entry confuses some carrier equipment. Answers accept an offered /16000 with
  // G.722 anyway (see offer_answer.hpp).
  bool offer_wideband_telephone_event = false;

  std::chrono::milliseconds ptime{20};  // what we ask to receive (a=ptime) and send unless told otherwise

  // Our media address. Offers use the IPv4 one when set, else the IPv6 one; an answer uses the one of the
  // offer's address family (an offer of a family we have no address for is not acceptable).
  std::string ipv4_address;
  std::string ipv6_address;
  std::uint16_t port = 0;  // our RTP port (RTCP on port + 1 unless rtcp-mux is negotiated)

  // What we want: sendrecv normally, sendonly to put the peer on hold, inactive to stop media both ways.
  Direction direction = Direction::sendrecv;

  // SRTP with SDES keys. off: plain RTP, an RTP/SAVP offer is refused. optional: offers are RTP/AVP carrying
  // a=crypto ("best effort SRTP", what baresip's mediaenc=srtp and most PBXes do), answers use SRTP when the
  // offer has a usable crypto line. required: offers are RTP/SAVP, an offer without usable crypto is refused.
  config::SrtpMode srtp = config::SrtpMode::off;
  std::vector<SrtpKey> srtp_keys;  // one per suite we accept, preferred first; needed unless srtp is off

  // RFC 5761: accept rtcp-mux when a peer offers it, and offer it ourselves. Off until the RTP session
  // demultiplexes RTCP on the RTP port for every call.
  bool rtcp_mux = false;

  std::string session_name = "voice-agent";  // s=
};

// Capabilities from the configuration (codecs.*, security.srtp). Addresses, port, direction and SRTP keys are
// per call and left for the caller to fill in.
MediaCapabilities media_capabilities(const config::Codecs& codecs, config::SrtpMode srtp);

}  // namespace va::sdp
