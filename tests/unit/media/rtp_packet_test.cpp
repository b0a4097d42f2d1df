#include "media/rtp_packet.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "sipp_captures.hpp"

namespace va::media {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::optional<RtpPacketView> parse(const Bytes& bytes, RtpParseError* error = nullptr) {
  return parse_rtp(bytes, error);
}

RtpParseError parse_error(const Bytes& bytes) {
  RtpParseError error{};
  EXPECT_FALSE(parse(bytes, &error).has_value());
  return error;
}

TEST(RtpPacket, SerializesTheFixedHeaderByteExact) {
  RtpHeader header;
  header.marker = true;
  header.payload_type = 8;
  header.sequence = 0x1234;
  header.timestamp = 0xdeadbeef;
  header.ssrc = 0x01020304;
  const Bytes payload{0xd5, 0xd5, 0x55};
  std::array<std::uint8_t, 64> out{};
  const std::size_t size = serialize_rtp(header, payload, out);
  const Bytes expected{0x80, 0x88, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef,
                       0x01, 0x02, 0x03, 0x04, 0xd5, 0xd5, 0x55};
  EXPECT_EQ(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(size)), expected);
}

TEST(RtpPacket, SerializesCsrcsAfterTheFixedHeader) {
  const std::array<std::uint32_t, 2> csrcs{0xaabbccdd, 0x00000001};
  RtpHeader header;
  header.payload_type = 0;
  header.sequence = 1;
  header.timestamp = 160;
  header.ssrc = 0x11223344;
  header.csrcs = csrcs;
  std::array<std::uint8_t, 64> out{};
  const std::size_t size = serialize_rtp(header, {}, out);
  const Bytes expected{0x82, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xa0, 0x11, 0x22,
                       0x33, 0x44, 0xaa, 0xbb, 0xcc, 0xdd, 0x00, 0x00, 0x00, 0x01};
  EXPECT_EQ(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(size)), expected);

  const auto parsed = parse_rtp(std::span<const std::uint8_t>(out.data(), size));
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->csrc_count(), 2u);
  EXPECT_EQ(parsed->csrc(0), 0xaabbccddu);
  EXPECT_EQ(parsed->csrc(1), 1u);
  EXPECT_TRUE(parsed->payload.empty());
}

TEST(RtpPacket, SerializeRefusesWhatCannotBeEncodedOrDoesNotFit) {
  RtpHeader header;
  header.payload_type = 128;
  std::array<std::uint8_t, 64> out{};
  EXPECT_EQ(serialize_rtp(header, {}, out), 0u);
  header.payload_type = 0;
  const Bytes payload(60, 0);
  EXPECT_EQ(serialize_rtp(header, payload, out), 0u);  // 12 + 60 > 64
  EXPECT_EQ(serialize_rtp(header, std::span<const std::uint8_t>(payload.data(), 52), out), 64u);
}

TEST(RtpPacket, ParsesSippTelephoneEventPacket) {
  // First packet of SIPp's dtmf_2833_1.pcap: marker, PT 101, seq 0x1f30, ts 0x33e0, SSRC 0x0e05384e,
  // event 1, volume 10, duration 0.
  const Bytes bytes{0x80, 0xe5, 0x1f, 0x30, 0x00, 0x00, 0x33, 0xe0,
                    0x0e, 0x05, 0x38, 0x4e, 0x01, 0x0a, 0x00, 0x00};
  const auto packet = parse(bytes);
  ASSERT_TRUE(packet);
  EXPECT_TRUE(packet->marker);
  EXPECT_EQ(packet->payload_type, 101);
  EXPECT_EQ(packet->sequence, 0x1f30);
  EXPECT_EQ(packet->timestamp, 0x33e0u);
  EXPECT_EQ(packet->ssrc, 0x0e05384eu);
  EXPECT_EQ(packet->csrc_count(), 0u);
  EXPECT_FALSE(packet->extension);
  EXPECT_EQ(Bytes(packet->payload.begin(), packet->payload.end()), (Bytes{0x01, 0x0a, 0x00, 0x00}));
}

TEST(RtpPacket, ParsesEveryPacketOfSippG711aCapture) {
  const auto capture = test::read_udp_capture(test::sipp_capture_dir() + "/g711a.pcap");
  ASSERT_EQ(capture.size(), 236u);
  std::set<std::uint32_t> ssrcs;
  for (std::size_t i = 0; i < capture.size(); ++i) {
    const auto packet = parse_rtp(capture[i].payload);
    ASSERT_TRUE(packet) << "packet " << i;
    EXPECT_EQ(packet->payload_type, 8);       // PCMA
    EXPECT_EQ(packet->payload.size(), 240u);  // 30 ms
    EXPECT_EQ(packet->marker, i == 0);
    EXPECT_EQ(packet->sequence, static_cast<std::uint16_t>(59133 + i));
    EXPECT_EQ(packet->timestamp, 240u * (i + 1));
    ssrcs.insert(packet->ssrc);
  }
  EXPECT_EQ(ssrcs.size(), 1u);
}

TEST(RtpPacket, SkipsOneByteHeaderExtensionAndReadsItsElements) {
  // X=1, profile 0xBEDE, 2 words: element id 1 (2 bytes), padding, element id 3 (1 byte), then ID 15 would
  // stop; payload follows the extension block.
  const Bytes bytes{0x90, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // header
                    0xbe, 0xde, 0x00, 0x02,                                                  // ext header
                    0x11, 0xaa, 0xbb, 0x00, 0x30, 0xcc, 0x00, 0x00,                          // elements
                    0x7a, 0x7b};                                                             // payload
  const auto packet = parse(bytes);
  ASSERT_TRUE(packet);
  ASSERT_TRUE(packet->extension);
  EXPECT_EQ(packet->extension->profile, 0xBEDE);
  EXPECT_EQ(packet->extension->data.size(), 8u);
  EXPECT_EQ(Bytes(packet->payload.begin(), packet->payload.end()), (Bytes{0x7a, 0x7b}));

  RtpExtensionReader reader(*packet->extension);
  EXPECT_TRUE(reader.one_byte());
  auto first = reader.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->id, 1);
  EXPECT_EQ(Bytes(first->data.begin(), first->data.end()), (Bytes{0xaa, 0xbb}));
  auto second = reader.next();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->id, 3);
  EXPECT_EQ(Bytes(second->data.begin(), second->data.end()), (Bytes{0xcc}));
  EXPECT_FALSE(reader.next());
  EXPECT_FALSE(reader.malformed());
}

TEST(RtpPacket, OneByteExtensionIdFifteenStopsTheWalk) {
  const Bytes bytes{0x90, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                    0x00, 0x01, 0xbe, 0xde, 0x00, 0x01, 0x10, 0x01, 0xf0, 0x20};
  const auto packet = parse(bytes);
  ASSERT_TRUE(packet);
  RtpExtensionReader reader(*packet->extension);
  auto element = reader.next();
  ASSERT_TRUE(element);
  EXPECT_EQ(element->id, 1);
  EXPECT_FALSE(reader.next());
  EXPECT_FALSE(reader.malformed());
}

TEST(RtpPacket, SkipsTwoByteHeaderExtensionAndReadsItsElements) {
  // Profile 0x1000 (RFC 8285 §4.3), 2 words: id 5 length 3, padding, id 7 length 0, padding.
  const Bytes bytes{0x90, 0x60, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x10,
                    0x00, 0x00, 0x02, 0x05, 0x03, 0x01, 0x02, 0x03, 0x00, 0x07, 0x00, 0x99};
  const auto packet = parse(bytes);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->payload_type, 96);
  EXPECT_EQ(Bytes(packet->payload.begin(), packet->payload.end()), (Bytes{0x99}));
  RtpExtensionReader reader(*packet->extension);
  EXPECT_TRUE(reader.two_byte());
  auto first = reader.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->id, 5);
  EXPECT_EQ(Bytes(first->data.begin(), first->data.end()), (Bytes{1, 2, 3}));
  auto second = reader.next();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->id, 7);
  EXPECT_TRUE(second->data.empty());
  EXPECT_FALSE(reader.next());
  EXPECT_FALSE(reader.malformed());
}

TEST(RtpPacket, ExtensionElementPastItsBlockIsMalformedButThePacketStillParses) {
  // One-byte element id 2 claims 16 bytes in a 4-byte block.
  const Bytes bytes{0x90, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                    0x01, 0xbe, 0xde, 0x00, 0x01, 0x2f, 0x00, 0x00, 0x00, 0x42};
  const auto packet = parse(bytes);
  ASSERT_TRUE(packet);
  EXPECT_EQ(Bytes(packet->payload.begin(), packet->payload.end()), (Bytes{0x42}));
  RtpExtensionReader reader(*packet->extension);
  EXPECT_FALSE(reader.next());
  EXPECT_TRUE(reader.malformed());
}

TEST(RtpPacket, OtherExtensionProfilesAreSkippedWithoutElements) {
  const Bytes bytes{0x90, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                    0x01, 0xab, 0xcd, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44, 0x55};
  const auto packet = parse(bytes);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->extension->profile, 0xabcd);
  EXPECT_EQ(Bytes(packet->payload.begin(), packet->payload.end()), (Bytes{0x55}));
  RtpExtensionReader reader(*packet->extension);
  EXPECT_FALSE(reader.next());
  EXPECT_FALSE(reader.malformed());
}

TEST(RtpPacket, RemovesPaddingFromThePayload) {
  const Bytes bytes{0xa0, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
                    0x00, 0x00, 0x01, 0x01, 0x02, 0x00, 0x00, 0x00, 0x04};
  const auto packet = parse(bytes);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->padding_size, 4);
  EXPECT_EQ(Bytes(packet->payload.begin(), packet->payload.end()), (Bytes{0x01, 0x02}));

  // Padding may take everything after the header.
  const Bytes only_padding{0xa0, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                           0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02};
  const auto empty = parse(only_padding);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->payload.empty());
}

TEST(RtpPacket, RejectsMalformedPacketsWithTheReason) {
  EXPECT_EQ(parse_error(Bytes(11, 0x80)), RtpParseError::truncated_header);
  Bytes version_one(12, 0);
  version_one[0] = 0x40;
  EXPECT_EQ(parse_error(version_one), RtpParseError::unsupported_version);
  Bytes stun(20, 0);  // STUN binding request: first two bits 00
  stun[1] = 0x01;
  EXPECT_EQ(parse_error(stun), RtpParseError::unsupported_version);
  Bytes csrcs(12 + 4 * 14, 0);  // CC=15 but only 14 CSRCs present
  csrcs[0] = 0x8f;
  EXPECT_EQ(parse_error(csrcs), RtpParseError::truncated_csrc);
  Bytes no_extension_header(14, 0);
  no_extension_header[0] = 0x90;
  EXPECT_EQ(parse_error(no_extension_header), RtpParseError::truncated_extension);
  Bytes long_extension{0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0x00, 0x02, 0x10, 0x00, 0x00, 0x00};
  EXPECT_EQ(parse_error(long_extension), RtpParseError::truncated_extension);
  Bytes zero_padding{0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x11, 0x00};
  EXPECT_EQ(parse_error(zero_padding), RtpParseError::bad_padding);
  Bytes excess_padding{0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x11, 0x03};
  EXPECT_EQ(parse_error(excess_padding), RtpParseError::bad_padding);
  Bytes padding_without_payload{0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x05};
  EXPECT_EQ(parse_error(padding_without_payload), RtpParseError::bad_padding);
}

TEST(RtpPacket, SerializedPacketParsesBackToTheSameFields) {
  const std::array<std::uint32_t, 1> csrcs{7};
  RtpHeader header{false, 101, 65535, 0xffffffff, 0x80000000, csrcs};
  const Bytes payload{1, 2, 3, 4};
  RtpPacketBuffer buffer;
  buffer.size = serialize_rtp(header, payload, buffer.storage());
  const auto packet = parse_rtp(buffer.packet());
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->marker, header.marker);
  EXPECT_EQ(packet->payload_type, header.payload_type);
  EXPECT_EQ(packet->sequence, header.sequence);
  EXPECT_EQ(packet->timestamp, header.timestamp);
  EXPECT_EQ(packet->ssrc, header.ssrc);
  EXPECT_EQ(packet->csrc(0), 7u);
  EXPECT_EQ(Bytes(packet->payload.begin(), packet->payload.end()), payload);
}

TEST(RtpPacket, TellsRtcpFromRtpOnAMuxedPort) {
  EXPECT_TRUE(looks_like_rtcp(Bytes{0x81, 200}));    // SR
  EXPECT_TRUE(looks_like_rtcp(Bytes{0x80, 201}));    // RR
  EXPECT_TRUE(looks_like_rtcp(Bytes{0x81, 205}));    // RTPFB
  EXPECT_FALSE(looks_like_rtcp(Bytes{0x80, 0x08}));  // PCMA
  EXPECT_FALSE(looks_like_rtcp(Bytes{0x80, 0xe5}));  // PT 101 with marker = 229
  EXPECT_FALSE(looks_like_rtcp(Bytes{0x80}));
}

}  // namespace
}  // namespace va::media
