// The call records store (issue 12, docs/benchmarks.md "Call records"): how many call-state transitions a
// backend keeps per second and how long each write takes, and how fast the admin API's list queries are with
// 100,000 stored calls (target: p95 < 20 ms for a filtered page of 50). Everything goes through
// calls::Store as voice-agent uses it, so the same program measures SQLite and PostgreSQL:
//
//   calls_store [--url sqlite:///path/calls.db | postgresql://user@host/db] [--calls 2000] [--fill 100000]
//               [--queries 200] [--time-limit 900] [--json FILE]
//
// Without --url the store is a fresh SQLite file in a temporary directory, removed at the end. A --url must
// name an empty database (the bench refuses one with calls in it: its figures would not be comparable); the
// calls written stay in it. For PostgreSQL, create a throwaway database and pass its URL (starting a
// private server, as the conformance tests do, can become an option when that backend lands).
//
// Phases, each bounded by --calls/--fill/--queries and by --time-limit:
//  1. Call lives on a fresh store: insert (ringing, call.started event), ringing→answered (call.answered),
//     answered→active, a transcript segment, a turn's metrics, active→ended (call.ended): six writes, three
//     of them transitions. From 1 writer thread and from 4 (each writer its own calls).
//  2. Fill to --fill calls through insert_call from 4 threads: a mix of states, directions, sources, callers
//     (a few frequent ones), 20 called numbers and 30 days of creation times.
//  3. Call lives again, 1 writer, on the filled store.
//  4. Admin reads: filtered pages of 50 (by state, by number, by time range, combined, deep cursor pages),
//     count_by_state, call_detail of phase-1 calls.
//
// The reference (machines here are noisy; we report ratios measured in the same run): for SQLite, the same
// rows written and read with the sqlite3 C API directly — the store's own schema (created by its migrate()
// in a second file), the same pragmas (WAL, synchronous=NORMAL), one transaction per store operation,
// prepared statements, no mapping to C++ values. Its transition is the minimal SQL a hand-written store
// would run (UPDATE … WHERE id AND state, INSERT transition, INSERT event); the store also reads the state
// first, to report a conflict with the state found. Reads run the same SELECT (the keyset taken from the
// previous page's last call, not from the store's cursor) on a second connection to the store's own file,
// reading every column as text. Store and reference alternate: writes in three rounds (reference, 1 writer,
// 4 writers), reads sample by sample. So the ratio is what calls::Store costs over bare SQLite for the same
// durable work. PostgreSQL has no reference yet (the comparable one is libpq running the same statements);
// its rows print the store's figures alone.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "calls/orchestrator.hpp"
#include "calls/store.hpp"

namespace {

using namespace va::calls;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

// --- Figures -------------------------------------------------------------------------------------------

struct Latencies {
  std::vector<double> us;  // one per operation, microseconds

  void add(Clock::duration d) { us.push_back(std::chrono::duration<double, std::micro>(d).count()); }
  void merge(const Latencies& other) { us.insert(us.end(), other.us.begin(), other.us.end()); }
  // Nearest rank.
  double percentile(double fraction) const {
    if (us.empty()) return 0;
    auto sorted = us;
    std::sort(sorted.begin(), sorted.end());
    auto rank = static_cast<std::size_t>(fraction * static_cast<double>(sorted.size()) + 0.999999);
    return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
  }
  double max() const { return us.empty() ? 0 : *std::max_element(us.begin(), us.end()); }
  json to_json() const {
    return {{"count", us.size()},
            {"p50_us", percentile(0.5)},
            {"p95_us", percentile(0.95)},
            {"p99_us", percentile(0.99)},
            {"max_us", max()}};
  }
};

std::string ms(double us) {
  char text[32];
  std::snprintf(text, sizeof text, us < 1000 ? "%.3f" : "%.2f", us / 1000);
  return text;
}

std::string ratio(double store, double reference) {
  if (reference <= 0) return "—";
  char text[32];
  std::snprintf(text, sizeof text, "%.2f×", store / reference);
  return text;
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "calls_store: %s\n", what.c_str());
  std::exit(1);
}

void check(const StoreStatus& status, const char* what) {
  if (status) fail(std::string(what) + ": " + status->message);
}

// --- The calls written ---------------------------------------------------------------------------------

Timestamp now() {
  return std::chrono::system_clock::now();
}

std::string phone(std::uint64_t n) {
  return "+7495" + std::to_string(1000000 + n % 9000000);
}

// A call as voice-agent records it at the start: a SIP or LiveKit call to one of our numbers.
CallRecord ringing_call(std::mt19937_64& random, Timestamp at) {
  CallRecord c;
  c.id = new_call_id();
  c.direction = random() % 10 < 7 ? Direction::inbound : Direction::outbound;
  c.source = random() % 10 < 8 ? Source::sip : Source::livekit;
  c.caller = phone(random());
  c.called = phone(random() % 20);
  c.trunk = "trunk-" + std::to_string(random() % 3);
  c.sip_call_id = new_call_id() + "@10.0.0.1";
  if (c.source == Source::livekit) {
    c.room = "call-" + c.id.substr(0, 12);
    c.participant_identity = "sip_" + c.caller;
  }
  c.flow = "reception";
  c.instance = "bench";
  c.attributes = {{"sip.trunkPhoneNumber", c.called}, {"x-customer-id", std::to_string(random() % 100000)}};
  c.created_at = at;
  return c;
}

TranscriptSegment segment(const std::string& call_id) {
  TranscriptSegment s;
  s.call_id = call_id;
  s.seq = 1;
  s.speaker = Speaker::caller;
  s.text = "Hello, I would like to move my appointment from Tuesday to Thursday afternoon, please.";
  s.start_ms = 1200;
  s.end_ms = 5400;
  return s;
}

TurnMetrics turn(const std::string& call_id) {
  TurnMetrics t;
  t.call_id = call_id;
  t.turn = 1;
  t.total_ms = 912.5;
  t.endpointing_ms = 300;
  t.end_of_speech_to_final_ms = 310.2;
  t.final_to_reply_ms = 402.7;
  t.reply_to_first_audio_ms = 180.4;
  t.first_audio_to_first_frame_ms = 19.2;
  t.recognition_ms = 288.0;
  t.llm_first_token_ms = 231.6;
  return t;
}

// The writes of one call's life, as prepared values: the store and the reference write the same ones.
struct CallLife {
  CallRecord ringing;
  OutboundEvent started, answered, ended;
  Transition to_answered, to_active, to_ended;
  CallUpdate answered_update, ended_update;
  TranscriptSegment said;
  TurnMetrics metrics;
};

CallLife call_life(std::mt19937_64& random) {
  CallLife life;
  const auto at = now();
  life.ringing = ringing_call(random, at);
  auto& c = life.ringing;
  life.started = call_event("call.started", c, nullptr, at);
  life.to_answered = {c.id, CallState::ringing, CallState::answered, at, std::nullopt, 200, ""};
  life.answered_update = {at, std::nullopt};
  auto answered = c;
  answered.state = CallState::answered;
  answered.answered_at = at;
  life.answered = call_event("call.answered", answered, nullptr, at);
  life.to_active = {c.id, CallState::answered, CallState::active, at, std::nullopt, std::nullopt, ""};
  life.said = segment(c.id);
  life.metrics = turn(c.id);
  life.to_ended = {c.id, CallState::active, CallState::ended, at, EndReason::caller_hangup, 200, "BYE"};
  life.ended_update = {std::nullopt, at};
  CallEnd end;
  end.reason = EndReason::caller_hangup;
  end.sip_status = 200;
  end.detail = "BYE";
  end.transcript = {life.said};
  end.turns = {life.metrics};
  auto ended = answered;
  ended.state = CallState::ended;
  ended.end_reason = EndReason::caller_hangup;
  ended.sip_status = 200;
  ended.ended_at = at;
  life.ended = call_event("call.ended", ended, &end, at);
  return life;
}

struct WriteLatencies {
  Latencies insert, transition, transcript, turns;
  void merge(const WriteLatencies& o) {
    insert.merge(o.insert);
    transition.merge(o.transition);
    transcript.merge(o.transcript);
    turns.merge(o.turns);
  }
  Latencies all() const {
    Latencies a;
    for (const auto* l : {&insert, &transition, &transcript, &turns}) a.merge(*l);
    return a;
  }
};

template <class F>
auto timed(Latencies& into, F&& f) {
  auto started = Clock::now();
  auto result = f();
  into.add(Clock::now() - started);
  return result;
}

void live_through_store(Store& store, const CallLife& l, WriteLatencies& w) {
  check(timed(w.insert, [&] { return store.insert_call(l.ringing, {l.started}); }), "insert_call");
  check(timed(w.transition,
              [&] { return store.apply_transition(l.to_answered, l.answered_update, {l.answered}); }),
        "apply_transition answered");
  check(timed(w.transition, [&] { return store.apply_transition(l.to_active, {}, {}); }),
        "apply_transition active");
  check(timed(w.transcript, [&] { return store.append_transcript({l.said}); }), "append_transcript");
  check(timed(w.turns, [&] { return store.append_turns({l.metrics}); }), "append_turns");
  check(timed(w.transition, [&] { return store.apply_transition(l.to_ended, l.ended_update, {l.ended}); }),
        "apply_transition ended");
}

// --- The reference: bare sqlite3 ---------------------------------------------------------------------------

std::int64_t to_ms(Timestamp t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

class RawSqlite {
 public:
  RawSqlite(const std::string& path, bool writer) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK)
      fail("reference: open " + path + ": " + sqlite3_errmsg(db_));
    sqlite3_busy_timeout(db_, 5000);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec("PRAGMA foreign_keys=ON");
    if (!writer) return;
    insert_call_ = prepare(
        "INSERT INTO calls (id, direction, source, state, end_reason, sip_status, caller, called, trunk, "
        "room, "
        "participant_identity, sip_call_id, flow, instance, attributes, recordings, created_at, answered_at, "
        "ended_at) VALUES (?,?,?,?,NULL,NULL,?,?,?,?,?,?,?,?,?,'[]',?,NULL,NULL)");
    update_state_ = prepare(
        "UPDATE calls SET state = ?, end_reason = COALESCE(?, end_reason), sip_status = COALESCE(?, "
        "sip_status), "
        "answered_at = COALESCE(?, answered_at), ended_at = COALESCE(?, ended_at) WHERE id = ? AND state = "
        "?");
    insert_transition_ = prepare(
        "INSERT INTO transitions (call_id, from_state, to_state, at, reason, sip_status, detail) "
        "VALUES (?,?,?,?,?,?,?)");
    insert_event_ = prepare(
        "INSERT INTO outbound_events (call_id, type, payload, created_at, attempts, next_attempt_at, "
        "delivered_at, "
        "last_error) VALUES (?,?,?,?,0,?,NULL,'')");
    insert_segment_ = prepare(
        "INSERT INTO transcript_segments (call_id, seq, speaker, text, start_ms, end_ms, interrupted, "
        "cut_ms) "
        "VALUES (?,?,?,?,?,?,?,NULL)");
    insert_turn_ = prepare(
        "INSERT INTO turn_metrics (call_id, turn, total_ms, endpointing_ms, end_of_speech_to_final_ms, "
        "final_to_reply_ms, reply_to_first_audio_ms, first_audio_to_first_frame_ms, recognition_ms, "
        "llm_first_token_ms) VALUES (?,?,?,?,?,?,?,?,?,?)");
  }
  ~RawSqlite() {
    for (auto* s :
         {insert_call_, update_state_, insert_transition_, insert_event_, insert_segment_, insert_turn_})
      sqlite3_finalize(s);
    for (auto& [sql, s] : selects_) sqlite3_finalize(s);
    sqlite3_close_v2(db_);
  }
  RawSqlite(const RawSqlite&) = delete;
  RawSqlite& operator=(const RawSqlite&) = delete;

  void live(const CallLife& l, WriteLatencies& w) {
    const auto& c = l.ringing;
    timed(w.insert, [&] {
      exec("BEGIN IMMEDIATE");
      bind(insert_call_, c.id, std::string(to_string(c.direction)), std::string(to_string(c.source)),
           std::string(to_string(c.state)), c.caller, c.called, c.trunk, c.room, c.participant_identity,
           c.sip_call_id, c.flow, c.instance, json(c.attributes).dump(), to_ms(c.created_at));
      step(insert_call_);
      insert_event(l.started);
      exec("COMMIT");
      return 0;
    });
    timed(w.transition, [&] { return transition(l.to_answered, l.answered_update, &l.answered); });
    timed(w.transition, [&] { return transition(l.to_active, {}, nullptr); });
    timed(w.transcript, [&] {
      exec("BEGIN IMMEDIATE");
      const auto& s = l.said;
      bind(insert_segment_, s.call_id, s.seq, std::string(to_string(s.speaker)), s.text, s.start_ms, s.end_ms,
           std::int64_t{s.interrupted});
      step(insert_segment_);
      exec("COMMIT");
      return 0;
    });
    timed(w.turns, [&] {
      exec("BEGIN IMMEDIATE");
      const auto& t = l.metrics;
      bind(insert_turn_, t.call_id, t.turn, *t.total_ms, *t.endpointing_ms, *t.end_of_speech_to_final_ms,
           *t.final_to_reply_ms, *t.reply_to_first_audio_ms, *t.first_audio_to_first_frame_ms,
           *t.recognition_ms, *t.llm_first_token_ms);
      step(insert_turn_);
      exec("COMMIT");
      return 0;
    });
    timed(w.transition, [&] { return transition(l.to_ended, l.ended_update, &l.ended); });
  }

  // Runs `sql` with `params` (text, or integer when the variant holds one) and reads every column of every
  // row as text: what a minimal reader of the page would do. Returns the rows read.
  using Param = std::variant<std::string, std::int64_t>;
  std::size_t select(const std::string& sql, const std::vector<Param>& params) {
    auto& s = selects_[sql];
    if (s == nullptr) s = prepare(sql.c_str());
    sqlite3_reset(s);
    int i = 0;
    for (const auto& p : params) {
      if (const auto* text = std::get_if<std::string>(&p))
        sqlite3_bind_text(s, ++i, text->data(), static_cast<int>(text->size()), SQLITE_TRANSIENT);
      else
        sqlite3_bind_int64(s, ++i, std::get<std::int64_t>(p));
    }
    std::size_t rows = 0;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      ++rows;
      for (int c = 0; c < sqlite3_column_count(s); ++c) {
        sqlite3_column_text(s, c);
        bytes_read_ += static_cast<std::size_t>(sqlite3_column_bytes(s, c));
      }
    }
    if (rc != SQLITE_DONE) fail(std::string("reference: select: ") + sqlite3_errmsg(db_));
    sqlite3_reset(s);
    return rows;
  }

 private:
  void exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
      std::string why = message ? message : sqlite3_errmsg(db_);
      sqlite3_free(message);
      fail(std::string("reference: ") + sql + ": " + why);
    }
  }
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK)
      fail(std::string("reference: prepare: ") + sqlite3_errmsg(db_) + " in " + sql);
    return s;
  }
  void bind_one(sqlite3_stmt* s, int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bind_one(sqlite3_stmt* s, int i, std::int64_t v) { sqlite3_bind_int64(s, i, v); }
  void bind_one(sqlite3_stmt* s, int i, double v) { sqlite3_bind_double(s, i, v); }
  void bind_one(sqlite3_stmt* s, int i, std::nullopt_t) { sqlite3_bind_null(s, i); }
  template <class... Values>
  void bind(sqlite3_stmt* s, const Values&... values) {
    sqlite3_reset(s);
    int i = 0;
    (bind_one(s, ++i, values), ...);
  }
  void step(sqlite3_stmt* s) {
    if (sqlite3_step(s) != SQLITE_DONE) fail(std::string("reference: step: ") + sqlite3_errmsg(db_));
  }
  void insert_event(const OutboundEvent& e) {
    bind(insert_event_, e.call_id, e.type, e.payload, to_ms(e.created_at), to_ms(*e.next_attempt_at));
    step(insert_event_);
  }
  int transition(const Transition& t, const CallUpdate& u, const OutboundEvent* e) {
    exec("BEGIN IMMEDIATE");
    const std::string reason = t.reason ? std::string(to_string(*t.reason)) : std::string();
    sqlite3_reset(update_state_);
    bind_one(update_state_, 1, std::string(to_string(t.to)));
    t.reason ? bind_one(update_state_, 2, reason) : bind_one(update_state_, 2, std::nullopt);
    t.sip_status ? bind_one(update_state_, 3, std::int64_t{*t.sip_status})
                 : bind_one(update_state_, 3, std::nullopt);
    u.answered_at ? bind_one(update_state_, 4, to_ms(*u.answered_at))
                  : bind_one(update_state_, 4, std::nullopt);
    u.ended_at ? bind_one(update_state_, 5, to_ms(*u.ended_at)) : bind_one(update_state_, 5, std::nullopt);
    bind_one(update_state_, 6, t.call_id);
    bind_one(update_state_, 7, std::string(to_string(t.from)));
    step(update_state_);
    if (sqlite3_changes(db_) != 1) fail("reference: call " + t.call_id + " not in the expected state");
    sqlite3_reset(insert_transition_);
    bind_one(insert_transition_, 1, t.call_id);
    bind_one(insert_transition_, 2, std::string(to_string(t.from)));
    bind_one(insert_transition_, 3, std::string(to_string(t.to)));
    bind_one(insert_transition_, 4, to_ms(t.at));
    t.reason ? bind_one(insert_transition_, 5, reason) : bind_one(insert_transition_, 5, std::nullopt);
    t.sip_status ? bind_one(insert_transition_, 6, std::int64_t{*t.sip_status})
                 : bind_one(insert_transition_, 6, std::nullopt);
    bind_one(insert_transition_, 7, t.detail);
    step(insert_transition_);
    if (e != nullptr) insert_event(*e);
    exec("COMMIT");
    return 0;
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_call_ = nullptr;
  sqlite3_stmt* update_state_ = nullptr;
  sqlite3_stmt* insert_transition_ = nullptr;
  sqlite3_stmt* insert_event_ = nullptr;
  sqlite3_stmt* insert_segment_ = nullptr;
  sqlite3_stmt* insert_turn_ = nullptr;
  std::map<std::string, sqlite3_stmt*> selects_;
  std::size_t bytes_read_ = 0;
};

// --- Phases --------------------------------------------------------------------------------------------

struct Options {
  std::string url;
  int calls = 2000;
  int fill = 100000;
  int queries = 200;
  double time_limit_s = 900;
  std::string json_path;
};

struct Deadline {
  Clock::time_point at;
  bool passed() const { return Clock::now() >= at; }
};

struct WriteRun {
  std::string name;
  int threads = 1;
  int calls = 0;
  double seconds = 0;
  WriteLatencies latencies;
  double transitions_per_s() const { return seconds > 0 ? 3.0 * calls / seconds : 0; }
  double writes_per_s() const { return seconds > 0 ? 6.0 * calls / seconds : 0; }
};

// `calls` lives from `threads` writers, each its own calls one after another.
void store_lives(Store& store, int calls, int threads, WriteRun& run, const Deadline& deadline) {
  std::vector<WriteLatencies> per_thread(static_cast<std::size_t>(threads));
  std::atomic<int> done{0};
  std::vector<std::thread> writers;
  auto started = Clock::now();
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&, t] {
      std::mt19937_64 random(static_cast<std::uint64_t>(t) * 7919 + static_cast<std::uint64_t>(run.calls));
      for (int i = t; i < calls && !deadline.passed(); i += threads) {
        live_through_store(store, call_life(random), per_thread[static_cast<std::size_t>(t)]);
        ++done;
      }
    });
  }
  for (auto& w : writers) w.join();
  run.seconds += std::chrono::duration<double>(Clock::now() - started).count();
  run.calls += done.load();
  run.threads = threads;
  for (const auto& l : per_thread) run.latencies.merge(l);
}

void reference_lives(RawSqlite& reference, int calls, WriteRun& run, const Deadline& deadline) {
  std::mt19937_64 random(static_cast<std::uint64_t>(run.calls) + 17);
  auto started = Clock::now();
  int done = 0;
  for (; done < calls && !deadline.passed(); ++done) reference.live(call_life(random), run.latencies);
  run.seconds += std::chrono::duration<double>(Clock::now() - started).count();
  run.calls += done;
}

// The stored mix: 95 % ended; callers drawn so that a few numbers call often; 20 called numbers; creation
// times over 30 days before `newest`.
struct FillPlan {
  Timestamp newest;
  Timestamp oldest;
  std::string frequent_caller;  // about 1 % of the calls
  std::string called_number;    // about 5 %
};

CallRecord stored_call(std::mt19937_64& random, const FillPlan& plan) {
  const auto span_ms = to_ms(plan.newest) - to_ms(plan.oldest);
  auto at = plan.oldest + std::chrono::milliseconds(static_cast<std::int64_t>(random() % span_ms));
  auto c = ringing_call(random, at);
  auto roll = random() % 1000;
  if (roll < 10) c.caller = plan.frequent_caller;
  static const CallState kLive[] = {CallState::ringing, CallState::answered, CallState::active,
                                    CallState::on_hold, CallState::transferring};
  auto state_roll = random() % 100;
  if (state_roll < 95) {
    c.state = CallState::ended;
    auto talk = std::chrono::seconds(5 + random() % 600);
    if (random() % 10 < 8) {
      c.answered_at = at + std::chrono::seconds(2);
      c.ended_at = *c.answered_at + talk;
      c.end_reason = random() % 3 == 0 ? EndReason::agent_hangup : EndReason::caller_hangup;
      c.sip_status = 200;
    } else {
      c.ended_at = at + std::chrono::seconds(20);
      c.end_reason = EndReason::rejected;
      c.sip_status = 486;
    }
  } else {
    c.state = kLive[random() % std::size(kLive)];
    if (c.state != CallState::ringing) c.answered_at = at + std::chrono::seconds(2);
  }
  return c;
}

double fill_store(Store& store, int count, const FillPlan& plan, const Deadline& deadline, int& filled) {
  constexpr int kThreads = 4;
  std::atomic<int> done{0};
  std::vector<std::thread> writers;
  auto started = Clock::now();
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      std::mt19937_64 random(1000003ULL * static_cast<std::uint64_t>(t + 1));
      for (int i = t; i < count && !deadline.passed(); i += kThreads) {
        check(store.insert_call(stored_call(random, plan), {}), "fill: insert_call");
        ++done;
      }
    });
  }
  for (auto& w : writers) w.join();
  filled = done.load();
  return std::chrono::duration<double>(Clock::now() - started).count();
}

// One kind of admin read: a filter per sample (the store's), and the same query as SQL for the reference.
struct ReadKind {
  std::string name;
  std::function<CallFilter(int sample)> filter;
  Latencies store, reference;
  std::size_t rows = 0;  // calls returned by the store, all samples
};

// The reference SELECT of a filter, with `after` the last call of the previous page (instead of the store's
// opaque cursor).
std::pair<std::string, std::vector<RawSqlite::Param>> reference_query(const CallFilter& f,
                                                                      const CallRecord* after) {
  std::string sql =
      "SELECT id, direction, source, state, end_reason, sip_status, caller, called, trunk, room, "
      "participant_identity, sip_call_id, flow, instance, attributes, recordings, created_at, answered_at, "
      "ended_at FROM calls WHERE 1";
  std::vector<RawSqlite::Param> params;
  if (f.state) {
    sql += " AND state = ?";
    params.emplace_back(std::string(to_string(*f.state)));
  }
  if (f.direction) {
    sql += " AND direction = ?";
    params.emplace_back(std::string(to_string(*f.direction)));
  }
  if (!f.number.empty()) {
    sql += " AND (caller = ? OR called = ?)";
    params.emplace_back(f.number);
    params.emplace_back(f.number);
  }
  if (f.created_from) {
    sql += " AND created_at >= ?";
    params.emplace_back(to_ms(*f.created_from));
  }
  if (f.created_to) {
    sql += " AND created_at < ?";
    params.emplace_back(to_ms(*f.created_to));
  }
  if (after != nullptr) {
    sql += " AND (created_at, id) < (?, ?)";
    params.emplace_back(to_ms(after->created_at));
    params.emplace_back(after->id);
  }
  sql += " ORDER BY created_at DESC, id DESC LIMIT " + std::to_string(f.limit + 1);
  return {sql, params};
}

void print_latency_row(const std::string& name, const Latencies& l, const Latencies* reference,
                       const char* verdict = nullptr) {
  std::printf("  %-34s %7zu %9s %9s %9s %9s", name.c_str(), l.us.size(), ms(l.percentile(0.5)).c_str(),
              ms(l.percentile(0.95)).c_str(), ms(l.percentile(0.99)).c_str(), ms(l.max()).c_str());
  if (reference != nullptr && !reference->us.empty())
    std::printf("   %9s %8s %8s", ms(reference->percentile(0.5)).c_str(),
                ratio(l.percentile(0.5), reference->percentile(0.5)).c_str(),
                ratio(l.percentile(0.99), reference->percentile(0.99)).c_str());
  if (verdict != nullptr) std::printf("   %s", verdict);
  std::printf("\n");
}

void print_write_run(const WriteRun& run, const WriteRun* reference) {
  std::printf("\n%s: %d calls from %d writer%s in %.2f s: %.0f transitions/s, %.0f writes/s",
              run.name.c_str(), run.calls, run.threads, run.threads == 1 ? "" : "s", run.seconds,
              run.transitions_per_s(), run.writes_per_s());
  if (reference != nullptr && reference->seconds > 0)
    std::printf(" (reference %.0f transitions/s: store/reference throughput %.2f)",
                reference->transitions_per_s(), run.transitions_per_s() / reference->transitions_per_s());
  std::printf("\n  %-34s %7s %9s %9s %9s %9s", "operation (ms)", "n", "p50", "p95", "p99", "max");
  if (reference != nullptr) std::printf("   %9s %8s %8s", "ref p50", "p50 ×", "p99 ×");
  std::printf("\n");
  const auto* r = reference != nullptr ? &reference->latencies : nullptr;
  print_latency_row("insert_call (+event)", run.latencies.insert, r ? &r->insert : nullptr);
  print_latency_row("apply_transition (+event)", run.latencies.transition, r ? &r->transition : nullptr);
  print_latency_row("append_transcript", run.latencies.transcript, r ? &r->transcript : nullptr);
  print_latency_row("append_turns", run.latencies.turns, r ? &r->turns : nullptr);
  auto all = run.latencies.all();
  auto all_reference = r ? r->all() : Latencies{};
  print_latency_row("every write", all, r ? &all_reference : nullptr);
}

json write_run_json(const WriteRun& run) {
  return {{"name", run.name},
          {"threads", run.threads},
          {"calls", run.calls},
          {"seconds", run.seconds},
          {"transitions_per_s", run.transitions_per_s()},
          {"writes_per_s", run.writes_per_s()},
          {"insert_call", run.latencies.insert.to_json()},
          {"apply_transition", run.latencies.transition.to_json()},
          {"append_transcript", run.latencies.transcript.to_json()},
          {"append_turns", run.latencies.turns.to_json()},
          {"every_write", run.latencies.all().to_json()}};
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail(flag + " needs a value");
      return argv[++i];
    };
    auto number = [&](int low, int high) {
      auto text = value();
      char* end = nullptr;
      long n = std::strtol(text.c_str(), &end, 10);
      if (end == text.c_str() || *end != '\0' || n < low || n > high)
        fail(flag + " " + text + ": expected " + std::to_string(low) + " to " + std::to_string(high));
      return static_cast<int>(n);
    };
    if (flag == "--url") {
      o.url = value();
    } else if (flag == "--calls") {
      o.calls = number(10, 1'000'000);
    } else if (flag == "--fill") {
      o.fill = number(1000, 10'000'000);
    } else if (flag == "--queries") {
      o.queries = number(10, 100'000);
    } else if (flag == "--time-limit") {
      o.time_limit_s = number(10, 86'400);
    } else if (flag == "--json") {
      o.json_path = value();
    } else {
      fail(
          "unknown option " + flag +
          "\nusage: calls_store [--url sqlite:///FILE | postgresql://…] [--calls N] [--fill N] [--queries N] "
          "[--time-limit S] [--json FILE]");
    }
  }
  return o;
}

// The SQLite file a URL names (store_url.cpp's forms), or empty for another backend.
std::string sqlite_path(const std::string& url) {
  if (url.starts_with("sqlite://")) return url.substr(9);
  if (url.starts_with("sqlite:")) return url.substr(7);
  if (url.find("://") == std::string::npos) return url;
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parse_options(argc, argv);
  const Deadline deadline{Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(options.time_limit_s))};
  std::filesystem::path scratch;
  if (options.url.empty()) {
    scratch = std::filesystem::temp_directory_path() / ("calls_store_bench." + std::to_string(::getpid()));
    std::filesystem::create_directories(scratch);
    options.url = "sqlite://" + (scratch / "calls.db").string();
  }
  auto opened = open_store(options.url);
  if (!opened.ok()) fail("open " + options.url + ": " + opened.error().message);
  auto store = std::move(opened.value());
  check(store->migrate(), "migrate");
  auto counts = store->count_by_state();
  if (!counts.ok()) fail("count_by_state: " + counts.error().message);
  std::int64_t existing = 0;
  for (const auto& [state, n] : *counts) existing += n;
  if (existing != 0)
    fail(options.url + " holds " + std::to_string(existing) + " calls: point --url at an empty database");

  // The reference, for SQLite: its own file for writes (the store's schema, by the store's migrate()), and a
  // second connection to the store's file for reads.
  const auto store_file = sqlite_path(options.url);
  std::unique_ptr<RawSqlite> reference_writer, reference_reader;
  std::filesystem::path reference_file;
  if (!store_file.empty()) {
    reference_file = std::filesystem::path(store_file).string() + ".reference";
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(reference_file.string() + suffix);
    {
      auto schema = open_store("sqlite://" + reference_file.string());
      if (!schema.ok()) fail("reference: " + schema.error().message);
      check(schema.value()->migrate(), "reference: migrate");
    }
    reference_writer = std::make_unique<RawSqlite>(reference_file.string(), true);
    reference_reader = std::make_unique<RawSqlite>(store_file, false);
  }
  std::printf("calls_store: %s store at %s; reference: %s\n", std::string(store->backend()).c_str(),
              options.url.c_str(),
              reference_writer ? "sqlite3 C API, same schema and pragmas" : "none for this backend (yet)");
  json report = {
      {"backend", std::string(store->backend())},
      {"sqlite_version", sqlite3_libversion()},
      {"options", {{"calls", options.calls}, {"fill", options.fill}, {"queries", options.queries}}}};

  // Writes the report and removes what the run created: at the end, or with the figures so far when
  // --time-limit cut the run short.
  auto finish = [&] {
    report["cut_short_by_time_limit"] = deadline.passed();
    if (deadline.passed()) std::printf("\n(cut short by --time-limit %.0f s)\n", options.time_limit_s);
    if (!options.json_path.empty()) {
      std::ofstream out(options.json_path);
      out << report.dump(2) << "\n";
      if (!out) fail("cannot write " + options.json_path);
    }
    store.reset();
    reference_writer.reset();
    reference_reader.reset();
    if (!reference_file.empty())
      for (const char* suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(reference_file.string() + suffix);
    if (!scratch.empty()) std::filesystem::remove_all(scratch);
    return 0;
  };

  // 1. Call lives on a fresh store, alternating in three rounds so that a noisy moment hits all three.
  WriteRun one, four, ref;
  one.name = four.name = "call lives, fresh store";
  four.threads = 4;
  ref.name = "reference";
  constexpr int kRounds = 3;
  for (int round = 0; round < kRounds && !deadline.passed(); ++round) {
    const int share = options.calls / kRounds + (round < options.calls % kRounds ? 1 : 0);
    if (reference_writer) reference_lives(*reference_writer, share, ref, deadline);
    store_lives(*store, share, 1, one, deadline);
    store_lives(*store, share, 4, four, deadline);
  }
  print_write_run(one, reference_writer ? &ref : nullptr);
  print_write_run(four, reference_writer ? &ref : nullptr);
  report["writes"] = {write_run_json(one), write_run_json(four)};
  if (reference_writer) report["writes_reference"] = write_run_json(ref);

  // Calls with a whole life (transitions, transcript, turn, events): the call_detail samples.
  std::vector<std::string> detailed;
  {
    auto page = store->list_calls(CallFilter{.state = CallState::ended,
                                             .direction = std::nullopt,
                                             .source = std::nullopt,
                                             .number = {},
                                             .instance = {},
                                             .created_from = std::nullopt,
                                             .created_to = std::nullopt,
                                             .limit = kMaxPageSize,
                                             .cursor = {}});
    if (!page.ok()) fail("list_calls: " + page.error().message);
    for (const auto& c : page->calls) detailed.push_back(c.id);
  }

  // 2. Fill.
  FillPlan plan;
  plan.newest = now() - std::chrono::hours(1);
  plan.oldest = plan.newest - std::chrono::hours(24 * 30);
  plan.frequent_caller = phone(4242);
  plan.called_number = phone(7);  // one of ringing_call's 20 called numbers
  const int to_fill = std::max(0, options.fill - one.calls - four.calls);
  int filled = 0;
  double fill_seconds = deadline.passed() ? 0 : fill_store(*store, to_fill, plan, deadline, filled);
  const int stored = filled + one.calls + four.calls;
  std::printf(
      "\nfill: %d calls through insert_call from 4 threads in %.1f s (%.0f calls/s); %d calls stored\n",
      filled, fill_seconds, fill_seconds > 0 ? filled / fill_seconds : 0.0, stored);
  report["fill"] = {{"calls", filled}, {"seconds", fill_seconds}, {"stored", stored}};

  // 3. Call lives on the filled store (1 writer).
  WriteRun filled_run;
  filled_run.name = "call lives, " + std::to_string(stored) + " calls stored";
  if (!deadline.passed()) store_lives(*store, options.calls / kRounds, 1, filled_run, deadline);
  print_write_run(filled_run, nullptr);
  report["writes_filled"] = write_run_json(filled_run);

  if (deadline.passed()) return finish();

  // Deep pages: the cursors of a walk through every call, kMaxPageSize at a time (a cursor is a position in
  // the list, valid for any page size); the reference gets the last call of the page before instead.
  std::vector<std::pair<std::string, CallRecord>> deep;  // (cursor, the call it follows)
  {
    CallFilter f;
    f.limit = kMaxPageSize;
    while (!deadline.passed()) {
      auto page = store->list_calls(f);
      if (!page.ok()) fail("list_calls: " + page.error().message);
      if (page->next_cursor.empty()) break;
      deep.emplace_back(page->next_cursor, page->calls.back());
      f.cursor = page->next_cursor;
    }
  }
  if (deep.empty()) fail("no deep pages: fewer than " + std::to_string(kMaxPageSize) + " calls stored");

  // 4. Admin reads.
  const auto span = plan.newest - plan.oldest;
  auto day_window = [&](int sample, CallFilter f) {
    auto offset = (span - std::chrono::hours(24)) * ((sample * 37) % 100) / 100;
    f.created_from = plan.oldest + std::chrono::duration_cast<std::chrono::milliseconds>(offset);
    f.created_to = *f.created_from + std::chrono::hours(24);
    return f;
  };
  std::vector<ReadKind> kinds;
  kinds.push_back({"newest 50, no filter", [](int) { return CallFilter{}; }, {}, {}, 0});
  kinds.push_back({"state=ended",
                   [](int) {
                     CallFilter f;
                     f.state = CallState::ended;
                     return f;
                   },
                   {},
                   {},
                   0});
  kinds.push_back({"state=active",
                   [](int) {
                     CallFilter f;
                     f.state = CallState::active;
                     return f;
                   },
                   {},
                   {},
                   0});
  kinds.push_back({"number=frequent caller (~1 %)",
                   [&](int) {
                     CallFilter f;
                     f.number = plan.frequent_caller;
                     return f;
                   },
                   {},
                   {},
                   0});
  kinds.push_back({"number=called number (~5 %)",
                   [&](int) {
                     CallFilter f;
                     f.number = plan.called_number;
                     return f;
                   },
                   {},
                   {},
                   0});
  kinds.push_back({"number=rare (0-1 calls)",
                   [&](int sample) {
                     CallFilter f;
                     f.number = phone(static_cast<std::uint64_t>(sample) * 104729 + 11);
                     return f;
                   },
                   {},
                   {},
                   0});
  kinds.push_back(
      {"time range: one day", [&](int sample) { return day_window(sample, CallFilter{}); }, {}, {}, 0});
  kinds.push_back({"ended+outbound+one day",
                   [&](int sample) {
                     CallFilter f;
                     f.state = CallState::ended;
                     f.direction = Direction::outbound;
                     return day_window(sample, f);
                   },
                   {},
                   {},
                   0});
  const std::size_t deep_kind = kinds.size();
  kinds.push_back({"deep page (cursor 500..end)",
                   [&](int sample) {
                     CallFilter f;
                     f.cursor = deep[static_cast<std::size_t>(sample) % deep.size()].first;
                     return f;
                   },
                   {},
                   {},
                   0});
  kinds.push_back({"deep page, state=ended",
                   [&](int sample) {
                     CallFilter f;
                     f.state = CallState::ended;
                     f.cursor = deep[static_cast<std::size_t>(sample) % deep.size()].first;
                     return f;
                   },
                   {},
                   {},
                   0});
  Latencies counts_latency, detail_latency;
  for (int sample = 0; sample < options.queries && !deadline.passed(); ++sample) {
    for (std::size_t k = 0; k < kinds.size(); ++k) {
      auto& kind = kinds[k];
      auto f = kind.filter(sample);
      auto page = timed(kind.store, [&] { return store->list_calls(f); });
      if (!page.ok()) fail(kind.name + ": " + page.error().message);
      kind.rows += page->calls.size();
      if (reference_reader) {
        const CallRecord* after =
            k >= deep_kind ? &deep[static_cast<std::size_t>(sample) % deep.size()].second : nullptr;
        auto [sql, params] = reference_query(f, after);
        auto rows = timed(kind.reference, [&] { return reference_reader->select(sql, params); });
        const auto expected =
            std::min<std::size_t>(page->calls.size() + (page->next_cursor.empty() ? 0 : 1), f.limit + 1);
        if (rows != expected)
          fail(kind.name + ": the reference read " + std::to_string(rows) + " rows, the store " +
               std::to_string(expected));
      }
    }
    auto c = timed(counts_latency, [&] { return store->count_by_state(); });
    if (!c.ok()) fail("count_by_state: " + c.error().message);
    if (!detailed.empty()) {
      const auto& id = detailed[static_cast<std::size_t>(sample) % detailed.size()];
      auto d = timed(detail_latency, [&] { return store->call_detail(id); });
      if (!d.ok() || !*d || (*d)->transitions.size() != 3 || (*d)->events.size() != 3)
        fail("call_detail " + id + ": not the call written");
    }
  }

  std::printf("\nadmin reads with %d calls stored, pages of 50%s\n  %-34s %7s %9s %9s %9s %9s", stored,
              reference_reader ? " (reference: the same SELECT on sqlite3)" : "", "query (ms)", "n", "p50",
              "p95", "p99", "max");
  if (reference_reader) std::printf("   %9s %8s %8s", "ref p50", "p50 ×", "p99 ×");
  std::printf("   p95 < 20 ms\n");
  json reads = json::array();
  bool all_within_target = true;
  for (const auto& kind : kinds) {
    const bool within = kind.store.percentile(0.95) < 20'000;
    all_within_target = all_within_target && within;
    print_latency_row(kind.name, kind.store, reference_reader ? &kind.reference : nullptr,
                      within ? "yes" : "NO");
    auto entry = kind.store.to_json();
    entry["name"] = kind.name;
    entry["mean_rows"] = kind.store.us.empty() ? 0.0 : static_cast<double>(kind.rows) / kind.store.us.size();
    if (reference_reader) entry["reference"] = kind.reference.to_json();
    reads.push_back(entry);
  }
  print_latency_row("count_by_state", counts_latency, nullptr);
  print_latency_row("call_detail (whole life)", detail_latency, nullptr);
  report["reads"] = reads;
  report["count_by_state"] = counts_latency.to_json();
  report["call_detail"] = detail_latency.to_json();
  report["reads_p95_within_20ms"] = all_within_target;
  return finish();
}
