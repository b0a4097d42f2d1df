// calls::Store on SQLite: the backends' common contract (store_conformance.hpp), each test on a fresh file,
// and what only a file database has to show — persistence across reopening, WAL, migrating an older release's
// file in place, refusing a newer schema, clear errors for paths and files it cannot use.
#include "calls/sqlite_store.hpp"

#include <sqlite3.h>

#include <fstream>
#include <memory>
#include <vector>

#include "support/temp_directory.hpp"
#include "unit/calls/schema_version_1.hpp"
#include "unit/calls/store_conformance.hpp"

namespace va::calls::test {
namespace {

// Each store keeps its directory: the conformance suite's factory returns only the store.
class DirectoryStore final : public Store {
 public:
  DirectoryStore(std::unique_ptr<va::test::TempDirectory> dir, std::unique_ptr<Store> inner)
      : dir_(std::move(dir)), inner_(std::move(inner)) {}
  std::string_view backend() const override { return inner_->backend(); }
  StoreStatus migrate() override { return inner_->migrate(); }
  StoreStatus insert_call(const CallRecord& c, const std::vector<OutboundEvent>& e) override {
    return inner_->insert_call(c, e);
  }
  StoreStatus apply_transition(const Transition& t, const CallUpdate& u,
                               const std::vector<OutboundEvent>& e) override {
    return inner_->apply_transition(t, u, e);
  }
  StoreStatus update_metadata(const CallRecord& c) override { return inner_->update_metadata(c); }
  StoreStatus append_transcript(const std::vector<TranscriptSegment>& s) override {
    return inner_->append_transcript(s);
  }
  StoreStatus append_turns(const std::vector<TurnMetrics>& t) override { return inner_->append_turns(t); }
  StoreStatus append_dtmf(const std::vector<DtmfRecord>& d) override { return inner_->append_dtmf(d); }
  StoreResult<std::optional<CallRecord>> find_call(const std::string& id) override {
    return inner_->find_call(id);
  }
  StoreResult<std::optional<CallRecord>> find_by_sip_call_id(const std::string& id) override {
    return inner_->find_by_sip_call_id(id);
  }
  StoreResult<std::optional<CallDetail>> call_detail(const std::string& id) override {
    return inner_->call_detail(id);
  }
  StoreResult<CallPage> list_calls(const CallFilter& f) override { return inner_->list_calls(f); }
  StoreResult<std::map<CallState, std::int64_t>> count_by_state() override {
    return inner_->count_by_state();
  }
  StoreResult<std::vector<OutboundEvent>> due_events(Timestamp now, std::size_t limit,
                                                     const std::string& instance) override {
    return inner_->due_events(now, limit, instance);
  }
  StoreStatus mark_delivered(std::int64_t id, Timestamp at) override {
    return inner_->mark_delivered(id, at);
  }
  StoreStatus mark_attempt_failed(std::int64_t id, Timestamp next, const std::string& why) override {
    return inner_->mark_attempt_failed(id, next, why);
  }
  StoreResult<std::int64_t> outbox_backlog() override { return inner_->outbox_backlog(); }

 private:
  std::unique_ptr<va::test::TempDirectory> dir_;  // declared first: removed after the store closed its file
  std::unique_ptr<Store> inner_;
};

std::unique_ptr<Store> fresh_sqlite_store() {
  auto dir = std::make_unique<va::test::TempDirectory>("sqlite-store");
  auto opened = open_sqlite_store((dir->path() / "calls.db").string());
  if (!opened.ok()) {
    ADD_FAILURE() << opened.error().message;
    return nullptr;
  }
  auto store = std::move(opened.value());
  if (auto e = store->migrate()) {
    ADD_FAILURE() << e->message;
    return nullptr;
  }
  return std::make_unique<DirectoryStore>(std::move(dir), std::move(store));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance,
                         ::testing::Values(StoreBackend{"sqlite", fresh_sqlite_store}), backend_name);

class SqliteFile : public ::testing::Test {
 protected:
  std::string path() const { return (dir_.path() / "calls.db").string(); }
  std::unique_ptr<Store> open_migrated() {
    auto opened = open_sqlite_store(path());
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().message);
    if (!opened.ok()) return nullptr;
    auto store = std::move(opened.value());
    auto e = store->migrate();
    EXPECT_FALSE(e) << e->message;
    return store;
  }
  // A value read with the sqlite3 library directly, beside the store.
  std::string query(const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open_v2(path().c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
    std::string value;
    sqlite3_exec(
        db, sql.c_str(),
        [](void* out, int, char** values, char**) {
          *static_cast<std::string*>(out) = values[0] ? values[0] : "NULL";
          return 0;
        },
        &value, nullptr);
    sqlite3_close(db);
    return value;
  }
  va::test::TempDirectory dir_{"sqlite-file"};
};

TEST_F(SqliteFile, CallsSurviveClosingAndReopeningTheFile) {
  {
    auto store = open_migrated();
    ASSERT_TRUE(store);
    ASSERT_FALSE(store->insert_call(sample_call("kept"), {sample_event("kept", "call.started", kDay0)}));
    ASSERT_FALSE(
        store->apply_transition(step("kept", CallState::ringing, CallState::answered, kDay0 + 5), {}, {}));
  }
  auto store = open_migrated();
  ASSERT_TRUE(store);
  auto found = store->find_call("kept");
  ASSERT_TRUE(found.ok() && *found);
  EXPECT_EQ((*found)->state, CallState::answered);
  auto backlog = store->outbox_backlog();
  ASSERT_TRUE(backlog.ok());
  EXPECT_EQ(*backlog, 1);
}

TEST_F(SqliteFile, UsesTheWriteAheadLogAndRecordsItsSchemaVersion) {
  auto store = open_migrated();
  ASSERT_TRUE(store);
  EXPECT_EQ(query("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(query("SELECT MAX(version) FROM schema_version"), "2");
  EXPECT_EQ(store->backend(), "sqlite");
}

TEST_F(SqliteFile, AVersionOneFileIsMigratedInPlaceAndItsTurnsReadBackWithoutAnLlmFigure) {
  {
    // The file an older release left behind: schema version 1 and one ended call with a turn.
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open_v2(path().c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
              SQLITE_OK);
    std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, &sqlite3_close);
    char* message = nullptr;
    const std::string sql =
        std::string(kSqliteSchemaVersion1) + kSchemaVersion1Marker +
        "INSERT INTO calls (id, direction, source, state, end_reason, sip_status, caller, called, trunk, "
        "room, "
        "participant_identity, sip_call_id, flow, instance, attributes, recordings, created_at, answered_at, "
        "ended_at) VALUES ('old', 'inbound', 'sip', 'ended', 'caller_hangup', NULL, '79161234567', "
        "'74951234567', 'exolve-main', '', '', 'sip-old', 'reception', 'instance-a', '{}', '[]', "
        "1764892800000, 1764892801000, 1764892841000);"
        "INSERT INTO turn_metrics (call_id, turn, total_ms, endpointing_ms, recognition_ms) "
        "VALUES ('old', 1, 1740.5, 700, 1030);";
    ASSERT_EQ(sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, &message), SQLITE_OK)
        << (message ? message : "");
  }
  ASSERT_EQ(query("SELECT COUNT(*) FROM pragma_table_info('turn_metrics') WHERE name = 'llm_first_token_ms'"),
            "0");

  auto store = open_migrated();
  ASSERT_TRUE(store);
  EXPECT_EQ(query("SELECT MAX(version) FROM schema_version"), "2");
  EXPECT_EQ(query("SELECT COUNT(*) FROM pragma_table_info('turn_metrics') WHERE name = 'llm_first_token_ms'"),
            "1");
  auto old = store->call_detail("old");
  ASSERT_TRUE(old.ok() && *old) << (old.ok() ? "not found" : old.error().message);
  EXPECT_EQ((*old)->call.state, CallState::ended);
  ASSERT_EQ((*old)->turns.size(), 1u);
  EXPECT_DOUBLE_EQ((*old)->turns[0].total_ms.value_or(-1), 1740.5);
  EXPECT_DOUBLE_EQ((*old)->turns[0].recognition_ms.value_or(-1), 1030);
  EXPECT_FALSE((*old)->turns[0].llm_first_token_ms) << "turns stored before version 2 have no LLM figure";

  // The migrated file takes the new figure, and migrating again changes nothing.
  TurnMetrics later;
  later.call_id = "old";
  later.turn = 2;
  later.llm_first_token_ms = 388.5;
  ASSERT_FALSE(store->append_turns({later}));
  EXPECT_FALSE(store->migrate());
  auto both = store->call_detail("old");
  ASSERT_TRUE(both.ok() && *both);
  ASSERT_EQ((*both)->turns.size(), 2u);
  EXPECT_DOUBLE_EQ((*both)->turns[1].llm_first_token_ms.value_or(-1), 388.5);
}

TEST_F(SqliteFile, ASchemaNewerThanThisBuildIsRefusedNamingBothVersions) {
  { ASSERT_TRUE(open_migrated()); }
  query("UPDATE schema_version SET version = 7");
  auto opened = open_sqlite_store(path());
  ASSERT_TRUE(opened.ok());
  auto e = opened.value()->migrate();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, StoreError::Kind::invalid);
  EXPECT_NE(e->message.find("schema version 7, newer than this build's 2"), std::string::npos) << e->message;
}

TEST_F(SqliteFile, APathThatCannotBeOpenedIsUnavailableNotACrash) {
  auto opened = open_sqlite_store((dir_.path() / "no" / "such" / "dir" / "calls.db").string());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind, StoreError::Kind::unavailable);
  EXPECT_NE(opened.error().message.find("no/such/dir/calls.db"), std::string::npos) << opened.error().message;

  auto memory = open_sqlite_store(":memory:");
  ASSERT_FALSE(memory.ok());
  EXPECT_EQ(memory.error().kind, StoreError::Kind::invalid);
}

TEST_F(SqliteFile, AFileThatIsNotADatabaseIsAnErrorNotACrash) {
  std::ofstream(path()) << "this is a voice-agent.yaml, not a database\n" << std::string(5000, 'x');
  auto opened = open_sqlite_store(path());
  if (opened.ok()) {
    auto e = opened.value()->migrate();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind, StoreError::Kind::invalid) << e->message;
  } else {
    EXPECT_EQ(opened.error().kind, StoreError::Kind::invalid) << opened.error().message;
    EXPECT_NE(opened.error().message.find("not a database"), std::string::npos) << opened.error().message;
  }
}

}  // namespace
}  // namespace va::calls::test
