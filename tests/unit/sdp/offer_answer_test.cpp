// Offer/answer (RFC 3264) against the offers real peers send: MTS Exolve, LiveKit SIP, baresip, SBCs behind
// Kamailio/rtpengine, PBXes and phones (bodies in tests/data/sdp).
#include "sdp/offer_answer.hpp"

#include <gtest/gtest.h>

#include "sdp/crypto_attribute.hpp"
#include "sdp/parser.hpp"
#include "sdp/serializer.hpp"
#include "sdp_corpus.hpp"

namespace va::sdp {
namespace {

using namespace std::chrono_literals;
using config::Codec;

SessionDescription parsed(const std::string& text) {
  auto result = parse(text);
  EXPECT_TRUE(result.ok()) << (result.error ? result.error->to_string() : "") << "\n" << text;
  return result.description;
}

SessionDescription corpus(const std::string& name) {
  return parsed(testing::corpus_file(name));
}

MediaCapabilities caps(std::vector<Codec> codecs = {Codec::pcma, Codec::pcmu, Codec::g722}) {
  MediaCapabilities c;
  c.codecs = std::move(codecs);
  c.ipv4_address = "192.0.2.10";
  c.port = 20000;
  return c;
}

SrtpKey key(std::string suite, std::uint8_t fill, std::size_t size = 30) {
  return SrtpKey{std::move(suite), std::vector<std::uint8_t>(size, fill)};
}

MediaCapabilities srtp_caps(config::SrtpMode mode) {
  auto c = caps();
  c.srtp = mode;
  c.srtp_keys = {key("AES_CM_128_HMAC_SHA1_80", 0x11), key("AES_CM_128_HMAC_SHA1_32", 0x22)};
  return c;
}

// The answer must itself be valid SDP that reads back the same.
void expect_valid_sdp(const SessionDescription& d) {
  auto reread = parse(serialize(d));
  ASSERT_TRUE(reread.ok()) << reread.error->to_string() << "\n" << serialize(d);
  EXPECT_EQ(reread.description, d);
}

AnswerResult answer(const std::string& corpus_name, const MediaCapabilities& c) {
  LocalSession session(1000);
  auto result = create_answer(corpus(corpus_name), c, session);
  if (result.ok()) expect_valid_sdp(result.description);
  return result;
}

// --- answering offers -------------------------------------------------------------------------------------

TEST(Answer, ExolveStylePcmaWithTelephoneEvent) {
  LocalSession session(1000, 5);
  auto result = create_answer(corpus("exolve_pcma_dtmf.sdp"), caps(), session);
  ASSERT_TRUE(result.ok()) << result.rejection->to_string();
  EXPECT_EQ(serialize(result.description),
            "v=0\r\n"
            "o=- 1000 5 IN IP4 192.0.2.10\r\n"
            "s=voice-agent\r\n"
            "c=IN IP4 192.0.2.10\r\n"
            "t=0 0\r\n"
            "m=audio 20000 RTP/AVP 8 101\r\n"
            "a=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-15\r\n"
            "a=ptime:20\r\n"
            "a=sendrecv\r\n");
  const auto& m = result.media;
  EXPECT_EQ(m.codec.codec, Codec::pcma);
  EXPECT_EQ(m.codec.send_payload_type, 8);
  EXPECT_EQ(m.codec.receive_payload_type, 8);
  EXPECT_EQ(m.codec.rtp_clock_rate, 8000u);
  ASSERT_TRUE(m.telephone_event);
  EXPECT_EQ(m.telephone_event->send_payload_type, 101);
  EXPECT_EQ(m.telephone_event->clock_rate, 8000u);
  EXPECT_EQ(m.remote_rtp, (TransportAddress{AddressType::ip4, "203.0.113.99", 31442}));
  EXPECT_EQ(m.remote_rtcp, (TransportAddress{AddressType::ip4, "203.0.113.99", 31443}));
  EXPECT_EQ(m.direction, Direction::sendrecv);
  EXPECT_FALSE(m.remote_hold);
  EXPECT_EQ(m.ptime, 20ms);
  EXPECT_FALSE(m.srtp);
}

TEST(Answer, CodecFollowsOurPreferenceAmongThoseOffered) {
  // LiveKit offers G722 first; we follow codecs.preference, not the offer's order.
  auto pcma_first = answer("livekit_offer.sdp", caps({Codec::pcma, Codec::pcmu, Codec::g722}));
  ASSERT_TRUE(pcma_first.ok());
  EXPECT_EQ(pcma_first.media.codec.codec, Codec::pcma);
  EXPECT_EQ(pcma_first.description.media[0].formats, (std::vector<std::string>{"8", "101"}));

  auto wideband_first = answer("livekit_offer.sdp", caps({Codec::g722, Codec::pcma}));
  ASSERT_TRUE(wideband_first.ok());
  EXPECT_EQ(wideband_first.media.codec.codec, Codec::g722);

  // Only one of ours is offered: that one, wherever it is in our list.
  auto only_pcmu = answer("kamailio_rtpengine_rewritten.sdp", caps({Codec::g722, Codec::pcmu}));
  ASSERT_TRUE(only_pcmu.ok());
  EXPECT_EQ(only_pcmu.media.codec.codec, Codec::pcmu);
}

TEST(Answer, LiveKitBridgeOfferWithFlashEvent) {
  auto result = answer("livekit_offer.sdp", caps());
  ASSERT_TRUE(result.ok());
  // LiveKit offers events 0-16 (16 is flash); we answer the DTMF events we handle.
  EXPECT_EQ(result.description.media[0].fmtp("101"), "0-15");
  EXPECT_EQ(result.media.remote_rtp.address, "198.51.100.50");
  EXPECT_EQ(result.media.remote_rtp.port, 10026);
}

TEST(Answer, BaresipG722KeepsTheRfc3551ClockQuirk) {
  auto result = answer("baresip_g722_offer.sdp", caps({Codec::g722, Codec::pcma}));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.media.codec.codec, Codec::g722);
  EXPECT_EQ(result.media.codec.send_payload_type, 9);
  EXPECT_EQ(result.media.codec.rtp_clock_rate, 8000u);
  EXPECT_EQ(result.media.codec.sample_rate, 16000u);
  ASSERT_TRUE(result.media.telephone_event);
  EXPECT_EQ(result.media.telephone_event->clock_rate, 8000u);
  const auto& m = result.description.media[0];
  EXPECT_EQ(m.rtpmap(9)->clock_rate, 8000u);  // "G722/8000"
  EXPECT_EQ(m.rtpmap(101)->clock_rate, 8000u);
}

TEST(Answer, G722PeerWithOnlyWidebandTelephoneEvent) {
  auto result = answer("g722_telephone_event_16000.sdp", caps({Codec::g722}));
  ASSERT_TRUE(result.ok());
  ASSERT_TRUE(result.media.telephone_event);
  EXPECT_EQ(result.media.telephone_event->send_payload_type, 102);
  EXPECT_EQ(result.media.telephone_event->clock_rate, 16000u);
  EXPECT_EQ(result.description.media[0].rtpmap(102)->clock_rate, 16000u);
}

TEST(Answer, NoCommonCodecIs488) {
  auto result = answer("linphone_audio_video_offer.sdp", caps({Codec::g722, Codec::g729}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.rejection->reason, Rejection::no_common_codec);
  EXPECT_EQ(NotAcceptable::kSipStatus, 488);
  EXPECT_NE(result.rejection->detail.find("opus/48000"), std::string::npos) << result.rejection->detail;
  EXPECT_NE(result.rejection->detail.find("we accept G722, G729"), std::string::npos);

  auto g729_only =
      parsed(std::string("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n") +
             "m=audio 4000 RTP/AVP 18\r\n");
  LocalSession session(1);
  auto refused = create_answer(g729_only, caps(), session);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.rejection->reason, Rejection::no_common_codec);
  EXPECT_FALSE(session.last().has_value());  // nothing was sent, nothing stamped
}

TEST(Answer, G729WhenEnabledAnswersWithoutAnnexB) {
  auto result = answer("carrier_sbc_pcma_pcmu_g729.sdp", caps({Codec::g729, Codec::pcma}));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.media.codec.codec, Codec::g729);
  EXPECT_EQ(result.description.media[0].fmtp("18"), "annexb=no");
}

TEST(Answer, WithoutTelephoneEventInTheOffer) {
  auto result = answer("carrier_ptime30_no_dtmf.sdp", caps());
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result.media.telephone_event);  // DTMF falls back to in-band detection
  EXPECT_EQ(result.description.media[0].formats, std::vector<std::string>{"8"});
}

TEST(Answer, TelephoneEventOffWhenNotConfigured) {
  auto c = caps();
  c.telephone_event = false;
  auto result = answer("exolve_pcma_dtmf.sdp", c);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result.media.telephone_event);
  EXPECT_EQ(result.description.media[0].formats, std::vector<std::string>{"8"});
}

TEST(Answer, PeerPtime30IsWhatWeSend) {
  auto result = answer("carrier_ptime30_no_dtmf.sdp", caps());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.media.ptime, 30ms);
  EXPECT_EQ(result.description.media[0].ptime(), 20u);  // what we ask for ourselves
  // maxptime caps it; nonsense is ignored.
  auto offer = corpus("carrier_ptime30_no_dtmf.sdp");
  offer.media[0].attributes.add("maxptime", "20");
  LocalSession session(1);
  EXPECT_EQ(create_answer(offer, caps(), session).media.ptime, 20ms);
  offer.media[0].attributes.remove("ptime");
  offer.media[0].attributes.remove("maxptime");
  offer.media[0].attributes.add("ptime", "3");
  EXPECT_EQ(create_answer(offer, caps(), session).media.ptime, 20ms);
}

TEST(Answer, HoldAndUnholdByReInvite) {
  LocalSession session(1000, 1);
  auto initial = create_answer(corpus("exolve_pcma_dtmf.sdp"), caps(), session);
  ASSERT_TRUE(initial.ok());
  EXPECT_EQ(session.version(), 1u);

  // Session-timer refresh with the same offer: our SDP is unchanged, so is its version.
  auto refresh = create_answer(corpus("exolve_pcma_dtmf.sdp"), caps(), session);
  EXPECT_EQ(session.version(), 1u);
  EXPECT_EQ(refresh.description, initial.description);

  auto hold = create_answer(corpus("exolve_hold_sendonly.sdp"), caps(), session);
  ASSERT_TRUE(hold.ok());
  EXPECT_EQ(hold.media.direction, Direction::recvonly);
  EXPECT_TRUE(hold.media.remote_hold);
  EXPECT_EQ(hold.description.direction_of(hold.description.media[0]), Direction::recvonly);
  EXPECT_EQ(hold.description.origin.session_version, "2");

  auto unhold = create_answer(corpus("exolve_pcma_dtmf.sdp"), caps(), session);
  EXPECT_EQ(unhold.media.direction, Direction::sendrecv);
  EXPECT_FALSE(unhold.media.remote_hold);
  EXPECT_EQ(unhold.description.origin.session_version, "3");
  EXPECT_EQ(unhold.description.origin.session_id, "1000");
}

TEST(Answer, InactiveStopsMediaBothWays) {
  auto result = answer("inactive_reinvite.sdp", caps());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.media.direction, Direction::inactive);
  EXPECT_TRUE(result.media.remote_hold);
  EXPECT_EQ(result.description.media[0].attributes.direction(), Direction::inactive);
}

TEST(Answer, Rfc2543HoldWithZeroConnectionAddress) {
  auto result = answer("carrier_rfc2543_hold.sdp", caps());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.media.direction, Direction::recvonly);  // nowhere to send to
  EXPECT_TRUE(result.media.remote_hold);
  EXPECT_EQ(result.media.remote_rtp.address, "0.0.0.0");
}

TEST(Answer, OurOwnHoldWhileAnswering) {
  auto c = caps();
  c.direction = Direction::sendonly;
  auto result = answer("exolve_pcma_dtmf.sdp", c);
  EXPECT_EQ(result.media.direction, Direction::sendonly);
  EXPECT_FALSE(result.media.remote_hold);
  // Peer holds, we hold: nothing flows.
  EXPECT_EQ(answer("exolve_hold_sendonly.sdp", c).media.direction, Direction::inactive);
}

TEST(Answer, SecondMediaStreamRejectedWithPortZeroKeepingOrder) {
  auto result = answer("linphone_audio_video_offer.sdp", caps());
  ASSERT_TRUE(result.ok());
  const auto& d = result.description;
  ASSERT_EQ(d.media.size(), 2u);
  EXPECT_EQ(d.media[0].media, "audio");
  EXPECT_EQ(d.media[0].port, 20000);
  EXPECT_EQ(d.media[1].media, "video");
  EXPECT_EQ(d.media[1].port, 0);
  EXPECT_EQ(d.media[1].proto, "RTP/AVP");
  EXPECT_FALSE(d.media[1].formats.empty());
  EXPECT_TRUE(d.media[1].attributes.items.empty());
  EXPECT_EQ(result.media.media_index, 0u);
  // Linphone's telephone-event/48000 does not match PCMA's clock; its /8000 one does.
  ASSERT_TRUE(result.media.telephone_event);
  EXPECT_EQ(result.media.telephone_event->send_payload_type, 99);
}

TEST(Answer, RejectedAudioStreamIsSkippedAndAnotherUsed) {
  auto offer = parsed(
      "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
      "m=audio 0 RTP/AVP 0\r\n"
      "m=audio 4002 RTP/AVP 8\r\n"
      "m=audio 4004 RTP/AVP 0\r\n");
  LocalSession session(1);
  auto result = create_answer(offer, caps(), session);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.media.media_index, 1u);
  const auto& d = result.description;
  ASSERT_EQ(d.media.size(), 3u);
  EXPECT_EQ(d.media[0].port, 0);
  EXPECT_EQ(d.media[1].port, 20000);
  EXPECT_EQ(d.media[2].port, 0);  // only the first usable audio stream is used
  expect_valid_sdp(d);
}

TEST(Answer, OfferWithoutUsableAudioIs488) {
  auto fax = answer("t38_reinvite_offer.sdp", caps());
  ASSERT_FALSE(fax.ok());
  EXPECT_EQ(fax.rejection->reason, Rejection::no_audio);

  auto webrtc = parsed(
      "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n");
  LocalSession session(1);
  auto refused = create_answer(webrtc, caps(), session);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.rejection->reason, Rejection::unsupported_transport);
}

TEST(Answer, DynamicPayloadTypesAreMatchedByName) {
  auto result = answer("dynamic_pcma_payload_type.sdp", caps());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.media.codec.codec, Codec::pcma);
  EXPECT_EQ(result.media.codec.send_payload_type, 96);  // the offer's number, both ways
  EXPECT_EQ(result.media.codec.receive_payload_type, 96);
  EXPECT_EQ(result.media.telephone_event->send_payload_type, 97);
  EXPECT_EQ(result.description.media[0].formats, (std::vector<std::string>{"96", "97"}));
  EXPECT_EQ(result.description.media[0].rtpmap(96)->encoding_name, "pcma");  // echoed as the peer wrote it
}

TEST(Answer, PbxOffersWithComfortNoiseAndRtcpAttribute) {
  auto fs = answer("freeswitch_offer_cn_rtcp.sdp", caps());
  ASSERT_TRUE(fs.ok());
  EXPECT_EQ(fs.description.media[0].formats, (std::vector<std::string>{"8", "101"}));  // no CN back
  EXPECT_EQ(fs.media.remote_rtcp, (TransportAddress{AddressType::ip4, "192.0.2.41", 16385}));

  auto cisco = answer("cisco_cube_offer.sdp", caps());
  ASSERT_TRUE(cisco.ok());
  EXPECT_EQ(cisco.media.codec.codec, Codec::pcma);

  auto rtpengine = answer("kamailio_rtpengine_rewritten.sdp", caps());
  ASSERT_TRUE(rtpengine.ok());
  EXPECT_EQ(rtpengine.media.remote_rtp, (TransportAddress{AddressType::ip4, "203.0.113.10", 30012}));
  EXPECT_EQ(rtpengine.media.remote_rtcp.port, 30013);
}

TEST(Answer, RtcpMuxOnlyWhenBothSidesWantIt) {
  auto offer = corpus("exolve_pcma_dtmf.sdp");
  offer.media[0].attributes.add("rtcp-mux");
  LocalSession session(1);
  auto without = create_answer(offer, caps(), session);
  EXPECT_FALSE(without.media.rtcp_mux);
  EXPECT_FALSE(without.description.media[0].rtcp_mux());
  auto c = caps();
  c.rtcp_mux = true;
  auto with = create_answer(offer, c, session);
  EXPECT_TRUE(with.media.rtcp_mux);
  EXPECT_TRUE(with.description.media[0].rtcp_mux());
  EXPECT_EQ(with.media.remote_rtcp, with.media.remote_rtp);
}

TEST(Answer, Ipv6OfferNeedsAnIpv6AddressOfOurs) {
  auto without = answer("baresip_ipv6_offer.sdp", caps());
  ASSERT_FALSE(without.ok());
  EXPECT_EQ(without.rejection->reason, Rejection::address_family);

  auto c = caps();
  c.ipv6_address = "2001:db8::10";
  auto with = answer("baresip_ipv6_offer.sdp", c);
  ASSERT_TRUE(with.ok());
  EXPECT_EQ(with.description.connection->address_type, AddressType::ip6);
  EXPECT_EQ(with.description.connection->address, "2001:db8::10");
  EXPECT_EQ(with.description.origin.address_type, AddressType::ip6);
  EXPECT_EQ(with.media.remote_rtp, (TransportAddress{AddressType::ip6, "fd00::2", 20024}));

  auto rtcp = answer("ipv6_media_level_rtcp.sdp", c);
  ASSERT_TRUE(rtcp.ok());
  EXPECT_EQ(rtcp.media.remote_rtcp, (TransportAddress{AddressType::ip6, "2001:db8::11", 20011}));
}

// --- SRTP (RFC 4568 SDES) --------------------------------------------------------------------------------

TEST(AnswerSrtp, OptionalAcceptsBestEffortSrtpOffer) {
  auto result = answer("baresip_srtp_best_effort_offer.sdp", srtp_caps(config::SrtpMode::optional));
  ASSERT_TRUE(result.ok());
  const auto& m = result.description.media[0];
  EXPECT_EQ(m.proto, "RTP/AVP");
  auto crypto = m.attributes.all("crypto");
  ASSERT_EQ(crypto.size(), 1u);
  auto ours = parse_crypto(*crypto[0]->value);
  ASSERT_TRUE(ours);
  EXPECT_EQ(ours->tag, 1u);
  EXPECT_EQ(ours->suite, "AES_CM_128_HMAC_SHA1_80");
  EXPECT_EQ(ours->keys[0].key_salt, std::vector<std::uint8_t>(30, 0x11));
  ASSERT_TRUE(result.media.srtp);
  EXPECT_EQ(result.media.srtp->local_key_salt, std::vector<std::uint8_t>(30, 0x11));
  EXPECT_EQ(result.media.srtp->remote_key_salt,
            *base64_decode("xZc22IiKt0yaHXZAWhsMNUVdprirYtsKVlg17Mml"));  // baresip's key
}

TEST(AnswerSrtp, OptionalAnswersPlainOfferWithPlainRtp) {
  auto result = answer("exolve_pcma_dtmf.sdp", srtp_caps(config::SrtpMode::optional));
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result.media.srtp);
  EXPECT_FALSE(result.description.media[0].attributes.has("crypto"));
}

TEST(AnswerSrtp, RequiredRefusesPlainOffer) {
  auto result = answer("exolve_pcma_dtmf.sdp", srtp_caps(config::SrtpMode::required));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.rejection->reason, Rejection::srtp_required);
}

TEST(AnswerSrtp, RequiredPicksTheFirstOfferedSuiteWeHave) {
  auto c = srtp_caps(config::SrtpMode::required);
  auto result = answer("livekit_srtp_offer.sdp", c);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.description.media[0].proto, "RTP/SAVP");
  EXPECT_EQ(result.media.srtp->suite, "AES_CM_128_HMAC_SHA1_80");
  EXPECT_EQ(result.media.srtp->tag, 1u);

  c.srtp_keys = {key("AES_CM_128_HMAC_SHA1_32", 0x22)};
  auto only_32 = answer("livekit_srtp_offer.sdp", c);
  ASSERT_TRUE(only_32.ok());
  EXPECT_EQ(only_32.media.srtp->tag, 2u);  // the offer's tag is echoed
  EXPECT_EQ(parse_crypto(*only_32.description.media[0].attributes.find("crypto")->value)->tag, 2u);

  c.srtp_keys = {key("AEAD_AES_128_GCM", 0x33, 28)};
  auto none = answer("livekit_srtp_offer.sdp", c);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.rejection->reason, Rejection::no_common_crypto_suite);
}

TEST(AnswerSrtp, OffRefusesSavpOffer) {
  auto result = answer("baresip_srtp_mandatory_offer.sdp", caps());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.rejection->reason, Rejection::srtp_not_enabled);
  // A best-effort offer is just RTP to us.
  auto plain = answer("baresip_srtp_best_effort_offer.sdp", caps());
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain.media.srtp);
  EXPECT_FALSE(plain.description.media[0].attributes.has("crypto"));
}

TEST(AnswerSrtp, SkipsCryptoLinesWithMkiOrLifetimeOnlyWhereUnsupported) {
  // Tag 1 has an MKI (unsupported), tag 2 only a lifetime (fine).
  auto result = answer("srtp_lifetime_mki.sdp", srtp_caps(config::SrtpMode::required));
  ASSERT_TRUE(result.ok()) << result.rejection->to_string();
  EXPECT_EQ(result.media.srtp->tag, 2u);
  EXPECT_EQ(result.media.srtp->remote_lifetime, std::uint64_t{1} << 31);
}

TEST(AnswerSrtp, SrtpAndRtpOfferedAsTwoStreams) {
  // Some phones offer an RTP/SAVP stream and an RTP/AVP fallback; with SRTP off the second one is used.
  auto offer = parsed(
      "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
      "m=audio 4000 RTP/SAVP 8\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
      "inline:UvImZaYMEtKJGF2VDuiBNgkWb2sRPReNbA/TkB/y\r\n"
      "m=audio 4002 RTP/AVP 8\r\n");
  LocalSession session(1);
  auto result = create_answer(offer, caps(), session);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.media.media_index, 1u);
  EXPECT_EQ(result.description.media[0].port, 0);
  EXPECT_EQ(result.description.media[0].proto, "RTP/SAVP");
}

// --- our offers and the answers to them --------------------------------------------------------------------

TEST(Offer, DefaultOfferListsOurCodecsAndTelephoneEvent) {
  LocalSession session(77, 1);
  auto offer = create_offer(caps({Codec::g722, Codec::pcma, Codec::pcmu}), session);
  EXPECT_EQ(serialize(offer),
            "v=0\r\n"
            "o=- 77 1 IN IP4 192.0.2.10\r\n"
            "s=voice-agent\r\n"
            "c=IN IP4 192.0.2.10\r\n"
            "t=0 0\r\n"
            "m=audio 20000 RTP/AVP 9 8 0 101\r\n"
            "a=rtpmap:9 G722/8000\r\n"
            "a=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-15\r\n"
            "a=ptime:20\r\n"
            "a=sendrecv\r\n");
  expect_valid_sdp(offer);
}

TEST(Offer, G729AndWidebandTelephoneEventWhenAskedFor) {
  auto c = caps({Codec::g722, Codec::g729});
  c.offer_wideband_telephone_event = true;
  c.ptime = 30ms;
  LocalSession session(1);
  auto offer = create_offer(c, session);
  const auto& m = offer.media[0];
  EXPECT_EQ(m.formats, (std::vector<std::string>{"9", "18", "101", "102"}));
  EXPECT_EQ(m.fmtp("18"), "annexb=no");
  EXPECT_EQ(m.rtpmap(102)->clock_rate, 16000u);
  EXPECT_EQ(m.ptime(), 30u);
}

TEST(Offer, SrtpRequiredIsSavpOptionalIsAvpWithCrypto) {
  LocalSession session(1);
  auto required = create_offer(srtp_caps(config::SrtpMode::required), session);
  EXPECT_EQ(required.media[0].proto, "RTP/SAVP");
  auto lines = required.media[0].attributes.all("crypto");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(*lines[0]->value,
            "1 AES_CM_128_HMAC_SHA1_80 inline:" + base64_encode(std::vector<std::uint8_t>(30, 0x11)));
  EXPECT_EQ(parse_crypto(*lines[1]->value)->tag, 2u);

  LocalSession other(2);
  auto optional = create_offer(srtp_caps(config::SrtpMode::optional), other);
  EXPECT_EQ(optional.media[0].proto, "RTP/AVP");
  EXPECT_EQ(optional.media[0].attributes.all("crypto").size(), 2u);
}

TEST(Offer, LateOfferAnswerArrivesInAck) {
  // INVITE without SDP: our offer goes in the 200 OK, the answer comes in the ACK.
  LocalSession session(500);
  auto offer = create_offer(caps(), session);
  auto ack_body = corpus("livekit_answer.sdp");
  auto negotiated = process_answer(offer, ack_body, caps());
  ASSERT_TRUE(negotiated.ok()) << negotiated.error->to_string();
  EXPECT_EQ(negotiated.media.codec.codec, Codec::pcma);
  EXPECT_EQ(negotiated.media.telephone_event->send_payload_type, 101);
  EXPECT_EQ(negotiated.media.remote_rtp, (TransportAddress{AddressType::ip4, "198.51.100.50", 10032}));
  EXPECT_EQ(negotiated.media.direction, Direction::sendrecv);
}

TEST(Offer, OurHoldAndUnholdReInvites) {
  LocalSession session(500);
  auto c = caps();
  auto first = create_offer(c, session);
  EXPECT_EQ(session.version(), 0u);
  c.direction = Direction::sendonly;
  auto hold = create_offer(c, session);
  EXPECT_EQ(hold.origin.session_version, "1");
  auto answered = corpus("livekit_answer.sdp");
  answered.media[0].attributes.set_direction(Direction::recvonly);
  auto held = process_answer(hold, answered, c);
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held.media.direction, Direction::sendonly);
  EXPECT_FALSE(held.media.remote_hold);

  c.direction = Direction::sendrecv;
  auto unhold = create_offer(c, session);
  EXPECT_EQ(unhold.origin.session_version, "2");
  // Same offer again (e.g. re-sent after 491 glare): the version stays.
  auto again = create_offer(c, session);
  EXPECT_EQ(again.origin.session_version, "2");
  EXPECT_EQ(again, unhold);
}

TEST(Offer, ReOfferKeepsTheMediaLinesOfTheDialog) {
  LocalSession session(9);
  auto first = create_answer(corpus("linphone_audio_video_offer.sdp"), caps(), session);
  ASSERT_TRUE(first.ok());
  auto c = caps();
  c.direction = Direction::sendonly;
  auto reoffer = create_offer(c, session);
  ASSERT_EQ(reoffer.media.size(), 2u);
  EXPECT_EQ(reoffer.media[0].media, "audio");
  EXPECT_EQ(reoffer.media[0].attributes.direction(), Direction::sendonly);
  EXPECT_EQ(reoffer.media[1].media, "video");
  EXPECT_EQ(reoffer.media[1].port, 0);
  expect_valid_sdp(reoffer);
}

TEST(ProcessAnswer, RenumberedTelephoneEventAndEchoedNumbersWithoutRtpmap) {
  LocalSession session(1);
  auto offer = create_offer(caps(), session);
  auto renumbered = parsed(
      "v=0\r\no=- 1 1 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 192.0.2.50\r\nt=0 0\r\n"
      "m=audio 6000 RTP/AVP 0 96 13\r\na=rtpmap:96 telephone-event/8000\r\n");
  auto result = process_answer(offer, renumbered, caps());
  ASSERT_TRUE(result.ok()) << result.error->to_string();
  EXPECT_EQ(result.media.codec.codec, Codec::pcmu);
  EXPECT_EQ(result.media.telephone_event->send_payload_type, 96);      // theirs
  EXPECT_EQ(result.media.telephone_event->receive_payload_type, 101);  // ours

  auto echoed = parsed(
      "v=0\r\no=- 1 1 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 192.0.2.50\r\nt=0 0\r\n"
      "m=audio 6000 RTP/AVP 8 101\r\n");
  auto echo = process_answer(offer, echoed, caps());
  ASSERT_TRUE(echo.ok()) << echo.error->to_string();
  EXPECT_EQ(echo.media.telephone_event->send_payload_type, 101);
}

TEST(ProcessAnswer, FirstCodecOfTheAnswerIsUsed) {
  LocalSession session(1);
  auto offer = create_offer(caps(), session);
  auto answer_text = parsed(
      "v=0\r\no=- 1 1 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 192.0.2.50\r\nt=0 0\r\n"
      "m=audio 6000 RTP/AVP 9 8\r\n");
  auto result = process_answer(offer, answer_text, caps());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.media.codec.codec, Codec::g722);
  EXPECT_FALSE(result.media.telephone_event);
}

TEST(ProcessAnswer, MismatchedAnswersAreErrors) {
  LocalSession session(1);
  auto offer = create_offer(caps({Codec::pcma, Codec::pcmu}), session);
  auto head = std::string("v=0\r\no=- 1 1 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 192.0.2.50\r\nt=0 0\r\n");
  struct Case {
    std::string media;
    AnswerProblem problem;
  };
  for (const auto& c : std::vector<Case>{
           {"m=audio 6000 RTP/AVP 9\r\n", AnswerProblem::codec_not_offered},  // G722 was not offered
           {"m=audio 6000 RTP/AVP 8 18\r\n", AnswerProblem::codec_not_offered},
           {"m=audio 6000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n", AnswerProblem::codec_not_offered},
           {"m=audio 6000 RTP/AVP 97\r\n", AnswerProblem::codec_not_offered},
           {"m=audio 6000 RTP/AVP 101\r\n", AnswerProblem::no_codec},
           {"m=audio 0 RTP/AVP 8\r\n", AnswerProblem::audio_rejected},
           {"m=audio 6000 RTP/SAVP 8\r\n", AnswerProblem::transport_mismatch},
           {"m=video 6000 RTP/AVP 8\r\n", AnswerProblem::media_type_mismatch},
           {"m=audio 6000 RTP/AVP 8\r\nm=video 0 RTP/AVP 96\r\n", AnswerProblem::media_count_mismatch},
       }) {
    auto result = process_answer(offer, parsed(head + c.media), caps());
    ASSERT_FALSE(result.ok()) << c.media;
    EXPECT_EQ(result.error->problem, c.problem) << c.media << result.error->to_string();
  }
}

TEST(ProcessAnswer, SrtpKeysComeFromTheAnsweredTag) {
  auto c = srtp_caps(config::SrtpMode::optional);
  LocalSession session(1);
  auto offer = create_offer(c, session);
  auto head = std::string("v=0\r\no=- 1 1 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 192.0.2.50\r\nt=0 0\r\n");
  auto their_key = std::vector<std::uint8_t>(30, 0x99);
  auto answer_with = [&](const std::string& crypto) {
    return parsed(head + "m=audio 6000 RTP/AVP 8\r\n" + crypto);
  };
  auto ok = process_answer(
      offer, answer_with("a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" + base64_encode(their_key) + "\r\n"),
      c);
  ASSERT_TRUE(ok.ok()) << ok.error->to_string();
  EXPECT_EQ(ok.media.srtp->suite, "AES_CM_128_HMAC_SHA1_32");
  EXPECT_EQ(ok.media.srtp->local_key_salt, std::vector<std::uint8_t>(30, 0x22));
  EXPECT_EQ(ok.media.srtp->remote_key_salt, their_key);

  auto wrong_suite = process_answer(
      offer, answer_with("a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" + base64_encode(their_key) + "\r\n"),
      c);
  ASSERT_FALSE(wrong_suite.ok());
  EXPECT_EQ(wrong_suite.error->problem, AnswerProblem::crypto_mismatch);

  auto plain = process_answer(offer, answer_with(""), c);  // optional: plain RTP is fine
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain.media.srtp);

  auto strict = srtp_caps(config::SrtpMode::required);
  LocalSession other(2);
  auto savp_offer = create_offer(strict, other);
  auto missing = process_answer(savp_offer, parsed(head + "m=audio 6000 RTP/SAVP 8\r\n"), strict);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error->problem, AnswerProblem::srtp_missing);
}

TEST(ProcessAnswer, AnswerWithZeroAddressPutsUsOnHold) {
  LocalSession session(1);
  auto offer = create_offer(caps(), session);
  auto answer_text = parsed(
      "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 6000 RTP/AVP 8\r\n");
  auto result = process_answer(offer, answer_text, caps());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.media.direction, Direction::recvonly);
  EXPECT_TRUE(result.media.remote_hold);
}

TEST(MediaCapabilities, FromConfiguration) {
  config::Codecs codecs;
  codecs.preference = {Codec::g729, Codec::pcma, Codec::g722};
  codecs.g729 = false;
  codecs.telephone_event = false;
  codecs.ptime = 40ms;
  auto c = media_capabilities(codecs, config::SrtpMode::optional);
  EXPECT_EQ(c.codecs, (std::vector<Codec>{Codec::pcma, Codec::g722}));  // G729 needs codecs.g729
  EXPECT_FALSE(c.telephone_event);
  EXPECT_EQ(c.ptime, 40ms);
  EXPECT_EQ(c.srtp, config::SrtpMode::optional);
  codecs.g729 = true;
  EXPECT_EQ(media_capabilities(codecs, config::SrtpMode::off).codecs.front(), Codec::g729);
}

TEST(LocalSession, NewSessionIdsDiffer) {
  auto a = new_session_id();
  auto b = new_session_id();
  EXPECT_NE(a, b);
  EXPECT_LT(a, std::uint64_t{1} << 63);
}

}  // namespace
}  // namespace va::sdp
