#include "media/rtp_session.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "sipp_captures.hpp"

namespace va::media {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;
using Clock = RtpSession::Clock;
namespace ip = boost::asio::ip;

const UdpEndpoint kSdpAddress(ip::make_address("192.168.1.20"), 4000);
const UdpEndpoint kSdpRtcp(ip::make_address("192.168.1.20"), 4001);
const UdpEndpoint kNatAddress(ip::make_address("203.0.113.7"), 31000);
const UdpEndpoint kStranger(ip::make_address("198.51.100.66"), 5060);

RtpSessionConfig test_config() {
  RtpSessionConfig config;
  config.formats = {{8, PayloadKind::audio, 8000}, {101, PayloadKind::telephone_event, 8000}};
  config.cname = "agent@test";
  config.ssrc = 0x5a5a0001;
  config.initial_sequence = 1000;
  config.initial_timestamp = 50000;
  config.random_seed = 42;
  return config;
}

Bytes rtp(std::uint16_t sequence, std::uint32_t timestamp, std::uint32_t ssrc = 0xc0ffee, std::uint8_t pt = 8,
          bool marker = false) {
  const Bytes payload(160, 0xd5);
  RtpHeader header{marker, pt, sequence, timestamp, ssrc, {}};
  Bytes out(12 + payload.size());
  out.resize(serialize_rtp(header, payload, out));
  return out;
}

Bytes written(const RtpPacketBuffer& buffer) {
  return Bytes(buffer.packet().begin(), buffer.packet().end());
}

class RtpSessionTest : public ::testing::Test {
 protected:
  Clock::time_point start{std::chrono::seconds(1000)};
  Clock::time_point now = start;
};

TEST_F(RtpSessionTest, WritesAudioWithContinuousSequenceAndTimestamp) {
  RtpSession session(test_config(), now);
  const Bytes payload(160, 0xd5);
  RtpPacketBuffer buffer;
  buffer.size = session.write_audio(payload, 8, 160, now, buffer.storage());
  Bytes expected{0x80, 0x88, 0x03, 0xe8, 0x00, 0x00,
                 0xc3, 0x50, 0x5a, 0x5a, 0x00, 0x01};  // marker: talkspurt
  expected.insert(expected.end(), payload.begin(), payload.end());
  EXPECT_EQ(written(buffer), expected);

  buffer.size = session.write_audio(payload, 8, 160, now + 20ms, buffer.storage());
  const auto second = parse_rtp(buffer.packet());
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->marker);
  EXPECT_EQ(second->sequence, 1001);
  EXPECT_EQ(second->timestamp, 50160u);
}

TEST_F(RtpSessionTest, SilenceKeepsTimestampsInStepWithTimeAndMarksTheNextTalkspurt) {
  RtpSession session(test_config(), now);
  const Bytes payload(160, 0xd5);
  RtpPacketBuffer buffer;
  session.write_audio(payload, 8, 160, now, buffer.storage());
  session.skip_audio(160);
  session.skip_audio(160);
  buffer.size = session.write_audio(payload, 8, 160, now + 60ms, buffer.storage());
  const auto packet = parse_rtp(buffer.packet());
  ASSERT_TRUE(packet);
  EXPECT_TRUE(packet->marker);
  EXPECT_EQ(packet->sequence, 1001);  // sequence numbers only count packets sent
  EXPECT_EQ(packet->timestamp, 50000u + 3 * 160);
}

TEST_F(RtpSessionTest, TelephoneEventsCarryTheirStartTimestampAndAudioResumesInTime) {
  RtpSession session(test_config(), now);
  const Bytes payload(160, 0xd5);
  RtpPacketBuffer buffer;
  session.write_audio(payload, 8, 160, now, buffer.storage());
  Rfc4733Sender sender(8000, 20ms);
  ASSERT_TRUE(sender.start('5', 60ms));
  std::vector<RtpPacketView> events;
  std::vector<RtpPacketBuffer> buffers(5);
  for (auto& event_buffer : buffers) {
    const auto packet = sender.next();
    ASSERT_TRUE(packet);
    event_buffer.size = session.write_event(*packet, 101, now, event_buffer.storage());
    events.push_back(*parse_rtp(event_buffer.packet()));
  }
  EXPECT_FALSE(sender.next());
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].timestamp, 50160u) << i;
    EXPECT_EQ(events[i].sequence, 1001 + i) << i;
    EXPECT_EQ(events[i].marker, i == 0) << i;
    EXPECT_EQ(events[i].payload_type, 101);
  }
  buffer.size = session.write_audio(payload, 8, 160, now, buffer.storage());
  const auto after = parse_rtp(buffer.packet());
  EXPECT_EQ(after->timestamp, 50160u + 5 * 160);
  EXPECT_TRUE(after->marker);
}

TEST_F(RtpSessionTest, RandomIdentityWhenNotConfigured) {
  RtpSessionConfig config;
  std::set<std::uint32_t> ssrcs;
  std::set<std::uint32_t> timestamps;
  for (int i = 0; i < 8; ++i) {
    RtpSession session(config, now);
    ssrcs.insert(session.ssrc());
    timestamps.insert(session.media_timestamp());
  }
  EXPECT_GE(ssrcs.size(), 7u);
  EXPECT_GE(timestamps.size(), 7u);
}

TEST_F(RtpSessionTest, LatchesOnTheFirstValidPacketAndRefusesOtherSources) {
  RtpSession session(test_config(), now);
  session.set_remote(kSdpAddress, kSdpRtcp);
  EXPECT_EQ(session.rtp_destination(), kSdpAddress);
  EXPECT_FALSE(session.latched());

  // Packets that are not valid for this call do not latch.
  EXPECT_EQ(session.on_rtp(rtp(1, 160, 0xc0ffee, 0), kStranger, now).dropped, RtpDrop::unknown_payload_type);
  EXPECT_EQ(session.on_rtp(Bytes{0x00, 0x01, 0x00, 0x00}, kStranger, now).dropped, RtpDrop::malformed);
  EXPECT_FALSE(session.latched());

  const auto first = session.on_rtp(rtp(1, 160), kNatAddress, now);
  ASSERT_TRUE(first.accepted());
  EXPECT_TRUE(first.latched);
  EXPECT_TRUE(first.new_source);
  EXPECT_EQ(session.rtp_destination(), kNatAddress);
  EXPECT_EQ(session.rtcp_destination(), UdpEndpoint(kNatAddress.address(), 31001));

  now += 20ms;
  const auto second = session.on_rtp(rtp(2, 320), kNatAddress, now);
  EXPECT_TRUE(second.accepted());
  EXPECT_FALSE(second.latched);
  EXPECT_FALSE(second.new_source);

  now += 20ms;
  EXPECT_EQ(session.on_rtp(rtp(3, 480, 0xbad), kStranger, now).dropped, RtpDrop::foreign_source);
  EXPECT_EQ(session.rtp_destination(), kNatAddress);
  EXPECT_EQ(session.drops(RtpDrop::foreign_source), 1u);
}

TEST_F(RtpSessionTest, RelatchesOnlyAfterTheLatchedSourceWentQuiet) {
  RtpSession session(test_config(), now);
  session.set_remote(kSdpAddress, kSdpRtcp);
  session.on_rtp(rtp(1, 160), kNatAddress, now);
  const UdpEndpoint rebound(kNatAddress.address(), 31002);
  now += 1900ms;
  EXPECT_EQ(session.on_rtp(rtp(2, 320), rebound, now).dropped, RtpDrop::foreign_source);
  now += 100ms;  // 2 s of silence from the latched source
  const auto moved = session.on_rtp(rtp(3, 480), rebound, now);
  ASSERT_TRUE(moved.accepted());
  EXPECT_TRUE(moved.latched);
  EXPECT_EQ(session.rtp_destination(), rebound);
}

TEST_F(RtpSessionTest, NewSdpAddressUnlatches) {
  RtpSession session(test_config(), now);
  session.set_remote(kSdpAddress, kSdpRtcp);
  session.on_rtp(rtp(1, 160), kNatAddress, now);
  session.set_remote(kSdpAddress, kSdpRtcp);  // a session refresh with the same SDP keeps the latch
  EXPECT_TRUE(session.latched());
  EXPECT_EQ(session.rtp_destination(), kNatAddress);

  const UdpEndpoint transferred(ip::make_address("10.9.8.7"), 7000);
  session.set_remote(transferred,
                     UdpEndpoint(transferred.address(), 7001));  // re-INVITE to a new media address
  EXPECT_FALSE(session.latched());
  EXPECT_EQ(session.rtp_destination(), transferred);
  const auto packet = session.on_rtp(rtp(500, 9000, 0x777), kStranger, now + 20ms);
  EXPECT_TRUE(packet.latched);
  EXPECT_TRUE(packet.new_source);
  EXPECT_EQ(session.rtp_destination(), kStranger);
}

TEST_F(RtpSessionTest, AnnouncedSsrcIsEnforced) {
  auto config = test_config();
  config.remote_ssrc = 0x1111;
  RtpSession session(config, now);
  EXPECT_EQ(session.on_rtp(rtp(1, 160, 0x2222), kNatAddress, now).dropped, RtpDrop::unexpected_ssrc);
  EXPECT_FALSE(session.latched());
  EXPECT_TRUE(session.on_rtp(rtp(1, 160, 0x1111), kNatAddress, now).accepted());
}

TEST_F(RtpSessionTest, WithoutSymmetricRtpWeKeepSendingToTheSdpAddress) {
  auto config = test_config();
  config.symmetric_rtp = false;
  RtpSession session(config, now);
  session.set_remote(kSdpAddress, kSdpRtcp);
  EXPECT_TRUE(session.on_rtp(rtp(1, 160), kNatAddress, now).accepted());
  EXPECT_FALSE(session.latched());
  EXPECT_EQ(session.rtp_destination(), kSdpAddress);
}

TEST_F(RtpSessionTest, ReportsMediaTimeoutOnceAndRearmsOnMedia) {
  auto config = test_config();
  config.media_timeout = 30s;
  RtpSession session(config, now);
  EXPECT_FALSE(session.check_media_timeout(now + 29s));
  EXPECT_TRUE(session.check_media_timeout(now + 30s));  // nothing since the call began
  EXPECT_FALSE(session.check_media_timeout(now + 31s));
  now += 40s;
  session.on_rtp(rtp(1, 160), kNatAddress, now);
  EXPECT_FALSE(session.check_media_timeout(now + 29s));
  EXPECT_TRUE(session.check_media_timeout(now + 30s));
}

TEST_F(RtpSessionTest, HoldSuspendsTheMediaTimeout) {
  auto config = test_config();
  config.media_timeout = 10s;
  RtpSession session(config, now);
  session.on_rtp(rtp(1, 160), kNatAddress, now);
  session.set_remote_sending(false, now + 1s);
  EXPECT_FALSE(session.check_media_timeout(now + 60s));
  session.set_remote_sending(true, now + 60s);  // unhold: a full period to resume
  EXPECT_FALSE(session.check_media_timeout(now + 69s));
  EXPECT_TRUE(session.check_media_timeout(now + 70s));
}

TEST_F(RtpSessionTest, RtcpIntervalIsRandomisedAroundFiveSeconds) {
  // §6.2: first report after half the interval, then T × [0.5, 1.5] / (e − 1.5): 2.05 s .. 6.16 s for T = 5
  // s.
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    auto config = test_config();
    config.random_seed = seed;
    RtpSession session(config, now);
    const auto first = session.next_rtcp_time() - now;
    EXPECT_GE(first, 1025ms);
    EXPECT_LE(first, 3080ms);
    EXPECT_FALSE(session.rtcp_due(now));
    EXPECT_TRUE(session.rtcp_due(session.next_rtcp_time()));
    std::array<std::uint8_t, 1500> out{};
    const auto report_time = session.next_rtcp_time();
    ASSERT_GT(session.write_rtcp_report(report_time, out), 0u);
    const auto interval = session.next_rtcp_time() - report_time;
    EXPECT_GE(interval, 2050ms);
    EXPECT_LE(interval, 6160ms);
  }
}

TEST_F(RtpSessionTest, ReceiverReportDescribesTheRemoteStream) {
  RtpSession session(test_config(), now);
  for (std::uint16_t s = 1; s <= 50; ++s, now += 20ms) {
    if (s == 20 || s == 21) continue;  // two lost
    session.on_rtp(rtp(s, 160u * s), kNatAddress, now);
  }
  std::array<std::uint8_t, 1500> out{};
  const std::size_t size = session.write_rtcp_report(now, out);
  const auto compound = parse_rtcp(std::span<const std::uint8_t>(out.data(), size));
  ASSERT_TRUE(compound);
  const auto rr = parse_receiver_report(*compound->begin());  // we sent nothing: RR
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->ssrc, 0x5a5a0001u);
  ASSERT_EQ(rr->blocks.size(), 1u);
  const auto block = rr->blocks[0];
  EXPECT_EQ(block.ssrc, 0xc0ffeeu);
  EXPECT_EQ(block.extended_highest_sequence, 50u);
  EXPECT_EQ(block.cumulative_lost, 2);
  EXPECT_EQ(block.fraction_lost, 2 * 256 / 49);  // expected 2..50
  EXPECT_EQ(block.jitter, 0u);
  EXPECT_EQ(block.last_sr, 0u);

  auto it = compound->begin();
  ++it;
  RtcpSdesReader sdes(*it);
  const auto cname = sdes.next();
  ASSERT_TRUE(cname);
  EXPECT_EQ(cname->value, "agent@test");

  const auto stats = session.stats();
  EXPECT_EQ(stats.packets_received, 48u);
  EXPECT_EQ(stats.packets_lost, 2);
  EXPECT_NEAR(stats.fraction_lost, 10.0 / 256, 1e-9);

  // No RTP since: the next report has no block.
  const std::size_t next = session.write_rtcp_report(now + 5s, out);
  const auto quiet = parse_rtcp(std::span<const std::uint8_t>(out.data(), next));
  ASSERT_TRUE(quiet);
  EXPECT_TRUE(parse_receiver_report(*quiet->begin())->blocks.empty());
}

TEST_F(RtpSessionTest, SenderAndReceiverMeasureTheRoundTrip) {
  // Two ends of a call with 30 ms one-way delay; their wall clocks disagree, which RTT does not care about.
  auto alice_config = test_config();
  auto bob_config = test_config();
  bob_config.ssrc = 0xb0b;
  bob_config.cname = "bob@test";
  RtpSession alice(alice_config, now, std::chrono::system_clock::time_point(std::chrono::hours(400000)));
  RtpSession bob(bob_config, now, std::chrono::system_clock::time_point(std::chrono::hours(300000)));
  const UdpEndpoint alice_address(ip::make_address("10.0.0.1"), 4000);
  const UdpEndpoint bob_address(ip::make_address("10.0.0.2"), 6000);
  const Bytes payload(160, 0xd5);
  for (int i = 0; i < 50; ++i) {
    RtpPacketBuffer a;
    a.size = alice.write_audio(payload, 8, 160, now, a.storage());
    RtpPacketBuffer b;
    b.size = bob.write_audio(payload, 8, 160, now, b.storage());
    ASSERT_TRUE(bob.on_rtp(a.packet(), alice_address, now + 30ms).accepted());
    ASSERT_TRUE(alice.on_rtp(b.packet(), bob_address, now + 30ms).accepted());
    now += 20ms;
  }
  std::array<std::uint8_t, 1500> out{};
  std::size_t size = alice.write_rtcp_report(now, out);  // SR
  const auto alice_sr = parse_rtcp(std::span<const std::uint8_t>(out.data(), size));
  ASSERT_TRUE(alice_sr);
  const auto sr = parse_sender_report(*alice_sr->begin());
  ASSERT_TRUE(sr);
  EXPECT_EQ(sr->sender.packet_count, 50u);
  EXPECT_EQ(sr->sender.octet_count, 50u * 160);
  EXPECT_EQ(sr->sender.rtp_timestamp, 50000u + 50 * 160);  // the media clock at the report's NTP time
  now += 30ms;
  EXPECT_FALSE(bob.on_rtcp(std::span<const std::uint8_t>(out.data(), size), alice_address, now).dropped);

  now += 200ms;  // Bob holds the SR for 200 ms before his report
  size = bob.write_rtcp_report(now, out);
  now += 30ms;
  const auto result = alice.on_rtcp(std::span<const std::uint8_t>(out.data(), size), bob_address, now);
  EXPECT_FALSE(result.dropped);
  EXPECT_TRUE(result.report_about_us);
  const auto stats = alice.stats();
  ASSERT_TRUE(stats.has_round_trip);
  EXPECT_NEAR(stats.round_trip_ms, 60.0, 0.1);  // 16.16 fixed point: 15 µs resolution
  EXPECT_TRUE(stats.has_remote_report);
  EXPECT_EQ(stats.remote_packets_lost, 0);
  EXPECT_EQ(stats.packets_sent, 50u);
  EXPECT_EQ(stats.rtcp_received, 1u);
  EXPECT_EQ(stats.rtcp_sent, 1u);
  EXPECT_EQ(alice.rtcp_destination(), bob_address);  // RTCP latched on Bob's RTCP source
}

TEST_F(RtpSessionTest, RtcpFromUnknownSourcesOrMalformedIsDropped) {
  RtpSession session(test_config(), now);
  std::array<std::uint8_t, 1500> out{};
  RtcpReport report;
  report.ssrc = 0x999;
  report.cname = "who";
  const std::size_t size = build_rtcp(report, out);
  EXPECT_EQ(session.on_rtcp(std::span<const std::uint8_t>(out.data(), size), kStranger, now).dropped,
            RtcpDrop::unknown_source);
  EXPECT_EQ(session.on_rtcp(std::span<const std::uint8_t>(out.data(), 6), kStranger, now).dropped,
            RtcpDrop::malformed);
}

TEST_F(RtpSessionTest, ByeFromTheRemoteSourceIsReported) {
  RtpSession session(test_config(), now);
  session.on_rtp(rtp(1, 160), kNatAddress, now);
  std::array<std::uint8_t, 1500> out{};
  RtcpReport report;
  report.ssrc = 0xc0ffee;
  report.cname = "peer";
  report.goodbye = true;
  report.goodbye_reason = "hangup";
  const std::size_t size = build_rtcp(report, out);
  const auto result = session.on_rtcp(std::span<const std::uint8_t>(out.data(), size), kNatAddress, now);
  EXPECT_FALSE(result.dropped);
  EXPECT_TRUE(result.goodbye);
}

TEST_F(RtpSessionTest, GoodbyeCompoundEndsWithBye) {
  RtpSession session(test_config(), now);
  std::array<std::uint8_t, 1500> out{};
  const std::size_t size = session.write_rtcp_goodbye(now, "call ended", out);
  const auto compound = parse_rtcp(std::span<const std::uint8_t>(out.data(), size));
  ASSERT_TRUE(compound);
  std::vector<RtcpPacketView> packets(compound->begin(), compound->end());
  ASSERT_EQ(packets.size(), 3u);
  const auto bye = parse_goodbye(packets[2]);
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->ssrc(0), 0x5a5a0001u);
  EXPECT_EQ(bye->reason, "call ended");
}

TEST_F(RtpSessionTest, PeerUsingOurSsrcMakesUsPickAnother) {
  RtpSession session(test_config(), now);
  EXPECT_TRUE(session.on_rtp(rtp(1, 160, 0x5a5a0001), kNatAddress, now).accepted());
  EXPECT_NE(session.ssrc(), 0x5a5a0001u);
  EXPECT_EQ(session.ssrc_collisions(), 1u);
}

TEST_F(RtpSessionTest, SequenceJumpIsDroppedUntilConfirmed) {
  RtpSession session(test_config(), now);
  for (std::uint16_t s = 1; s <= 5; ++s) session.on_rtp(rtp(s, 160u * s), kNatAddress, now);
  EXPECT_EQ(session.on_rtp(rtp(40000, 0), kNatAddress, now).dropped, RtpDrop::sequence_jump);
  EXPECT_TRUE(session.on_rtp(rtp(40001, 160), kNatAddress, now).accepted());
}

TEST_F(RtpSessionTest, SippG711aStreamIsAcceptedWithItsRealTiming) {
  const auto capture = test::read_udp_capture(test::sipp_capture_dir() + "/g711a.pcap");
  ASSERT_EQ(capture.size(), 236u);
  RtpSession session(test_config(), now);
  session.set_remote(kSdpAddress, kSdpRtcp);
  const UdpEndpoint sipp(ip::make_address("10.1.3.143"), capture.front().source_port);
  for (const auto& datagram : capture) {
    const auto arrival = now + std::chrono::microseconds(static_cast<std::int64_t>(datagram.time * 1e6));
    const auto result = session.on_rtp(datagram.payload, sipp, arrival);
    ASSERT_TRUE(result.accepted());
    EXPECT_EQ(result.kind, PayloadKind::audio);
  }
  const auto stats = session.stats();
  EXPECT_EQ(stats.packets_received, 236u);
  EXPECT_EQ(stats.packets_expected, 235u);  // A.1: counting starts when probation ends
  EXPECT_EQ(stats.packets_lost, 0);
  EXPECT_EQ(stats.octets_received, 236u * 240);
  // The capture's 30 ms packets arrive within a few ms of their timestamps.
  EXPECT_LT(stats.jitter_ms, 5.0);
  EXPECT_EQ(session.rtp_destination(), sipp);
}

TEST_F(RtpSessionTest, SippDtmfFromAnotherSsrcReachesTheReceiver) {
  // SIPp replays its DTMF capture as is, with its own SSRC and sequence, in the middle of the audio stream.
  const auto audio = test::read_udp_capture(test::sipp_capture_dir() + "/g711a.pcap");
  const auto dtmf = test::read_udp_capture(test::sipp_capture_dir() + "/dtmf_2833_pound.pcap");
  RtpSession session(test_config(), now);
  Rfc4733Receiver receiver;
  const UdpEndpoint sipp(ip::make_address("10.1.3.143"), 5000);
  std::string digits;
  const auto deliver = [&](const Bytes& datagram) {
    const auto result = session.on_rtp(datagram, sipp, now);
    ASSERT_TRUE(result.accepted());
    if (result.kind != PayloadKind::telephone_event) return;
    for (const auto& n :
         receiver.on_packet(result.packet.timestamp, result.packet.marker, result.packet.payload, now)) {
      if (n.kind == DtmfNotification::Kind::end) digits += n.digit.digit;
    }
  };
  for (std::size_t i = 0; i < 20; ++i, now += 30ms) deliver(audio[i].payload);
  for (const auto& datagram : dtmf) {
    deliver(datagram.payload);
    now += 20ms;
  }
  for (std::size_t i = 20; i < 40; ++i, now += 30ms) deliver(audio[i].payload);
  EXPECT_EQ(digits, "#");
  EXPECT_EQ(session.remote_ssrc(), parse_rtp(audio[0].payload)->ssrc);
}

}  // namespace
}  // namespace va::media
