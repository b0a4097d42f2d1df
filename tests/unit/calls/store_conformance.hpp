// The behaviour every calls::Store backend must show (src/calls/store.hpp), written once and run against
// each: SQLite in tests/unit/calls/sqlite_store_test.cpp, PostgreSQL (a real server started by the harness)
// in tests/integration/calls/postgres_store_test.cpp. A backend's test file instantiates it with a factory
// that returns a fresh, empty, migrated store per test:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance, ::testing::Values(StoreBackend{"sqlite", factory}),
//                            backend_name);
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "calls/store.hpp"

namespace va::calls::test {

struct StoreBackend {
  std::string name;
  std::function<std::unique_ptr<Store>()> make;  // fresh, empty, migrated
};

inline void PrintTo(const StoreBackend& backend, std::ostream* os) {
  *os << backend.name;
}

inline std::string backend_name(const ::testing::TestParamInfo<StoreBackend>& p) {
  return p.param.name;
}

// The store keeps milliseconds: tests build their timestamps on whole milliseconds to compare exactly.
inline Timestamp at_ms(std::int64_t ms) {
  return Timestamp(std::chrono::milliseconds(ms));
}
inline constexpr std::int64_t kDay0 = 1'764'892'800'000;  // 2025-12-05T00:00:00Z

inline CallRecord sample_call(const std::string& id, std::int64_t created_ms = kDay0) {
  CallRecord c;
  c.id = id;
  c.direction = Direction::inbound;
  c.source = Source::sip;
  c.state = CallState::ringing;
  c.caller = "79161234567";
  c.called = "74951234567";
  c.trunk = "exolve-main";
  c.sip_call_id = "sip-" + id;
  c.flow = "reception";
  c.instance = "instance-a";
  c.created_at = at_ms(created_ms);
  return c;
}

inline OutboundEvent sample_event(const std::string& call_id, const std::string& type,
                                  std::int64_t created_ms) {
  OutboundEvent e;
  e.call_id = call_id;
  e.type = type;
  e.payload = R"({"type":")" + type + R"(","call_id":")" + call_id + R"("})";
  e.created_at = at_ms(created_ms);
  e.next_attempt_at = at_ms(created_ms);
  return e;
}

inline Transition step(const std::string& call_id, CallState from, CallState to, std::int64_t at) {
  Transition t;
  t.call_id = call_id;
  t.from = from;
  t.to = to;
  t.at = at_ms(at);
  return t;
}

class StoreConformance : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    store_ = GetParam().make();
    ASSERT_TRUE(store_);
  }
  Store& store() { return *store_; }

  void insert(const CallRecord& call, const std::vector<OutboundEvent>& events = {}) {
    auto error = store_->insert_call(call, events);
    ASSERT_FALSE(error) << error->message;
  }
  void advance(const Transition& t, const CallUpdate& update = {},
               const std::vector<OutboundEvent>& events = {}) {
    auto error = store_->apply_transition(t, update, events);
    ASSERT_FALSE(error) << error->message;
  }
  CallRecord load(const std::string& id) {
    auto found = store_->find_call(id);
    EXPECT_TRUE(found.ok()) << (found.ok() ? "" : found.error().message);
    if (!found.ok() || !*found) {
      ADD_FAILURE() << "no call " << id;
      return {};
    }
    return **found;
  }
  std::vector<std::string> ids_of(const CallFilter& filter) {
    auto page = store_->list_calls(filter);
    EXPECT_TRUE(page.ok()) << (page.ok() ? "" : page.error().message);
    std::vector<std::string> ids;
    if (page.ok())
      for (const auto& c : page->calls) ids.push_back(c.id);
    return ids;
  }

  std::unique_ptr<Store> store_;
};

TEST_P(StoreConformance, MigratingTwiceChangesNothing) {
  insert(sample_call("c1"));
  EXPECT_FALSE(store().migrate());
  EXPECT_EQ(load("c1").caller, "79161234567");
}

TEST_P(StoreConformance, ACallReadsBackAsWritten) {
  auto c = sample_call("c1");
  c.direction = Direction::outbound;
  c.source = Source::livekit;
  c.room = "call-+79161234567-abc";
  c.participant_identity = "sip_+79161234567";
  c.attributes = {{"sip.callID", "xyz"}, {"sip.trunkPhoneNumber", "+74951234567"}, {"ключ", "значение «ü»"}};
  c.recordings = {"/var/lib/voice-agent/rec/c1.wav"};
  insert(c);
  auto back = load("c1");
  EXPECT_EQ(back.id, "c1");
  EXPECT_EQ(back.direction, Direction::outbound);
  EXPECT_EQ(back.source, Source::livekit);
  EXPECT_EQ(back.state, CallState::ringing);
  EXPECT_FALSE(back.end_reason);
  EXPECT_FALSE(back.sip_status);
  EXPECT_EQ(back.caller, c.caller);
  EXPECT_EQ(back.called, c.called);
  EXPECT_EQ(back.trunk, c.trunk);
  EXPECT_EQ(back.room, c.room);
  EXPECT_EQ(back.participant_identity, c.participant_identity);
  EXPECT_EQ(back.sip_call_id, c.sip_call_id);
  EXPECT_EQ(back.flow, c.flow);
  EXPECT_EQ(back.instance, c.instance);
  EXPECT_EQ(back.attributes, c.attributes);
  EXPECT_EQ(back.recordings, c.recordings);
  EXPECT_EQ(back.created_at, c.created_at);
  EXPECT_FALSE(back.answered_at);
  EXPECT_FALSE(back.ended_at);
}

TEST_P(StoreConformance, AnUnknownCallIsNotAnError) {
  auto found = store().find_call("nope");
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(*found);
  auto detail = store().call_detail("nope");
  ASSERT_TRUE(detail.ok());
  EXPECT_FALSE(*detail);
}

TEST_P(StoreConformance, ASecondCallWithTheSameIdIsAConflict) {
  insert(sample_call("c1"));
  auto error = store().insert_call(sample_call("c1"), {sample_event("c1", "call.started", kDay0)});
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, StoreError::Kind::conflict);
  auto backlog = store().outbox_backlog();
  ASSERT_TRUE(backlog.ok());
  EXPECT_EQ(*backlog, 0) << "the refused call's event must not be written";
}

TEST_P(StoreConformance, TransitionsMoveTheCallAndAreKeptInOrder) {
  insert(sample_call("c1"));
  advance(step("c1", CallState::ringing, CallState::answered, kDay0 + 1000), {at_ms(kDay0 + 1000), {}});
  advance(step("c1", CallState::answered, CallState::active, kDay0 + 1100));
  advance(step("c1", CallState::active, CallState::on_hold, kDay0 + 5000));
  advance(step("c1", CallState::on_hold, CallState::active, kDay0 + 6000));
  auto end = step("c1", CallState::active, CallState::ended, kDay0 + 9000);
  end.reason = EndReason::caller_hangup;
  end.sip_status = 200;
  end.detail = "BYE from the caller";
  advance(end, {{}, at_ms(kDay0 + 9000)});

  auto c = load("c1");
  EXPECT_EQ(c.state, CallState::ended);
  EXPECT_EQ(c.end_reason, EndReason::caller_hangup);
  EXPECT_EQ(c.sip_status, 200);
  EXPECT_EQ(c.answered_at, at_ms(kDay0 + 1000));
  EXPECT_EQ(c.ended_at, at_ms(kDay0 + 9000));

  auto detail = store().call_detail("c1");
  ASSERT_TRUE(detail.ok() && *detail);
  const auto& t = (*detail)->transitions;
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0].from, CallState::ringing);
  EXPECT_EQ(t[0].to, CallState::answered);
  EXPECT_EQ(t[2].to, CallState::on_hold);
  EXPECT_EQ(t[4].to, CallState::ended);
  EXPECT_EQ(t[4].reason, EndReason::caller_hangup);
  EXPECT_EQ(t[4].sip_status, 200);
  EXPECT_EQ(t[4].detail, "BYE from the caller");
  EXPECT_EQ(t[4].at, at_ms(kDay0 + 9000));
}

TEST_P(StoreConformance, ATransitionFromAStateTheCallIsNotInIsRefusedWithItsEvents) {
  insert(sample_call("c1"));
  auto error = store().apply_transition(step("c1", CallState::active, CallState::on_hold, kDay0 + 10), {},
                                        {sample_event("c1", "call.held", kDay0 + 10)});
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, StoreError::Kind::conflict);
  EXPECT_EQ(load("c1").state, CallState::ringing);
  auto backlog = store().outbox_backlog();
  ASSERT_TRUE(backlog.ok());
  EXPECT_EQ(*backlog, 0);
  auto detail = store().call_detail("c1");
  ASSERT_TRUE(detail.ok() && *detail);
  EXPECT_TRUE((*detail)->transitions.empty());
}

TEST_P(StoreConformance, ATransitionOfAnUnknownCallIsNotFound) {
  auto error =
      store().apply_transition(step("ghost", CallState::ringing, CallState::answered, kDay0), {}, {});
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, StoreError::Kind::not_found);
}

TEST_P(StoreConformance, MetadataIsMergedNotReplaced) {
  auto c = sample_call("c1");
  c.attributes = {{"a", "1"}, {"b", "2"}};
  c.room.clear();
  insert(c);
  CallRecord update;
  update.id = "c1";
  update.room = "room-1";
  update.attributes = {{"b", "20"}, {"c", "3"}};
  update.recordings = {"/rec/c1-caller.wav"};
  ASSERT_FALSE(store().update_metadata(update));
  update.attributes = {};
  update.room.clear();
  update.recordings = {"/rec/c1-agent.wav"};
  ASSERT_FALSE(store().update_metadata(update));
  auto back = load("c1");
  EXPECT_EQ(back.room, "room-1");
  EXPECT_EQ(back.trunk, "exolve-main") << "an empty field in the update keeps the stored one";
  EXPECT_EQ(back.attributes, (std::map<std::string, std::string>{{"a", "1"}, {"b", "20"}, {"c", "3"}}));
  EXPECT_EQ(back.recordings, (std::vector<std::string>{"/rec/c1-caller.wav", "/rec/c1-agent.wav"}));

  CallRecord ghost;
  ghost.id = "ghost";
  auto error = store().update_metadata(ghost);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, StoreError::Kind::not_found);
}

TEST_P(StoreConformance, TranscriptTurnsAndDigitsComeBackWithTheCall) {
  insert(sample_call("c1"));
  insert(sample_call("c2"));
  TranscriptSegment agent{"c1", 1, Speaker::agent, "Здравствуйте! Чем могу помочь?", 0, 2400, true, 1800};
  TranscriptSegment caller{"c1", 2, Speaker::caller, "часы работы", 2000, 2900, false, std::nullopt};
  TranscriptSegment other{"c2", 1, Speaker::caller, "other call", 0, 10, false, std::nullopt};
  ASSERT_FALSE(store().append_transcript({caller, agent, other}));
  TurnMetrics turn;
  turn.call_id = "c1";
  turn.turn = 1;
  turn.total_ms = 1740.5;
  turn.endpointing_ms = 700;
  turn.recognition_ms = 1030;
  turn.llm_first_token_ms = 412.25;
  TurnMetrics scripted;  // a turn the flow answered without a language model
  scripted.call_id = "c1";
  scripted.turn = 2;
  scripted.total_ms = 900;
  ASSERT_FALSE(store().append_turns({turn, scripted}));
  ASSERT_FALSE(store().append_dtmf(
      {DtmfRecord{"c1", '1', 5000, 120, "rfc4733"}, DtmfRecord{"c1", '#', 6000, 90, "inband"}}));

  auto detail = store().call_detail("c1");
  ASSERT_TRUE(detail.ok() && *detail);
  const auto& d = **detail;
  ASSERT_EQ(d.transcript.size(), 2u);
  EXPECT_EQ(d.transcript[0].seq, 1) << "ordered by seq";
  EXPECT_EQ(d.transcript[0].speaker, Speaker::agent);
  EXPECT_EQ(d.transcript[0].text, "Здравствуйте! Чем могу помочь?");
  EXPECT_TRUE(d.transcript[0].interrupted);
  EXPECT_EQ(d.transcript[0].cut_ms, 1800);
  EXPECT_EQ(d.transcript[0].end_ms, 2400);
  EXPECT_EQ(d.transcript[1].text, "часы работы");
  EXPECT_FALSE(d.transcript[1].cut_ms);
  ASSERT_EQ(d.turns.size(), 2u);
  EXPECT_DOUBLE_EQ(d.turns[0].total_ms.value_or(-1), 1740.5);
  EXPECT_DOUBLE_EQ(d.turns[0].endpointing_ms.value_or(-1), 700);
  EXPECT_DOUBLE_EQ(d.turns[0].recognition_ms.value_or(-1), 1030);
  EXPECT_DOUBLE_EQ(d.turns[0].llm_first_token_ms.value_or(-1), 412.25);
  EXPECT_FALSE(d.turns[0].final_to_reply_ms);
  EXPECT_EQ(d.turns[1].turn, 2);
  EXPECT_DOUBLE_EQ(d.turns[1].total_ms.value_or(-1), 900);
  EXPECT_FALSE(d.turns[1].llm_first_token_ms) << "no LLM answered the turn: empty, not zero";
  ASSERT_EQ(d.dtmf.size(), 2u);
  EXPECT_EQ(d.dtmf[0].digit, '1');
  EXPECT_EQ(d.dtmf[1].digit, '#');
  EXPECT_EQ(d.dtmf[1].source, "inband");
  EXPECT_EQ(d.dtmf[1].duration_ms, 90);
}

TEST_P(StoreConformance, CorrelationFindsTheNewestCallWithASipCallId) {
  auto older = sample_call("old", kDay0);
  older.sip_call_id = "shared";
  auto newer = sample_call("new", kDay0 + 60'000);
  newer.sip_call_id = "shared";
  insert(older);
  insert(newer);
  auto found = store().find_by_sip_call_id("shared");
  ASSERT_TRUE(found.ok() && *found);
  EXPECT_EQ((*found)->id, "new");
  auto none = store().find_by_sip_call_id("other");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
}

TEST_P(StoreConformance, ListsFilterByStateDirectionSourceNumberInstanceAndTime) {
  for (int i = 0; i < 12; ++i) {
    auto c = sample_call("c" + std::to_string(i), kDay0 + i * 1000);
    c.direction = i % 2 ? Direction::outbound : Direction::inbound;
    c.source = i % 3 ? Source::sip : Source::livekit;
    c.caller = i == 5 ? "79990000005" : c.caller;
    c.called = i == 7 ? "79990000005" : c.called;
    c.instance = i < 6 ? "instance-a" : "instance-b";
    insert(c);
  }
  advance(step("c4", CallState::ringing, CallState::answered, kDay0 + 20'000));
  auto end = step("c9", CallState::ringing, CallState::ended, kDay0 + 20'000);
  end.reason = EndReason::rejected;
  end.sip_status = 486;
  advance(end);

  CallFilter f;
  f.state = CallState::answered;
  EXPECT_EQ(ids_of(f), std::vector<std::string>{"c4"});
  f = {};
  f.state = CallState::ended;
  EXPECT_EQ(ids_of(f), std::vector<std::string>{"c9"});
  f = {};
  f.direction = Direction::outbound;
  EXPECT_EQ(ids_of(f), (std::vector<std::string>{"c11", "c9", "c7", "c5", "c3", "c1"})) << "newest first";
  f = {};
  f.source = Source::livekit;
  EXPECT_EQ(ids_of(f), (std::vector<std::string>{"c9", "c6", "c3", "c0"}));
  f = {};
  f.number = "79990000005";
  EXPECT_EQ(ids_of(f), (std::vector<std::string>{"c7", "c5"})) << "caller or called";
  f = {};
  f.instance = "instance-b";
  f.direction = Direction::inbound;
  EXPECT_EQ(ids_of(f), (std::vector<std::string>{"c10", "c8", "c6"}));
  f = {};
  f.created_from = at_ms(kDay0 + 3000);
  f.created_to = at_ms(kDay0 + 6000);
  EXPECT_EQ(ids_of(f), (std::vector<std::string>{"c5", "c4", "c3"})) << "from inclusive, to exclusive";
}

TEST_P(StoreConformance, PagesCoverEveryCallOnceNewestFirst) {
  // Pairs of calls created in the same millisecond: the cursor must order ties by id too.
  std::set<std::string> all;
  for (int i = 0; i < 23; ++i) {
    auto id = "c" + std::to_string(100 + i);
    insert(sample_call(id, kDay0 + (i / 2) * 1000));
    all.insert(id);
  }
  CallFilter f;
  f.limit = 5;
  std::vector<std::string> seen;
  Timestamp previous = Timestamp::max();
  int pages = 0;
  while (pages < 10) {
    auto page = store().list_calls(f);
    ASSERT_TRUE(page.ok()) << page.error().message;
    ++pages;
    EXPECT_LE(page->calls.size(), 5u);
    for (const auto& c : page->calls) {
      EXPECT_LE(c.created_at, previous);
      previous = c.created_at;
      seen.push_back(c.id);
    }
    if (page->next_cursor.empty()) break;
    f.cursor = page->next_cursor;
  }
  EXPECT_EQ(pages, 5);
  EXPECT_EQ(seen.size(), 23u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), all);

  f = {};
  f.limit = 0;
  auto one = store().list_calls(f);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->calls.size(), 1u) << "a limit below 1 is clamped to 1";
  f.limit = 100'000;
  auto capped = store().list_calls(f);
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->calls.size(), 23u);

  f = {};
  f.cursor = "not a cursor";
  auto bad = store().list_calls(f);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, StoreError::Kind::invalid);
}

TEST_P(StoreConformance, CountsCallsPerState) {
  insert(sample_call("a"));
  insert(sample_call("b"));
  insert(sample_call("c"));
  advance(step("a", CallState::ringing, CallState::answered, kDay0 + 1));
  auto counts = store().count_by_state();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)[CallState::ringing], 2);
  EXPECT_EQ((*counts)[CallState::answered], 1);
  EXPECT_EQ(counts->count(CallState::ended) ? (*counts)[CallState::ended] : 0, 0);
}

// Instances sharing a store each deliver their own calls' events: none is handed to two of them.
TEST_P(StoreConformance, EachInstanceIsHandedOnlyItsOwnCallsEvents) {
  auto other = sample_call("b1", kDay0 + 1);
  other.instance = "instance-b";
  insert(sample_call("a1"), {sample_event("a1", "call.started", kDay0)});
  insert(other, {sample_event("b1", "call.started", kDay0 + 1)});
  auto a = store().due_events(at_ms(kDay0 + 100), 10, "instance-a");
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_EQ(a->size(), 1u);
  EXPECT_EQ((*a)[0].call_id, "a1");
  auto b = store().due_events(at_ms(kDay0 + 100), 10, "instance-b");
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ((*b)[0].call_id, "b1");
  auto nobody = store().due_events(at_ms(kDay0 + 100), 10, "instance-c");
  ASSERT_TRUE(nobody.ok());
  EXPECT_TRUE(nobody->empty());
  auto all = store().due_events(at_ms(kDay0 + 100), 10);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
}

TEST_P(StoreConformance, TheOutboxHandsOutEachCallsEventsInOrderOneAtATime) {
  insert(sample_call("c1"), {sample_event("c1", "call.started", kDay0)});
  insert(sample_call("c2", kDay0 + 5), {sample_event("c2", "call.started", kDay0 + 5)});
  advance(step("c1", CallState::ringing, CallState::answered, kDay0 + 10), {at_ms(kDay0 + 10), {}},
          {sample_event("c1", "call.answered", kDay0 + 10)});

  auto due = store().due_events(at_ms(kDay0 + 100), 10);
  ASSERT_TRUE(due.ok()) << due.error().message;
  ASSERT_EQ(due->size(), 2u) << "only the head of each call";
  EXPECT_EQ((*due)[0].call_id, "c1");
  EXPECT_EQ((*due)[0].type, "call.started");
  EXPECT_EQ((*due)[1].call_id, "c2");
  EXPECT_LT((*due)[0].id, (*due)[1].id);
  EXPECT_EQ((*due)[0].payload, sample_event("c1", "call.started", kDay0).payload) << "payload byte for byte";
  auto backlog = store().outbox_backlog();
  ASSERT_TRUE(backlog.ok());
  EXPECT_EQ(*backlog, 3);

  // c1's head fails: retried later, and c1's next event waits behind it.
  auto c1_started = (*due)[0].id;
  ASSERT_FALSE(store().mark_attempt_failed(c1_started, at_ms(kDay0 + 5000), "connection refused"));
  due = store().due_events(at_ms(kDay0 + 100), 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].call_id, "c2");
  due = store().due_events(at_ms(kDay0 + 5000), 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].id, c1_started);
  EXPECT_EQ((*due)[0].attempts, 1);
  EXPECT_EQ((*due)[0].last_error, "connection refused");

  ASSERT_FALSE(store().mark_delivered(c1_started, at_ms(kDay0 + 5001)));
  due = store().due_events(at_ms(kDay0 + 5001), 1);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u) << "the limit holds";
  due = store().due_events(at_ms(kDay0 + 5001), 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].call_id, "c2") << "oldest first: c2's event was written before c1's second";
  EXPECT_EQ((*due)[1].type, "call.answered") << "c1's next event, now that its first is delivered";
  EXPECT_EQ((*due)[1].call_id, "c1");
  backlog = store().outbox_backlog();
  ASSERT_TRUE(backlog.ok());
  EXPECT_EQ(*backlog, 2);

  auto detail = store().call_detail("c1");
  ASSERT_TRUE(detail.ok() && *detail);
  ASSERT_EQ((*detail)->events.size(), 2u);
  EXPECT_EQ((*detail)->events[0].delivered_at, at_ms(kDay0 + 5001));
  EXPECT_FALSE((*detail)->events[1].delivered_at);
}

TEST_P(StoreConformance, ConcurrentWritersLoseNothing) {
  constexpr int kThreads = 4;
  constexpr int kCallsEach = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kCallsEach; ++i) {
        auto id = "w" + std::to_string(t) + "-" + std::to_string(i);
        auto ms = kDay0 + t * 100'000 + i;
        if (store().insert_call(sample_call(id, ms), {sample_event(id, "call.started", ms)})) ++failures;
        if (store().apply_transition(step(id, CallState::ringing, CallState::answered, ms + 1), {}, {}))
          ++failures;
        if (store().append_transcript({TranscriptSegment{id, 1, Speaker::caller, "алло", 0, 500, false, {}}}))
          ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(failures.load(), 0);
  auto counts = store().count_by_state();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)[CallState::answered], kThreads * kCallsEach);
  auto backlog = store().outbox_backlog();
  ASSERT_TRUE(backlog.ok());
  EXPECT_EQ(*backlog, kThreads * kCallsEach);
}

// Issue 12's size: 100,000 calls (4 writers), then the admin API's queries on them — a filtered page of
// 50, the next page, a time range, a number — answer with the right calls. Latency is a benchmark's
// business (bench/store.cpp), not this test's.
TEST_P(StoreConformance, AHundredThousandCallsAreQueriedByFilter) {
  constexpr int kCalls = 100'000;
  constexpr int kThreads = 4;
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = t; i < kCalls; i += kThreads) {
        auto c = sample_call("h" + std::to_string(i), kDay0 + static_cast<std::int64_t>(i) * 1000);
        c.direction = i % 4 == 0 ? Direction::outbound : Direction::inbound;
        c.caller = "7916" + std::to_string(1'000'000 + i % 1000);
        if (store().insert_call(c, {})) ++failures;
        if (i % 10 == 0) {
          auto end = step(c.id, CallState::ringing, CallState::ended,
                          kDay0 + static_cast<std::int64_t>(i) * 1000 + 1);
          end.reason = EndReason::caller_hangup;
          if (store().apply_transition(end, {}, {})) ++failures;
        }
      }
    });
  }
  for (auto& w : writers) w.join();
  ASSERT_EQ(failures.load(), 0);

  CallFilter f;
  f.state = CallState::ended;
  f.direction = Direction::outbound;
  f.limit = 50;
  auto page = store().list_calls(f);
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->calls.size(), 50u);
  EXPECT_EQ(page->calls.front().id, "h99980") << "newest ended outbound call: i % 20 == 0";
  EXPECT_EQ(page->calls.back().id, "h99000");
  f.cursor = page->next_cursor;
  page = store().list_calls(f);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->calls.size(), 50u);
  EXPECT_EQ(page->calls.front().id, "h98980");

  f = {};
  f.number = "79161000123";
  f.created_from = at_ms(kDay0 + 50'000'000);
  f.limit = 500;
  auto by_number = store().list_calls(f);
  ASSERT_TRUE(by_number.ok());
  EXPECT_EQ(by_number->calls.size(), 50u) << "i % 1000 == 123 for i in [50000, 100000)";
  for (const auto& c : by_number->calls) EXPECT_EQ(c.caller, "79161000123");

  auto counts = store().count_by_state();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)[CallState::ended], kCalls / 10);
  EXPECT_EQ((*counts)[CallState::ringing], kCalls - kCalls / 10);
}

}  // namespace va::calls::test
