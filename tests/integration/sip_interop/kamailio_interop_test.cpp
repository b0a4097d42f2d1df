// Kamailio's dispatcher in front of two real `voice-agent serve` instances (issue 3, interop): SIPp calls
// through the proxy, which record-routes and spreads the calls round robin; both instances answer calls,
// and every BYE goes back through the proxy along the route set (voice-agent copied Record-Route into its
// 200 OK, RFC 3261 §12.1.1); and a BYE from voice-agent reaches a caller behind the proxy through it.
// Loopback only, free ports, every wait bounded.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "integration/sip_interop/interop_agent.hpp"
#include "support/free_port.hpp"
#include "support/kamailio.hpp"
#include "support/sipp.hpp"

namespace va::test {
namespace {

using namespace std::chrono_literals;

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size()))
    ++count;
  return count;
}

TEST(KamailioInterop, DispatcherSpreadsCallsOverTwoVoiceAgentsAndByesFollowTheRouteSet) {
  if (!Kamailio::available()) GTEST_SKIP() << "kamailio (and setsid) is not installed";
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";
  constexpr long kCalls = 20;

  // Two instances: their own SIP ports and disjoint RTP ranges (16 ports each: the few calls open at a
  // time at 10 calls/s with 500 ms calls).
  const auto sip1 = reserve_port(PortProtocol::udp);
  const auto sip2 = reserve_port(PortProtocol::udp);
  const auto rtp = reserve_rtp_ports(32);
  AgentInstance first(interop_agent({.sip_port = sip1.port(),
                                     .rtp_first = rtp.first(),
                                     .rtp_last = static_cast<std::uint16_t>(rtp.first() + 15),
                                     .flow = "echo"}));
  AgentInstance second(interop_agent({.sip_port = sip2.port(),
                                      .rtp_first = static_cast<std::uint16_t>(rtp.first() + 16),
                                      .rtp_last = rtp.last(),
                                      .flow = "echo"}));
  ASSERT_TRUE(first.ready()) << first.describe();
  ASSERT_TRUE(second.ready()) << second.describe();
  Kamailio proxy({.role = KamailioDispatcher{.destinations = {first.sip_uri(), second.sip_uri()}}});

  const auto caller = Sipp::run({.scenario_file = sipp_scenario("uac_route_set.xml"),
                                 .remote = proxy.address(),
                                 .call_rate = 10.0,
                                 .max_calls = kCalls,
                                 .call_duration = 500ms},
                                90s);
  const auto describe = [&] {
    return caller.describe() + "\n--- kamailio ---\n" + proxy.log() + first.describe() + second.describe();
  };

  ASSERT_TRUE(caller.statistics) << describe();
  EXPECT_TRUE(caller.exit.exited_with(0)) << describe();
  EXPECT_EQ(caller.statistics->successful_calls, kCalls) << describe();
  EXPECT_EQ(caller.statistics->failed_calls, 0) << describe();

  // Both instances took calls, and between them all of them.
  const double answered1 = first.metric(R"(sip_calls_total{result="answered"})");
  const double answered2 = second.metric(R"(sip_calls_total{result="answered"})");
  std::printf("[ spread   ] first voice-agent answered %.0f calls, second %.0f\n", answered1, answered2);
  EXPECT_GT(answered1, 0.0) << describe();
  EXPECT_GT(answered2, 0.0) << describe();
  EXPECT_EQ(answered1 + answered2, static_cast<double>(kCalls)) << describe();
  EXPECT_EQ(first.wait_for_metric("sip_calls_active", 0.0), 0.0) << describe();
  EXPECT_EQ(second.wait_for_metric("sip_calls_active", 0.0), 0.0) << describe();

  // Record-Route honoured: every 200 OK SIPp received carried the proxy's Record-Route (so voice-agent
  // copied it), every BYE left SIPp with a Route header and reached an instance through the proxy's
  // loose_route() — a UA that ignored the route set would get "in-dialog BYE without a route set" / 404.
  const std::string proxy_route = "<sip:" + proxy.address() + ";lr";
  EXPECT_GE(count_of(caller.message_trace, "Record-Route: " + proxy_route), static_cast<std::size_t>(kCalls))
      << describe();
  EXPECT_EQ(proxy.count_log_lines("in-dialog BYE to "), static_cast<std::size_t>(kCalls)) << describe();
  EXPECT_EQ(proxy.count_log_lines("in-dialog ACK to "), static_cast<std::size_t>(kCalls)) << describe();
  EXPECT_EQ(proxy.count_log_lines("without a route set"), 0u) << describe();

  EXPECT_TRUE(first.stop().exited_with(0)) << first.describe();
  EXPECT_TRUE(second.stop().exited_with(0)) << second.describe();
}

// The other direction: voice-agent ends the call ('#' in dtmf-echo), so its BYE must carry the route set it
// learned from the INVITE's Record-Route (RFC 3261 §12.1.1, §12.2.1.1) and reach the caller through the
// proxy; a BYE sent straight to the caller's Contact would bypass it.
TEST(KamailioInterop, OurByeToACallerBehindTheProxyFollowsTheRouteSet) {
  if (!Kamailio::available()) GTEST_SKIP() << "kamailio (and setsid) is not installed";
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";
  const std::filesystem::path pound = "/usr/share/sip-tester/dtmf_2833_pound.pcap";
  if (!std::filesystem::exists(pound)) GTEST_SKIP() << "SIPp's dtmf_2833_pound.pcap is missing";

  const auto sip = reserve_port(PortProtocol::udp);
  const auto rtp = reserve_rtp_ports(8);
  AgentInstance agent(interop_agent(
      {.sip_port = sip.port(), .rtp_first = rtp.first(), .rtp_last = rtp.last(), .flow = "dtmf-echo"}));
  ASSERT_TRUE(agent.ready()) << agent.describe();
  Kamailio proxy({.role = KamailioDispatcher{.destinations = {agent.sip_uri()}}});

  const auto caller =
      Sipp::run({.scenario_file = std::string(VA_SIP_INTEROP_SCENARIO_DIR) + "/uac_route_set_awaits_bye.xml",
                 .remote = proxy.address(),
                 .max_calls = 1,
                 .links = {{"digits/1.pcap", pound}}},
                60s);
  const auto describe = [&] {
    return caller.describe() + "\n--- kamailio ---\n" + proxy.log() + agent.describe();
  };

  ASSERT_TRUE(caller.exit.exited_with(0) && caller.all_successful()) << describe();
  EXPECT_EQ(proxy.count_log_lines("in-dialog ACK to "), 1u) << describe();
  EXPECT_EQ(proxy.count_log_lines("in-dialog BYE to sip:sipp@"), 1u) << describe();
  EXPECT_EQ(proxy.count_log_lines("without a route set"), 0u) << describe();
  EXPECT_EQ(agent.wait_for_metric("sip_calls_active", 0.0), 0.0) << describe();
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.describe();
}

}  // namespace
}  // namespace va::test
