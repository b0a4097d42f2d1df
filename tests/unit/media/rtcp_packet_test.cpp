#include "media/rtcp_packet.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace va::media {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes build(const RtcpReport& report) {
  std::array<std::uint8_t, 1500> out{};
  const std::size_t size = build_rtcp(report, out);
  return Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(size));
}

RtcpParseError parse_error(const Bytes& bytes) {
  RtcpParseError error{};
  EXPECT_FALSE(parse_rtcp(bytes, &error).has_value());
  return error;
}

std::vector<RtcpPacketView> packets_of(const RtcpCompound& compound) {
  return std::vector<RtcpPacketView>(compound.begin(), compound.end());
}

RtcpReportBlock example_block() {
  RtcpReportBlock block;
  block.ssrc = 0xaabbccdd;
  block.fraction_lost = 0x40;
  block.cumulative_lost = 3;
  block.extended_highest_sequence = 0x00010005;
  block.jitter = 0x10;
  block.last_sr = 0x12345678;
  block.delay_since_last_sr = 0x00010000;
  return block;
}

TEST(RtcpPacket, BuildsSenderReportWithSdesByteExact) {
  const std::array<RtcpReportBlock, 1> blocks{example_block()};
  RtcpReport report;
  report.ssrc = 0x11223344;
  report.sender = RtcpSenderInfo{0xe000000080000000ULL, 1000, 5, 800};
  report.blocks = blocks;
  report.cname = "va@host";
  const Bytes expected{
      // SR, RC=1, length 12 words
      0x81, 0xc8, 0x00, 0x0c, 0x11, 0x22, 0x33, 0x44,                          //
      0xe0, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00,                          // NTP
      0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x03, 0x20,  // RTP ts, packets, octets
      0xaa, 0xbb, 0xcc, 0xdd, 0x40, 0x00, 0x00, 0x03,  // SSRC_1, fraction, cumulative lost
      0x00, 0x01, 0x00, 0x05, 0x00, 0x00, 0x00, 0x10,  // extended highest, jitter
      0x12, 0x34, 0x56, 0x78, 0x00, 0x01, 0x00, 0x00,  // LSR, DLSR
      // SDES, SC=1, length 4 words: CNAME "va@host", null octet, padding to the word
      0x81, 0xca, 0x00, 0x04, 0x11, 0x22, 0x33, 0x44, 0x01, 0x07, 'v', 'a', '@', 'h', 'o', 's', 't', 0x00,
      0x00, 0x00};
  EXPECT_EQ(build(report), expected);
}

TEST(RtcpPacket, BuildsReceiverReportSdesAndByeByteExact) {
  RtcpReport report;
  report.ssrc = 0x01020304;
  report.cname = "a";
  report.goodbye = true;
  report.goodbye_reason = "bye";
  const Bytes expected{0x80, 0xc9, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04,                         // RR, RC=0
                       0x81, 0xca, 0x00, 0x02, 0x01, 0x02, 0x03, 0x04, 0x01, 0x01, 'a', 0x00,  // SDES
                       0x81, 0xcb, 0x00, 0x02, 0x01, 0x02, 0x03, 0x04, 0x03, 'b',  'y', 'e'};  // BYE
  EXPECT_EQ(build(report), expected);
}

TEST(RtcpPacket, SdesChunkAlreadyOnAWordBoundaryGetsAFullWordOfNulls) {
  // SSRC (4) + type/length (2) + "ab" (2) = 8: the terminating null needs another word.
  RtcpReport report;
  report.ssrc = 1;
  report.cname = "ab";
  const Bytes bytes = build(report);
  ASSERT_EQ(bytes.size(), 8u + 16u);
  EXPECT_EQ(Bytes(bytes.begin() + 8, bytes.end()),
            (Bytes{0x81, 0xca, 0x00, 0x03, 0, 0, 0, 1, 0x01, 0x02, 'a', 'b', 0, 0, 0, 0}));
  ASSERT_TRUE(parse_rtcp(bytes));
}

TEST(RtcpPacket, ParsesWhatItBuilds) {
  const std::array<RtcpReportBlock, 2> blocks{example_block(), RtcpReportBlock{7, 0, -1, 9, 0, 0, 0}};
  RtcpReport report;
  report.ssrc = 0x11223344;
  report.sender = RtcpSenderInfo{0x0123456789abcdefULL, 42, 1, 2};
  report.blocks = blocks;
  report.cname = "voice-agent@example";
  report.goodbye = true;
  const Bytes bytes = build(report);
  const auto compound = parse_rtcp(bytes);
  ASSERT_TRUE(compound);
  const auto packets = packets_of(*compound);
  ASSERT_EQ(packets.size(), 3u);

  const auto sr = parse_sender_report(packets[0]);
  ASSERT_TRUE(sr);
  EXPECT_EQ(sr->ssrc, 0x11223344u);
  EXPECT_EQ(sr->sender, *report.sender);
  ASSERT_EQ(sr->blocks.size(), 2u);
  EXPECT_EQ(sr->blocks[0], blocks[0]);
  EXPECT_EQ(sr->blocks[1], blocks[1]);
  EXPECT_FALSE(parse_receiver_report(packets[0]));

  RtcpSdesReader sdes(packets[1]);
  const auto item = sdes.next();
  ASSERT_TRUE(item);
  EXPECT_EQ(item->ssrc, 0x11223344u);
  EXPECT_EQ(item->type, static_cast<std::uint8_t>(SdesItemType::cname));
  EXPECT_EQ(item->value, "voice-agent@example");
  EXPECT_FALSE(sdes.next());
  EXPECT_FALSE(sdes.malformed());

  const auto bye = parse_goodbye(packets[2]);
  ASSERT_TRUE(bye);
  ASSERT_EQ(bye->ssrc_count(), 1u);
  EXPECT_EQ(bye->ssrc(0), 0x11223344u);
  EXPECT_TRUE(bye->reason.empty());
}

TEST(RtcpPacket, CumulativeLostIsTwentyFourBitSignedAndClamped) {
  std::array<RtcpReportBlock, 3> blocks{RtcpReportBlock{1, 0, -1, 0, 0, 0, 0},
                                        RtcpReportBlock{2, 0, -10'000'000, 0, 0, 0, 0},
                                        RtcpReportBlock{3, 0, 10'000'000, 0, 0, 0, 0}};
  RtcpReport report;
  report.ssrc = 9;
  report.blocks = blocks;
  const Bytes bytes = build(report);
  EXPECT_EQ(Bytes(bytes.begin() + 12, bytes.begin() + 16), (Bytes{0x00, 0xff, 0xff, 0xff}));
  EXPECT_EQ(Bytes(bytes.begin() + 36, bytes.begin() + 40), (Bytes{0x00, 0x80, 0x00, 0x00}));
  EXPECT_EQ(Bytes(bytes.begin() + 60, bytes.begin() + 64), (Bytes{0x00, 0x7f, 0xff, 0xff}));
  const auto compound = parse_rtcp(bytes);
  ASSERT_TRUE(compound);
  const auto rr = parse_receiver_report(*compound->begin());
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->blocks[0].cumulative_lost, -1);
  EXPECT_EQ(rr->blocks[1].cumulative_lost, -0x800000);
  EXPECT_EQ(rr->blocks[2].cumulative_lost, 0x7fffff);
}

TEST(RtcpPacket, SkipsAppAndUnknownTypesAndRemovesPaddingOfTheLastPacket) {
  const Bytes bytes{0x80, 0xc9, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05,  // RR
                    0x81, 0xcc, 0x00, 0x03, 0x00, 0x00, 0x00, 0x05, 'T',  'E',  'S',  'T',
                    0x00, 0x00, 0x00, 0x01,                                                  // APP
                    0x81, 0xcd, 0x00, 0x02, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x06,  // RTPFB
                    0xa1, 0xca, 0x00, 0x03, 0x00, 0x00, 0x00, 0x05, 0x01, 0x01, 'x',  0x00,
                    0x00, 0x00, 0x00, 0x04};  // SDES, P
  const auto compound = parse_rtcp(bytes);
  ASSERT_TRUE(compound);
  const auto packets = packets_of(*compound);
  ASSERT_EQ(packets.size(), 4u);
  EXPECT_EQ(packets[0].type, 201);
  EXPECT_EQ(packets[1].type, 204);
  EXPECT_EQ(packets[2].type, 205);
  EXPECT_EQ(packets[3].type, 202);
  EXPECT_EQ(packets[3].body.size(), 8u);  // padding removed
  RtcpSdesReader sdes(packets[3]);
  const auto item = sdes.next();
  ASSERT_TRUE(item);
  EXPECT_EQ(item->value, "x");
  EXPECT_FALSE(sdes.next());
  EXPECT_FALSE(sdes.malformed());
}

TEST(RtcpPacket, ValidatesCompoundsAsAppendixA2Says) {
  const Bytes rr{0x80, 0xc9, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05};
  EXPECT_TRUE(parse_rtcp(rr));

  EXPECT_EQ(parse_error(Bytes{0x80, 0xc9}), RtcpParseError::truncated);
  EXPECT_EQ(parse_error(Bytes{0x40, 0xc9, 0x00, 0x01, 0, 0, 0, 5}), RtcpParseError::unsupported_version);
  // SDES first.
  EXPECT_EQ(parse_error(Bytes{0x81, 0xca, 0x00, 0x02, 0, 0, 0, 5, 0x01, 0x01, 'a', 0x00}),
            RtcpParseError::first_not_report);
  // Padding on the first packet.
  EXPECT_EQ(parse_error(Bytes{0xa0, 0xc9, 0x00, 0x02, 0, 0, 0, 5, 0, 0, 0, 4}),
            RtcpParseError::first_not_report);
  // A padded packet that is not the last.
  EXPECT_EQ(parse_error(Bytes{0x80, 0xc9, 0x00, 0x01, 0, 0, 0, 5, 0xa0, 0xcc, 0x00, 0x02,
                              0,    0,    0,    5,    0, 0, 0, 4, 0x80, 0xcb, 0x00, 0x00}),
            RtcpParseError::padding_not_last);
  // Padding count 0, and padding longer than the body.
  EXPECT_EQ(parse_error(Bytes{0x80, 0xc9, 0x00, 0x01, 0, 0, 0, 5, 0xa0, 0xcc, 0x00, 0x01, 0, 0, 0, 0}),
            RtcpParseError::bad_padding);
  EXPECT_EQ(parse_error(Bytes{0x80, 0xc9, 0x00, 0x01, 0, 0, 0, 5, 0xa0, 0xcc, 0x00, 0x01, 0, 0, 0, 9}),
            RtcpParseError::bad_padding);
  // Length field longer than the datagram; trailing bytes that are not a whole packet.
  EXPECT_EQ(parse_error(Bytes{0x80, 0xc9, 0x00, 0x02, 0, 0, 0, 5}), RtcpParseError::truncated);
  EXPECT_EQ(parse_error(Bytes{0x80, 0xc9, 0x00, 0x01, 0, 0, 0, 5, 0x80, 0xcb}), RtcpParseError::truncated);
  // A later packet of another version.
  EXPECT_EQ(parse_error(Bytes{0x80, 0xc9, 0x00, 0x01, 0, 0, 0, 5, 0x40, 0xcb, 0x00, 0x00}),
            RtcpParseError::unsupported_version);
  // RC=1 without the report block.
  EXPECT_EQ(parse_error(Bytes{0x81, 0xc9, 0x00, 0x01, 0, 0, 0, 5}), RtcpParseError::malformed_report);
  // SR too short for its sender info.
  EXPECT_EQ(parse_error(Bytes{0x80, 0xc8, 0x00, 0x01, 0, 0, 0, 5}), RtcpParseError::malformed_report);
  // SDES item running past its packet; BYE reason longer than the packet.
  EXPECT_EQ(parse_error(Bytes{0x80, 0xc9, 0x00, 0x01, 0, 0, 0,    5,    0x81, 0xca,
                              0x00, 0x02, 0,    0,    0, 5, 0x01, 0x09, 'a',  0x00}),
            RtcpParseError::malformed_report);
  EXPECT_EQ(parse_error(Bytes{0x80, 0xc9, 0x00, 0x01, 0, 0, 0,    5,   0x81, 0xcb,
                              0x00, 0x02, 0,    0,    0, 5, 0x08, 'x', 'y',  'z'}),
            RtcpParseError::malformed_report);
}

TEST(RtcpPacket, ReportBlockBytesAfterTheCountAreProfileExtensions) {
  // RR with RC=0 and 4 extra bytes: accepted, no blocks.
  const Bytes bytes{0x80, 0xc9, 0x00, 0x02, 0, 0, 0, 5, 0xde, 0xad, 0xbe, 0xef};
  const auto compound = parse_rtcp(bytes);
  ASSERT_TRUE(compound);
  const auto rr = parse_receiver_report(*compound->begin());
  ASSERT_TRUE(rr);
  EXPECT_TRUE(rr->blocks.empty());
}

TEST(RtcpPacket, NtpTimestampsCountFrom1900) {
  using namespace std::chrono;
  const system_clock::time_point unix_epoch{};
  EXPECT_EQ(to_ntp(unix_epoch), 2208988800ULL << 32);
  EXPECT_EQ(to_ntp(unix_epoch + milliseconds(500)), (2208988800ULL << 32) | 0x80000000ULL);
  EXPECT_EQ(to_ntp(unix_epoch + seconds(1) + milliseconds(250)), (2208988801ULL << 32) | 0x40000000ULL);
  EXPECT_EQ(ntp_compact(0xb705200000000000ULL), 0x20000000u);
  EXPECT_EQ(ntp_compact(0x0000b70520000000ULL), 0xb7052000u);
}

TEST(RtcpPacket, BuildRefusesWhatDoesNotFitOrCannotBeEncoded) {
  RtcpReport report;
  report.ssrc = 1;
  report.cname = "host";
  std::array<std::uint8_t, 23> small{};
  EXPECT_EQ(build_rtcp(report, small), 0u);  // RR 8 + SDES 4 + chunk (4 + 2 + 4 + null → 12) = 24
  std::array<std::uint8_t, 24> exact{};
  EXPECT_EQ(build_rtcp(report, exact), 24u);
  const std::string long_name(256, 'x');
  report.cname = long_name;
  std::array<std::uint8_t, 1500> big{};
  EXPECT_EQ(build_rtcp(report, big), 0u);
}

}  // namespace
}  // namespace va::media
