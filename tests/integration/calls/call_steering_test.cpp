// Steering and draining the calls of the real `voice-agent serve` (issue 12 items 5, 7 and 10) with SIPp
// peers on loopback: SIGTERM lets the calls in progress finish while new INVITEs get 503 and /readyz says
// 503, and ends what is left at sip.drain_timeout as `drained`; the admin API (and the `voice-agent calls`
// CLI over it) hangs up and transfers live calls; `voice-agent dial` places a call whose flow speaks and
// hangs up with BYE.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "integration/binary.hpp"
#include "support/agent_instance.hpp"
#include "support/free_port.hpp"
#include "support/http_client.hpp"
#include "support/sipp.hpp"
#include "support/stored_calls.hpp"
#include "support/temp_directory.hpp"

namespace va::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kToken = "steering-token-for-tests-0123456789";
const std::string kScenarios = VA_CALLS_SCENARIO_DIR;

AgentInstanceOptions echo_agent(std::uint16_t sip_port, const PortReservation& media,
                                std::vector<std::string> sets = {}) {
  sets.push_back("http.shutdown_timeout=5s");
  sets.push_back("sip.max_calls=64");
  return {.sip_transports = {"udp"},
          .sip_port = sip_port,
          .rtp_first = media.first(),
          .rtp_last = media.last(),
          .flow = "echo",
          .sets = std::move(sets),
          .env = {{"VOICE_AGENT_ADMIN_TOKEN", kToken}}};
}

HeaderList auth() {
  return {{"Authorization", std::string("Bearer ") + kToken}, {"Content-Type", "application/json"}};
}

// The ids of the live calls the admin API lists as active.
std::vector<std::string> active_ids(AgentInstance& agent) {
  HttpClient http;
  auto r = http.get(agent.url("/v1/calls?state=active"), auth());
  std::vector<std::string> ids;
  if (r.status != 200) return ids;
  const auto body = json::parse(r.body);
  for (const auto& c : body["calls"]) ids.push_back(c["id"].get<std::string>());
  return ids;
}

json call_detail(AgentInstance& agent, const std::string& id) {
  HttpClient http;
  auto r = http.get(agent.url("/v1/calls/" + id), auth());
  return r.status == 200 ? json::parse(r.body) : json();
}

// SIGTERM with 10 calls in progress: they go on to their own BYE, a new INVITE gets 503 + Retry-After,
// /readyz says 503 while HTTP stays up, and the process exits 0 once the last call ended.
TEST(Drain, SigtermLetsTheCallsInProgressFinishRefusesNewOnesAndExitsZero) {
  if (!Sipp::available()) GTEST_FAIL() << "sipp (Debian package sip-tester) is not installed";
  constexpr int kCalls = 10;
  const auto sip = reserve_port(PortProtocol::udp);
  const auto media = reserve_rtp_ports(48);
  AgentInstance agent(echo_agent(sip.port(), media, {"sip.drain_timeout=60s"}));
  ASSERT_TRUE(agent.ready()) << agent.log();

  Sipp callers({.builtin_scenario = "uac",
                .remote = "127.0.0.1:" + std::to_string(sip.port()),
                .call_rate = 20.0,
                .call_limit = kCalls,
                .max_calls = kCalls,
                .call_duration = 8s,
                .global_timeout = 60s});
  ASSERT_EQ(agent.wait_for_metric(R"(calls_state{state="active"})", kCalls, 20s), kCalls) << agent.log();
  ASSERT_TRUE(agent.process().send_signal(SIGTERM));

  HttpClient http;
  EXPECT_TRUE(eventually([&] { return http.get(agent.url("/readyz")).status == 503; }, 5s))
      << "/readyz says 503 while draining\n"
      << agent.log();
  const auto refused = Sipp::run({.scenario_file = kScenarios + "/uac_refused_503.xml",
                                  .remote = "127.0.0.1:" + std::to_string(sip.port()),
                                  .max_calls = 1},
                                 20s);
  EXPECT_TRUE(refused.exit.exited_with(0) && refused.all_successful()) << refused.describe();
  EXPECT_TRUE(agent.process().running()) << "the calls in progress keep the process up";
  EXPECT_EQ(agent.metric(R"(calls_state{state="active"})"), kCalls) << "none of the calls was cut";

  const auto finished = callers.wait(40s);
  EXPECT_TRUE(finished.exit.exited_with(0) && finished.all_successful()) << finished.describe();
  const auto exit = agent.process().wait_for_exit(20s);
  EXPECT_TRUE(exit.exited_with(0)) << agent.log();
  EXPECT_EQ(agent.count_log_lines("\"calls drained: closing HTTP\""), 1u) << agent.log();

  auto calls = stored_calls(agent.records_file());
  ASSERT_EQ(calls.size(), static_cast<std::size_t>(kCalls)) << "the refused INVITE is not a call";
  for (const auto& d : calls) {
    EXPECT_EQ(d.call.state, calls::CallState::ended) << d.call.id;
    EXPECT_EQ(d.call.end_reason, calls::EndReason::caller_hangup) << d.call.id;
  }
}

// Calls still going at sip.drain_timeout are hung up with BYE and recorded as drained; exit 0.
TEST(Drain, CallsStillInProgressAtTheDrainTimeoutEndAsDrained) {
  if (!Sipp::available()) GTEST_FAIL() << "sipp (Debian package sip-tester) is not installed";
  constexpr int kCalls = 3;
  const auto sip = reserve_port(PortProtocol::udp);
  const auto media = reserve_rtp_ports(16);
  AgentInstance agent(echo_agent(sip.port(), media, {"sip.drain_timeout=2s"}));
  ASSERT_TRUE(agent.ready()) << agent.log();
  Sipp callers({.scenario_file = kScenarios + "/uac_until_bye.xml",
                .remote = "127.0.0.1:" + std::to_string(sip.port()),
                .call_rate = 10.0,
                .call_limit = kCalls,
                .max_calls = kCalls,
                .global_timeout = 60s});
  ASSERT_EQ(agent.wait_for_metric(R"(calls_state{state="active"})", kCalls, 20s), kCalls) << agent.log();
  const auto signalled = std::chrono::steady_clock::now();
  ASSERT_TRUE(agent.process().send_signal(SIGTERM));
  const auto finished = callers.wait(30s);
  EXPECT_TRUE(finished.exit.exited_with(0) && finished.all_successful()) << finished.describe();
  EXPECT_GE(std::chrono::steady_clock::now() - signalled, 1900ms) << "the calls had their drain time";
  EXPECT_TRUE(agent.process().wait_for_exit(20s).exited_with(0)) << agent.log();
  auto calls = stored_calls(agent.records_file());
  ASSERT_EQ(calls.size(), static_cast<std::size_t>(kCalls));
  for (const auto& d : calls) EXPECT_EQ(d.call.end_reason, calls::EndReason::drained) << d.call.id;
}

// The admin API and the CLI over it: hang up one live SIPp call, transfer another (REFER accepted, NOTIFY
// 200, BYE), and clear answers for a call that is not live, a wrong target and a wrong token; the
// INVITE headers the configuration maps are the call's attributes.
TEST(AdminSteering, HangsUpAndTransfersLiveSipCalls) {
  if (!Sipp::available()) GTEST_FAIL() << "sipp (Debian package sip-tester) is not installed";
  const auto sip = reserve_port(PortProtocol::udp);
  const auto media = reserve_rtp_ports(16);
  AgentInstance agent(echo_agent(sip.port(), media,
                                 {"livekit.provisioning.inbound_trunk.headers_to_attributes=[{header: "
                                  "X-Customer-Id, attribute: customer}]",
                                  "livekit.provisioning.inbound_trunk.include_headers=x_headers"}));
  ASSERT_TRUE(agent.ready()) << agent.log();
  const std::string remote = "127.0.0.1:" + std::to_string(sip.port());

  // Hang-up, through the CLI.
  Sipp first({.scenario_file = kScenarios + "/uac_until_bye.xml", .remote = remote, .max_calls = 1});
  std::vector<std::string> ids;
  ASSERT_TRUE(eventually([&] { return (ids = active_ids(agent)).size() == 1; }, 15s)) << agent.log();
  const auto hung_up = ids[0];
  const std::string url = "http://" + agent.http_address();
  auto cli = run({"calls", "hangup", hung_up, "--url", url, "--token", kToken});
  EXPECT_TRUE(cli.status.exited_with(0)) << cli.err;
  EXPECT_THAT(cli.out, HasSubstr("hanging up " + hung_up));
  const auto first_done = first.wait(20s);
  EXPECT_TRUE(first_done.exit.exited_with(0) && first_done.all_successful()) << first_done.describe();
  ASSERT_TRUE(eventually([&] { return call_detail(agent, hung_up).value("state", "") == "ended"; }, 10s));
  EXPECT_EQ(call_detail(agent, hung_up)["end_reason"], "agent_hangup");
  // The INVITE's X-Customer-Id, mapped as LiveKit's bridge would map it, and as an X- header.
  EXPECT_EQ(call_detail(agent, hung_up)["attributes"],
            (json{{"customer", "4711"}, {"sip.h.x-customer-id", "4711"}}));

  // The same call again: it has ended (409); an unknown one: 404, and the CLI's exit code 3.
  HttpClient http;
  EXPECT_EQ(http.request("POST", agent.url("/v1/calls/" + hung_up + "/hangup"), auth(), "").status, 409);
  EXPECT_EQ(http.request("POST", agent.url("/v1/calls/0000/hangup"), auth(), "").status, 404);
  EXPECT_TRUE(run({"calls", "hangup", "0000", "--url", url, "--token", kToken}).status.exited_with(3));
  auto wrong_token = run({"calls", "list", "--url", url, "--token", "not-the-admin-token-at-all"});
  EXPECT_TRUE(wrong_token.status.exited_with(1));
  EXPECT_THAT(wrong_token.err, HasSubstr("401"));

  // Transfer, through the API.
  const std::string target = "sip:operator@127.0.0.1:5999";
  Sipp second({.scenario_file = kScenarios + "/uac_accepts_refer.xml",
               .remote = remote,
               .max_calls = 1,
               .keys = {{"refer_to", "operator@127.0.0.1:5999"}}});
  ASSERT_TRUE(eventually([&] { return (ids = active_ids(agent)).size() == 1; }, 15s)) << agent.log();
  const auto transferred = ids[0];
  EXPECT_EQ(http.request("POST", agent.url("/v1/calls/" + transferred + "/transfer"), auth(),
                         json{{"target", "not a target"}}.dump())
                .status,
            400);
  auto accepted = http.request("POST", agent.url("/v1/calls/" + transferred + "/transfer"), auth(),
                               json{{"target", target}}.dump());
  EXPECT_EQ(accepted.status, 202) << accepted.body;
  const auto second_done = second.wait(30s);
  EXPECT_TRUE(second_done.exit.exited_with(0) && second_done.all_successful()) << second_done.describe();
  ASSERT_TRUE(eventually([&] { return call_detail(agent, transferred).value("state", "") == "ended"; }, 10s));
  auto detail = call_detail(agent, transferred);
  EXPECT_EQ(detail["end_reason"], "transferred");
  std::vector<std::string> steps;
  for (const auto& t : detail["transitions"]) steps.push_back(t["to"].get<std::string>());
  EXPECT_THAT(steps, ::testing::Contains("transferring"));

  // Both calls as the CLI lists and shows them.
  auto listed = run({"calls", "list", "--json", "--url", url, "--token", kToken});
  ASSERT_TRUE(listed.status.exited_with(0)) << listed.err;
  EXPECT_EQ(json::parse(listed.out)["calls"].size(), 2u);
  auto shown = run({"calls", "show", transferred, "--url", url, "--token", kToken});
  EXPECT_TRUE(shown.status.exited_with(0)) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("transferred"));
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.log();
}

// `voice-agent dial` to a SIPp UAS: the call is placed through the running instance, its flow speaks and
// hangs up with BYE; the record says outbound, agent_hangup, and holds what the agent said.
TEST(AdminSteering, DialPlacesACallWhoseFlowSpeaksAndHangsUp) {
  if (!Sipp::available()) GTEST_FAIL() << "sipp (Debian package sip-tester) is not installed";
  TempDirectory dir("dial-test");
  const auto flow = dir.write_file("notice.yaml",
                                   "flow: notice\n"
                                   "language: en\n"
                                   "start: notice\n"
                                   "states:\n"
                                   "  notice:\n"
                                   "    say: \"This is a test call from voice agent. Goodbye.\"\n"
                                   "    actions:\n"
                                   "      - set: {campaign: reminder}\n"
                                   "      - hangup: completed\n");
  AgentInstanceOptions options;
  options.config_yaml =
      "routing:\n  inbound:\n    - match: \"*\"\n      flow: main\n      language: en\n"
      "agent:\n  language: en\n  flow_file: " +
      flow.string() + "\n";
  options.sip_transports = {"udp"};
  options.env = {{"VOICE_AGENT_ADMIN_TOKEN", kToken}};
  AgentInstance agent(options);
  ASSERT_TRUE(agent.ready()) << agent.log();

  Sipp callee({.builtin_scenario = "uas", .max_calls = 1, .global_timeout = 60s});
  const std::string url = "http://" + agent.http_address();
  auto dialled = run({"dial", callee.uri("alice"), "--flow", "main", "--wait", "--wait-timeout", "45s",
                      "--json", "--url", url, "--token", kToken},
                     {}, 60s);
  ASSERT_TRUE(dialled.status.exited_with(0)) << dialled.err << agent.log();
  auto record = json::parse(dialled.out);
  EXPECT_EQ(record["direction"], "outbound");
  EXPECT_EQ(record["state"], "ended");
  EXPECT_EQ(record["end_reason"], "agent_hangup");
  EXPECT_EQ(record["flow"], "main");
  EXPECT_EQ(record["attributes"].value("campaign", ""), "reminder") << "the flow's metadata";
  EXPECT_EQ(record["attributes"].value("hangup_reason", ""), "completed");
  bool spoke = false;
  for (const auto& s : record["transcript"])
    spoke = spoke ||
            (s["speaker"] == "agent" && s["text"].get<std::string>().find("test call") != std::string::npos);
  EXPECT_TRUE(spoke) << record.dump(2);
  const auto uas = callee.wait(20s);
  EXPECT_THAT(uas.message_trace, HasSubstr("BYE sip:")) << "the agent hung up with BYE";

  // A number without a trunk to call it through is refused with the reason (usage error).
  auto no_trunk = run({"dial", "+79161234567", "--url", url, "--token", kToken});
  EXPECT_TRUE(no_trunk.status.exited_with(2)) << no_trunk.err;
  EXPECT_THAT(no_trunk.err, HasSubstr("trunk"));
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.log();
}

}  // namespace
}  // namespace va::test
