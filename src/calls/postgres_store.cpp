#include "calls/postgres_store.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/connection>
#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/prepared_statement>
#include <pqxx/result>
#include <pqxx/transaction>
#include <utility>

#include "calls/postgres_connection_pool.hpp"
#include "calls/store_rows.hpp"

namespace va::calls {
namespace {

using rows::from_ms;
using rows::kCallColumns;
using rows::kEventColumns;
using rows::make_cursor;
using rows::parse_cursor;
using rows::to_ms;

// A statement parameter: text, or SQL NULL. Everything goes to the server as text (integers in decimal,
// reals in their shortest exact form) and is read by the type of the column it meets.
struct SqlValue {
  std::optional<std::string> text;
};

}  // namespace
}  // namespace va::calls

namespace pqxx {
template <>
struct string_traits<va::calls::SqlValue> {
  static constexpr const char* name() noexcept { return "va::calls::SqlValue"; }
  static constexpr bool has_null() noexcept { return true; }
  static bool is_null(const va::calls::SqlValue& v) { return !v.text; }
  static va::calls::SqlValue null() { return {}; }
  static std::string to_string(const va::calls::SqlValue& v) { return v.text.value_or(std::string()); }
};
}  // namespace pqxx

namespace va::calls {
namespace {

using json = nlohmann::json;

constexpr int kSchemaVersion = 2;

// Held for the length of a migration's transaction: instances starting together migrate one after the
// other, and the second finds the work done. Any constant unique among this database's advisory locks.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(130160651955315)";  // "vacalls"

// Migration n brings the schema from version n-1 to n. The same tables as the SQLite store's, with ids
// ordered bytewise (COLLATE "C") so pages and their cursors order exactly as SQLite's do whatever the
// database's locale; children get an identity column to keep their insertion order (SQLite's rowid).
// Event payloads are text, not jsonb: they go out byte for byte as signed.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE calls (
  id text COLLATE "C" PRIMARY KEY,
  direction text NOT NULL,
  source text NOT NULL,
  state text NOT NULL,
  end_reason text,
  sip_status integer,
  caller text NOT NULL,
  called text NOT NULL,
  trunk text NOT NULL,
  room text NOT NULL,
  participant_identity text NOT NULL,
  sip_call_id text NOT NULL,
  flow text NOT NULL,
  instance text NOT NULL,
  attributes jsonb NOT NULL,
  recordings jsonb NOT NULL,
  created_at bigint NOT NULL,
  answered_at bigint,
  ended_at bigint
);
CREATE INDEX calls_by_time ON calls (created_at DESC, id DESC);
CREATE INDEX calls_by_state ON calls (state, created_at DESC, id DESC);
CREATE INDEX calls_by_direction ON calls (direction, created_at DESC, id DESC);
CREATE INDEX calls_by_caller ON calls (caller, created_at DESC, id DESC);
CREATE INDEX calls_by_called ON calls (called, created_at DESC, id DESC);
CREATE INDEX calls_by_instance ON calls (instance, state);
CREATE INDEX calls_by_sip_call_id ON calls (sip_call_id, created_at DESC);
CREATE TABLE transitions (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id text COLLATE "C" NOT NULL REFERENCES calls (id),
  from_state text NOT NULL,
  to_state text NOT NULL,
  at bigint NOT NULL,
  reason text,
  sip_status integer,
  detail text NOT NULL
);
CREATE INDEX transitions_of_call ON transitions (call_id, seq);
CREATE TABLE transcript_segments (
  row_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id text COLLATE "C" NOT NULL REFERENCES calls (id),
  seq bigint NOT NULL,
  speaker text NOT NULL,
  text text NOT NULL,
  start_ms bigint NOT NULL,
  end_ms bigint NOT NULL,
  interrupted boolean NOT NULL,
  cut_ms bigint
);
CREATE INDEX transcript_of_call ON transcript_segments (call_id, seq);
CREATE TABLE turn_metrics (
  row_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id text COLLATE "C" NOT NULL REFERENCES calls (id),
  turn bigint NOT NULL,
  total_ms double precision,
  endpointing_ms double precision,
  end_of_speech_to_final_ms double precision,
  final_to_reply_ms double precision,
  reply_to_first_audio_ms double precision,
  first_audio_to_first_frame_ms double precision,
  recognition_ms double precision
);
CREATE INDEX turns_of_call ON turn_metrics (call_id, turn);
CREATE TABLE dtmf (
  row_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id text COLLATE "C" NOT NULL REFERENCES calls (id),
  digit text NOT NULL,
  at_ms bigint NOT NULL,
  duration_ms bigint NOT NULL,
  source text NOT NULL
);
CREATE INDEX dtmf_of_call ON dtmf (call_id, at_ms);
CREATE TABLE outbound_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id text COLLATE "C" NOT NULL REFERENCES calls (id),
  type text NOT NULL,
  payload text NOT NULL,
  created_at bigint NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at bigint,
  delivered_at bigint,
  last_error text NOT NULL DEFAULT ''
);
CREATE INDEX events_of_call ON outbound_events (call_id, id);
CREATE INDEX events_pending ON outbound_events (call_id, id) WHERE delivered_at IS NULL;
CREATE INDEX events_due ON outbound_events (next_attempt_at, id) WHERE delivered_at IS NULL;
)sql",
    // 2: the language model's request → its first text, per turn (voice::TurnMetrics::llm_first_token);
    // null for turns that no LLM answered, and for every turn stored before this version.
    R"sql(
ALTER TABLE turn_metrics ADD COLUMN llm_first_token_ms double precision;
)sql",
};
static_assert(std::size(kMigrations) == kSchemaVersion);

// The parameters of one statement, in order ($1, $2, ...).
class Params {
 public:
  Params& text(std::string v) {
    values_.push_back(SqlValue{std::move(v)});
    return *this;
  }
  Params& text(std::string_view v) { return text(std::string(v)); }
  Params& text(const char* v) { return text(std::string(v)); }
  Params& integer(std::int64_t v) { return text(std::to_string(v)); }
  Params& real(double v) {
    char buffer[64];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
    return text(std::string(buffer, ec == std::errc() ? end : buffer));
  }
  Params& boolean(bool v) { return text(v ? "true" : "false"); }
  Params& null() {
    values_.push_back(SqlValue{});
    return *this;
  }
  template <class T>
  Params& maybe(const std::optional<T>& v) {
    if (!v) return null();
    if constexpr (std::is_same_v<T, Timestamp>) {
      return integer(to_ms(*v));
    } else if constexpr (std::is_floating_point_v<T>) {
      return real(*v);
    } else {
      return integer(*v);
    }
  }
  template <class E>
  Params& maybe_name(const std::optional<E>& v) {
    return v ? text(to_string(*v)) : null();
  }
  const std::vector<SqlValue>& values() const { return values_; }

 private:
  std::vector<SqlValue> values_;
};

// A value PostgreSQL cannot store as given: text with a NUL byte, which libpq would cut short at the NUL.
struct UnstorableValue : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs `sql`, prepared once per connection, with `params`.
pqxx::result exec(pqxx::transaction_base& tx, PostgresConnection& connection, const std::string& sql,
                  const Params& params = {}) {
  for (const auto& v : params.values())
    if (v.text && v.text->find('\0') != std::string::npos)
      throw UnstorableValue("PostgreSQL text cannot hold a NUL byte");
  return tx.exec_prepared(connection.statement(sql), pqxx::prepare::make_dynamic_params(params.values()));
}

std::string text_of(const pqxx::field& f) {
  return f.is_null() ? std::string() : std::string(f.c_str(), f.size());
}
std::optional<std::int64_t> optional_int(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::int64_t>();
}
std::optional<double> optional_real(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<double>();
}
std::optional<Timestamp> optional_time(const pqxx::field& f) {
  auto v = optional_int(f);
  if (!v) return std::nullopt;
  return from_ms(*v);
}

// A row of kCallColumns; an `invalid` error when a stored value is not one this build knows.
StoreResult<CallRecord> read_call(const pqxx::row& r) {
  CallRecord c;
  c.id = text_of(r[0]);
  auto direction = parse_direction(text_of(r[1]));
  auto source = parse_source(text_of(r[2]));
  auto state = parse_call_state(text_of(r[3]));
  if (!direction || !source || !state)
    return StoreError{StoreError::Kind::invalid,
                      "postgresql: call " + c.id + ": unknown direction, source or state"};
  c.direction = *direction;
  c.source = *source;
  c.state = *state;
  if (!r[4].is_null()) c.end_reason = parse_end_reason(text_of(r[4]));
  if (auto v = optional_int(r[5])) c.sip_status = static_cast<int>(*v);
  c.caller = text_of(r[6]);
  c.called = text_of(r[7]);
  c.trunk = text_of(r[8]);
  c.room = text_of(r[9]);
  c.participant_identity = text_of(r[10]);
  c.sip_call_id = text_of(r[11]);
  c.flow = text_of(r[12]);
  c.instance = text_of(r[13]);
  auto attributes = json::parse(text_of(r[14]), nullptr, false);
  auto recordings = json::parse(text_of(r[15]), nullptr, false);
  if (attributes.is_discarded() || !attributes.is_object() || recordings.is_discarded() ||
      !recordings.is_array())
    return StoreError{StoreError::Kind::invalid,
                      "postgresql: call " + c.id + ": attributes or recordings are not JSON"};
  for (const auto& [k, v] : attributes.items())
    if (v.is_string()) c.attributes[k] = v.get<std::string>();
  for (const auto& v : recordings)
    if (v.is_string()) c.recordings.push_back(v.get<std::string>());
  c.created_at = from_ms(r[16].as<std::int64_t>());
  c.answered_at = optional_time(r[17]);
  c.ended_at = optional_time(r[18]);
  return c;
}

OutboundEvent read_event(const pqxx::row& r) {
  OutboundEvent e;
  e.id = r[0].as<std::int64_t>();
  e.call_id = text_of(r[1]);
  e.type = text_of(r[2]);
  e.payload = text_of(r[3]);
  e.created_at = from_ms(r[4].as<std::int64_t>());
  e.attempts = r[5].as<int>();
  e.next_attempt_at = optional_time(r[6]);
  e.delivered_at = optional_time(r[7]);
  e.last_error = text_of(r[8]);
  return e;
}

bool succeeded(const StoreStatus& s) {
  return !s;
}
template <class T>
bool succeeded(const StoreResult<T>& r) {
  return r.ok();
}

// Whether a call may run again after its connection broke: reads may, and so may a write whose transaction
// had not begun (nothing reached the server). A write cut short may or may not have committed.
enum class Repeat { safe, unless_started };

// SQLSTATE classes that mean the session is gone: 08 connection exception, 57 operator intervention (the
// server is shutting down or restarting).
bool ends_session(const std::string& sqlstate) {
  return sqlstate.starts_with("08") || sqlstate.starts_with("57");
}

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(const std::string& url)
      : pool_(url, kPostgresConnections, std::chrono::seconds(30)) {}

  std::string_view backend() const override { return "postgresql"; }

  StoreStatus migrate() override {
    for (int step = 0; step <= kSchemaVersion; ++step) {
      bool done = false;
      auto e = run<pqxx::work>(
          "migrate", Repeat::unless_started, [&](pqxx::work& tx, PostgresConnection&) -> StoreStatus {
            tx.exec(kMigrationLock);
            tx.exec("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)");
            auto r = tx.exec("SELECT MAX(version) FROM schema_version");
            int version = r[0][0].is_null() ? 0 : r[0][0].as<int>();
            if (version > kSchemaVersion)
              return StoreError{StoreError::Kind::invalid,
                                "postgresql: " + pool_.redacted_url() + " has schema version " +
                                    std::to_string(version) + ", newer than this build's " +
                                    std::to_string(kSchemaVersion) +
                                    ": upgrade voice-agent, or point storage.url at another database"};
            if (version == kSchemaVersion) {
              done = true;
              return std::nullopt;
            }
            tx.exec(kMigrations[version]);
            tx.exec("DELETE FROM schema_version; INSERT INTO schema_version VALUES (" +
                    std::to_string(version + 1) + ")");
            return std::nullopt;
          });
      if (e) return e;
      if (done) return std::nullopt;
    }
    return StoreError{StoreError::Kind::invalid, "postgresql: migrate: the schema version did not advance"};
  }

  StoreStatus insert_call(const CallRecord& c, const std::vector<OutboundEvent>& events) override {
    auto e = write(
        "insert call " + c.id,
        [&](pqxx::transaction_base& tx, PostgresConnection& pc) {
          exec(tx, pc,
               std::string("INSERT INTO calls (") + kCallColumns +
                   ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, "
                   "$18, "
                   "$19)",
               Params()
                   .text(c.id)
                   .text(to_string(c.direction))
                   .text(to_string(c.source))
                   .text(to_string(c.state))
                   .maybe_name(c.end_reason)
                   .maybe(c.sip_status)
                   .text(c.caller)
                   .text(c.called)
                   .text(c.trunk)
                   .text(c.room)
                   .text(c.participant_identity)
                   .text(c.sip_call_id)
                   .text(c.flow)
                   .text(c.instance)
                   .text(json(c.attributes).dump())
                   .text(json(c.recordings).dump())
                   .integer(to_ms(c.created_at))
                   .maybe(c.answered_at)
                   .maybe(c.ended_at));
          insert_events(tx, pc, events);
          return StoreStatus();
        },
        events.empty());
    if (e && e->kind == StoreError::Kind::conflict)
      e->message = "postgresql: a call with id " + c.id + " exists";
    return e;
  }

  StoreStatus apply_transition(const Transition& t, const CallUpdate& update,
                               const std::vector<OutboundEvent>& events) override {
    return write(
        "transition of call " + t.call_id,
        [&](pqxx::transaction_base& tx, PostgresConnection& pc) -> StoreStatus {
          // The row lock makes a concurrent transition of this call (another instance's) wait for our commit
          // and then see the state we wrote, so it fails the check below instead of overwriting it.
          auto stored =
              exec(tx, pc, "SELECT state FROM calls WHERE id = $1 FOR UPDATE", Params().text(t.call_id));
          if (stored.empty())
            return StoreError{StoreError::Kind::not_found, "postgresql: no call " + t.call_id};
          auto state = text_of(stored[0][0]);
          if (state != to_string(t.from))
            return StoreError{StoreError::Kind::conflict, "postgresql: call " + t.call_id + " is " + state +
                                                              ", not " + std::string(to_string(t.from))};
          exec(tx, pc,
               "UPDATE calls SET state = $2, end_reason = COALESCE($3, end_reason), "
               "sip_status = COALESCE($4, sip_status), answered_at = COALESCE($5, answered_at), "
               "ended_at = COALESCE($6, ended_at) WHERE id = $1",
               Params()
                   .text(t.call_id)
                   .text(to_string(t.to))
                   .maybe_name(t.reason)
                   .maybe(t.sip_status)
                   .maybe(update.answered_at)
                   .maybe(update.ended_at));
          exec(tx, pc,
               "INSERT INTO transitions (call_id, from_state, to_state, at, reason, sip_status, detail) "
               "VALUES ($1, $2, $3, $4, $5, $6, $7)",
               Params()
                   .text(t.call_id)
                   .text(to_string(t.from))
                   .text(to_string(t.to))
                   .integer(to_ms(t.at))
                   .maybe_name(t.reason)
                   .maybe(t.sip_status)
                   .text(t.detail));
          insert_events(tx, pc, events);
          return std::nullopt;
        });
  }

  StoreStatus update_metadata(const CallRecord& c) override {
    // One statement: jsonb merges the attributes (`||` on objects: the right side's keys win) and appends
    // the recordings (`||` on arrays) in the row, so concurrent updates of one call lose nothing.
    return write(
        "metadata of call " + c.id,
        [&](pqxx::transaction_base& tx, PostgresConnection& pc) -> StoreStatus {
          auto r = exec(tx, pc,
                        "UPDATE calls SET attributes = attributes || $2::jsonb, "
                        "recordings = recordings || $3::jsonb, trunk = COALESCE(NULLIF($4, ''), trunk), "
                        "room = COALESCE(NULLIF($5, ''), room), "
                        "participant_identity = COALESCE(NULLIF($6, ''), participant_identity), "
                        "sip_call_id = COALESCE(NULLIF($7, ''), sip_call_id), "
                        "flow = COALESCE(NULLIF($8, ''), flow) WHERE id = $1",
                        Params()
                            .text(c.id)
                            .text(json(c.attributes).dump())
                            .text(json(c.recordings).dump())
                            .text(c.trunk)
                            .text(c.room)
                            .text(c.participant_identity)
                            .text(c.sip_call_id)
                            .text(c.flow));
          if (r.affected_rows() == 0)
            return StoreError{StoreError::Kind::not_found, "postgresql: no call " + c.id};
          return std::nullopt;
        },
        true);
  }

  StoreStatus append_transcript(const std::vector<TranscriptSegment>& segments) override {
    if (segments.empty()) return std::nullopt;
    return write(
        "append transcript",
        [&](pqxx::transaction_base& tx, PostgresConnection& pc) {
          for (const auto& x : segments)
            exec(tx, pc,
                 "INSERT INTO transcript_segments (call_id, seq, speaker, text, start_ms, end_ms, "
                 "interrupted, "
                 "cut_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                 Params()
                     .text(x.call_id)
                     .integer(x.seq)
                     .text(to_string(x.speaker))
                     .text(x.text)
                     .integer(x.start_ms)
                     .integer(x.end_ms)
                     .boolean(x.interrupted)
                     .maybe(x.cut_ms));
          return StoreStatus();
        },
        segments.size() == 1);
  }

  StoreStatus append_turns(const std::vector<TurnMetrics>& turns) override {
    if (turns.empty()) return std::nullopt;
    return write(
        "append turns",
        [&](pqxx::transaction_base& tx, PostgresConnection& pc) {
          for (const auto& x : turns)
            exec(tx, pc,
                 "INSERT INTO turn_metrics (call_id, turn, total_ms, endpointing_ms, "
                 "end_of_speech_to_final_ms, "
                 "final_to_reply_ms, reply_to_first_audio_ms, first_audio_to_first_frame_ms, recognition_ms, "
                 "llm_first_token_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                 Params()
                     .text(x.call_id)
                     .integer(x.turn)
                     .maybe(x.total_ms)
                     .maybe(x.endpointing_ms)
                     .maybe(x.end_of_speech_to_final_ms)
                     .maybe(x.final_to_reply_ms)
                     .maybe(x.reply_to_first_audio_ms)
                     .maybe(x.first_audio_to_first_frame_ms)
                     .maybe(x.recognition_ms)
                     .maybe(x.llm_first_token_ms));
          return StoreStatus();
        },
        turns.size() == 1);
  }

  StoreStatus append_dtmf(const std::vector<DtmfRecord>& digits) override {
    if (digits.empty()) return std::nullopt;
    return write(
        "append dtmf",
        [&](pqxx::transaction_base& tx, PostgresConnection& pc) {
          for (const auto& x : digits)
            exec(tx, pc,
                 "INSERT INTO dtmf (call_id, digit, at_ms, duration_ms, source) VALUES ($1, $2, $3, $4, $5)",
                 Params()
                     .text(x.call_id)
                     .text(std::string(1, x.digit))
                     .integer(x.at_ms)
                     .integer(x.duration_ms)
                     .text(x.source));
          return StoreStatus();
        },
        digits.size() == 1);
  }

  StoreResult<std::optional<CallRecord>> find_call(const std::string& id) override {
    return read("read call " + id, [&](pqxx::transaction_base& tx, PostgresConnection& pc) {
      return one_call(tx, pc, std::string("SELECT ") + kCallColumns + " FROM calls WHERE id = $1", id);
    });
  }

  StoreResult<std::optional<CallRecord>> find_by_sip_call_id(const std::string& sip_call_id) override {
    return read("find call by SIP Call-ID", [&](pqxx::transaction_base& tx, PostgresConnection& pc) {
      return one_call(tx, pc,
                      std::string("SELECT ") + kCallColumns +
                          " FROM calls WHERE sip_call_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
                      sip_call_id);
    });
  }

  StoreResult<std::optional<CallDetail>> call_detail(const std::string& id) override {
    // One snapshot: the call and its children as of one commit.
    using Snapshot = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;
    return run<Snapshot>("read call " + id, Repeat::safe,
                         [&](Snapshot& tx, PostgresConnection& pc) { return read_detail(tx, pc, id); });
  }

  StoreResult<CallPage> list_calls(const CallFilter& f) override {
    std::string sql = std::string("SELECT ") + kCallColumns + " FROM calls WHERE TRUE";
    Params params;
    int n = 0;
    auto next = [&] { return "$" + std::to_string(++n); };
    if (f.state) {
      sql += " AND state = " + next();
      params.text(to_string(*f.state));
    }
    if (f.direction) {
      sql += " AND direction = " + next();
      params.text(to_string(*f.direction));
    }
    if (f.source) {
      sql += " AND source = " + next();
      params.text(to_string(*f.source));
    }
    if (!f.number.empty()) {
      auto p = next();
      sql += " AND (caller = " + p + " OR called = " + p + ")";
      params.text(f.number);
    }
    if (!f.instance.empty()) {
      sql += " AND instance = " + next();
      params.text(f.instance);
    }
    if (f.created_from) {
      sql += " AND created_at >= " + next();
      params.integer(to_ms(*f.created_from));
    }
    if (f.created_to) {
      sql += " AND created_at < " + next();
      params.integer(to_ms(*f.created_to));
    }
    if (!f.cursor.empty()) {
      auto cursor = parse_cursor(f.cursor);
      if (!cursor) return StoreError{StoreError::Kind::invalid, "postgresql: not a page cursor: " + f.cursor};
      auto at = next();
      auto id = next();
      // A row comparison, which the (created_at DESC, id DESC) indexes answer with one range scan: a deep
      // page costs what the first does (the OR form scanned every newer call).
      sql += " AND (created_at, id) < (" + at + ", " + id + ")";
      params.integer(cursor->first).text(cursor->second);
    }
    const std::size_t limit = std::clamp<std::size_t>(f.limit, 1, kMaxPageSize);
    sql += " ORDER BY created_at DESC, id DESC LIMIT " + next();
    params.integer(static_cast<std::int64_t>(limit + 1));

    return read("list calls",
                [&](pqxx::transaction_base& tx, PostgresConnection& pc) -> StoreResult<CallPage> {
                  auto rows = exec(tx, pc, sql, params);
                  CallPage page;
                  for (const auto& row : rows) {
                    if (page.calls.size() == limit) {
                      page.next_cursor = make_cursor(page.calls.back());
                      break;
                    }
                    auto call = read_call(row);
                    if (!call.ok()) return call.error();
                    page.calls.push_back(std::move(call.value()));
                  }
                  return page;
                });
  }

  StoreResult<std::map<CallState, std::int64_t>> count_by_state() override {
    return read("count calls", [&](pqxx::transaction_base& tx, PostgresConnection& pc) {
      std::map<CallState, std::int64_t> counts;
      for (const auto& row : exec(tx, pc, "SELECT state, COUNT(*) FROM calls GROUP BY state"))
        if (auto state = parse_call_state(text_of(row[0]))) counts[*state] = row[1].as<std::int64_t>();
      return StoreResult<std::map<CallState, std::int64_t>>(std::move(counts));
    });
  }

  StoreResult<std::vector<OutboundEvent>> due_events(Timestamp now, std::size_t limit,
                                                     const std::string& instance) override {
    return read("due events", [&](pqxx::transaction_base& tx, PostgresConnection& pc) {
      std::vector<OutboundEvent> events;
      auto rows =
          exec(tx, pc,
               std::string("SELECT ") + kEventColumns +
                   " FROM outbound_events e WHERE delivered_at IS NULL AND next_attempt_at <= $1 AND id = "
                   "(SELECT MIN(id) FROM outbound_events p WHERE p.call_id = e.call_id AND p.delivered_at IS "
                   "NULL) AND ($3 = '' OR e.call_id IN (SELECT c.id FROM calls c WHERE c.instance = $3)) "
                   "ORDER BY id LIMIT $2",
               Params().integer(to_ms(now)).integer(static_cast<std::int64_t>(limit)).text(instance));
      for (const auto& row : rows) events.push_back(read_event(row));
      return StoreResult<std::vector<OutboundEvent>>(std::move(events));
    });
  }

  StoreStatus mark_delivered(std::int64_t event_id, Timestamp at) override {
    return write(
        "mark event " + std::to_string(event_id) + " delivered",
        [&](pqxx::transaction_base& tx, PostgresConnection& pc) -> StoreStatus {
          auto r = exec(tx, pc,
                        "UPDATE outbound_events SET delivered_at = $2, attempts = attempts + 1 WHERE id = $1",
                        Params().integer(event_id).integer(to_ms(at)));
          if (r.affected_rows() == 0)
            return StoreError{StoreError::Kind::not_found,
                              "postgresql: no event " + std::to_string(event_id)};
          return std::nullopt;
        },
        true);
  }

  StoreStatus mark_attempt_failed(std::int64_t event_id, Timestamp next_attempt,
                                  const std::string& why) override {
    return write(
        "mark event " + std::to_string(event_id) + " failed",
        [&](pqxx::transaction_base& tx, PostgresConnection& pc) -> StoreStatus {
          auto r = exec(tx, pc,
                        "UPDATE outbound_events SET attempts = attempts + 1, next_attempt_at = $2, "
                        "last_error = $3 WHERE id = $1",
                        Params().integer(event_id).integer(to_ms(next_attempt)).text(why));
          if (r.affected_rows() == 0)
            return StoreError{StoreError::Kind::not_found,
                              "postgresql: no event " + std::to_string(event_id)};
          return std::nullopt;
        },
        true);
  }

  StoreResult<std::int64_t> outbox_backlog() override {
    return read("outbox backlog", [&](pqxx::transaction_base& tx, PostgresConnection& pc) {
      auto r = exec(tx, pc, "SELECT COUNT(*) FROM outbound_events WHERE delivered_at IS NULL");
      return StoreResult<std::int64_t>(r[0][0].as<std::int64_t>());
    });
  }

 private:
  // Runs `body(tx, connection)` in a transaction of type Tx on a pooled connection and commits when it
  // succeeds; a body that returns an error, or throws, leaves nothing behind. Every libpqxx exception
  // becomes a StoreError here.
  template <class Tx, class Body>
  auto run(const std::string& what, Repeat repeat, Body body)
      -> decltype(body(std::declval<Tx&>(), std::declval<PostgresConnection&>())) {
    for (int attempt = 0;; ++attempt) {
      auto lease = pool_.acquire();
      if (!lease.ok()) return lease.error();
      bool started = false;
      bool broken = false;
      StoreError error;
      try {
        Tx tx(lease.value()->get());
        started = true;
        auto result = body(tx, *lease.value());
        if (succeeded(result)) tx.commit();
        return result;
      } catch (const pqxx::broken_connection& e) {
        broken = true;
        error =
            failure(StoreError::Kind::unavailable, what, "lost the connection to " + pool_.redacted_url(), e);
      } catch (const pqxx::in_doubt_error& e) {
        broken = true;
        error = failure(StoreError::Kind::unavailable, what,
                        "the connection broke while committing; the change may or may not be stored", e);
      } catch (const pqxx::unique_violation& e) {
        error = failure(StoreError::Kind::conflict, what, "", e);
      } catch (const pqxx::integrity_constraint_violation& e) {
        error = failure(StoreError::Kind::invalid, what, "", e);
      } catch (const pqxx::data_exception& e) {
        error = failure(StoreError::Kind::invalid, what, "", e);
      } catch (const pqxx::sql_error& e) {
        broken = ends_session(e.sqlstate());
        error = failure(StoreError::Kind::unavailable, what, "", e);
      } catch (const UnstorableValue& e) {
        error = failure(StoreError::Kind::invalid, what, "", e);
      } catch (const pqxx::conversion_error& e) {
        error = failure(StoreError::Kind::invalid, what, "a stored value is not of its column's type", e);
      } catch (const std::exception& e) {
        broken = !lease.value()->get().is_open();
        error = failure(StoreError::Kind::unavailable, what, "", e);
      }
      if (broken) lease.value().mark_broken();
      if (broken && attempt == 0 && (repeat == Repeat::safe || !started)) continue;
      return error;
    }
  }

  // A read of committed data: one statement, or several the caller does not need consistent.
  template <class Body>
  auto read(const std::string& what, Body body)
      -> decltype(body(std::declval<pqxx::nontransaction&>(), std::declval<PostgresConnection&>())) {
    return run<pqxx::nontransaction>(what, Repeat::safe, body);
  }

  // A write: in a transaction, or — `one_statement`, atomic by itself — without one, saving the BEGIN and
  // COMMIT round trips.
  template <class Body>
  StoreStatus write(const std::string& what, Body body, bool one_statement = false) {
    if (one_statement) return run<pqxx::nontransaction>(what, Repeat::unless_started, body);
    return run<pqxx::work>(what, Repeat::unless_started, body);
  }

  StoreError failure(StoreError::Kind kind, const std::string& what, const std::string& context,
                     const std::exception& e) const {
    std::string why = e.what();
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    for (auto& c : why)
      if (c == '\n' || c == '\t') c = ' ';
    std::string message = "postgresql: " + what + ": ";
    if (!context.empty()) message += context + ": ";
    return StoreError{kind, scrub_password(message + why, pool_.url())};
  }

  static void insert_events(pqxx::transaction_base& tx, PostgresConnection& pc,
                            const std::vector<OutboundEvent>& events) {
    for (const auto& e : events)
      exec(tx, pc,
           "INSERT INTO outbound_events (call_id, type, payload, created_at, attempts, next_attempt_at, "
           "delivered_at, last_error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
           Params()
               .text(e.call_id)
               .text(e.type)
               .text(e.payload)
               .integer(to_ms(e.created_at))
               .integer(e.attempts)
               .integer(to_ms(e.next_attempt_at.value_or(e.created_at)))
               .maybe(e.delivered_at)
               .text(e.last_error));
  }

  static StoreResult<std::optional<CallRecord>> one_call(pqxx::transaction_base& tx, PostgresConnection& pc,
                                                         const std::string& sql, const std::string& key) {
    auto rows = exec(tx, pc, sql, Params().text(key));
    if (rows.empty()) return std::optional<CallRecord>();
    auto call = read_call(rows[0]);
    if (!call.ok()) return call.error();
    return std::optional<CallRecord>(std::move(call.value()));
  }

  static StoreResult<std::optional<CallDetail>> read_detail(pqxx::transaction_base& tx,
                                                            PostgresConnection& pc, const std::string& id) {
    auto call = one_call(tx, pc, std::string("SELECT ") + kCallColumns + " FROM calls WHERE id = $1", id);
    if (!call.ok()) return call.error();
    if (!*call) return std::optional<CallDetail>();
    CallDetail d;
    d.call = std::move(**call);
    const auto key = Params().text(id);
    for (const auto& r : exec(tx, pc,
                              "SELECT from_state, to_state, at, reason, sip_status, detail FROM transitions "
                              "WHERE call_id = $1 ORDER BY seq",
                              key)) {
      Transition t;
      t.call_id = id;
      t.from = parse_call_state(text_of(r[0])).value_or(CallState::ringing);
      t.to = parse_call_state(text_of(r[1])).value_or(CallState::ringing);
      t.at = from_ms(r[2].as<std::int64_t>());
      if (!r[3].is_null()) t.reason = parse_end_reason(text_of(r[3]));
      if (auto v = optional_int(r[4])) t.sip_status = static_cast<int>(*v);
      t.detail = text_of(r[5]);
      d.transitions.push_back(std::move(t));
    }
    for (const auto& r : exec(tx, pc,
                              "SELECT seq, speaker, text, start_ms, end_ms, interrupted, cut_ms FROM "
                              "transcript_segments WHERE call_id = $1 ORDER BY seq, row_id",
                              key)) {
      TranscriptSegment x;
      x.call_id = id;
      x.seq = r[0].as<std::int64_t>();
      x.speaker = parse_speaker(text_of(r[1])).value_or(Speaker::caller);
      x.text = text_of(r[2]);
      x.start_ms = r[3].as<std::int64_t>();
      x.end_ms = r[4].as<std::int64_t>();
      x.interrupted = r[5].as<bool>();
      x.cut_ms = optional_int(r[6]);
      d.transcript.push_back(std::move(x));
    }
    for (const auto& r : exec(tx, pc,
                              "SELECT turn, total_ms, endpointing_ms, end_of_speech_to_final_ms, "
                              "final_to_reply_ms, reply_to_first_audio_ms, first_audio_to_first_frame_ms, "
                              "recognition_ms, llm_first_token_ms FROM turn_metrics WHERE call_id = $1 "
                              "ORDER BY turn, row_id",
                              key)) {
      TurnMetrics x;
      x.call_id = id;
      x.turn = r[0].as<std::int64_t>();
      x.total_ms = optional_real(r[1]);
      x.endpointing_ms = optional_real(r[2]);
      x.end_of_speech_to_final_ms = optional_real(r[3]);
      x.final_to_reply_ms = optional_real(r[4]);
      x.reply_to_first_audio_ms = optional_real(r[5]);
      x.first_audio_to_first_frame_ms = optional_real(r[6]);
      x.recognition_ms = optional_real(r[7]);
      x.llm_first_token_ms = optional_real(r[8]);
      d.turns.push_back(std::move(x));
    }
    for (const auto& r : exec(tx, pc,
                              "SELECT digit, at_ms, duration_ms, source FROM dtmf WHERE call_id = $1 "
                              "ORDER BY at_ms, row_id",
                              key)) {
      DtmfRecord x;
      x.call_id = id;
      auto digit = text_of(r[0]);
      x.digit = digit.empty() ? '?' : digit[0];
      x.at_ms = r[1].as<std::int64_t>();
      x.duration_ms = r[2].as<std::int64_t>();
      x.source = text_of(r[3]);
      d.dtmf.push_back(std::move(x));
    }
    for (const auto& r :
         exec(tx, pc,
              std::string("SELECT ") + kEventColumns + " FROM outbound_events WHERE call_id = $1 ORDER BY id",
              key))
      d.events.push_back(read_event(r));
    return std::optional<CallDetail>(std::move(d));
  }

  PostgresConnectionPool pool_;
};

}  // namespace

StoreResult<std::unique_ptr<Store>> open_postgres_store(const std::string& url) {
  if (!url.starts_with("postgres://") && !url.starts_with("postgresql://"))
    return StoreError{StoreError::Kind::invalid,
                      "postgresql: not a postgres:// or postgresql:// URL: " + redact_postgres_url(url)};
  return std::unique_ptr<Store>(std::make_unique<PostgresStore>(url));
}

}  // namespace va::calls
