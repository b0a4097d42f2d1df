#include "media/rtp_statistics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace va::media {
namespace {

// Feeds packets 20 ms apart (160 timestamp units at 8 kHz) arriving exactly on time.
void feed(RtpReceiveStatistics& stats, std::uint16_t sequence) {
  const std::uint32_t timestamp = 160u * sequence;
  stats.on_packet(sequence, timestamp, timestamp + 1000);
}

TEST(RtpStatistics, NewSourceIsOnProbationUntilTwoPacketsInSequence) {
  RtpReceiveStatistics stats;
  EXPECT_EQ(stats.on_packet(100, 0, 0), SequenceCheck::probation);
  EXPECT_EQ(stats.expected(), 0u);
  EXPECT_EQ(stats.on_packet(101, 160, 160), SequenceCheck::valid);
  // A.1: the sequence is (re)initialised at the packet that ends probation; that packet is the first counted.
  EXPECT_EQ(stats.received(), 1u);
  EXPECT_EQ(stats.expected(), 1u);
  for (std::uint16_t s = 102; s < 110; ++s) feed(stats, s);
  EXPECT_EQ(stats.received(), 9u);
  EXPECT_EQ(stats.expected(), 9u);
  EXPECT_EQ(stats.cumulative_lost(), 0);
  EXPECT_EQ(stats.extended_highest_sequence(), 109u);
}

TEST(RtpStatistics, ProbationRestartsWhenPacketsAreNotSequential) {
  RtpReceiveStatistics stats;
  EXPECT_EQ(stats.on_packet(10, 0, 0), SequenceCheck::probation);
  EXPECT_EQ(stats.on_packet(12, 0, 0), SequenceCheck::probation);  // gap: probation starts over at 12
  EXPECT_EQ(stats.on_packet(13, 0, 0), SequenceCheck::valid);
  EXPECT_EQ(stats.expected(), 1u);
}

TEST(RtpStatistics, ProbationCompletesAcrossTheSequenceWrap) {
  RtpReceiveStatistics stats;
  EXPECT_EQ(stats.on_packet(65535, 0, 0), SequenceCheck::probation);
  EXPECT_EQ(stats.on_packet(0, 160, 160), SequenceCheck::valid);
}

TEST(RtpStatistics, LossAndFractionLostFollowAppendixA3) {
  RtpReceiveStatistics stats;
  for (std::uint16_t s = 100; s < 120; ++s) {
    if (s == 105 || s == 110) continue;
    feed(stats, s);
  }
  // Base is 101 (end of probation): expected 101..119 = 19, received 17.
  EXPECT_EQ(stats.expected(), 19u);
  EXPECT_EQ(stats.received(), 17u);
  EXPECT_EQ(stats.cumulative_lost(), 2);
  // fraction = (lost_interval << 8) / expected_interval = 512 / 19 = 26 (0.105).
  EXPECT_EQ(stats.take_fraction_lost(), 26);

  for (std::uint16_t s = 120; s < 130; s = static_cast<std::uint16_t>(s + 2)) feed(stats, s);
  feed(stats, 129);
  // 120,122,124,126,128,129: expected 120..129 = 10, received 6, lost 4 → 1024/10 = 102.
  EXPECT_EQ(stats.take_fraction_lost(), 102);
  EXPECT_EQ(stats.cumulative_lost(), 6);
  // Nothing new: zero.
  EXPECT_EQ(stats.take_fraction_lost(), 0);
}

TEST(RtpStatistics, ExtendsTheSequenceAcrossTheWrap) {
  RtpReceiveStatistics stats;
  for (std::uint32_t s = 65530; s < 65536 + 6; ++s) feed(stats, static_cast<std::uint16_t>(s));
  EXPECT_EQ(stats.extended_highest_sequence(), 65536u + 5);
  EXPECT_EQ(stats.expected(), 11u);  // 65531 .. 65541
  EXPECT_EQ(stats.received(), 11u);
  EXPECT_EQ(stats.cumulative_lost(), 0);
}

TEST(RtpStatistics, LatePacketBeforeTheWrapDoesNotAddACycle) {
  RtpReceiveStatistics stats;
  for (std::uint32_t s = 65530; s < 65536 + 3; ++s) {
    if (s == 65535) continue;
    feed(stats, static_cast<std::uint16_t>(s));
  }
  EXPECT_EQ(stats.cumulative_lost(), 1);
  EXPECT_EQ(stats.on_packet(65535, 0, 0), SequenceCheck::valid);  // late, counted
  EXPECT_EQ(stats.extended_highest_sequence(), 65536u + 2);
  EXPECT_EQ(stats.cumulative_lost(), 0);
}

TEST(RtpStatistics, DuplicatesMakeLossNegative) {
  // A.3: "the number of packets lost ... will be negative if there are duplicates".
  RtpReceiveStatistics stats;
  for (std::uint16_t s = 1; s <= 5; ++s) feed(stats, s);
  feed(stats, 5);
  feed(stats, 5);
  EXPECT_EQ(stats.cumulative_lost(), -2);
  EXPECT_EQ(stats.take_fraction_lost(), 0);
}

TEST(RtpStatistics, LargeJumpRestartsOnlyWhenTheNextPacketConfirmsIt) {
  RtpReceiveStatistics stats;
  for (std::uint16_t s = 1; s <= 10; ++s) feed(stats, s);
  EXPECT_EQ(stats.on_packet(20000, 0, 0), SequenceCheck::jump);  // stray: not counted
  EXPECT_EQ(stats.on_packet(11, 0, 0), SequenceCheck::valid);
  EXPECT_EQ(stats.expected(), 10u);
  EXPECT_EQ(stats.on_packet(30000, 0, 0), SequenceCheck::jump);
  EXPECT_EQ(stats.on_packet(30001, 0, 0), SequenceCheck::valid);  // confirmed: the sender restarted
  EXPECT_EQ(stats.expected(), 1u);
  EXPECT_EQ(stats.received(), 1u);
  EXPECT_EQ(stats.extended_highest_sequence(), 30001u);
}

TEST(RtpStatistics, JitterIsZeroForPerfectlyTimedPackets) {
  RtpReceiveStatistics stats;
  for (std::uint16_t s = 0; s < 50; ++s) feed(stats, s);
  EXPECT_EQ(stats.jitter(), 0u);
}

TEST(RtpStatistics, JitterFollowsTheAppendixA8Estimator) {
  // Every other packet arrives 80 units (10 ms) late: |D| = 80 for each pair after the first packet.
  // J += (|D| - J) / 16, which the integer form tracks within one unit: 5, 9.69 → 9, 14.08 → 14, ...
  RtpReceiveStatistics stats;
  double reference = 0;
  for (std::uint16_t s = 0; s < 200; ++s) {
    const std::uint32_t timestamp = 160u * s;
    const std::uint32_t arrival = timestamp + (s % 2 == 1 ? 80u : 0u);
    stats.on_packet(s, timestamp, arrival);
    if (s > 0) reference += (80.0 - reference) / 16.0;
    if (s == 1) {
      EXPECT_EQ(stats.jitter(), 5u);
    } else if (s == 2) {
      EXPECT_EQ(stats.jitter(), 9u);
    } else if (s == 3) {
      EXPECT_EQ(stats.jitter(), 14u);
    }
    EXPECT_NEAR(static_cast<double>(stats.jitter()), reference, 1.5) << "packet " << s;
  }
  EXPECT_GE(stats.jitter(), 79u);
  EXPECT_LE(stats.jitter(), 80u);
}

TEST(RtpStatistics, PacketsExcludedFromJitterLeaveItUntouched) {
  RtpReceiveStatistics stats;
  for (std::uint16_t s = 0; s < 10; ++s) feed(stats, s);
  // RFC 4733 events repeat their start timestamp while time passes: not a jitter sample.
  for (std::uint16_t s = 10; s < 20; ++s) stats.on_packet(s, 1600, 1600u + 160u * (s - 10) + 1000, false);
  EXPECT_EQ(stats.jitter(), 0u);
}

TEST(RtpStatistics, ReportBlockCarriesTheCountsAndStartsANewInterval) {
  RtpReceiveStatistics stats;
  for (std::uint16_t s = 1; s <= 21; ++s) {
    if (s != 7) feed(stats, s);
  }
  const auto block = stats.make_report_block(0xabcdef01, 0x11112222, 0x00008000);
  EXPECT_EQ(block.ssrc, 0xabcdef01u);
  EXPECT_EQ(block.fraction_lost, 12);  // 1 of 20 expected: 256 / 20 = 12
  EXPECT_EQ(block.cumulative_lost, 1);
  EXPECT_EQ(block.extended_highest_sequence, 21u);
  EXPECT_EQ(block.last_sr, 0x11112222u);
  EXPECT_EQ(block.delay_since_last_sr, 0x00008000u);
  EXPECT_EQ(stats.make_report_block(1, 0, 0).fraction_lost, 0);
}

TEST(RtpStatistics, RoundTripTimeOfTheRfc3550Example) {
  // RFC 3550 §6.4.1, Figure 2: A = 0xb710:8000 (46864.500 s), LSR = 0xb705:2000 (46853.125 s),
  // DLSR = 0x0005:4000 (5.250 s) → RTT 6.125 s.
  const auto rtt = round_trip_time(0xb7108000, 0xb7052000, 0x00054000);
  ASSERT_TRUE(rtt);
  EXPECT_EQ(rtt->count(), 6'125'000);
}

TEST(RtpStatistics, NoRoundTripWithoutLsrOrWhenNegative) {
  EXPECT_FALSE(round_trip_time(0xb7108000, 0, 0));
  EXPECT_FALSE(round_trip_time(0x00010000, 0x00010000, 0x00000100));
  const auto zero = round_trip_time(0x00020000, 0x00010000, 0x00010000);
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->count(), 0);
}

TEST(RtpStatistics, SenderCountsPayloadOctetsOnly) {
  RtpSendStatistics sent;
  sent.on_sent(160);
  sent.on_sent(160);
  sent.on_sent(4);
  EXPECT_EQ(sent.packets, 3u);
  EXPECT_EQ(sent.octets, 324u);
}

}  // namespace
}  // namespace va::media
