// Register-mode trunks against Kamailio as the registrar (digest auth with qop=auth, usrloc in memory):
// the real `voice-agent serve` registers, refreshes, takes a call routed by lookup("location"), unregisters
// on SIGTERM, adapts to 423 Interval Too Brief, and reports a wrong password and a dead peer as degraded.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "integration/sip_trunks/trunk_agent.hpp"
#include "support/kamailio.hpp"
#include "support/sipp.hpp"

namespace va::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr const char* kUser = "883140000000001";
constexpr const char* kPassword = "wonder-land.42";

std::string register_trunk(const std::string& registrar, std::uint16_t port, const std::string& password,
                           const std::string& transport = "udp") {
  return "    - name: lab\n"
         "      mode: register\n"
         "      registrar: " +
         registrar +
         "\n"
         "      port: " +
         std::to_string(port) +
         "\n"
         "      transport: " +
         transport +
         "\n"
         "      username: \"" +
         kUser +
         "\"\n"
         "      password: \"" +
         password +
         "\"\n"
         "      register_expires: 60s\n";
}

TEST(TrunkRegistration, RegistersRefreshesTakesACallAndUnregistersOnSigterm) {
  if (!Kamailio::available()) GTEST_SKIP() << "kamailio (and setsid) is not installed";
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";

  // The registrar grants at most 10 s, so the agent refreshes after 5 s (half the grant).
  Kamailio registrar({.role = KamailioRegistrar{.users = {{kUser, kPassword}}, .max_expires = 10s}});
  // "localhost": the registrar's address is learned from resolution and responses (trunk admission rule 3).
  AgentInstance agent(trunk_agent({.trunks_yaml = register_trunk("localhost", registrar.port(), kPassword)}));
  ASSERT_TRUE(agent.ready()) << agent.log();

  ASSERT_TRUE(agent.process().wait_for_output("\"msg\":\"sip trunk registered\"", Stream::err, 20s))
      << agent.log() << registrar.log();
  EXPECT_EQ(agent.metric(R"(sip_trunk_registered{trunk="lab"})"), 1.0);
  auto health = agent.health_component("trunk:lab");
  EXPECT_EQ(health.state, "ready") << health.detail;
  EXPECT_THAT(health.detail,
              HasSubstr("registered with localhost:" + std::to_string(registrar.port()) + " (expires 10s)"));
  EXPECT_EQ(health.overall, "ready");
  // Kamailio logs after it replied: its line may trail the agent's by a moment.
  const std::string binding = "registered sip:" + std::string(kUser) + "@localhost at <sip:" + kUser +
                              "@127.0.0.1:" + std::to_string(agent.sip_port()) + ">";
  EXPECT_TRUE(eventually([&] { return registrar.count_log_lines(binding) >= 1; }, 5s)) << registrar.log();

  // Refreshes: the same nonce with nc=2, 3, ... is accepted, so only the first REGISTER was challenged.
  ASSERT_TRUE(
      eventually([&] { return registrar.count_log_lines("registered sip:" + std::string(kUser)) >= 2; }, 20s))
      << registrar.log();
  EXPECT_GE(agent.metric(R"(sip_register_requests_total{trunk="lab",result="registered"})"), 2.0);
  EXPECT_EQ(agent.metric(R"(sip_register_requests_total{trunk="lab",result="challenged"})"), 1.0);
  EXPECT_EQ(agent.metric(R"(sip_register_requests_total{trunk="lab",result="auth_failed"})"), -1.0);

  // The OPTIONS probe of the registrar is answered (Kamailio's 404 for a URI without a user still proves
  // a SIP server there).
  ASSERT_TRUE(eventually([&] { return agent.metric(R"(sip_trunk_reachable{trunk="lab"})") == 1.0; }, 10s))
      << agent.log();
  EXPECT_GT(agent.metric(R"(sip_trunk_options_rtt_seconds{trunk="lab"})"), 0.0);

  // A call to the AOR reaches the agent through the registration and is answered by the echo flow.
  const auto call = Sipp::run({.scenario_file = sipp_scenario("uac_route_set.xml"),
                               .remote = registrar.address(),
                               .service = kUser,
                               .max_calls = 1},
                              30s);
  EXPECT_TRUE(call.exit.exited_with(0) && call.all_successful()) << call.describe() << registrar.log();
  EXPECT_EQ(registrar.count_log_lines("INVITE routed to registration sip:" + std::string(kUser) +
                                      "@127.0.0.1:" + std::to_string(agent.sip_port())),
            1u)
      << registrar.log();
  EXPECT_EQ(agent.metric(R"(sip_calls_total{result="answered"})"), 1.0) << agent.log();

  // SIGTERM: the binding is removed (Expires: 0, answered 200) before the process exits.
  const auto status = agent.stop();
  EXPECT_TRUE(status.exited_with(0)) << status.describe() << agent.log();
  EXPECT_TRUE(eventually([&] { return registrar.count_log_lines("(Expires: 0)") == 1; }, 5s))
      << registrar.log();
  EXPECT_THAT(agent.log(), HasSubstr(R"("msg":"sip trunk unregistered")"));
  EXPECT_THAT(agent.log(), HasSubstr(R"("outcome":"200 OK")"));
  // And the registrar has nobody to route to any more.
  const auto after = Sipp::run({.scenario_file = sipp_scenario("uac_route_set.xml"),
                                .remote = registrar.address(),
                                .service = kUser,
                                .max_calls = 1},
                               20s);
  EXPECT_THAT(after.message_trace, HasSubstr("SIP/2.0 404 Not Found")) << after.describe();
}

TEST(TrunkRegistration, WrongPasswordIsDegradedInReadinessAndMetricsAndRetriedWithBackoff) {
  if (!Kamailio::available()) GTEST_SKIP() << "kamailio (and setsid) is not installed";

  Kamailio registrar({.role = KamailioRegistrar{.users = {{kUser, kPassword}}}});
  AgentInstance agent(
      trunk_agent({.trunks_yaml = register_trunk("127.0.0.1", registrar.port(), "not-the-password")}));
  ASSERT_TRUE(agent.ready()) << agent.log();

  // reconnect_attempts 3: after the third rejection in a row the state is "failed"; retries go on at
  // backoff_max (1 s).
  ASSERT_TRUE(agent.process().wait_for_output("retrying at the maximum backoff", Stream::err, 30s))
      << agent.log();
  auto health = agent.health_component("trunk:lab");
  EXPECT_EQ(health.state, "degraded");
  EXPECT_THAT(health.detail, HasSubstr("401 Unauthorized: credentials rejected"));
  EXPECT_THAT(health.detail, HasSubstr("not registered (failed"));
  // Degraded, not failed: the process stays ready.
  EXPECT_EQ(health.overall, "ready");
  EXPECT_EQ(health.http_status, 200);
  EXPECT_EQ(agent.metric(R"(sip_trunk_registered{trunk="lab"})"), 0.0);
  EXPECT_GE(agent.metric(R"(sip_register_requests_total{trunk="lab",result="auth_failed"})"), 3.0);
  // The backoff schedule as logged: 200 ms, 400 ms, then backoff_max.
  const auto log = agent.log();
  auto first = log.find(R"("consecutive_failures":1,"retry_in_ms":200)");
  auto second = log.find(R"("consecutive_failures":2,"retry_in_ms":400)");
  auto third = log.find(R"("consecutive_failures":3,"retry_in_ms":1000)");
  EXPECT_NE(first, std::string::npos) << log;
  EXPECT_NE(second, std::string::npos) << log;
  EXPECT_NE(third, std::string::npos) << log;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  // It keeps trying.
  ASSERT_TRUE(agent.process().wait_for_output(R"("consecutive_failures":4,)", Stream::err, 10s))
      << agent.log();
  EXPECT_EQ(registrar.count_log_lines("registered sip:"), 0u);
  // The password never reaches the log.
  EXPECT_THAT(agent.log(), ::testing::Not(HasSubstr("not-the-password")));
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.log();
}

TEST(TrunkRegistration, IntervalTooBriefIsRetriedWithTheRegistrarsMinExpires) {
  if (!Kamailio::available()) GTEST_SKIP() << "kamailio (and setsid) is not installed";

  Kamailio registrar({.role = KamailioRegistrar{
                          .users = {{kUser, kPassword}}, .min_expires = 120s, .interval_too_brief = true}});
  AgentInstance agent(trunk_agent({.trunks_yaml = register_trunk("127.0.0.1", registrar.port(), kPassword)}));
  ASSERT_TRUE(agent.ready()) << agent.log();

  ASSERT_TRUE(agent.process().wait_for_output("\"msg\":\"sip trunk registered\"", Stream::err, 20s))
      << agent.log() << registrar.log();
  EXPECT_EQ(agent.metric(R"(sip_register_requests_total{trunk="lab",result="interval_too_brief"})"), 1.0);
  EXPECT_TRUE(eventually([&] { return registrar.count_log_lines("(Expires: 120)") == 1; }, 5s))
      << registrar.log();
  EXPECT_THAT(agent.health_component("trunk:lab").detail, HasSubstr("(expires 120s)"));
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.log();
}

TEST(TrunkRegistration, ExpiredNonceOnRefreshIsAnsweredAgainWithoutAFailure) {
  if (!Kamailio::available()) GTEST_SKIP() << "kamailio (and setsid) is not installed";

  // Grants of 10 s (refresh after 5 s) and nonces that expire after 2 s: every refresh's reused nonce is
  // refused with a new challenge (Kamailio 5.6 with this script does not add stale=true), which the agent
  // answers at once with the new nonce: a refused *reused* nonce is not a wrong password.
  Kamailio registrar(
      {.role = KamailioRegistrar{.users = {{kUser, kPassword}}, .max_expires = 10s, .nonce_expire = 2s}});
  AgentInstance agent(trunk_agent({.trunks_yaml = register_trunk("127.0.0.1", registrar.port(), kPassword)}));
  ASSERT_TRUE(agent.ready()) << agent.log();

  ASSERT_TRUE(
      eventually([&] { return registrar.count_log_lines("registered sip:" + std::string(kUser)) >= 2; }, 20s))
      << registrar.log() << agent.log();
  EXPECT_THAT(agent.log(), HasSubstr(R"("msg":"sip trunk registrar challenged")"));
  EXPECT_THAT(agent.log(), HasSubstr(R"("nonce_reused":true)"));
  EXPECT_GE(agent.metric(R"(sip_register_requests_total{trunk="lab",result="challenged"})"), 2.0);
  EXPECT_EQ(agent.metric(R"(sip_register_requests_total{trunk="lab",result="auth_failed"})"), -1.0);
  EXPECT_THAT(agent.log(), ::testing::Not(HasSubstr("sip trunk registration failed"))) << agent.log();
  EXPECT_EQ(agent.health_component("trunk:lab").state, "ready");
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.log();
}

TEST(TrunkRegistration, RegistersThroughTheOutboundProxyAndProbesIt) {
  if (!Kamailio::available()) GTEST_SKIP() << "kamailio (and setsid) is not installed";

  // The registrar's name does not resolve (.invalid, RFC 2606): every request must go to the proxy, which
  // here is Kamailio itself registering whatever domain the REGISTER names.
  Kamailio proxy({.role = KamailioRegistrar{.users = {{kUser, kPassword}}}});
  AgentInstance agent(
      trunk_agent({.trunks_yaml = register_trunk("registrar.voice-agent.invalid", 5060, kPassword) +
                                  "      outbound_proxy: \"" + proxy.address() + "\"\n"}));
  ASSERT_TRUE(agent.ready()) << agent.log();

  ASSERT_TRUE(agent.process().wait_for_output("\"msg\":\"sip trunk registered\"", Stream::err, 20s))
      << agent.log() << proxy.log();
  EXPECT_TRUE(eventually(
      [&] {
        return proxy.count_log_lines("registered sip:" + std::string(kUser) +
                                     "@registrar.voice-agent.invalid at <sip:" + kUser +
                                     "@127.0.0.1:" + std::to_string(agent.sip_port()) + ">") == 1;
      },
      5s))
      << proxy.log();
  // The proxy is a preloaded loose route (RFC 3261 8.1.2).
  EXPECT_EQ(proxy.count_log_lines("(Route: <sip:" + proxy.address() + ";lr>)"), 1u) << proxy.log();
  EXPECT_THAT(agent.log(), ::testing::Not(HasSubstr("sip trunk registration failed")));
  ASSERT_TRUE(eventually([&] { return agent.metric(R"(sip_trunk_reachable{trunk="lab"})") == 1.0; }, 10s))
      << agent.log();
  EXPECT_EQ(agent.health_component("trunk:lab").state, "ready");
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.log();
}

TEST(TrunkRegistration, AnswersASha256Challenge) {
  if (!Kamailio::available()) GTEST_SKIP() << "kamailio (and setsid) is not installed";

  Kamailio registrar({.role = KamailioRegistrar{.users = {{kUser, kPassword}}, .algorithm = "SHA-256"}});
  AgentInstance agent(trunk_agent({.trunks_yaml = register_trunk("127.0.0.1", registrar.port(), kPassword)}));
  ASSERT_TRUE(agent.ready()) << agent.log();

  ASSERT_TRUE(agent.process().wait_for_output("\"msg\":\"sip trunk registered\"", Stream::err, 20s))
      << agent.log() << registrar.log();
  EXPECT_THAT(agent.log(), HasSubstr(R"("algorithm":"SHA-256")"));
  EXPECT_EQ(agent.metric(R"(sip_register_requests_total{trunk="lab",result="registered"})"), 1.0);
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.log();
}

TEST(TrunkRegistration, ShutdownDoesNotWaitForAVanishedRegistrarBeyondTheUnregisterTimeout) {
  if (!Kamailio::available()) GTEST_SKIP() << "kamailio (and setsid) is not installed";

  Kamailio registrar({.role = KamailioRegistrar{.users = {{kUser, kPassword}}}});
  AgentInstance agent(trunk_agent({.trunks_yaml = register_trunk("127.0.0.1", registrar.port(), kPassword)}));
  ASSERT_TRUE(agent.ready()) << agent.log();
  ASSERT_TRUE(agent.process().wait_for_output("\"msg\":\"sip trunk registered\"", Stream::err, 20s))
      << agent.log() << registrar.log();

  registrar.stop();
  // The Expires: 0 goes unanswered; the agent gives up after the unregister timeout (3 s) and still exits 0.
  const auto status = agent.stop();
  EXPECT_TRUE(status.exited_with(0)) << status.describe() << agent.log();
  // Over UDP the request simply goes unanswered (a transport error would be reported as such).
  EXPECT_THAT(agent.log(), ::testing::AnyOf(HasSubstr(R"("outcome":"no answer within 3000 ms")"),
                                            HasSubstr(R"("outcome":"transport error")")))
      << agent.log();
  EXPECT_THAT(agent.log(), HasSubstr(R"("msg":"voice-agent stopped","clean":true)")) << agent.log();
}

TEST(TrunkProbe, DeadPeerIsUnreachableAndDegraded) {
  // Nothing listens on this port: over TCP the connection is refused at once.
  const auto dead = reserve_port(PortProtocol::udp_and_tcp);
  AgentInstance agent(
      trunk_agent({.trunks_yaml = register_trunk("127.0.0.1", dead.port(), kPassword, "tcp")}));
  ASSERT_TRUE(agent.ready()) << agent.log();

  ASSERT_TRUE(agent.process().wait_for_output(R"("msg":"sip trunk unreachable")", Stream::err, 20s))
      << agent.log();
  EXPECT_EQ(agent.metric(R"(sip_trunk_reachable{trunk="lab"})"), 0.0);
  EXPECT_GE(agent.metric(R"(sip_trunk_probes_total{trunk="lab",result="unreachable"})"), 1.0);
  auto health = agent.health_component("trunk:lab");
  EXPECT_EQ(health.state, "degraded");
  EXPECT_THAT(health.detail, HasSubstr("unreachable: transport error"));
  EXPECT_EQ(health.overall, "ready");
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.log();
}

}  // namespace
}  // namespace va::test
