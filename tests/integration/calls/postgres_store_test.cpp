// calls::Store on a real PostgreSQL 15 server (support/postgres_server.hpp): the backends' common contract
// (store_conformance.hpp), each test in a database of its own, and what only a shared server has to show —
// two voice-agent instances on one database (concurrent writers, a transition raced from both, migrations
// started together), a server that goes away and comes back, a password that never reaches a message.
//
// One server per test program, started by the first test that needs it.
#include "calls/postgres_store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/postgres_server.hpp"
#include "unit/calls/schema_version_1.hpp"
#include "unit/calls/store_conformance.hpp"

namespace va::calls::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The server of this program; a failure (binaries missing, initdb refused) is reported by every test.
va::test::PostgresServer& shared_server() {
  static std::unique_ptr<va::test::PostgresServer> server;
  static std::string failure;
  if (!server && failure.empty()) {
    try {
      server = std::make_unique<va::test::PostgresServer>();
    } catch (const std::exception& e) {
      failure = e.what();
    }
  }
  if (!server) throw std::runtime_error("no PostgreSQL server for the store tests: " + failure);
  return *server;
}

std::unique_ptr<Store> open_unmigrated(const std::string& url) {
  auto opened = open_postgres_store(url);
  if (!opened.ok()) {
    ADD_FAILURE() << opened.error().message;
    return nullptr;
  }
  return std::move(opened.value());
}

std::unique_ptr<Store> fresh_postgres_store() {
  try {
    auto& server = shared_server();
    auto store = open_unmigrated(server.url(server.create_database()));
    if (!store) return nullptr;
    if (auto e = store->migrate()) {
      ADD_FAILURE() << e->message;
      return nullptr;
    }
    return store;
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what();
    return nullptr;
  }
}

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformance,
                         ::testing::Values(StoreBackend{"postgresql", fresh_postgres_store}), backend_name);

class PostgresStore : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!va::test::PostgresServer::available()) FAIL() << va::test::PostgresServer::unavailable_reason();
    try {
      server_ = &shared_server();
      database_ = server_->create_database();
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
  }

  std::string url() const { return server_->url(database_); }

  // A store of one voice-agent instance on this test's database.
  std::unique_ptr<Store> instance(bool migrated = true) {
    auto store = open_unmigrated(url());
    if (store && migrated) {
      auto e = store->migrate();
      EXPECT_FALSE(e) << e->message;
    }
    return store;
  }

  va::test::PostgresServer* server_ = nullptr;
  std::string database_;
};

TEST_F(PostgresStore, OpenStoreTakesBothUrlSchemes) {
  for (const auto& scheme : {"postgres://", "postgresql://"}) {
    auto u = url();
    auto opened = open_store(scheme + u.substr(u.find("://") + 3));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_EQ(opened.value()->backend(), "postgresql");
    EXPECT_FALSE(opened.value()->migrate());
  }
}

TEST_F(PostgresStore, TwoInstancesWriteTheirOwnCallsConcurrentlyAndBothSeeAll) {
  auto a = instance();
  auto b = instance();
  ASSERT_TRUE(a && b);
  constexpr int kCalls = 100;
  std::atomic<int> failures{0};
  auto work = [&](Store& store, const std::string& name) {
    for (int i = 0; i < kCalls; ++i) {
      auto c = sample_call(name + "-" + std::to_string(i), kDay0 + i);
      c.instance = name;
      if (store.insert_call(c, {sample_event(c.id, "call.started", kDay0 + i)})) ++failures;
      if (store.apply_transition(step(c.id, CallState::ringing, CallState::answered, kDay0 + i + 1), {}, {}))
        ++failures;
      if (store.append_dtmf({DtmfRecord{c.id, '5', 100, 80, "rfc4733"}})) ++failures;
    }
  };
  std::thread first(work, std::ref(*a), "instance-a");
  std::thread second(work, std::ref(*b), "instance-b");
  first.join();
  second.join();
  EXPECT_EQ(failures.load(), 0);

  for (Store* store : {a.get(), b.get()}) {
    auto counts = store->count_by_state();
    ASSERT_TRUE(counts.ok()) << counts.error().message;
    EXPECT_EQ((*counts)[CallState::answered], 2 * kCalls);
    auto backlog = store->outbox_backlog();
    ASSERT_TRUE(backlog.ok());
    EXPECT_EQ(*backlog, 2 * kCalls);
    CallFilter f;
    f.instance = "instance-b";
    f.limit = kMaxPageSize;
    auto page = store->list_calls(f);
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page->calls.size(), static_cast<std::size_t>(kCalls));
  }
  auto detail = a->call_detail("instance-b-7");
  ASSERT_TRUE(detail.ok() && *detail);
  EXPECT_EQ((*detail)->dtmf.size(), 1u);
  EXPECT_EQ((*detail)->transitions.size(), 1u);
}

TEST_F(PostgresStore, ATransitionRacedByTwoInstancesHasExactlyOneWinner) {
  auto a = instance();
  auto b = instance();
  ASSERT_TRUE(a && b);
  constexpr int kRounds = 30;
  for (int round = 0; round < kRounds; ++round) {
    auto id = "raced-" + std::to_string(round);
    ASSERT_FALSE(a->insert_call(sample_call(id), {}));
    std::barrier start(2);
    StoreStatus results[2];
    auto race = [&](Store& store, int who) {
      auto end = step(id, CallState::ringing, CallState::ended, kDay0 + 10 + who);
      end.reason = who == 0 ? EndReason::caller_hangup : EndReason::agent_hangup;
      start.arrive_and_wait();
      results[who] = store.apply_transition(end, {}, {sample_event(id, "call.ended", kDay0 + 10 + who)});
    };
    std::thread first(race, std::ref(*a), 0);
    std::thread second(race, std::ref(*b), 1);
    first.join();
    second.join();
    const int wins = (!results[0] ? 1 : 0) + (!results[1] ? 1 : 0);
    ASSERT_EQ(wins, 1) << "round " << round << ": " << (results[0] ? results[0]->message : "a won") << " / "
                       << (results[1] ? results[1]->message : "b won");
    const auto& loser = results[0] ? results[0] : results[1];
    EXPECT_EQ(loser->kind, StoreError::Kind::conflict) << loser->message;

    auto detail = a->call_detail(id);
    ASSERT_TRUE(detail.ok() && *detail);
    ASSERT_EQ((*detail)->transitions.size(), 1u);
    EXPECT_EQ((*detail)->events.size(), 1u) << "the loser's event is not written";
    EXPECT_EQ((*detail)->call.end_reason, !results[0] ? EndReason::caller_hangup : EndReason::agent_hangup);
  }
}

TEST_F(PostgresStore, MigrationsStartedTogetherByTwoInstancesAreSafe) {
  constexpr int kInstances = 4;
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kInstances; ++i) {
    stores.push_back(instance(false));
    ASSERT_TRUE(stores.back());
  }
  std::barrier start(kInstances);
  std::vector<StoreStatus> results(kInstances);
  std::vector<std::thread> threads;
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = stores[i]->migrate();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_FALSE(r) << r->message;
  EXPECT_EQ(server_->sql(database_, "SELECT COUNT(*), MAX(version) FROM schema_version"), "1|2");
  ASSERT_FALSE(stores[0]->insert_call(sample_call("after"), {}));
  auto found = stores[3]->find_call("after");
  ASSERT_TRUE(found.ok() && *found);
}

TEST_F(PostgresStore, AVersionOneDatabaseIsMigratedInPlaceAndItsTurnsReadBackWithoutAnLlmFigure) {
  // The database an older release left behind: schema version 1 and one ended call with a turn.
  server_->sql(database_,
               std::string(kPostgresSchemaVersion1) + kSchemaVersion1Marker +
                   "INSERT INTO calls (id, direction, source, state, end_reason, sip_status, caller, called, "
                   "trunk, room, participant_identity, sip_call_id, flow, instance, attributes, recordings, "
                   "created_at, answered_at, ended_at) VALUES ('old', 'inbound', 'sip', 'ended', "
                   "'caller_hangup', NULL, '79161234567', '74951234567', 'exolve-main', '', '', 'sip-old', "
                   "'reception', 'instance-a', '{}', '[]', 1764892800000, 1764892801000, 1764892841000);"
                   "INSERT INTO turn_metrics (call_id, turn, total_ms, endpointing_ms, recognition_ms) "
                   "VALUES ('old', 1, 1740.5, 700, 1030);");
  const std::string has_column =
      "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'turn_metrics' AND column_name = "
      "'llm_first_token_ms'";
  ASSERT_EQ(server_->sql(database_, has_column), "0");

  auto store = instance();
  ASSERT_TRUE(store);
  EXPECT_EQ(server_->sql(database_, "SELECT COUNT(*), MAX(version) FROM schema_version"), "1|2");
  EXPECT_EQ(server_->sql(database_, has_column), "1");
  auto old = store->call_detail("old");
  ASSERT_TRUE(old.ok() && *old) << (old.ok() ? "not found" : old.error().message);
  EXPECT_EQ((*old)->call.state, CallState::ended);
  ASSERT_EQ((*old)->turns.size(), 1u);
  EXPECT_DOUBLE_EQ((*old)->turns[0].total_ms.value_or(-1), 1740.5);
  EXPECT_DOUBLE_EQ((*old)->turns[0].recognition_ms.value_or(-1), 1030);
  EXPECT_FALSE((*old)->turns[0].llm_first_token_ms) << "turns stored before version 2 have no LLM figure";

  // The migrated database takes the new figure, and another instance starting on it changes nothing.
  TurnMetrics later;
  later.call_id = "old";
  later.turn = 2;
  later.llm_first_token_ms = 388.5;
  ASSERT_FALSE(store->append_turns({later}));
  ASSERT_TRUE(instance());
  auto both = store->call_detail("old");
  ASSERT_TRUE(both.ok() && *both);
  ASSERT_EQ((*both)->turns.size(), 2u);
  EXPECT_DOUBLE_EQ((*both)->turns[1].llm_first_token_ms.value_or(-1), 388.5);
  EXPECT_EQ(server_->sql(database_, "SELECT MAX(version) FROM schema_version"), "2");
}

TEST_F(PostgresStore, ASchemaNewerThanThisBuildIsRefusedNamingBothVersions) {
  ASSERT_TRUE(instance());
  server_->sql(database_, "UPDATE schema_version SET version = 7");
  auto store = instance(false);
  ASSERT_TRUE(store);
  auto e = store->migrate();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, StoreError::Kind::invalid);
  EXPECT_THAT(e->message, HasSubstr("schema version 7, newer than this build's 2"));
  EXPECT_THAT(e->message, Not(HasSubstr(server_->password())));
}

TEST_F(PostgresStore, AStoppedServerIsUnavailableAndTheStoreRecoversWhenItIsBack) {
  auto store = instance();
  ASSERT_TRUE(store);
  ASSERT_FALSE(store->insert_call(sample_call("before"), {}));
  // Every pooled connection in use once, so all of them are open when the server goes.
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) readers.emplace_back([&] { (void)store->count_by_state(); });
  for (auto& r : readers) r.join();

  server_->stop();
  auto insert = store->insert_call(sample_call("during"), {});
  ASSERT_TRUE(insert);
  EXPECT_EQ(insert->kind, StoreError::Kind::unavailable) << insert->message;
  EXPECT_THAT(insert->message, Not(HasSubstr(server_->password())));
  auto read = store->find_call("before");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().kind, StoreError::Kind::unavailable);
  EXPECT_THAT(read.error().message, HasSubstr("127.0.0.1")) << "which server could not be reached";

  server_->start();
  ASSERT_FALSE(store->insert_call(sample_call("after"), {}));
  auto found = store->find_call("before");
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_TRUE(*found);
  auto counts = store->count_by_state();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)[CallState::ringing], 2) << "the call refused while the server was down is not there";
}

TEST_F(PostgresStore, ThePasswordNeverAppearsInErrorMessages) {
  const std::string wrong = "Wr0ng-Secret-Passw0rd";
  auto u = url();
  auto with_wrong = u.replace(u.find(server_->password()), server_->password().size(), wrong);
  auto store = open_unmigrated(with_wrong);
  ASSERT_TRUE(store);
  auto e = store->migrate();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, StoreError::Kind::unavailable);
  EXPECT_THAT(e->message, HasSubstr("postgresql://postgres:***@127.0.0.1"));
  EXPECT_THAT(e->message, HasSubstr("password authentication failed"));
  EXPECT_THAT(e->message, Not(HasSubstr(wrong)));

  // Nothing listens on the port: the connect error quotes the host, never the password.
  va::test::PortReservation closed = va::test::reserve_port(va::test::PortProtocol::tcp);
  auto unreachable = open_unmigrated("postgresql://va:" + wrong +
                                     "@127.0.0.1:" + std::to_string(closed.port()) + "/va?connect_timeout=5");
  ASSERT_TRUE(unreachable);
  auto f = unreachable->find_call("x");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().kind, StoreError::Kind::unavailable);
  EXPECT_THAT(f.error().message, Not(HasSubstr(wrong)));

  // The password as a parameter instead of in the authority.
  auto as_parameter = open_unmigrated("postgresql://127.0.0.1:" + std::to_string(closed.port()) +
                                      "/va?user=va&password=" + wrong);
  ASSERT_TRUE(as_parameter);
  auto g = as_parameter->outbox_backlog();
  ASSERT_FALSE(g.ok());
  EXPECT_THAT(g.error().message, Not(HasSubstr(wrong)));
  EXPECT_THAT(g.error().message, HasSubstr("password=***"));

  auto bad_scheme = open_postgres_store("mysql://va:" + wrong + "@db/va");
  ASSERT_FALSE(bad_scheme.ok());
  EXPECT_EQ(bad_scheme.error().kind, StoreError::Kind::invalid);
  EXPECT_THAT(bad_scheme.error().message, Not(HasSubstr(wrong)));
}

TEST_F(PostgresStore, DataTheDatabaseRefusesIsInvalidNotACrash) {
  auto store = instance();
  ASSERT_TRUE(store);
  // A transcript of a call that does not exist breaks the foreign key.
  auto e = store->append_transcript({TranscriptSegment{"ghost", 1, Speaker::caller, "alo", 0, 1, false, {}}});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, StoreError::Kind::invalid) << e->message;
  // PostgreSQL text cannot hold a NUL byte.
  auto c = sample_call("nul");
  c.caller = std::string("7916\0", 5);
  auto n = store->insert_call(c, {});
  ASSERT_TRUE(n);
  EXPECT_EQ(n->kind, StoreError::Kind::invalid) << n->message;
  EXPECT_FALSE(store->insert_call(sample_call("fine"), {})) << "the store is still usable";
}

}  // namespace
}  // namespace va::calls::test
