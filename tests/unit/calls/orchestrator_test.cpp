// The orchestrator over a real SQLite store in a temporary directory: what a transport reports becomes a
// checked, persisted call record with the events owed to the customer, and a crashed instance's calls are
// ended at its next start.
#include "calls/orchestrator.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "calls/sqlite_store.hpp"
#include "support/temp_directory.hpp"

namespace va::calls {
namespace {

using nlohmann::json;

class OrchestratorTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> open() {
    auto opened = open_sqlite_store((dir_.path() / "calls.db").string());
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().message);
    if (!opened.ok()) return nullptr;
    auto store = std::move(opened.value());
    auto migrated = store->migrate();
    EXPECT_FALSE(migrated) << migrated->message;
    return store;
  }

  CallStart inbound(const std::string& sip_call_id) {
    CallStart s;
    s.caller = "79161234567";
    s.called = "74951234567";
    s.trunk = "exolve-main";
    s.sip_call_id = sip_call_id;
    s.flow = "reception";
    return s;
  }

  std::string start(Orchestrator& o, const CallStart& s) {
    auto id = o.call_started(s);
    EXPECT_TRUE(id.ok()) << (id.ok() ? "" : id.error().message);
    return id.ok() ? id.value() : std::string();
  }

  CallDetail detail(Store& store, const std::string& id) {
    auto d = store.call_detail(id);
    EXPECT_TRUE(d.ok() && *d);
    return d.ok() && *d ? **d : CallDetail{};
  }

  test::TempDirectory dir_{"orchestrator"};
  metrics::Registry metrics_;
};

TEST_F(OrchestratorTest, ACallsLifeIsKeptWithItsTranscriptAndTheEventsItOwes) {
  auto store = open();
  ASSERT_TRUE(store);
  Orchestrator o(*store, {"instance-a"}, metrics_);
  std::vector<std::string> seen;
  o.subscribe([&](const CallEvent& e) {
    seen.push_back(e.transition ? std::string(to_string(e.transition->to)) : std::string("started"));
  });

  auto id = start(o, inbound("sip-1"));
  ASSERT_EQ(id.size(), 32u);
  EXPECT_EQ(o.live_count(), 1u);
  EXPECT_FALSE(o.step(id, CallState::answered));
  EXPECT_FALSE(o.step(id, CallState::active));
  EXPECT_FALSE(o.step(id, CallState::on_hold, "re-INVITE a=sendonly"));
  EXPECT_FALSE(o.step(id, CallState::active));
  CallEnd end;
  end.reason = EndReason::caller_hangup;
  end.detail = "BYE";
  end.transcript = {{"", 1, Speaker::agent, "Здравствуйте!", 0, 1500, true, 900},
                    {"", 2, Speaker::caller, "часы работы", 1200, 2100, false, std::nullopt}};
  TurnMetrics turn;
  turn.turn = 1;
  turn.total_ms = 1600;
  turn.llm_first_token_ms = 310.5;
  TurnMetrics scripted;  // answered without a language model
  scripted.turn = 2;
  scripted.total_ms = 800;
  end.turns = {turn, scripted};
  end.dtmf = {{"", '1', 3000, 100, "rfc4733"}};
  EXPECT_FALSE(o.call_ended(id, end));
  EXPECT_EQ(o.live_count(), 0u);
  EXPECT_EQ(seen, (std::vector<std::string>{"started", "answered", "active", "on_hold", "active", "ended"}));

  auto d = detail(*store, id);
  EXPECT_EQ(d.call.state, CallState::ended);
  EXPECT_EQ(d.call.end_reason, EndReason::caller_hangup);
  EXPECT_EQ(d.call.instance, "instance-a");
  EXPECT_TRUE(d.call.answered_at && d.call.ended_at);
  ASSERT_EQ(d.transitions.size(), 5u);
  EXPECT_EQ(d.transitions[2].detail, "re-INVITE a=sendonly");
  ASSERT_EQ(d.transcript.size(), 2u);
  EXPECT_EQ(d.transcript[0].call_id, id);
  ASSERT_EQ(d.events.size(), 3u);
  EXPECT_EQ(d.events[0].type, "call.started");
  EXPECT_EQ(d.events[1].type, "call.answered");
  EXPECT_EQ(d.events[2].type, "call.ended");

  auto ended = json::parse(d.events[2].payload);
  EXPECT_EQ(ended["type"], "call.ended");
  EXPECT_EQ(ended["call"]["id"], id);
  EXPECT_EQ(ended["call"]["end_reason"], "caller_hangup");
  EXPECT_EQ(ended["call"]["sip_call_id"], "sip-1");
  ASSERT_EQ(ended["transcript"].size(), 2u);
  EXPECT_EQ(ended["transcript"][0]["text"], "Здравствуйте!");
  EXPECT_EQ(ended["transcript"][0]["cut_ms"], 900);
  EXPECT_EQ(ended["summary"]["dtmf"], "1");
  EXPECT_EQ(ended["summary"]["interrupted_segments"], 1);
  EXPECT_EQ(ended["metrics"][0]["total_ms"], 1600.0);
  EXPECT_EQ(ended["metrics"][0]["llm_first_token_ms"], 310.5);
  ASSERT_TRUE(ended["metrics"][1].contains("llm_first_token_ms"));
  EXPECT_TRUE(ended["metrics"][1]["llm_first_token_ms"].is_null());
  auto started = json::parse(d.events[0].payload);
  EXPECT_EQ(started["call"]["state"], "ringing");
  EXPECT_TRUE(started["call"]["answered_at"].is_null());

  auto exposed = metrics_.expose();
  EXPECT_NE(exposed.find("calls_ended_total{reason=\"caller_hangup\"} 1"), std::string::npos) << exposed;
  EXPECT_NE(exposed.find("calls_started_total{direction=\"inbound\",source=\"sip\"} 1"), std::string::npos);
  EXPECT_NE(exposed.find("calls_state{state=\"active\"} 0"), std::string::npos);
}

TEST_F(OrchestratorTest, AnImpossibleStepIsRefusedAndTheCallGoesOn) {
  auto store = open();
  ASSERT_TRUE(store);
  Orchestrator o(*store, {"instance-a"}, metrics_);
  auto id = start(o, inbound("sip-1"));
  auto refused = o.step(id, CallState::on_hold);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->kind, StepError::Kind::not_allowed);
  EXPECT_EQ(refused->message, "ringing -> on_hold: not a step a call can take");
  EXPECT_EQ(o.live_call(id)->state, CallState::ringing);
  EXPECT_FALSE(o.step(id, CallState::answered));
  EXPECT_FALSE(o.call_ended(id, {EndReason::agent_hangup, 200, "flow", {}, {}, {}}));
  auto again = o.call_ended(id, {EndReason::agent_hangup, 200, "flow", {}, {}, {}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->kind, StepError::Kind::unknown_call);
  ASSERT_TRUE(o.step("nope", CallState::answered));
  EXPECT_NE(metrics_.expose().find("calls_refused_steps_total{reason=\"not_allowed\"} 1"), std::string::npos);
  EXPECT_EQ(detail(*store, id).events.size(), 3u) << "one call.ended, not two";
}

TEST_F(OrchestratorTest, CorrelationFindsTheLiveCallBySipCallIdThenRoom) {
  auto store = open();
  ASSERT_TRUE(store);
  Orchestrator o(*store, {"instance-a"}, metrics_);
  auto direct = start(o, inbound("abc@10.0.0.1"));
  auto lk = inbound("SCL_xyz");
  lk.source = Source::livekit;
  lk.room = "call-79161234567-q1";
  auto room_call = start(o, lk);
  EXPECT_EQ(o.find_live("abc@10.0.0.1", ""), direct);
  EXPECT_EQ(o.find_live("SCL_xyz", "other-room"), room_call);
  EXPECT_EQ(o.find_live("", "call-79161234567-q1"), room_call);
  EXPECT_FALSE(o.find_live("unknown", "unknown-room"));

  CallStart learnt;
  learnt.participant_identity = "sip_79161234567";
  learnt.attributes = {{"sip.trunkPhoneNumber", "+74951234567"}};
  EXPECT_FALSE(o.update_metadata(room_call, learnt));
  EXPECT_EQ(o.live_call(room_call)->participant_identity, "sip_79161234567");
  auto stored = detail(*store, room_call).call;
  EXPECT_EQ(stored.participant_identity, "sip_79161234567");
  EXPECT_EQ(stored.room, "call-79161234567-q1");
  EXPECT_EQ(stored.attributes.at("sip.trunkPhoneNumber"), "+74951234567");
}

// kill -9 in miniature: the first orchestrator goes away with calls live (nothing ended them); the next one
// of the same instance ends them as agent_restart with their call.ended events, and leaves another
// instance's calls alone.
TEST_F(OrchestratorTest, AfterACrashTheNextStartEndsTheInstancesUnfinishedCalls) {
  std::vector<std::string> mine;
  std::string theirs;
  {
    auto store = open();
    ASSERT_TRUE(store);
    Orchestrator a(*store, {"instance-a"}, metrics_);
    Orchestrator b(*store, {"instance-b"}, metrics_);
    for (int i = 0; i < 3; ++i) mine.push_back(start(a, inbound("sip-" + std::to_string(i))));
    EXPECT_FALSE(a.step(mine[1], CallState::answered));
    EXPECT_FALSE(a.step(mine[1], CallState::active));
    ASSERT_FALSE(store->append_transcript({{mine[1], 1, Speaker::caller, "алло", 0, 500, false, {}}}));
    theirs = start(b, inbound("sip-b"));
    auto done = start(a, inbound("sip-done"));
    EXPECT_FALSE(a.call_ended(done, {EndReason::caller_hangup, 200, "BYE", {}, {}, {}}));
  }
  auto store = open();
  ASSERT_TRUE(store);
  metrics::Registry fresh;
  Orchestrator restarted(*store, {"instance-a"}, fresh);
  auto recovered = restarted.recover_unfinished();
  ASSERT_TRUE(recovered.ok()) << recovered.error().message;
  EXPECT_EQ(recovered.value(), 3u);
  for (const auto& id : mine) {
    auto d = detail(*store, id);
    EXPECT_EQ(d.call.state, CallState::ended) << id;
    EXPECT_EQ(d.call.end_reason, EndReason::agent_restart);
    ASSERT_FALSE(d.events.empty());
    EXPECT_EQ(d.events.back().type, "call.ended");
  }
  auto answered = json::parse(detail(*store, mine[1]).events.back().payload);
  EXPECT_EQ(answered["transcript"][0]["text"], "алло") << "the stored transcript goes with the event";
  EXPECT_EQ(detail(*store, theirs).call.state, CallState::ringing) << "another instance's call";
  auto again = restarted.recover_unfinished();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value(), 0u) << "recovery is idempotent";
  EXPECT_NE(fresh.expose().find("calls_ended_total{reason=\"agent_restart\"} 3"), std::string::npos);
}

TEST(CallIds, AreThirtyTwoHexDigitsAndDoNotRepeat) {
  std::set<std::string> ids;
  for (int i = 0; i < 10'000; ++i) {
    auto id = new_call_id();
    ASSERT_EQ(id.size(), 32u);
    ASSERT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 10'000u);
}

}  // namespace
}  // namespace va::calls
