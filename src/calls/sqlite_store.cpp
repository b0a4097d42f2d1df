#include "calls/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <utility>

#include "calls/store_rows.hpp"

namespace va::calls {
namespace {

using rows::from_ms;
using rows::kCallColumns;
using rows::kEventColumns;
using rows::make_cursor;
using rows::parse_cursor;
using rows::to_ms;

using json = nlohmann::json;

constexpr int kSchemaVersion = 2;

// Migration n brings the schema from version n-1 to n. Times are INTEGER milliseconds since the epoch (UTC);
// attributes and recordings are JSON text (read and merged here, never queried by SQL).
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE calls (
  id TEXT PRIMARY KEY,
  direction TEXT NOT NULL,
  source TEXT NOT NULL,
  state TEXT NOT NULL,
  end_reason TEXT,
  sip_status INTEGER,
  caller TEXT NOT NULL,
  called TEXT NOT NULL,
  trunk TEXT NOT NULL,
  room TEXT NOT NULL,
  participant_identity TEXT NOT NULL,
  sip_call_id TEXT NOT NULL,
  flow TEXT NOT NULL,
  instance TEXT NOT NULL,
  attributes TEXT NOT NULL,
  recordings TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  answered_at INTEGER,
  ended_at INTEGER
);
CREATE INDEX calls_by_time ON calls (created_at DESC, id DESC);
CREATE INDEX calls_by_state ON calls (state, created_at DESC, id DESC);
CREATE INDEX calls_by_direction ON calls (direction, created_at DESC, id DESC);
CREATE INDEX calls_by_caller ON calls (caller, created_at DESC, id DESC);
CREATE INDEX calls_by_called ON calls (called, created_at DESC, id DESC);
CREATE INDEX calls_by_instance ON calls (instance, state);
CREATE INDEX calls_by_sip_call_id ON calls (sip_call_id, created_at DESC);
CREATE TABLE transitions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  call_id TEXT NOT NULL REFERENCES calls (id),
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  at INTEGER NOT NULL,
  reason TEXT,
  sip_status INTEGER,
  detail TEXT NOT NULL
);
CREATE INDEX transitions_of_call ON transitions (call_id, seq);
CREATE TABLE transcript_segments (
  call_id TEXT NOT NULL REFERENCES calls (id),
  seq INTEGER NOT NULL,
  speaker TEXT NOT NULL,
  text TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL,
  interrupted INTEGER NOT NULL,
  cut_ms INTEGER
);
CREATE INDEX transcript_of_call ON transcript_segments (call_id, seq);
CREATE TABLE turn_metrics (
  call_id TEXT NOT NULL REFERENCES calls (id),
  turn INTEGER NOT NULL,
  total_ms REAL,
  endpointing_ms REAL,
  end_of_speech_to_final_ms REAL,
  final_to_reply_ms REAL,
  reply_to_first_audio_ms REAL,
  first_audio_to_first_frame_ms REAL,
  recognition_ms REAL
);
CREATE INDEX turns_of_call ON turn_metrics (call_id, turn);
CREATE TABLE dtmf (
  call_id TEXT NOT NULL REFERENCES calls (id),
  digit TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  source TEXT NOT NULL
);
CREATE INDEX dtmf_of_call ON dtmf (call_id, at_ms);
CREATE TABLE outbound_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  call_id TEXT NOT NULL REFERENCES calls (id),
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  delivered_at INTEGER,
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_of_call ON outbound_events (call_id, id);
CREATE INDEX events_pending ON outbound_events (call_id, id) WHERE delivered_at IS NULL;
CREATE INDEX events_due ON outbound_events (next_attempt_at, id) WHERE delivered_at IS NULL;
)sql",
    // 2: the language model's request → its first text, per turn (voice::TurnMetrics::llm_first_token);
    // empty for turns that no LLM answered, and for every turn stored before this version.
    R"sql(
ALTER TABLE turn_metrics ADD COLUMN llm_first_token_ms REAL;
)sql",
};
static_assert(std::size(kMigrations) == kSchemaVersion);

StoreError::Kind kind_of(int code) {
  switch (code & 0xff) {
    case SQLITE_CONSTRAINT:
      return (code == SQLITE_CONSTRAINT_PRIMARYKEY || code == SQLITE_CONSTRAINT_UNIQUE)
                 ? StoreError::Kind::conflict
                 : StoreError::Kind::invalid;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
      return StoreError::Kind::invalid;
    default:
      return StoreError::Kind::unavailable;  // BUSY, LOCKED, IOERR, CANTOPEN, FULL, READONLY, ...
  }
}

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

// One connection and its prepared statements, used under its owner's mutex.
class Connection {
 public:
  StoreStatus open(const std::string& path, bool create) {
    sqlite3* raw = nullptr;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    db_.reset(raw);
    if (rc != SQLITE_OK) {
      std::string why = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
      return StoreError{kind_of(rc), "sqlite: open " + path + ": " + why};
    }
    sqlite3_extended_result_codes(db_.get(), 1);
    sqlite3_busy_timeout(db_.get(), 5000);
    for (const char* pragma :
         {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
      if (auto e = exec(pragma, "configure " + path)) return e;
    }
    return std::nullopt;
  }

  StoreStatus exec(const std::string& sql, const std::string& what) {
    char* message = nullptr;
    int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &message);
    if (rc == SQLITE_OK) return std::nullopt;
    std::string why = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    return StoreError{kind_of(rc), "sqlite: " + what + ": " + why};
  }

  // The cached statement for `sql`, reset and unbound; null with `error` set when it does not prepare.
  sqlite3_stmt* prepare(const std::string& sql, StoreStatus& error) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      sqlite3_stmt* raw = nullptr;
      int rc = sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size()),
                                  SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
      if (rc != SQLITE_OK) {
        error = StoreError{kind_of(rc), std::string("sqlite: prepare: ") + sqlite3_errmsg(db_.get())};
        sqlite3_finalize(raw);
        return nullptr;
      }
      it = statements_.emplace(sql, std::unique_ptr<sqlite3_stmt, StatementFinalizer>(raw)).first;
    }
    sqlite3_reset(it->second.get());
    sqlite3_clear_bindings(it->second.get());
    return it->second.get();
  }

  StoreError error(int rc, const std::string& what) const {
    return StoreError{kind_of(rc), "sqlite: " + what + ": " + sqlite3_errmsg(db_.get())};
  }
  sqlite3* db() const { return db_.get(); }

 private:
  std::unique_ptr<sqlite3, DbCloser> db_;
  std::map<std::string, std::unique_ptr<sqlite3_stmt, StatementFinalizer>> statements_;
};

// Binds values to a statement by position, in order.
class Binder {
 public:
  explicit Binder(sqlite3_stmt* s) : s_(s) {}
  Binder& text(const std::string& v) {
    sqlite3_bind_text(s_, ++i_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Binder& integer(std::int64_t v) {
    sqlite3_bind_int64(s_, ++i_, v);
    return *this;
  }
  Binder& real(double v) {
    sqlite3_bind_double(s_, ++i_, v);
    return *this;
  }
  Binder& null() {
    sqlite3_bind_null(s_, ++i_);
    return *this;
  }
  template <class T>
  Binder& maybe(const std::optional<T>& v) {
    if (!v) return null();
    if constexpr (std::is_same_v<T, Timestamp>) {
      return integer(to_ms(*v));
    } else if constexpr (std::is_floating_point_v<T>) {
      return real(*v);
    } else {
      return integer(*v);
    }
  }
  Binder& maybe_text(const std::optional<std::string>& v) { return v ? text(*v) : null(); }

 private:
  sqlite3_stmt* s_;
  int i_ = 0;
};

std::string column_text(sqlite3_stmt* s, int i) {
  auto p = sqlite3_column_text(s, i);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(s, i)))
           : std::string();
}
bool column_null(sqlite3_stmt* s, int i) {
  return sqlite3_column_type(s, i) == SQLITE_NULL;
}
std::optional<std::int64_t> column_optional_int(sqlite3_stmt* s, int i) {
  if (column_null(s, i)) return std::nullopt;
  return sqlite3_column_int64(s, i);
}
std::optional<double> column_optional_real(sqlite3_stmt* s, int i) {
  if (column_null(s, i)) return std::nullopt;
  return sqlite3_column_double(s, i);
}
std::optional<Timestamp> column_optional_time(sqlite3_stmt* s, int i) {
  auto v = column_optional_int(s, i);
  if (!v) return std::nullopt;
  return from_ms(*v);
}

std::string attributes_text(const std::map<std::string, std::string>& a) {
  return json(a).dump();
}
std::string recordings_text(const std::vector<std::string>& r) {
  return json(r).dump();
}

// A row of kCallColumns; an `invalid` error when a stored value is not one this build knows.
StoreResult<CallRecord> read_call(sqlite3_stmt* s) {
  CallRecord c;
  c.id = column_text(s, 0);
  auto direction = parse_direction(column_text(s, 1));
  auto source = parse_source(column_text(s, 2));
  auto state = parse_call_state(column_text(s, 3));
  if (!direction || !source || !state)
    return StoreError{StoreError::Kind::invalid,
                      "sqlite: call " + c.id + ": unknown direction, source or state"};
  c.direction = *direction;
  c.source = *source;
  c.state = *state;
  if (!column_null(s, 4)) c.end_reason = parse_end_reason(column_text(s, 4));
  if (auto v = column_optional_int(s, 5)) c.sip_status = static_cast<int>(*v);
  c.caller = column_text(s, 6);
  c.called = column_text(s, 7);
  c.trunk = column_text(s, 8);
  c.room = column_text(s, 9);
  c.participant_identity = column_text(s, 10);
  c.sip_call_id = column_text(s, 11);
  c.flow = column_text(s, 12);
  c.instance = column_text(s, 13);
  auto attributes = json::parse(column_text(s, 14), nullptr, false);
  auto recordings = json::parse(column_text(s, 15), nullptr, false);
  if (attributes.is_discarded() || !attributes.is_object() || recordings.is_discarded() ||
      !recordings.is_array())
    return StoreError{StoreError::Kind::invalid,
                      "sqlite: call " + c.id + ": attributes or recordings are not JSON"};
  for (const auto& [k, v] : attributes.items())
    if (v.is_string()) c.attributes[k] = v.get<std::string>();
  for (const auto& v : recordings)
    if (v.is_string()) c.recordings.push_back(v.get<std::string>());
  c.created_at = from_ms(sqlite3_column_int64(s, 16));
  c.answered_at = column_optional_time(s, 17);
  c.ended_at = column_optional_time(s, 18);
  return c;
}

OutboundEvent read_event(sqlite3_stmt* s) {
  OutboundEvent e;
  e.id = sqlite3_column_int64(s, 0);
  e.call_id = column_text(s, 1);
  e.type = column_text(s, 2);
  e.payload = column_text(s, 3);
  e.created_at = from_ms(sqlite3_column_int64(s, 4));
  e.attempts = static_cast<int>(sqlite3_column_int64(s, 5));
  e.next_attempt_at = column_optional_time(s, 6);
  e.delivered_at = column_optional_time(s, 7);
  e.last_error = column_text(s, 8);
  return e;
}

class SqliteStore final : public Store {
 public:
  StoreStatus open(const std::string& path) {
    path_ = path;
    if (auto e = writer_.open(path, true)) return e;
    return reader_.open(path, false);
  }

  std::string_view backend() const override { return "sqlite"; }

  StoreStatus migrate() override {
    std::lock_guard lock(write_mutex_);
    if (auto e = writer_.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
                              "create schema_version"))
      return e;
    auto version = stored_version();
    if (!version.ok()) return version.error();
    if (*version > kSchemaVersion)
      return StoreError{StoreError::Kind::invalid,
                        "sqlite: " + path_ + " has schema version " + std::to_string(*version) +
                            ", newer than this build's " + std::to_string(kSchemaVersion) +
                            ": upgrade voice-agent, or point storage.url at another database"};
    for (int v = *version; v < kSchemaVersion; ++v) {
      auto step = "migrate to schema version " + std::to_string(v + 1);
      if (auto e = writer_.exec("BEGIN IMMEDIATE", step)) return e;
      auto e = writer_.exec(kMigrations[v], step);
      if (!e)
        e = writer_.exec(
            "DELETE FROM schema_version; INSERT INTO schema_version VALUES (" + std::to_string(v + 1) + ")",
            step);
      if (!e) e = writer_.exec("COMMIT", step);
      if (e) {
        (void)writer_.exec("ROLLBACK", step);
        return e;
      }
    }
    return std::nullopt;
  }

  StoreStatus insert_call(const CallRecord& c, const std::vector<OutboundEvent>& events) override {
    std::lock_guard lock(write_mutex_);
    return in_transaction("insert call " + c.id, [&]() -> StoreStatus {
      StoreStatus error;
      auto s = writer_.prepare(std::string("INSERT INTO calls (") + kCallColumns +
                                   ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                               error);
      if (!s) return error;
      Binder(s)
          .text(c.id)
          .text(std::string(to_string(c.direction)))
          .text(std::string(to_string(c.source)))
          .text(std::string(to_string(c.state)))
          .maybe_text(c.end_reason ? std::optional<std::string>(std::string(to_string(*c.end_reason)))
                                   : std::nullopt)
          .maybe(c.sip_status)
          .text(c.caller)
          .text(c.called)
          .text(c.trunk)
          .text(c.room)
          .text(c.participant_identity)
          .text(c.sip_call_id)
          .text(c.flow)
          .text(c.instance)
          .text(attributes_text(c.attributes))
          .text(recordings_text(c.recordings))
          .integer(to_ms(c.created_at))
          .maybe(c.answered_at)
          .maybe(c.ended_at);
      if (auto e = step_done(s, "insert call " + c.id)) {
        if (e->kind == StoreError::Kind::conflict) e->message = "sqlite: a call with id " + c.id + " exists";
        return e;
      }
      return insert_events(events);
    });
  }

  StoreStatus apply_transition(const Transition& t, const CallUpdate& update,
                               const std::vector<OutboundEvent>& events) override {
    std::lock_guard lock(write_mutex_);
    return in_transaction("transition of call " + t.call_id, [&]() -> StoreStatus {
      StoreStatus error;
      auto s = writer_.prepare("SELECT state FROM calls WHERE id = ?", error);
      if (!s) return error;
      Binder(s).text(t.call_id);
      int rc = sqlite3_step(s);
      if (rc == SQLITE_DONE) return StoreError{StoreError::Kind::not_found, "sqlite: no call " + t.call_id};
      if (rc != SQLITE_ROW) return writer_.error(rc, "read call " + t.call_id);
      auto stored = column_text(s, 0);
      sqlite3_reset(s);
      if (stored != to_string(t.from))
        return StoreError{StoreError::Kind::conflict, "sqlite: call " + t.call_id + " is " + stored +
                                                          ", not " + std::string(to_string(t.from))};
      auto u = writer_.prepare(
          "UPDATE calls SET state = ?, end_reason = COALESCE(?, end_reason), sip_status = COALESCE(?, "
          "sip_status), "
          "answered_at = COALESCE(?, answered_at), ended_at = COALESCE(?, ended_at) WHERE id = ?",
          error);
      if (!u) return error;
      Binder(u)
          .text(std::string(to_string(t.to)))
          .maybe_text(t.reason ? std::optional<std::string>(std::string(to_string(*t.reason))) : std::nullopt)
          .maybe(t.sip_status)
          .maybe(update.answered_at)
          .maybe(update.ended_at)
          .text(t.call_id);
      if (auto e = step_done(u, "update call " + t.call_id)) return e;
      auto i = writer_.prepare(
          "INSERT INTO transitions (call_id, from_state, to_state, at, reason, sip_status, detail) "
          "VALUES (?,?,?,?,?,?,?)",
          error);
      if (!i) return error;
      Binder(i)
          .text(t.call_id)
          .text(std::string(to_string(t.from)))
          .text(std::string(to_string(t.to)))
          .integer(to_ms(t.at))
          .maybe_text(t.reason ? std::optional<std::string>(std::string(to_string(*t.reason))) : std::nullopt)
          .maybe(t.sip_status)
          .text(t.detail);
      if (auto e = step_done(i, "insert transition of " + t.call_id)) return e;
      return insert_events(events);
    });
  }

  StoreStatus update_metadata(const CallRecord& c) override {
    std::lock_guard lock(write_mutex_);
    return in_transaction("metadata of call " + c.id, [&]() -> StoreStatus {
      StoreStatus error;
      auto s = writer_.prepare("SELECT attributes, recordings FROM calls WHERE id = ?", error);
      if (!s) return error;
      Binder(s).text(c.id);
      int rc = sqlite3_step(s);
      if (rc == SQLITE_DONE) return StoreError{StoreError::Kind::not_found, "sqlite: no call " + c.id};
      if (rc != SQLITE_ROW) return writer_.error(rc, "read call " + c.id);
      auto attributes = json::parse(column_text(s, 0), nullptr, false);
      auto recordings = json::parse(column_text(s, 1), nullptr, false);
      sqlite3_reset(s);
      if (!attributes.is_object()) attributes = json::object();
      if (!recordings.is_array()) recordings = json::array();
      for (const auto& [k, v] : c.attributes) attributes[k] = v;
      for (const auto& r : c.recordings) recordings.push_back(r);
      auto u = writer_.prepare(
          "UPDATE calls SET attributes = ?, recordings = ?, trunk = COALESCE(NULLIF(?, ''), trunk), "
          "room = COALESCE(NULLIF(?, ''), room), participant_identity = COALESCE(NULLIF(?, ''), "
          "participant_identity), "
          "sip_call_id = COALESCE(NULLIF(?, ''), sip_call_id), flow = COALESCE(NULLIF(?, ''), flow) WHERE id "
          "= ?",
          error);
      if (!u) return error;
      Binder(u)
          .text(attributes.dump())
          .text(recordings.dump())
          .text(c.trunk)
          .text(c.room)
          .text(c.participant_identity)
          .text(c.sip_call_id)
          .text(c.flow)
          .text(c.id);
      return step_done(u, "update call " + c.id);
    });
  }

  StoreStatus append_transcript(const std::vector<TranscriptSegment>& segments) override {
    std::lock_guard lock(write_mutex_);
    return in_transaction("append transcript", [&]() -> StoreStatus {
      for (const auto& x : segments) {
        StoreStatus error;
        auto s = writer_.prepare(
            "INSERT INTO transcript_segments (call_id, seq, speaker, text, start_ms, end_ms, interrupted, "
            "cut_ms) "
            "VALUES (?,?,?,?,?,?,?,?)",
            error);
        if (!s) return error;
        Binder(s)
            .text(x.call_id)
            .integer(x.seq)
            .text(std::string(to_string(x.speaker)))
            .text(x.text)
            .integer(x.start_ms)
            .integer(x.end_ms)
            .integer(x.interrupted ? 1 : 0)
            .maybe(x.cut_ms);
        if (auto e = step_done(s, "insert transcript of " + x.call_id)) return e;
      }
      return std::nullopt;
    });
  }

  StoreStatus append_turns(const std::vector<TurnMetrics>& turns) override {
    std::lock_guard lock(write_mutex_);
    return in_transaction("append turns", [&]() -> StoreStatus {
      for (const auto& x : turns) {
        StoreStatus error;
        auto s = writer_.prepare(
            "INSERT INTO turn_metrics (call_id, turn, total_ms, endpointing_ms, end_of_speech_to_final_ms, "
            "final_to_reply_ms, reply_to_first_audio_ms, first_audio_to_first_frame_ms, recognition_ms, "
            "llm_first_token_ms) VALUES (?,?,?,?,?,?,?,?,?,?)",
            error);
        if (!s) return error;
        Binder(s)
            .text(x.call_id)
            .integer(x.turn)
            .maybe(x.total_ms)
            .maybe(x.endpointing_ms)
            .maybe(x.end_of_speech_to_final_ms)
            .maybe(x.final_to_reply_ms)
            .maybe(x.reply_to_first_audio_ms)
            .maybe(x.first_audio_to_first_frame_ms)
            .maybe(x.recognition_ms)
            .maybe(x.llm_first_token_ms);
        if (auto e = step_done(s, "insert turn of " + x.call_id)) return e;
      }
      return std::nullopt;
    });
  }

  StoreStatus append_dtmf(const std::vector<DtmfRecord>& digits) override {
    std::lock_guard lock(write_mutex_);
    return in_transaction("append dtmf", [&]() -> StoreStatus {
      for (const auto& x : digits) {
        StoreStatus error;
        auto s = writer_.prepare(
            "INSERT INTO dtmf (call_id, digit, at_ms, duration_ms, source) VALUES (?,?,?,?,?)", error);
        if (!s) return error;
        Binder(s)
            .text(x.call_id)
            .text(std::string(1, x.digit))
            .integer(x.at_ms)
            .integer(x.duration_ms)
            .text(x.source);
        if (auto e = step_done(s, "insert dtmf of " + x.call_id)) return e;
      }
      return std::nullopt;
    });
  }

  StoreResult<std::optional<CallRecord>> find_call(const std::string& id) override {
    std::lock_guard lock(read_mutex_);
    return one_call(std::string("SELECT ") + kCallColumns + " FROM calls WHERE id = ?", id);
  }

  StoreResult<std::optional<CallRecord>> find_by_sip_call_id(const std::string& sip_call_id) override {
    std::lock_guard lock(read_mutex_);
    return one_call(std::string("SELECT ") + kCallColumns +
                        " FROM calls WHERE sip_call_id = ? ORDER BY created_at DESC, id DESC LIMIT 1",
                    sip_call_id);
  }

  StoreResult<std::optional<CallDetail>> call_detail(const std::string& id) override {
    std::lock_guard lock(read_mutex_);
    // One read transaction: the call and its children as of one commit.
    if (auto e = reader_.exec("BEGIN", "read call " + id)) return *e;
    auto result = read_detail(id);
    (void)reader_.exec("COMMIT", "read call " + id);
    return result;
  }

  StoreResult<CallPage> list_calls(const CallFilter& f) override {
    std::string sql = std::string("SELECT ") + kCallColumns + " FROM calls WHERE 1";
    std::vector<std::pair<bool, std::string>> texts;  // (is integer, value) in order
    auto add_text = [&](const std::string& v) { texts.emplace_back(false, v); };
    auto add_int = [&](std::int64_t v) { texts.emplace_back(true, std::to_string(v)); };
    if (f.state) {
      sql += " AND state = ?";
      add_text(std::string(to_string(*f.state)));
    }
    if (f.direction) {
      sql += " AND direction = ?";
      add_text(std::string(to_string(*f.direction)));
    }
    if (f.source) {
      sql += " AND source = ?";
      add_text(std::string(to_string(*f.source)));
    }
    if (!f.number.empty()) {
      sql += " AND (caller = ? OR called = ?)";
      add_text(f.number);
      add_text(f.number);
    }
    if (!f.instance.empty()) {
      sql += " AND instance = ?";
      add_text(f.instance);
    }
    if (f.created_from) {
      sql += " AND created_at >= ?";
      add_int(to_ms(*f.created_from));
    }
    if (f.created_to) {
      sql += " AND created_at < ?";
      add_int(to_ms(*f.created_to));
    }
    if (!f.cursor.empty()) {
      auto cursor = parse_cursor(f.cursor);
      if (!cursor) return StoreError{StoreError::Kind::invalid, "sqlite: not a page cursor: " + f.cursor};
      // A row value, not "created_at < ? OR (created_at = ? AND id < ?)": SQLite seeks the index to a row
      // value (EXPLAIN: SEARCH … (created_at,id)<(?,?)) but scans the OR form from the newest call, so a
      // page 80,000 calls deep took 10 ms instead of 0.25 (bench/calls_store.cpp, docs/benchmarks.md).
      sql += " AND (created_at, id) < (?, ?)";
      add_int(cursor->first);
      add_text(cursor->second);
    }
    const std::size_t limit = std::clamp<std::size_t>(f.limit, 1, kMaxPageSize);
    sql += " ORDER BY created_at DESC, id DESC LIMIT " + std::to_string(limit + 1);

    std::lock_guard lock(read_mutex_);
    StoreStatus error;
    auto s = reader_.prepare(sql, error);
    if (!s) return *error;
    Binder b(s);
    for (const auto& [is_int, v] : texts) {
      if (is_int) {
        b.integer(std::stoll(v));
      } else {
        b.text(v);
      }
    }
    CallPage page;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      if (page.calls.size() == limit) {
        page.next_cursor = make_cursor(page.calls.back());
        break;
      }
      auto call = read_call(s);
      if (!call.ok()) return call.error();
      page.calls.push_back(std::move(call.value()));
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return reader_.error(rc, "list calls");
    sqlite3_reset(s);
    return page;
  }

  StoreResult<std::map<CallState, std::int64_t>> count_by_state() override {
    std::lock_guard lock(read_mutex_);
    StoreStatus error;
    auto s = reader_.prepare("SELECT state, COUNT(*) FROM calls GROUP BY state", error);
    if (!s) return *error;
    std::map<CallState, std::int64_t> counts;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      if (auto state = parse_call_state(column_text(s, 0))) counts[*state] = sqlite3_column_int64(s, 1);
    }
    if (rc != SQLITE_DONE) return reader_.error(rc, "count calls");
    return counts;
  }

  StoreResult<std::vector<OutboundEvent>> due_events(Timestamp now, std::size_t limit,
                                                     const std::string& instance) override {
    std::lock_guard lock(read_mutex_);
    StoreStatus error;
    auto s = reader_.prepare(
        std::string("SELECT ") + kEventColumns +
            " FROM outbound_events e WHERE delivered_at IS NULL AND next_attempt_at <= ? AND id = "
            "(SELECT MIN(id) FROM outbound_events p WHERE p.call_id = e.call_id AND p.delivered_at IS NULL) "
            "AND (? = '' OR e.call_id IN (SELECT c.id FROM calls c WHERE c.instance = ?)) "
            "ORDER BY id LIMIT ?",
        error);
    if (!s) return *error;
    Binder(s).integer(to_ms(now)).text(instance).text(instance).integer(static_cast<std::int64_t>(limit));
    std::vector<OutboundEvent> events;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) events.push_back(read_event(s));
    if (rc != SQLITE_DONE) return reader_.error(rc, "due events");
    return events;
  }

  StoreStatus mark_delivered(std::int64_t event_id, Timestamp at) override {
    std::lock_guard lock(write_mutex_);
    StoreStatus error;
    auto s = writer_.prepare(
        "UPDATE outbound_events SET delivered_at = ?, attempts = attempts + 1 WHERE id = ?", error);
    if (!s) return error;
    Binder(s).integer(to_ms(at)).integer(event_id);
    if (auto e = step_done(s, "mark event " + std::to_string(event_id) + " delivered")) return e;
    if (sqlite3_changes(writer_.db()) == 0)
      return StoreError{StoreError::Kind::not_found, "sqlite: no event " + std::to_string(event_id)};
    return std::nullopt;
  }

  StoreStatus mark_attempt_failed(std::int64_t event_id, Timestamp next_attempt,
                                  const std::string& why) override {
    std::lock_guard lock(write_mutex_);
    StoreStatus error;
    auto s = writer_.prepare(
        "UPDATE outbound_events SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = "
        "?",
        error);
    if (!s) return error;
    Binder(s).integer(to_ms(next_attempt)).text(why).integer(event_id);
    if (auto e = step_done(s, "mark event " + std::to_string(event_id) + " failed")) return e;
    if (sqlite3_changes(writer_.db()) == 0)
      return StoreError{StoreError::Kind::not_found, "sqlite: no event " + std::to_string(event_id)};
    return std::nullopt;
  }

  StoreResult<std::int64_t> outbox_backlog() override {
    std::lock_guard lock(read_mutex_);
    StoreStatus error;
    auto s = reader_.prepare("SELECT COUNT(*) FROM outbound_events WHERE delivered_at IS NULL", error);
    if (!s) return *error;
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) return reader_.error(rc, "outbox backlog");
    auto n = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return n;
  }

 private:
  StoreResult<int> stored_version() {
    StoreStatus error;
    auto s = writer_.prepare("SELECT MAX(version) FROM schema_version", error);
    if (!s) return *error;
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) return writer_.error(rc, "read schema_version");
    int v = column_null(s, 0) ? 0 : static_cast<int>(sqlite3_column_int64(s, 0));
    sqlite3_reset(s);
    return v;
  }

  // Runs `body` in BEGIN IMMEDIATE … COMMIT on the writer (its mutex held by the caller); rolls back when
  // the body or the commit fails, so a refused change leaves nothing behind.
  template <class Body>
  StoreStatus in_transaction(const std::string& what, Body body) {
    if (auto e = writer_.exec("BEGIN IMMEDIATE", what)) return e;
    auto e = body();
    if (!e) e = writer_.exec("COMMIT", what);
    if (e) (void)writer_.exec("ROLLBACK", what);
    return e;
  }

  StoreStatus step_done(sqlite3_stmt* s, const std::string& what) {
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) return std::nullopt;
    return writer_.error(rc, what);
  }

  StoreStatus insert_events(const std::vector<OutboundEvent>& events) {
    for (const auto& e : events) {
      StoreStatus error;
      auto s = writer_.prepare(
          "INSERT INTO outbound_events (call_id, type, payload, created_at, attempts, next_attempt_at, "
          "delivered_at, "
          "last_error) VALUES (?,?,?,?,?,?,?,?)",
          error);
      if (!s) return error;
      Binder(s)
          .text(e.call_id)
          .text(e.type)
          .text(e.payload)
          .integer(to_ms(e.created_at))
          .integer(e.attempts)
          .integer(to_ms(e.next_attempt_at.value_or(e.created_at)))
          .maybe(e.delivered_at)
          .text(e.last_error);
      if (auto x = step_done(s, "insert event " + e.type + " of " + e.call_id)) return x;
    }
    return std::nullopt;
  }

  StoreResult<std::optional<CallRecord>> one_call(const std::string& sql, const std::string& key) {
    StoreStatus error;
    auto s = reader_.prepare(sql, error);
    if (!s) return *error;
    Binder(s).text(key);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) return std::optional<CallRecord>();
    if (rc != SQLITE_ROW) return reader_.error(rc, "read call " + key);
    auto call = read_call(s);
    sqlite3_reset(s);
    if (!call.ok()) return call.error();
    return std::optional<CallRecord>(std::move(call.value()));
  }

  // Rows of `sql` (one parameter: the call id) read by `row`; the first error stops.
  template <class Row>
  StoreStatus each_row(const std::string& sql, const std::string& id, Row row) {
    StoreStatus error;
    auto s = reader_.prepare(sql, error);
    if (!s) return error;
    Binder(s).text(id);
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) row(s);
    if (rc != SQLITE_DONE) return reader_.error(rc, "read children of call " + id);
    return std::nullopt;
  }

  StoreResult<std::optional<CallDetail>> read_detail(const std::string& id) {
    auto call = one_call(std::string("SELECT ") + kCallColumns + " FROM calls WHERE id = ?", id);
    if (!call.ok()) return call.error();
    if (!*call) return std::optional<CallDetail>();
    CallDetail d;
    d.call = std::move(**call);
    StoreStatus e = each_row(
        "SELECT from_state, to_state, at, reason, sip_status, detail FROM transitions WHERE call_id = ? "
        "ORDER BY seq",
        id, [&](sqlite3_stmt* s) {
          Transition t;
          t.call_id = id;
          t.from = parse_call_state(column_text(s, 0)).value_or(CallState::ringing);
          t.to = parse_call_state(column_text(s, 1)).value_or(CallState::ringing);
          t.at = from_ms(sqlite3_column_int64(s, 2));
          if (!column_null(s, 3)) t.reason = parse_end_reason(column_text(s, 3));
          if (auto v = column_optional_int(s, 4)) t.sip_status = static_cast<int>(*v);
          t.detail = column_text(s, 5);
          d.transitions.push_back(std::move(t));
        });
    if (!e)
      e = each_row(
          "SELECT seq, speaker, text, start_ms, end_ms, interrupted, cut_ms FROM transcript_segments WHERE "
          "call_id = ? "
          "ORDER BY seq, rowid",
          id, [&](sqlite3_stmt* s) {
            TranscriptSegment x;
            x.call_id = id;
            x.seq = sqlite3_column_int64(s, 0);
            x.speaker = parse_speaker(column_text(s, 1)).value_or(Speaker::caller);
            x.text = column_text(s, 2);
            x.start_ms = sqlite3_column_int64(s, 3);
            x.end_ms = sqlite3_column_int64(s, 4);
            x.interrupted = sqlite3_column_int64(s, 5) != 0;
            x.cut_ms = column_optional_int(s, 6);
            d.transcript.push_back(std::move(x));
          });
    if (!e)
      e = each_row(
          "SELECT turn, total_ms, endpointing_ms, end_of_speech_to_final_ms, final_to_reply_ms, "
          "reply_to_first_audio_ms, first_audio_to_first_frame_ms, recognition_ms, llm_first_token_ms "
          "FROM turn_metrics "
          "WHERE call_id = ? ORDER BY turn, rowid",
          id, [&](sqlite3_stmt* s) {
            TurnMetrics x;
            x.call_id = id;
            x.turn = sqlite3_column_int64(s, 0);
            x.total_ms = column_optional_real(s, 1);
            x.endpointing_ms = column_optional_real(s, 2);
            x.end_of_speech_to_final_ms = column_optional_real(s, 3);
            x.final_to_reply_ms = column_optional_real(s, 4);
            x.reply_to_first_audio_ms = column_optional_real(s, 5);
            x.first_audio_to_first_frame_ms = column_optional_real(s, 6);
            x.recognition_ms = column_optional_real(s, 7);
            x.llm_first_token_ms = column_optional_real(s, 8);
            d.turns.push_back(std::move(x));
          });
    if (!e)
      e = each_row(
          "SELECT digit, at_ms, duration_ms, source FROM dtmf WHERE call_id = ? ORDER BY at_ms, rowid", id,
          [&](sqlite3_stmt* s) {
            DtmfRecord x;
            x.call_id = id;
            auto digit = column_text(s, 0);
            x.digit = digit.empty() ? '?' : digit[0];
            x.at_ms = sqlite3_column_int64(s, 1);
            x.duration_ms = sqlite3_column_int64(s, 2);
            x.source = column_text(s, 3);
            d.dtmf.push_back(std::move(x));
          });
    if (!e)
      e = each_row(
          std::string("SELECT ") + kEventColumns + " FROM outbound_events WHERE call_id = ? ORDER BY id", id,
          [&](sqlite3_stmt* s) { d.events.push_back(read_event(s)); });
    if (e) return *e;
    return std::optional<CallDetail>(std::move(d));
  }

  std::string path_;
  std::mutex write_mutex_;
  std::mutex read_mutex_;
  Connection writer_;
  Connection reader_;
};

}  // namespace

StoreResult<std::unique_ptr<Store>> open_sqlite_store(const std::string& path) {
  if (path.empty() || path == ":memory:" || path.rfind("file::memory:", 0) == 0)
    return StoreError{
        StoreError::Kind::invalid,
        "sqlite: an in-memory database cannot be shared by the store's two connections: give a file"};
  auto store = std::make_unique<SqliteStore>();
  if (auto e = store->open(path)) return *e;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace va::calls
