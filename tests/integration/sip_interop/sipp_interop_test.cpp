// SIPp against the real `voice-agent serve` (issue 3, interop): RFC 4733 digits from SIPp's own pcaps into
// the dtmf-echo flow, with and without the marker bit on the event's first packet; a CANCEL while the
// `ring` flow rings; BYE from voice-agent's side ('#' in dtmf-echo, and graceful shutdown). The caller's
// BYE is covered by tests/integration/sip_calls. Loopback only, free ports, every wait bounded.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "integration/sip_interop/interop_agent.hpp"
#include "integration/sip_interop/rtp_pcap_rewrite.hpp"
#include "support/free_port.hpp"
#include "support/rtp_capture.hpp"
#include "support/sipp.hpp"
#include "support/temp_directory.hpp"

namespace va::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr int kTelephoneEventType = 101;  // what the scenarios offer; the answer must keep it (RFC 3264 §6.1)
constexpr const char* kSippMedia = "/usr/share/sip-tester";

std::filesystem::path scenario(const std::string& name) {
  return std::filesystem::path(VA_SIP_INTEROP_SCENARIO_DIR) / name;
}

std::filesystem::path digit_pcap(const std::string& digit) {
  return std::filesystem::path(kSippMedia) / ("dtmf_2833_" + digit + ".pcap");
}

// One voice-agent with a flow, its RTP range and SIPp's media ports in one captured block.
struct CallUnderTest {
  explicit CallUnderTest(const std::string& flow)
      : sip(reserve_port(PortProtocol::udp)),
        media(reserve_rtp_ports(12)),
        agent_rtp(media.first()),
        sipp_rtp(static_cast<std::uint16_t>(media.first() + 8)),
        agent(interop_agent({.sip_port = sip.port(),
                             .rtp_first = agent_rtp,
                             .rtp_last = static_cast<std::uint16_t>(agent_rtp + 7),
                             .flow = flow})),
        capture({.first_port = media.first(), .last_port = media.last(), .max_duration = 90s}) {}

  SippOptions caller(const std::string& scenario_name,
                     std::vector<std::pair<std::filesystem::path, std::filesystem::path>> links) const {
    return {.scenario_file = scenario(scenario_name),
            .remote = agent.sip_address(),
            .max_calls = 1,
            .media_port = sipp_rtp,
            .links = std::move(links)};
  }

  PortReservation sip;
  PortReservation media;
  std::uint16_t agent_rtp;
  std::uint16_t sipp_rtp;
  AgentInstance agent;
  RtpCapture capture;
};

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size()))
    ++count;
  return count;
}

bool peers_available() {
  return Sipp::available() && RtpCapture::available() && std::filesystem::exists(digit_pcap("1"));
}

// The digits SIPp played and the digits voice-agent sent back, both read off the wire.
void expect_digits_echoed(CallUnderTest& call, const SippResult& caller, const std::string& digits,
                          bool sent_with_marker) {
  call.capture.stop();
  ASSERT_TRUE(caller.exit.exited_with(0) && caller.all_successful())
      << caller.describe() << call.agent.describe();
  EXPECT_THAT(caller.message_trace, HasSubstr("a=rtpmap:101 telephone-event/8000")) << caller.describe();

  const auto sent = call.capture.telephone_events(call.sipp_rtp, kTelephoneEventType);
  const auto echoed = call.capture.telephone_events(call.agent_rtp, kTelephoneEventType);
  std::printf("[ sent     ] %s\n[ echoed   ] %s\n", describe(sent).c_str(), describe(echoed).c_str());
  const auto context = [&] {
    return "sent: " + describe(sent) + "\nechoed: " + describe(echoed) + "\n" +
           call.capture.summary().describe() + call.agent.describe();
  };
  ASSERT_EQ(digits_of(sent), digits) << "the pcaps did not go out as expected\n" << context();
  for (const auto& event : sent) EXPECT_EQ(event.marker, sent_with_marker) << context();

  // dtmf-echo sends every digit it recognised back as an event of its own: the same digits, in order,
  // each started with the marker bit and ended (E bit) as RFC 4733 §2.5 asks of a sender.
  ASSERT_EQ(digits_of(echoed), digits) << context();
  for (const auto& event : echoed) {
    EXPECT_TRUE(event.marker) << context();
    EXPECT_TRUE(event.ended) << context();
    EXPECT_GT(event.duration, 0u) << context();
  }
}

TEST(SippInterop, Rfc4733DigitsWithMarkerBitReachTheDtmfHandler) {
  if (!peers_available()) GTEST_SKIP() << "sipp (sip-tester, with its pcaps) or tshark is not installed";
  CallUnderTest call("dtmf-echo");
  ASSERT_TRUE(call.agent.ready()) << call.agent.describe();

  const auto caller = Sipp::run(call.caller("uac_dtmf_digits.xml", {{"digits/1.pcap", digit_pcap("1")},
                                                                    {"digits/2.pcap", digit_pcap("2")},
                                                                    {"digits/3.pcap", digit_pcap("3")}}),
                                60s);
  expect_digits_echoed(call, caller, "123", true);
  EXPECT_TRUE(call.agent.stop().exited_with(0)) << call.agent.describe();
}

TEST(SippInterop, Rfc4733DigitsWithoutMarkerBitReachTheDtmfHandler) {
  if (!peers_available()) GTEST_SKIP() << "sipp (sip-tester, with its pcaps) or tshark is not installed";
  // Copies of the pcaps with the marker cleared: a sender that never sets it, or whose first packet of
  // each event was lost. A receiver must still see a new event (new timestamp) and report it.
  TempDirectory pcaps("dtmf-no-marker");
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> links;
  for (const std::string digit : {"4", "5", "6"}) {
    const auto copy = pcaps / ("dtmf_2833_" + digit + "_no_marker.pcap");
    ASSERT_EQ(copy_pcap_clearing_rtp_marker(digit_pcap(digit), copy), 1u) << "one marker per digit pcap";
    links.emplace_back("digits/" + std::to_string(links.size() + 1) + ".pcap", copy);
  }
  CallUnderTest call("dtmf-echo");
  ASSERT_TRUE(call.agent.ready()) << call.agent.describe();

  const auto caller = Sipp::run(call.caller("uac_dtmf_digits.xml", links), 60s);
  expect_digits_echoed(call, caller, "456", false);
  EXPECT_TRUE(call.agent.stop().exited_with(0)) << call.agent.describe();
}

TEST(SippInterop, CancelWhileRingingIsAnswered200AndTheInvite487) {
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";
  const auto sip = reserve_port(PortProtocol::udp);
  const auto media = reserve_rtp_ports(8);
  AgentInstance agent(interop_agent(
      {.sip_port = sip.port(), .rtp_first = media.first(), .rtp_last = media.last(), .flow = "ring"}));
  ASSERT_TRUE(agent.ready()) << agent.describe();

  const auto caller = Sipp::run(
      {.scenario_file = scenario("uac_cancel_ringing.xml"), .remote = agent.sip_address(), .max_calls = 1},
      30s);
  // The scenario checks the 200 is the CANCEL's and the 487 the INVITE's (CSeq); the trace shows both.
  ASSERT_TRUE(caller.exit.exited_with(0) && caller.all_successful()) << caller.describe() << agent.describe();
  EXPECT_THAT(caller.message_trace, HasSubstr("SIP/2.0 180")) << caller.describe();
  // Once: a 487 retransmitted during the 2 s the scenario lingers would mean our ACK did not reach the
  // INVITE's server transaction (RFC 3261 §17.2.1: the ACK stops the 487's retransmissions).
  EXPECT_EQ(count_of(caller.message_trace, "SIP/2.0 487"), 1u) << caller.describe();
  EXPECT_EQ(agent.metric(R"(sip_calls_total{result="answered"})"), -1.0) << "a cancelled call was answered";
  EXPECT_EQ(agent.wait_for_metric("sip_calls_active", 0.0), 0.0) << agent.describe();
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.describe();
}

TEST(SippInterop, PoundInDtmfEchoEndsTheCallWithOurBye) {
  if (!peers_available()) GTEST_SKIP() << "sipp (sip-tester, with its pcaps) or tshark is not installed";
  CallUnderTest call("dtmf-echo");
  ASSERT_TRUE(call.agent.ready()) << call.agent.describe();

  // The scenario plays the '#' and succeeds only when a BYE comes, which it answers 200.
  const auto caller =
      Sipp::run(call.caller("uac_awaits_bye.xml", {{"digits/1.pcap", digit_pcap("pound")}}), 60s);
  call.capture.stop();
  ASSERT_TRUE(caller.exit.exited_with(0) && caller.all_successful())
      << caller.describe() << call.agent.describe();
  // Once: SIPp's 200 stopped our BYE's retransmissions (Timer E, 500 ms) during its 2 s linger.
  EXPECT_EQ(count_of(caller.message_trace, "BYE sip:"), 1u) << caller.describe();

  // The '#' itself was echoed before the BYE.
  const auto echoed = call.capture.telephone_events(call.agent_rtp, kTelephoneEventType);
  EXPECT_EQ(digits_of(echoed), "#") << describe(echoed);
  // voice-agent saw its BYE answered: the call is over on its side too.
  EXPECT_EQ(call.agent.wait_for_metric("sip_calls_active", 0.0), 0.0) << call.agent.describe();
  const auto status = call.agent.stop();
  EXPECT_TRUE(status.exited_with(0)) << status.describe() << call.agent.describe();
  EXPECT_THAT(call.agent.process().stderr_text(), HasSubstr(R"("reason":"local_hangup")"))
      << call.agent.describe();
}

TEST(SippInterop, GracefulShutdownEndsAnOpenCallWithOurBye) {
  if (!peers_available()) GTEST_SKIP() << "sipp (sip-tester, with its pcaps) or tshark is not installed";
  CallUnderTest call("dtmf-echo");
  ASSERT_TRUE(call.agent.ready()) << call.agent.describe();

  Sipp caller(call.caller("uac_awaits_bye.xml", {{"digits/1.pcap", digit_pcap("1")}}));
  ASSERT_TRUE(caller.wait_for_message("ACK sip:", 20s)) << caller.message_trace() << call.agent.describe();
  // A digit before the shutdown shows the call carried media; its echo is not what this test is about.
  std::this_thread::sleep_for(1500ms);
  const auto status = call.agent.stop();
  const auto result = caller.wait(20s);
  call.capture.stop();

  EXPECT_TRUE(status.exited_with(0)) << status.describe() << call.agent.describe();
  ASSERT_TRUE(result.exit.exited_with(0) && result.all_successful())
      << result.describe() << call.agent.describe();
  EXPECT_EQ(count_of(result.message_trace, "BYE sip:"), 1u) << result.describe();
  EXPECT_THAT(call.agent.process().stderr_text(), HasSubstr(R"("reason":"shutdown")"))
      << call.agent.describe();
}

}  // namespace
}  // namespace va::test
