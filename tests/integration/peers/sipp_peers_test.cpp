// Smoke tests of the SIPp and tshark harness, SIPp against SIPp (voice-agent is not involved yet): they
// prove that a later test driving voice-agent with SIPp can trust the statistics and the capture.
#include <gtest/gtest.h>

#include <chrono>

#include "support/audio_files.hpp"
#include "support/free_port.hpp"
#include "support/rtp_capture.hpp"
#include "support/sipp.hpp"
#include "support/temp_directory.hpp"

namespace va::test {
namespace {

using namespace std::chrono_literals;

constexpr int kPcmaPayloadType = 8;

TEST(SippPeers, UacPcapCallToEchoingUasCarriesRtpBothWays) {
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";
  if (!RtpCapture::available()) GTEST_SKIP() << "tshark is not installed";
  if (!sox_available()) GTEST_SKIP() << "sox is not installed";

  // One block for both media sockets, so one capture filter covers the call.
  const auto media = reserve_rtp_ports(8);
  const std::uint16_t uas_media = media.first();
  const std::uint16_t uac_media = static_cast<std::uint16_t>(media.first() + 4);
  RtpCapture capture({.first_port = media.first(), .last_port = media.last(), .max_duration = 60s});

  Sipp uas({.builtin_scenario = "uas", .max_calls = 1, .rtp_echo = true, .media_port = uas_media});
  const auto caller = Sipp::run(
      {.builtin_scenario = "uac_pcap", .remote = uas.address(), .max_calls = 1, .media_port = uac_media},
      40s);
  const auto callee = uas.wait(15s);
  capture.stop();

  ASSERT_TRUE(caller.exit.exited_with(0) && caller.all_successful()) << caller.describe();
  EXPECT_EQ(caller.statistics->successful_calls, 1) << caller.describe();
  EXPECT_TRUE(callee.all_successful()) << callee.describe();

  const auto summary = capture.summary();
  const auto sent = summary.stream_from(uac_media, "g711A");
  const auto echoed = summary.stream_from(uas_media, "g711A");
  ASSERT_TRUE(sent && echoed) << summary.describe();
  std::printf("[ capture  ] %s", summary.describe().c_str());
  // g711a.pcap holds about 7 s of 30 ms packets; the echo must return (nearly) all of them, none lost.
  EXPECT_GT(sent->packets, 200u) << summary.describe();
  EXPECT_EQ(sent->lost, 0) << summary.describe();
  EXPECT_GE(echoed->packets * 10, sent->packets * 9) << summary.describe();
  EXPECT_EQ(summary.packets_from(uac_media), summary.packets_to(uas_media)) << summary.describe();
  EXPECT_GT(summary.packets_from(uas_media), 0u) << summary.describe();

  // The payload extraction: what came back is what went out, decoded from A-law on both sides.
  TempDirectory scratch("sipp-echo");
  ASSERT_GT(capture.write_payload(scratch / "sent.alaw", uac_media, kPcmaPayloadType), 0u);
  ASSERT_GT(capture.write_payload(scratch / "echoed.alaw", uas_media, kPcmaPayloadType), 0u);
  decode_g711_raw(scratch / "sent.alaw", scratch / "sent.wav", G711Law::alaw);
  decode_g711_raw(scratch / "echoed.alaw", scratch / "echoed.wav", G711Law::alaw);
  const auto comparison = compare_wav_files(scratch / "sent.wav", scratch / "echoed.wav", 1s);
  std::printf("[ echo     ] %s\n", comparison.describe().c_str());
  EXPECT_GT(comparison.correlation, 0.99) << comparison.describe();
}

TEST(SippPeers, TwentyCallsAtTenPerSecondAllSucceed) {
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";

  Sipp uas({.builtin_scenario = "uas", .max_calls = 20});
  const auto caller = Sipp::run({.builtin_scenario = "uac",
                                 .remote = uas.address(),
                                 .call_rate = 10.0,
                                 .call_limit = 20,
                                 .max_calls = 20},
                                40s);
  // The stock uas keeps each call 4 s after its BYE (<timewait>) before it exits on -m.
  const auto callee = uas.wait(20s);

  ASSERT_TRUE(caller.statistics) << caller.describe();
  std::printf("[ caller   ] %s\n[ callee   ] %s\n", caller.statistics->describe().c_str(),
              callee.statistics ? callee.statistics->describe().c_str() : "no statistics");
  EXPECT_TRUE(caller.exit.exited_with(0)) << caller.describe();
  EXPECT_EQ(caller.statistics->outgoing_calls, 20) << caller.describe();
  EXPECT_EQ(caller.statistics->successful_calls, 20) << caller.describe();
  EXPECT_EQ(caller.statistics->failed_calls, 0) << caller.describe();
  EXPECT_EQ(caller.statistics->failed_unexpected_message, 0) << caller.describe();
  ASSERT_TRUE(callee.statistics) << callee.describe();
  EXPECT_EQ(callee.statistics->incoming_calls, 20) << callee.describe();
  EXPECT_EQ(callee.statistics->successful_calls, 20) << callee.describe();
  EXPECT_EQ(callee.statistics->failed_calls, 0) << callee.describe();
}

}  // namespace
}  // namespace va::test
