// The call records of the real `voice-agent serve` (issue 12): SIPp callers on loopback, then the agent's
// SQLite file read back with the store's own code (as the admin API will): each call's transitions, its
// end reason and the events owed to the customer; and crash safety — kill -9 with 20 calls active, a
// restart of the same instance ends exactly those calls as agent_restart, once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "calls/event_signature.hpp"
#include "calls/sqlite_store.hpp"
#include "support/agent_instance.hpp"
#include "support/free_port.hpp"
#include "support/running_http_server.hpp"
#include "support/sipp.hpp"
#include "support/stored_calls.hpp"

namespace va::test {
namespace {

using namespace std::chrono_literals;

AgentInstanceOptions echo_agent(std::uint16_t sip_port, const PortReservation& media,
                                std::vector<std::string> sets = {}) {
  sets.push_back("http.shutdown_timeout=5s");
  sets.push_back("storage.instance=records-test");
  return {.sip_transports = {"udp"},
          .sip_port = sip_port,
          .rtp_first = media.first(),
          .rtp_last = media.last(),
          .flow = "echo",
          .sets = std::move(sets)};
}

std::unique_ptr<calls::Store> open_records(const std::filesystem::path& file) {
  auto opened = calls::open_sqlite_store(file.string());
  if (!opened.ok()) {
    ADD_FAILURE() << opened.error().message;
    return nullptr;
  }
  return std::move(opened.value());
}

std::vector<std::string> event_types(const calls::CallDetail& d) {
  std::vector<std::string> types;
  for (const auto& e : d.events) types.push_back(e.type);
  return types;
}

TEST(CallRecords, EverySipCallIsKeptFromRingToByeWithItsEvents) {
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";
  const auto sip = reserve_port(PortProtocol::udp);
  const auto media = reserve_rtp_ports(8);
  AgentInstance agent(echo_agent(sip.port(), media));
  ASSERT_TRUE(agent.ready()) << agent.log();

  const auto caller = Sipp::run({.builtin_scenario = "uac",
                                 .remote = "127.0.0.1:" + std::to_string(sip.port()),
                                 .service = "79161234567",
                                 .max_calls = 3,
                                 .call_duration = 500ms},
                                30s);
  ASSERT_TRUE(caller.exit.exited_with(0) && caller.all_successful()) << caller.describe();
  EXPECT_EQ(agent.wait_for_metric(R"(calls_ended_total{reason="caller_hangup"})", 3.0), 3.0) << agent.log();
  EXPECT_EQ(agent.metric(R"(calls_started_total{direction="inbound",source="sip"})"), 3.0);
  EXPECT_EQ(agent.metric(R"(calls_state{state="active"})"), 0.0);

  auto calls = stored_calls(agent.records_file());
  ASSERT_EQ(calls.size(), 3u);
  std::set<std::string> sip_call_ids;
  for (const auto& d : calls) {
    const auto& c = d.call;
    SCOPED_TRACE(c.id);
    sip_call_ids.insert(c.sip_call_id);
    EXPECT_EQ(c.direction, calls::Direction::inbound);
    EXPECT_EQ(c.source, calls::Source::sip);
    EXPECT_EQ(c.state, calls::CallState::ended);
    EXPECT_EQ(c.end_reason, calls::EndReason::caller_hangup);
    EXPECT_EQ(c.flow, "echo");
    EXPECT_EQ(c.called, "79161234567");
    EXPECT_EQ(c.instance, "records-test");
    ASSERT_TRUE(c.answered_at && c.ended_at);
    EXPECT_LE(c.created_at, *c.answered_at);
    EXPECT_LE(*c.answered_at, *c.ended_at);
    ASSERT_EQ(d.transitions.size(), 3u);
    EXPECT_EQ(d.transitions[0].to, calls::CallState::answered);
    EXPECT_EQ(d.transitions[1].to, calls::CallState::active);
    EXPECT_EQ(d.transitions[2].to, calls::CallState::ended);
    EXPECT_EQ(event_types(d), (std::vector<std::string>{"call.started", "call.answered", "call.ended"}));
  }
  EXPECT_EQ(sip_call_ids.size(), 3u) << "one record per SIP dialog";
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.log();
}

TEST(CallRecords, HoldAndUnholdAreStepsOfTheCall) {
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";
  const auto sip = reserve_port(PortProtocol::udp);
  const auto media = reserve_rtp_ports(8);
  AgentInstance agent(echo_agent(sip.port(), media));
  ASSERT_TRUE(agent.ready()) << agent.log();
  const auto caller =
      Sipp::run({.scenario_file = std::string(VA_SIP_CALLS_SCENARIO_DIR) + "/uac_reinvite_hold.xml",
                 .remote = "127.0.0.1:" + std::to_string(sip.port()),
                 .max_calls = 1},
                30s);
  ASSERT_TRUE(caller.exit.exited_with(0) && caller.all_successful()) << caller.describe();
  EXPECT_EQ(agent.wait_for_metric(R"(calls_ended_total{reason="caller_hangup"})", 1.0), 1.0) << agent.log();
  auto calls = stored_calls(agent.records_file());
  ASSERT_EQ(calls.size(), 1u);
  std::vector<calls::CallState> steps;
  for (const auto& t : calls[0].transitions) steps.push_back(t.to);
  EXPECT_EQ(steps, (std::vector<calls::CallState>{calls::CallState::answered, calls::CallState::active,
                                                  calls::CallState::on_hold, calls::CallState::active,
                                                  calls::CallState::ended}));
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.log();
}

// kill -9 with 20 calls active: nothing ended them, so the file holds 20 active calls; the same instance
// started again ends each as agent_restart with one call.ended event, and a second restart changes nothing.
TEST(CallRecords, AfterKillNineTheRestartEndsTheCallsThatWereActiveOnce) {
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";
  constexpr int kCalls = 20;
  const auto sip = reserve_port(PortProtocol::udp);
  const auto media = reserve_rtp_ports(64);
  auto first = std::make_unique<AgentInstance>(echo_agent(sip.port(), media, {"sip.max_calls=64"}));
  ASSERT_TRUE(first->ready()) << first->log();
  const auto records = first->records_file();

  Sipp callers({.builtin_scenario = "uac",
                .remote = "127.0.0.1:" + std::to_string(sip.port()),
                .call_rate = 20.0,
                .call_limit = kCalls,
                .max_calls = kCalls,
                .call_duration = 60s,
                .global_timeout = 90s});
  ASSERT_EQ(first->wait_for_metric(R"(calls_state{state="active"})", kCalls, 30s), kCalls) << first->log();
  first->process().send_signal(SIGKILL);
  first->process().wait_for_exit(10s);
  callers.stop(1s);

  {
    auto store = open_records(records);
    ASSERT_TRUE(store);
    auto counts = store->count_by_state();
    ASSERT_TRUE(counts.ok());
    EXPECT_EQ((*counts)[calls::CallState::active], kCalls) << "the killed instance left them active";
  }

  // The same instance again, on the same file (the first one's directory is still there).
  const auto sip2 = reserve_port(PortProtocol::udp);
  AgentInstance second(echo_agent(sip2.port(), media, {"storage.url=sqlite://" + records.string()}));
  ASSERT_TRUE(second.ready()) << second.log();
  EXPECT_EQ(second.metric(R"(calls_ended_total{reason="agent_restart"})"), kCalls) << second.log();
  EXPECT_EQ(second.count_log_lines("\"calls_ended_at_start\":20"), 1u) << second.log();
  EXPECT_TRUE(second.stop().exited_with(0)) << second.log();

  auto calls = stored_calls(records);
  ASSERT_EQ(calls.size(), static_cast<std::size_t>(kCalls));
  for (const auto& d : calls) {
    SCOPED_TRACE(d.call.id);
    EXPECT_EQ(d.call.state, calls::CallState::ended);
    EXPECT_EQ(d.call.end_reason, calls::EndReason::agent_restart);
    EXPECT_EQ(event_types(d), (std::vector<std::string>{"call.started", "call.answered", "call.ended"}));
  }

  AgentInstance third(echo_agent(sip2.port(), media, {"storage.url=sqlite://" + records.string()}));
  ASSERT_TRUE(third.ready()) << third.log();
  EXPECT_EQ(third.count_log_lines("\"calls_ended_at_start\":0"), 1u) << "nothing is ended twice\n"
                                                                     << third.log();
  EXPECT_TRUE(third.stop().exited_with(0)) << third.log();
}

// events.url set: a real SIPp call's three events reach the customer's endpoint, signed with events.secret.
TEST(CallRecords, AServedCallsEventsArePostedSignedToTheConfiguredEndpoint) {
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";
  constexpr const char* kSecret = "serve-events-secret";
  std::mutex mutex;
  std::vector<std::pair<std::string, std::string>> received;  // (type, signature problem)
  http::Router router;
  router.add(http::Method::post, "/events", [&](const http::Request& r) {
    auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    auto problem =
        calls::verify_event_signature(r.header("X-Voice-Agent-Signature"), r.body, kSecret, now.count());
    auto type = nlohmann::json::parse(r.body)["type"].get<std::string>();
    std::lock_guard lock(mutex);
    received.emplace_back(type, problem);
    return http::Response::json(204, "");
  });
  RunningHttpServer receiver(loopback_http_options(), std::move(router));

  const auto sip = reserve_port(PortProtocol::udp);
  const auto media = reserve_rtp_ports(8);
  auto options = echo_agent(sip.port(), media,
                            {"events.url=" + receiver.url("/events"), "events.backoff_initial=100ms"});
  options.env = {{"VOICE_AGENT_EVENTS_SECRET", kSecret}};
  AgentInstance agent(options);
  ASSERT_TRUE(agent.ready()) << agent.log();
  const auto caller = Sipp::run({.builtin_scenario = "uac",
                                 .remote = "127.0.0.1:" + std::to_string(sip.port()),
                                 .max_calls = 1,
                                 .call_duration = 300ms},
                                30s);
  ASSERT_TRUE(caller.exit.exited_with(0) && caller.all_successful()) << caller.describe();
  EXPECT_EQ(agent.wait_for_metric("calls_outbox_delivered_total", 3.0, 15s), 3.0) << agent.log();
  EXPECT_THAT(agent.log(), ::testing::Not(::testing::HasSubstr(kSecret)));
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.log();
  std::lock_guard lock(mutex);
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(received[0].first, "call.started");
  EXPECT_EQ(received[1].first, "call.answered");
  EXPECT_EQ(received[2].first, "call.ended");
  for (const auto& [type, problem] : received) EXPECT_EQ(problem, "") << type;
}

}  // namespace
}  // namespace va::test
