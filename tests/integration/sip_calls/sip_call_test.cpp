// Inbound calls from SIPp into the real `voice-agent serve` (issue 3, interop tests): the SIP endpoint
// answers, the `echo` flow sends the caller's audio back through the whole media path (RTP → PCMA decode →
// 16 kHz pipeline frame → encode → RTP), and the caller's BYE ends the call. Loopback only, free ports,
// every run bounded.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "support/agent_instance.hpp"
#include "support/free_port.hpp"
#include "support/rtp_capture.hpp"
#include "support/sipp.hpp"

namespace va::test {
namespace {

using namespace std::chrono_literals;

// voice-agent on the example configuration with its SIP endpoint on `sip_port` and RTP in
// [rtp_first, rtp_last], every call routed to `flow`.
AgentInstanceOptions agent_options(std::uint16_t sip_port, std::uint16_t rtp_first, std::uint16_t rtp_last,
                                   const std::string& flow, const std::string& transport = "udp") {
  return {.sip_transports = {transport},
          .sip_port = sip_port,
          .rtp_first = rtp_first,
          .rtp_last = rtp_last,
          .flow = flow,
          .sets = {"http.shutdown_timeout=5s"}};
}

TEST(SipCalls, UacPcapCallToEchoFlowCarriesRtpBothWays) {
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";
  if (!RtpCapture::available()) GTEST_SKIP() << "tshark is not installed";

  const auto sip = reserve_port(PortProtocol::udp);
  // One block for voice-agent's RTP range (first 8 ports) and SIPp's media (next 4), one capture filter.
  const auto media = reserve_rtp_ports(12);
  const std::uint16_t agent_rtp = media.first();
  const std::uint16_t sipp_rtp = static_cast<std::uint16_t>(media.first() + 8);

  AgentInstance agent(
      agent_options(sip.port(), agent_rtp, static_cast<std::uint16_t>(agent_rtp + 7), "echo"));
  ASSERT_TRUE(agent.ready()) << agent.process().stderr_text();
  RtpCapture capture({.first_port = media.first(), .last_port = media.last(), .max_duration = 60s});

  const auto caller = Sipp::run({.builtin_scenario = "uac_pcap",
                                 .remote = "127.0.0.1:" + std::to_string(sip.port()),
                                 .max_calls = 1,
                                 .media_port = sipp_rtp},
                                45s);
  capture.stop();

  ASSERT_TRUE(caller.exit.exited_with(0) && caller.all_successful()) << caller.describe();
  EXPECT_EQ(caller.statistics->successful_calls, 1) << caller.describe();

  const auto summary = capture.summary();
  std::printf("[ capture  ] %s", summary.describe().c_str());
  const auto sent = summary.packets_from(sipp_rtp);
  const auto echoed = summary.packets_from(agent_rtp);
  // g711a.pcap: about 7 s of 30 ms PCMA packets. The echo returns the same audio in 20 ms packets (our
  // ptime), i.e. about 1.5 packets per packet received; demand at least as many packets as were sent.
  EXPECT_GT(sent, 200u) << summary.describe();
  EXPECT_GE(echoed, sent) << summary.describe();
  EXPECT_EQ(summary.packets_to(agent_rtp), sent) << summary.describe();
  const auto echoed_stream = summary.stream_from(agent_rtp, "g711A");
  ASSERT_TRUE(echoed_stream) << summary.describe();
  EXPECT_EQ(echoed_stream->destination_port, sipp_rtp) << summary.describe();

  // voice-agent's own view of the same call.
  EXPECT_EQ(agent.metric(R"(sip_calls_total{result="answered"})"), 1.0);
  EXPECT_EQ(agent.metric("sip_calls_active"), 0.0);
  EXPECT_GE(agent.metric(R"(rtp_packets_total{direction="received"})"), static_cast<double>(sent));
  EXPECT_GE(agent.metric(R"(rtp_packets_total{direction="sent"})"), static_cast<double>(sent));

  const auto status = agent.stop();
  EXPECT_TRUE(status.exited_with(0)) << status.describe() << agent.process().stderr_text();
  EXPECT_THAT(agent.process().stderr_text(), ::testing::HasSubstr(R"("reason":"remote_hangup")"));
}

// Bridge mode, the SIP side: LiveKit SIP, asked by voice-agent to dial it into a caller's room, INVITEs
// sip:<bridge_user>@<bridge trunk address> from its own address. SIPp plays LiveKit SIP here: the bridge
// user picks its route (echo) even though a catch-all route to another flow comes first, and the echo flow
// answers with the caller's audio.
TEST(SipCalls, ABridgeCallReachesItsRoutesFlowByTheBridgeUser) {
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";
  if (!RtpCapture::available()) GTEST_SKIP() << "tshark is not installed";

  const auto sip = reserve_port(PortProtocol::udp);
  const auto media = reserve_rtp_ports(12);
  const std::uint16_t agent_rtp = media.first();
  const std::uint16_t sipp_rtp = static_cast<std::uint16_t>(media.first() + 8);
  AgentInstance agent({.sip_transports = {"udp"},
                       .sip_port = sip.port(),
                       .rtp_first = agent_rtp,
                       .rtp_last = static_cast<std::uint16_t>(agent_rtp + 7),
                       .sets = {"http.shutdown_timeout=5s", "logging.format=json",
                                R"(routing.inbound=[{match: "*", flow: dtmf-echo},)"
                                R"( {match: "7800*", flow: echo, room_prefix: hotline-, livekit: bridge,)"
                                R"( bridge_user: bridge-echo}])"}});
  ASSERT_TRUE(agent.ready()) << agent.describe();
  RtpCapture capture({.first_port = media.first(), .last_port = media.last(), .max_duration = 60s});

  const auto bridge = Sipp::run({.builtin_scenario = "uac_pcap",
                                 .remote = "127.0.0.1:" + std::to_string(sip.port()),
                                 .service = "bridge-echo",
                                 .max_calls = 1,
                                 .media_port = sipp_rtp},
                                45s);
  capture.stop();
  ASSERT_TRUE(bridge.exit.exited_with(0) && bridge.all_successful()) << bridge.describe();

  EXPECT_THAT(agent.log(), ::testing::HasSubstr(R"("flow":"echo","dialed":"bridge-echo")"))
      << agent.describe();
  const auto summary = capture.summary();
  const auto sent = summary.packets_from(sipp_rtp);
  EXPECT_GT(sent, 200u) << summary.describe();
  EXPECT_GE(summary.packets_from(agent_rtp), sent) << summary.describe();  // the echo, not dtmf-echo
  ASSERT_TRUE(summary.stream_from(agent_rtp, "g711A")) << summary.describe();
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.describe();
}

TEST(SipCalls, DtmfEchoFlowSendsTheCallersRfc4733DigitBack) {
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";
  if (!RtpCapture::available()) GTEST_SKIP() << "tshark is not installed";

  const auto sip = reserve_port(PortProtocol::udp);
  const auto media = reserve_rtp_ports(12);
  const std::uint16_t agent_rtp = media.first();
  const std::uint16_t sipp_rtp = static_cast<std::uint16_t>(media.first() + 8);

  AgentInstance agent(
      agent_options(sip.port(), agent_rtp, static_cast<std::uint16_t>(agent_rtp + 7), "dtmf-echo"));
  ASSERT_TRUE(agent.ready()) << agent.process().stderr_text();
  RtpCapture capture({.first_port = media.first(), .last_port = media.last(), .max_duration = 60s});

  // SIPp's uac_pcap plays g711a.pcap, then the RFC 4733 digit '1' of dtmf_2833_1.pcap, then hangs up.
  const auto caller = Sipp::run({.builtin_scenario = "uac_pcap",
                                 .remote = "127.0.0.1:" + std::to_string(sip.port()),
                                 .max_calls = 1,
                                 .media_port = sipp_rtp},
                                45s);
  capture.stop();
  ASSERT_TRUE(caller.exit.exited_with(0) && caller.all_successful()) << caller.describe();

  const auto summary = capture.summary();
  std::printf("[ capture  ] %s", summary.describe().c_str());
  // Audio is not echoed by this flow: what comes back is the digit, as telephone-event packets (a start, a
  // duration update per 20 ms, three end packets).
  const auto events = summary.stream_from(agent_rtp, "rtpevent");
  ASSERT_TRUE(events) << summary.describe();
  EXPECT_GE(events->packets, 5u) << summary.describe();
  EXPECT_FALSE(events->carries("g711A")) << summary.describe();
  EXPECT_EQ(events->destination_port, sipp_rtp) << summary.describe();
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.process().stderr_text();
}

TEST(SipCalls, UacWithoutMediaIsAnsweredAndEndedByItsBye) {
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";

  const auto sip = reserve_port(PortProtocol::udp);
  const auto media = reserve_rtp_ports(8);
  AgentInstance agent(agent_options(sip.port(), media.first(), media.last(), "echo"));
  ASSERT_TRUE(agent.ready()) << agent.process().stderr_text();

  const auto caller = Sipp::run({.builtin_scenario = "uac",
                                 .remote = "127.0.0.1:" + std::to_string(sip.port()),
                                 .max_calls = 3,
                                 .call_duration = 500ms},
                                30s);
  ASSERT_TRUE(caller.exit.exited_with(0) && caller.all_successful()) << caller.describe();
  EXPECT_EQ(caller.statistics->successful_calls, 3) << caller.describe();
  EXPECT_EQ(agent.metric(R"(sip_calls_total{result="answered"})"), 3.0);
  EXPECT_EQ(agent.metric("sip_calls_active"), 0.0);

  const auto status = agent.stop();
  EXPECT_TRUE(status.exited_with(0)) << status.describe() << agent.process().stderr_text();
}

TEST(SipCalls, FiftyCallsAtTenPerSecondAllSucceed) {
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";

  const auto sip = reserve_port(PortProtocol::udp);
  const auto media = reserve_rtp_ports(64);  // 32 pairs: enough for the ~10 calls open at a time
  AgentInstance agent(agent_options(sip.port(), media.first(), media.last(), "echo"));
  ASSERT_TRUE(agent.ready()) << agent.process().stderr_text();

  const auto caller = Sipp::run({.builtin_scenario = "uac",
                                 .remote = "127.0.0.1:" + std::to_string(sip.port()),
                                 .call_rate = 10.0,
                                 .max_calls = 50,
                                 .call_duration = 1s},
                                60s);
  ASSERT_TRUE(caller.statistics) << caller.describe();
  EXPECT_TRUE(caller.exit.exited_with(0)) << caller.describe();
  EXPECT_EQ(caller.statistics->successful_calls, 50) << caller.describe();
  EXPECT_EQ(caller.statistics->failed_calls, 0) << caller.describe();
  EXPECT_EQ(agent.metric(R"(sip_calls_total{result="answered"})"), 50.0);
  EXPECT_EQ(agent.metric("sip_calls_active"), 0.0);
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.process().stderr_text();
}

TEST(SipCalls, CallOverTcpIsAnsweredAndEnded) {
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";

  const auto sip = reserve_port(PortProtocol::tcp);
  const auto media = reserve_rtp_ports(8);
  AgentInstance agent(agent_options(sip.port(), media.first(), media.last(), "echo", "tcp"));
  ASSERT_TRUE(agent.ready()) << agent.process().stderr_text();

  const auto caller = Sipp::run({.builtin_scenario = "uac",
                                 .remote = "127.0.0.1:" + std::to_string(sip.port()),
                                 .transport = SipTransport::tcp,
                                 .max_calls = 2,
                                 .call_duration = 500ms},
                                30s);
  ASSERT_TRUE(caller.exit.exited_with(0) && caller.all_successful()) << caller.describe();
  EXPECT_EQ(caller.statistics->successful_calls, 2) << caller.describe();
  EXPECT_THAT(caller.message_trace, ::testing::HasSubstr("transport=tcp")) << caller.describe();
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.process().stderr_text();
}

TEST(SipCalls, ReInviteHoldAndUnholdAreAnsweredWithTheMatchingDirection) {
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";

  const auto sip = reserve_port(PortProtocol::udp);
  const auto media = reserve_rtp_ports(8);
  AgentInstance agent(agent_options(sip.port(), media.first(), media.last(), "echo"));
  ASSERT_TRUE(agent.ready()) << agent.process().stderr_text();

  const auto caller =
      Sipp::run({.scenario_file = std::string(VA_SIP_CALLS_SCENARIO_DIR) + "/uac_reinvite_hold.xml",
                 .remote = "127.0.0.1:" + std::to_string(sip.port()),
                 .max_calls = 1},
                30s);
  ASSERT_TRUE(caller.exit.exited_with(0) && caller.all_successful()) << caller.describe();
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.process().stderr_text();
}

TEST(SipCalls, InviteWithoutSdpGetsOurOfferAndInfoDtmfIsAccepted) {
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";

  const auto sip = reserve_port(PortProtocol::udp);
  const auto media = reserve_rtp_ports(8);
  AgentInstance agent(agent_options(sip.port(), media.first(), media.last(), "dtmf-echo"));
  ASSERT_TRUE(agent.ready()) << agent.process().stderr_text();

  const auto caller =
      Sipp::run({.scenario_file = std::string(VA_SIP_CALLS_SCENARIO_DIR) + "/uac_late_offer.xml",
                 .remote = "127.0.0.1:" + std::to_string(sip.port()),
                 .max_calls = 1},
                30s);
  ASSERT_TRUE(caller.exit.exited_with(0) && caller.all_successful()) << caller.describe();
  EXPECT_EQ(agent.metric(R"(sip_calls_total{result="answered"})"), 1.0);
  const auto status = agent.stop();
  EXPECT_TRUE(status.exited_with(0)) << agent.process().stderr_text();
  EXPECT_THAT(agent.process().stderr_text(), ::testing::Not(::testing::HasSubstr("unusable SDP answer")));
}

TEST(SipCalls, RouteToUnknownFlowIsRefusedWith480) {
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";

  const auto sip = reserve_port(PortProtocol::udp);
  const auto media = reserve_rtp_ports(8);
  // The route names a flow this build does not have: 480, and the caller's call fails as rejected.
  AgentInstance agent(agent_options(sip.port(), media.first(), media.last(), "no-such-flow"));
  ASSERT_TRUE(agent.ready()) << agent.process().stderr_text();

  const auto caller = Sipp::run(
      {.builtin_scenario = "uac", .remote = "127.0.0.1:" + std::to_string(sip.port()), .max_calls = 1}, 30s);
  ASSERT_TRUE(caller.statistics) << caller.describe();
  EXPECT_EQ(caller.statistics->successful_calls, 0) << caller.describe();
  EXPECT_EQ(caller.statistics->failed_calls, 1) << caller.describe();
  EXPECT_THAT(caller.message_trace, ::testing::HasSubstr("SIP/2.0 480")) << caller.describe();
  EXPECT_EQ(agent.metric(R"(sip_calls_total{result="no_flow"})"), 1.0);
  EXPECT_EQ(agent.stop().exited_with(0), true);
}

}  // namespace
}  // namespace va::test
