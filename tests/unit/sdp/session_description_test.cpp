// Typed attribute readers, connection data, payload formats and SDES crypto lines.
#include "sdp/session_description.hpp"

#include <gtest/gtest.h>

#include "sdp/crypto_attribute.hpp"
#include "sdp/parser.hpp"
#include "sdp/payload_formats.hpp"

namespace va::sdp {
namespace {

MediaDescription audio_with(std::vector<Attribute> attributes, std::vector<std::string> formats = {"0"}) {
  MediaDescription m;
  m.media = "audio";
  m.port = 4000;
  m.proto = "RTP/AVP";
  m.formats = std::move(formats);
  m.attributes.items = std::move(attributes);
  return m;
}

TEST(RtpMap, ReadsNameClockAndChannels) {
  auto map = parse_rtpmap("96 opus/48000/2");
  ASSERT_TRUE(map);
  EXPECT_EQ(map->payload_type, 96);
  EXPECT_EQ(map->encoding_name, "opus");
  EXPECT_EQ(map->clock_rate, 48000u);
  EXPECT_EQ(map->channels(), 2u);
  EXPECT_EQ(format_rtpmap(*map), "96 opus/48000/2");
  EXPECT_EQ(parse_rtpmap("101 telephone-event/8000")->channels(), 1u);
  EXPECT_EQ(parse_rtpmap("8  PCMA/8000")->encoding_name, "PCMA");
}

TEST(RtpMap, RejectsWhatIsNotAnRtpmap) {
  for (const char* bad : {"", "96", "96 opus", "96 opus/", "96 /8000", "128 PCMA/8000", "x PCMA/8000",
                          "96 opus/48k", "96 opus/48000/"}) {
    EXPECT_FALSE(parse_rtpmap(bad).has_value()) << bad;
  }
}

TEST(MediaDescription, FormatFallsBackToTheStaticTableOnlyForStaticTypes) {
  auto m = audio_with({{"rtpmap", "101 telephone-event/8000"}}, {"8", "101", "96"});
  EXPECT_EQ(m.format(8)->encoding_name, "PCMA");  // RFC 3551, no rtpmap needed
  EXPECT_EQ(m.format(101)->encoding_name, "telephone-event");
  EXPECT_FALSE(m.format(96).has_value());  // dynamic without rtpmap: unknown
  EXPECT_FALSE(m.rtpmap(8).has_value());
}

TEST(MediaDescription, LaterRtpmapForTheSamePayloadTypeWins) {
  auto m = audio_with({{"rtpmap", "96 opus/48000/2"}, {"rtpmap", "96 PCMA/8000"}}, {"96"});
  EXPECT_EQ(m.format(96)->encoding_name, "PCMA");
}

TEST(MediaDescription, ReadsFmtpPtimeMaxptimeAndRtcp) {
  auto m = audio_with({{"fmtp", "101 0-16"},
                       {"fmtp", "18 annexb=no"},
                       {"ptime", "30"},
                       {"maxptime", "40"},
                       {"rtcp", "16385 IN IP4 192.0.2.41"},
                       {"rtcp-mux", std::nullopt}});
  EXPECT_EQ(m.fmtp("101"), "0-16");
  EXPECT_EQ(m.fmtp("18"), "annexb=no");
  EXPECT_FALSE(m.fmtp("1").has_value());
  EXPECT_EQ(m.ptime(), 30u);
  EXPECT_EQ(m.maxptime(), 40u);
  ASSERT_TRUE(m.rtcp());
  EXPECT_EQ(m.rtcp()->port, 16385);
  EXPECT_EQ(m.rtcp()->connection->address, "192.0.2.41");
  EXPECT_TRUE(m.rtcp_mux());
  EXPECT_EQ(audio_with({{"rtcp", "30013"}}).rtcp()->connection, std::nullopt);
}

TEST(MediaDescription, ToleratesDecimalPtimeAndIgnoresNonsense) {
  EXPECT_EQ(audio_with({{"ptime", "20.0"}}).ptime(), 20u);
  EXPECT_FALSE(audio_with({{"ptime", "0"}}).ptime().has_value());
  EXPECT_FALSE(audio_with({{"ptime", "fast"}}).ptime().has_value());
  EXPECT_FALSE(audio_with({{"ptime", std::nullopt}}).ptime().has_value());
  EXPECT_FALSE(audio_with({{"rtcp", "70000"}}).rtcp().has_value());
}

TEST(Direction, MediaOverridesSessionAndDefaultIsSendrecv) {
  SessionDescription d;
  d.media.push_back(audio_with({}));
  EXPECT_EQ(d.direction_of(d.media[0]), Direction::sendrecv);
  d.attributes.add("sendonly");
  EXPECT_EQ(d.direction_of(d.media[0]), Direction::sendonly);
  d.media[0].attributes.add("inactive");
  EXPECT_EQ(d.direction_of(d.media[0]), Direction::inactive);
  d.media[0].attributes.add("recvonly");  // a second one: the later wins, as in sofia-sip
  EXPECT_EQ(d.direction_of(d.media[0]), Direction::recvonly);
  d.media[0].attributes.set_direction(Direction::sendrecv);
  EXPECT_EQ(d.media[0].attributes.all("recvonly").size(), 0u);
  EXPECT_EQ(d.direction_of(d.media[0]), Direction::sendrecv);
}

TEST(Direction, ReversesAndIntersects) {
  EXPECT_EQ(reversed(Direction::sendonly), Direction::recvonly);
  EXPECT_EQ(reversed(Direction::recvonly), Direction::sendonly);
  EXPECT_EQ(reversed(Direction::sendrecv), Direction::sendrecv);
  EXPECT_EQ(reversed(Direction::inactive), Direction::inactive);
  EXPECT_EQ(intersect(Direction::sendrecv, Direction::sendonly), Direction::sendonly);
  EXPECT_EQ(intersect(Direction::recvonly, Direction::sendonly), Direction::inactive);
  EXPECT_TRUE(sends(Direction::sendrecv));
  EXPECT_FALSE(receives(Direction::sendonly));
}

TEST(Connection, ReadsUnicastMulticastAndIpv6) {
  auto c = parse_connection("IN IP4 224.2.17.12/127/3");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->address, "224.2.17.12");
  EXPECT_EQ(c->ttl, 127);
  EXPECT_EQ(c->address_count, 3u);
  EXPECT_EQ(format_connection(*c), "IN IP4 224.2.17.12/127/3");

  auto v6 = parse_connection("IN IP6 2001:db8::1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->address_type, AddressType::ip6);
  EXPECT_EQ(parse_connection("IN IP6 FF15::101/3")->address_count, 3u);
  EXPECT_EQ(parse_connection("IN IP4 media.example.com")->address, "media.example.com");
}

TEST(Connection, SaysWhatIsWrong) {
  std::string problem;
  EXPECT_FALSE(parse_connection("IN IP4 999.1.2.3", &problem));
  EXPECT_EQ(problem, "'999.1.2.3' is not an IP4 address");
  for (const char* bad :
       {"IN IP4", "IN IP4 1.2.3", "IN IP4 ::1", "IN IP6 2001:db8:::zz", "IN IP7 1.2.3.4", "ATM NSAP 47.0091",
        "IN IP4 1.2.3.4/300", "IN IP6 ::1/2/3", "IN IP4 1.2.3.4 extra"}) {
    EXPECT_FALSE(parse_connection(bad).has_value()) << bad;
  }
}

TEST(Connection, UnspecifiedAddressMeansHold) {
  EXPECT_TRUE(parse_connection("IN IP4 0.0.0.0")->is_unspecified());
  EXPECT_TRUE(parse_connection("IN IP6 ::")->is_unspecified());
  EXPECT_FALSE(parse_connection("IN IP4 192.0.2.1")->is_unspecified());
  EXPECT_FALSE(parse_connection("IN IP6 ::1")->is_unspecified());
}

TEST(PayloadFormats, MatchesOurCodecsByNameAndClock) {
  EXPECT_EQ(codec_for(*parse_rtpmap("96 pcma/8000")), config::Codec::pcma);
  EXPECT_EQ(codec_for(*parse_rtpmap("96 PCMU/8000/1")), config::Codec::pcmu);
  EXPECT_EQ(codec_for(*parse_rtpmap("9 G722/8000")), config::Codec::g722);
  EXPECT_EQ(codec_for(*parse_rtpmap("9 G722/16000")), config::Codec::g722);  // a common mistake
  EXPECT_EQ(codec_for(*parse_rtpmap("18 G729/8000")), config::Codec::g729);
  EXPECT_FALSE(codec_for(*parse_rtpmap("96 PCMA/16000")).has_value());
  EXPECT_FALSE(codec_for(*parse_rtpmap("96 PCMU/8000/2")).has_value());
  EXPECT_FALSE(codec_for(*parse_rtpmap("96 opus/48000/2")).has_value());
  EXPECT_EQ(codec_format(config::Codec::g722).rtp_clock_rate, 8000u);
  EXPECT_EQ(codec_format(config::Codec::g722).sample_rate, 16000u);
  EXPECT_EQ(static_payload_type(18)->encoding_name, "G729");
  EXPECT_FALSE(static_payload_type(2).has_value());
}

TEST(PayloadFormats, AnswersTheTelephoneEventsBothSidesHandle) {
  EXPECT_EQ(common_telephone_events("0-15"), "0-15");
  EXPECT_EQ(common_telephone_events("0-16"), "0-15");     // LiveKit, Asterisk: flash too
  EXPECT_EQ(common_telephone_events("0-11,16"), "0-11");  // SIPp
  EXPECT_EQ(common_telephone_events("1,3-5, 7"), "1,3-5,7");
  EXPECT_EQ(common_telephone_events(std::nullopt), "0-15");  // RFC 4733: absent means 0-15
  EXPECT_EQ(common_telephone_events("garbage"), "0-15");
  EXPECT_FALSE(common_telephone_events("16").has_value());
}

TEST(CryptoAttribute, ReadsTheLineBaresipWrites) {
  auto c = parse_crypto("1 AES_CM_128_HMAC_SHA1_80 inline:/wDMBsS+j00RferdNoWfHSUXywlC/Z5K7wnYHKRc");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->tag, 1u);
  EXPECT_EQ(c->suite, "AES_CM_128_HMAC_SHA1_80");
  ASSERT_EQ(c->keys.size(), 1u);
  EXPECT_EQ(c->keys[0].key_salt.size(), 30u);
  EXPECT_EQ(c->keys[0].key_salt[0], 0xff);
  EXPECT_FALSE(c->keys[0].lifetime);
  // Written back with padding-free base64 of 30 bytes: the same text.
  EXPECT_EQ(format_crypto(*c), "1 AES_CM_128_HMAC_SHA1_80 inline:/wDMBsS+j00RferdNoWfHSUXywlC/Z5K7wnYHKRc");
}

TEST(CryptoAttribute, ReadsLifetimeMkiAndSessionParameters) {
  auto c = parse_crypto(
      "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4 UNENCRYPTED_SRTCP");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->keys[0].lifetime, 1u << 20);
  ASSERT_TRUE(c->keys[0].mki);
  EXPECT_EQ(c->keys[0].mki->value, 1u);
  EXPECT_EQ(c->keys[0].mki->length, 4);
  EXPECT_EQ(c->session_params, std::vector<std::string>{"UNENCRYPTED_SRTCP"});
  EXPECT_EQ(parse_crypto(format_crypto(*c)), c);
  // MKI without a lifetime.
  EXPECT_TRUE(parse_crypto("2 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|5:1"));
  // Several keys.
  auto two = parse_crypto(
      "3 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4;"
      "inline:YuOrWAXwdlornB1+DzfESSG9P2Vk6t9/FCpyZoxH|2^20|2:4");
  ASSERT_TRUE(two);
  EXPECT_EQ(two->keys.size(), 2u);
}

TEST(CryptoAttribute, RejectsMalformedLines) {
  for (const char* bad : {
           "1 AES_CM_128_HMAC_SHA1_80",                                                  // no key
           "1 AES_CM_128_HMAC_SHA1_80 uri:https://example.com/key",                      // not inline
           "1 AES_CM_128_HMAC_SHA1_80 inline:garbage!",                                  // not base64
           "1 AES_CM_128_HMAC_SHA1_80 inline:UvImZaYMEtKJGF2VDuiBNgkWb2sR",              // 21 bytes
           "x AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",  // tag
           "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^99",
           "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|300:1",
           "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:4|2^20",
       }) {
    EXPECT_FALSE(parse_crypto(bad).has_value()) << bad;
  }
  // A suite we do not know is read (its key length cannot be checked) — and later not chosen.
  EXPECT_TRUE(parse_crypto("1 NEW_SUITE inline:AAAA"));
}

TEST(Base64, RoundTripsAndAcceptsMissingPadding) {
  for (std::size_t n = 0; n < 50; ++n) {
    std::vector<std::uint8_t> bytes(n);
    for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<std::uint8_t>(i * 37 + 11);
    auto text = base64_encode(bytes);
    EXPECT_EQ(base64_decode(text), bytes);
    while (!text.empty() && text.back() == '=') text.pop_back();
    EXPECT_EQ(base64_decode(text), bytes);
  }
  EXPECT_EQ(srtp_key_salt_size("AES_256_CM_HMAC_SHA1_80"), 46u);
  EXPECT_FALSE(srtp_key_salt_size("NULL").has_value());
}

}  // namespace
}  // namespace va::sdp
