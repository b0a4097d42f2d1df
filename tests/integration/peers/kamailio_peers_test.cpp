// Smoke tests of the Kamailio harness with SIPp on both sides: the dispatcher spreads calls and keeps each
// dialog's BYE on the callee that answered it; the registrar challenges REGISTER and routes a call to the
// registered contact. Later tests put voice-agent instances behind the dispatcher and in the registering
// role.
#include <gtest/gtest.h>

#include <chrono>

#include "support/free_port.hpp"
#include "support/kamailio.hpp"
#include "support/sipp.hpp"

namespace va::test {
namespace {

using namespace std::chrono_literals;

// A callee behind a proxy: copies Record-Route, answers probes, counts its messages.
SippOptions callee_behind_proxy() {
  return sipp_callee({.scenario_file = sipp_scenario("uas_record_route.xml"),
                      .max_calls = std::nullopt,
                      .trace_counts = true});
}

TEST(KamailioPeers, DispatcherSpreadsCallsAndRoutesEachByeToItsCallee) {
  if (!Kamailio::available()) GTEST_SKIP() << "kamailio (and setsid) is not installed";
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";

  Sipp first(callee_behind_proxy());
  Sipp second(callee_behind_proxy());
  Kamailio proxy({.role = KamailioDispatcher{.destinations = {first.uri(), second.uri()}}});

  // The dispatcher's OPTIONS probes reach both callees and are answered.
  EXPECT_TRUE(first.wait_for_message("OPTIONS sip:", 10s)) << proxy.log();
  EXPECT_TRUE(second.wait_for_message("OPTIONS sip:", 10s)) << proxy.log();

  const auto caller = Sipp::run({.scenario_file = sipp_scenario("uac_route_set.xml"),
                                 .remote = proxy.address(),
                                 .call_rate = 10.0,
                                 .max_calls = 10},
                                40s);
  const auto callee1 = first.stop();
  const auto callee2 = second.stop();
  const auto describe = [&] {
    return caller.describe() + "\n--- first callee ---\n" + callee1.describe() + "\n--- second callee ---\n" +
           callee2.describe() + "\n--- kamailio ---\n" + proxy.log();
  };

  ASSERT_TRUE(caller.statistics) << describe();
  EXPECT_TRUE(caller.exit.exited_with(0)) << describe();
  EXPECT_EQ(caller.statistics->successful_calls, 10) << describe();
  EXPECT_EQ(caller.statistics->failed_calls, 0) << describe();

  const long invites1 = callee1.count("1_INVITE_Recv");
  const long invites2 = callee2.count("1_INVITE_Recv");
  std::printf("[ spread   ] first callee %ld INVITEs / %ld BYEs / %ld OPTIONS, second %ld / %ld / %ld\n",
              invites1, callee1.count("5_BYE_Recv"), callee1.count("0_OPTIONS_Recv"), invites2,
              callee2.count("5_BYE_Recv"), callee2.count("0_OPTIONS_Recv"));
  EXPECT_EQ(invites1 + invites2, 10) << describe();
  EXPECT_GT(invites1, 0) << describe();
  EXPECT_GT(invites2, 0) << describe();
  // A BYE routed to the wrong callee would be a new "call" there, failing on an unexpected message.
  EXPECT_EQ(callee1.count("5_BYE_Recv"), invites1) << describe();
  EXPECT_EQ(callee2.count("5_BYE_Recv"), invites2) << describe();
  ASSERT_TRUE(callee1.statistics && callee2.statistics) << describe();
  EXPECT_EQ(callee1.statistics->failed_calls + callee2.statistics->failed_calls, 0) << describe();
  EXPECT_EQ(proxy.count_log_lines("in-dialog BYE to "), 10u) << describe();
  EXPECT_EQ(proxy.count_log_lines("without a route set"), 0u) << describe();
}

TEST(KamailioPeers, DispatcherMovesACallOnWhenADestinationStaysSilent) {
  if (!Kamailio::available()) GTEST_SKIP() << "kamailio (and setsid) is not installed";
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";

  const auto silent = reserve_port(PortProtocol::udp);  // held, so nothing else listens there
  Sipp live(callee_behind_proxy());
  // Probing slower than the test: the silent destination stays "active" and round robin sends it a call.
  Kamailio proxy(
      {.role =
           KamailioDispatcher{.destinations = {"sip:127.0.0.1:" + std::to_string(silent.port()), live.uri()},
                              .ping_interval = 60s},
       .transaction_timeout = 1000ms});

  const auto caller = Sipp::run({.scenario_file = sipp_scenario("uac_route_set.xml"),
                                 .remote = proxy.address(),
                                 .call_rate = 10.0,
                                 .max_calls = 2},
                                30s);
  const auto callee = live.stop();
  ASSERT_TRUE(caller.statistics) << caller.describe();
  EXPECT_EQ(caller.statistics->successful_calls, 2) << caller.describe() << "\n--- kamailio ---\n"
                                                    << proxy.log();
  EXPECT_EQ(callee.count("1_INVITE_Recv"), 2) << callee.describe();
  EXPECT_EQ(proxy.count_log_lines("failover INVITE to " + live.uri() + " after 408"), 1u) << proxy.log();
}

TEST(KamailioPeers, RegistrarChallengesRegisterAndRoutesCallToTheRegistration) {
  if (!Kamailio::available()) GTEST_SKIP() << "kamailio (and setsid) is not installed";
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";

  Kamailio registrar({.role = KamailioRegistrar{.users = {{"alice", "wonder-land.42"}}}});
  Sipp alice_phone(callee_behind_proxy());

  // The registering UA binds another peer's address: the call must then arrive there.
  SippOptions registration{.scenario_file = sipp_scenario("register_digest.xml"),
                           .remote = registrar.address(),
                           .service = "alice",
                           .max_calls = 1,
                           .auth_user = "alice",
                           .auth_password = "wonder-land.42",
                           .keys = {{"contact_uri", alice_phone.uri("alice")}, {"expires", "120"}}};
  const auto registered = Sipp::run(registration, 20s);
  ASSERT_TRUE(registered.exit.exited_with(0) && registered.all_successful())
      << registered.describe() << "\n--- kamailio ---\n"
      << registrar.log();
  EXPECT_NE(registered.message_trace.find("SIP/2.0 401 Unauthorized"), std::string::npos);
  EXPECT_NE(registered.message_trace.find("qop=\"auth\""), std::string::npos) << registered.describe();
  EXPECT_EQ(registrar.count_log_lines("registered sip:alice@"), 1u) << registrar.log();

  // A wrong password is challenged again, and the scenario's expected 200 never comes.
  registration.auth_password = "not-the-password";
  const auto rejected = Sipp::run(registration, 20s);
  ASSERT_TRUE(rejected.statistics) << rejected.describe();
  EXPECT_EQ(rejected.statistics->failed_calls, 1) << rejected.describe();
  EXPECT_EQ(registrar.count_log_lines("registered sip:alice@"), 1u) << registrar.log();

  const auto call = Sipp::run({.scenario_file = sipp_scenario("uac_route_set.xml"),
                               .remote = registrar.address(),
                               .service = "alice",
                               .max_calls = 1},
                              20s);
  const auto phone = alice_phone.stop();
  ASSERT_TRUE(call.exit.exited_with(0) && call.all_successful()) << call.describe() << "\n--- phone ---\n"
                                                                 << phone.describe() << "\n--- kamailio ---\n"
                                                                 << registrar.log();
  EXPECT_EQ(phone.count("1_INVITE_Recv"), 1) << phone.describe();
  EXPECT_EQ(phone.count("5_BYE_Recv"), 1) << phone.describe();
  EXPECT_EQ(registrar.count_log_lines("INVITE routed to registration " + alice_phone.uri("alice")), 1u)
      << registrar.log();
}

}  // namespace
}  // namespace va::test
