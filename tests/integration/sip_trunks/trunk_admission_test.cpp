// Inbound admission of the real `voice-agent serve`: a static-IP trunk refuses sources outside its
// allowed_addresses with 403 and admits its own; a trunk with inbound_auth challenges INVITEs with digest
// (SIPp answers the challenge) and refuses a wrong password with 403.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "integration/sip_trunks/trunk_agent.hpp"
#include "support/sipp.hpp"

namespace va::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

std::filesystem::path scenario(const std::string& name) {
  return std::filesystem::path(VA_SIP_TRUNKS_SCENARIO_DIR) / name;
}

constexpr const char* kStaticTrunk =
    "    - name: pbx\n"
    "      mode: static_ip\n"
    "      allowed_addresses: [\"127.0.0.1/32\"]\n";

TEST(TrunkInboundAdmission, StaticIpTrunkRefusesOtherSourcesWith403AndAdmitsItsOwn) {
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";
  AgentInstance agent(trunk_agent({.trunks_yaml = kStaticTrunk}));
  ASSERT_TRUE(agent.ready()) << agent.log();

  const auto stranger = Sipp::run({.builtin_scenario = "uac",
                                   .local_ip = "127.0.0.2",
                                   .remote = agent.sip_address(),
                                   .service = "100",
                                   .max_calls = 1,
                                   .call_duration = 200ms},
                                  20s);
  EXPECT_THAT(stranger.message_trace, HasSubstr("SIP/2.0 403 Forbidden")) << stranger.describe();
  EXPECT_FALSE(stranger.all_successful());
  EXPECT_EQ(agent.metric(R"(sip_calls_total{result="forbidden"})"), 1.0);
  EXPECT_THAT(agent.log(), HasSubstr("INVITE refused: source address is not allowed by any trunk"));
  EXPECT_THAT(agent.log(), HasSubstr(R"("source":"127.0.0.2:)"));

  const auto known = Sipp::run({.builtin_scenario = "uac",
                                .remote = agent.sip_address(),
                                .service = "100",
                                .max_calls = 1,
                                .call_duration = 200ms},
                               20s);
  EXPECT_TRUE(known.exit.exited_with(0) && known.all_successful()) << known.describe();
  EXPECT_EQ(agent.metric(R"(sip_calls_total{result="answered"})"), 1.0);
  // Only CIDR blocks: nothing to probe, and that is not a problem.
  auto health = agent.health_component("trunk:pbx");
  EXPECT_EQ(health.state, "ready");
  EXPECT_THAT(health.detail, HasSubstr("not probed"));
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.log();
}

constexpr const char* kDigestTrunk =
    "    - name: pbx\n"
    "      mode: static_ip\n"
    "      allowed_addresses: [\"127.0.0.1/32\"]\n"
    "      inbound_auth: {username: pbx-user, password: \"inbound-secret-7\"}\n";

// One call from SIPp to the trunk above, answering its digest challenge as pbx-user with `password`.
SippResult call_with_digest(const AgentInstance& agent, const std::string& password) {
  return Sipp::run({.scenario_file = scenario("uac_digest.xml"),
                    .remote = agent.sip_address(),
                    .service = "100",
                    .max_calls = 1,
                    .auth_user = "pbx-user",
                    .auth_password = password},
                   20s);
}

TEST(TrunkInboundAdmission, InboundDigestChallengesAndAdmitsTheRightPassword) {
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";
  AgentInstance agent(trunk_agent({.trunks_yaml = kDigestTrunk}));
  ASSERT_TRUE(agent.ready()) << agent.log();

  const auto caller = call_with_digest(agent, "inbound-secret-7");
  EXPECT_TRUE(caller.exit.exited_with(0) && caller.all_successful()) << caller.describe();
  EXPECT_THAT(caller.message_trace, HasSubstr("SIP/2.0 401 Unauthorized"));
  EXPECT_THAT(caller.message_trace, HasSubstr("qop=\"auth\""));
  EXPECT_THAT(caller.message_trace, HasSubstr("Authorization: Digest username=\"pbx-user\""));
  EXPECT_THAT(caller.message_trace, HasSubstr("SIP/2.0 200 OK"));
  EXPECT_EQ(agent.metric(R"(sip_calls_total{result="challenged"})"), 1.0);
  EXPECT_EQ(agent.metric(R"(sip_calls_total{result="answered"})"), 1.0);
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.log();
}

TEST(TrunkInboundAdmission, InboundDigestRefusesAWrongPasswordWith403) {
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";
  AgentInstance agent(trunk_agent({.trunks_yaml = kDigestTrunk}));
  ASSERT_TRUE(agent.ready()) << agent.log();

  const auto caller = call_with_digest(agent, "guessed-wrong");
  EXPECT_THAT(caller.message_trace, HasSubstr("SIP/2.0 401 Unauthorized")) << caller.describe();
  EXPECT_THAT(caller.message_trace, HasSubstr("SIP/2.0 403 Forbidden")) << caller.describe();
  EXPECT_EQ(caller.message_trace.find("SIP/2.0 200 OK"), std::string::npos) << caller.describe();
  EXPECT_EQ(agent.metric(R"(sip_calls_total{result="forbidden"})"), 1.0);
  EXPECT_EQ(agent.metric(R"(sip_calls_total{result="answered"})"), -1.0);
  EXPECT_THAT(agent.log(), HasSubstr("inbound digest authentication failed"));
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.log();
}

}  // namespace
}  // namespace va::test
