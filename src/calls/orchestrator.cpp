#include "calls/orchestrator.hpp"

#include <openssl/rand.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "calls/call_json.hpp"
#include "common/log.hpp"

namespace va::calls {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::system_clock;

// The store keeps milliseconds: so does every timestamp made here, so what is kept reads back equal.
Timestamp now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(Clock::now());
}

template <class T>
json optional_value(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

double talk_seconds(const CallRecord& c) {
  if (!c.answered_at || !c.ended_at) return 0;
  return std::chrono::duration<double>(*c.ended_at - *c.answered_at).count();
}

StepError store_error(const StoreError& e) {
  return {StepError::Kind::store, e.message};
}

}  // namespace

std::string iso8601(Timestamp t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  std::array<char, 80> out{};  // room for any ints in the fields: g++ -O2 -Wformat-truncation counts them
  std::snprintf(out.data(), out.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return out.data();
}

static json optional_time(const std::optional<Timestamp>& t) {
  return t ? json(iso8601(*t)) : json(nullptr);
}

json call_json(const CallRecord& c) {
  return {{"id", c.id},
          {"direction", to_string(c.direction)},
          {"source", to_string(c.source)},
          {"state", to_string(c.state)},
          {"caller", c.caller},
          {"called", c.called},
          {"trunk", c.trunk},
          {"room", c.room},
          {"participant_identity", c.participant_identity},
          {"sip_call_id", c.sip_call_id},
          {"flow", c.flow},
          {"instance", c.instance},
          {"attributes", c.attributes},
          {"recordings", c.recordings},
          {"created_at", iso8601(c.created_at)},
          {"answered_at", optional_time(c.answered_at)},
          {"ended_at", optional_time(c.ended_at)},
          {"end_reason", c.end_reason ? json(std::string(to_string(*c.end_reason))) : json(nullptr)},
          {"sip_status", optional_value(c.sip_status)}};
}

std::string new_call_id() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // OpenSSL's CSPRNG does not fail once seeded; if it ever does, the clock and a counter still keep ids
    // unique within this process, and the store refuses a duplicate (conflict) rather than merging calls.
    static std::atomic<std::uint64_t> counter{0};
    auto t = static_cast<std::uint64_t>(Clock::now().time_since_epoch().count());
    auto n = counter.fetch_add(1);
    for (std::size_t i = 0; i < 8; ++i) {
      bytes[i] = static_cast<unsigned char>(t >> (8 * i));
      bytes[8 + i] = static_cast<unsigned char>(n >> (8 * i));
    }
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(32);
  for (auto b : bytes) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 15]);
  }
  return id;
}

std::string call_event_payload(std::string_view type, const CallRecord& call, const CallEnd* end,
                               Timestamp at) {
  json body = {{"type", type}, {"at", iso8601(at)}, {"call", call_json(call)}};
  if (end) {
    json transcript = json::array();
    int interrupted = 0;
    for (const auto& s : end->transcript) {
      if (s.interrupted) ++interrupted;
      transcript.push_back({{"speaker", to_string(s.speaker)},
                            {"text", s.text},
                            {"start_ms", s.start_ms},
                            {"end_ms", s.end_ms},
                            {"interrupted", s.interrupted},
                            {"cut_ms", optional_value(s.cut_ms)}});
    }
    json turns = json::array();
    for (const auto& t : end->turns) {
      turns.push_back({{"turn", t.turn},
                       {"total_ms", optional_value(t.total_ms)},
                       {"endpointing_ms", optional_value(t.endpointing_ms)},
                       {"end_of_speech_to_final_ms", optional_value(t.end_of_speech_to_final_ms)},
                       {"final_to_reply_ms", optional_value(t.final_to_reply_ms)},
                       {"reply_to_first_audio_ms", optional_value(t.reply_to_first_audio_ms)},
                       {"first_audio_to_first_frame_ms", optional_value(t.first_audio_to_first_frame_ms)},
                       {"recognition_ms", optional_value(t.recognition_ms)},
                       {"llm_first_token_ms", optional_value(t.llm_first_token_ms)}});
    }
    std::string digits;
    for (const auto& d : end->dtmf) digits.push_back(d.digit);
    body["summary"] = {{"talk_seconds", talk_seconds(call)},
                       {"segments", end->transcript.size()},
                       {"interrupted_segments", interrupted},
                       {"turns", end->turns.size()},
                       {"dtmf", digits},
                       {"detail", end->detail}};
    body["transcript"] = std::move(transcript);
    body["metrics"] = std::move(turns);
  }
  return body.dump();
}

Orchestrator::Orchestrator(Store& store, OrchestratorOptions options, metrics::Registry& metrics)
    : store_(store),
      options_(std::move(options)),
      by_state_(metrics.gauge("calls_state", "Calls this instance runs now, by state", {"state"})),
      started_(metrics.counter("calls_started_total", "Calls started, by direction and source",
                               {"direction", "source"})),
      ended_(metrics.counter("calls_ended_total", "Calls ended, by reason", {"reason"})),
      duration_(metrics
                    .histogram("calls_duration_seconds", "Talk time of answered calls (answer to end)", {},
                               {5, 15, 30, 60, 120, 300, 600, 1800, 3600})
                    .get()),
      store_latency_(
          metrics.histogram("calls_store_seconds", "Store operations of the orchestrator", {"op"})),
      refused_(metrics.counter(
          "calls_refused_steps_total",
          "Call steps refused: not allowed by the state machine, or not kept by the store", {"reason"})) {
  for (auto s : {CallState::ringing, CallState::answered, CallState::active, CallState::on_hold,
                 CallState::transferring})
    by_state_.with({std::string(to_string(s))}).set(0);
}

void Orchestrator::count_state(CallState state, double by) {
  if (state != CallState::ended) by_state_.with({std::string(to_string(state))}).inc(by);
}

Result<std::string, StepError> Orchestrator::call_started(const CallStart& start) {
  CallRecord call;
  call.id = start.id.empty() ? new_call_id() : start.id;
  call.direction = start.direction;
  call.source = start.source;
  call.caller = start.caller;
  call.called = start.called;
  call.trunk = start.trunk;
  call.room = start.room;
  call.participant_identity = start.participant_identity;
  call.sip_call_id = start.sip_call_id;
  call.flow = start.flow;
  call.attributes = start.attributes;
  call.instance = options_.instance;
  call.created_at = now_ms();

  auto began = std::chrono::steady_clock::now();
  auto error = store_.insert_call(call, {call_event("call.started", call, nullptr, call.created_at)});
  store_latency_.with({"insert_call"})
      .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
  if (error) {
    refused_.with({"store"}).inc();
    log::error("call not recorded: the store refused it",
               {{"call_id", call.id}, {"sip_call_id", call.sip_call_id}, {"error", error->message}});
    return store_error(*error);
  }
  {
    std::lock_guard lock(mutex_);
    live_[call.id].record = call;
  }
  count_state(CallState::ringing, 1);
  started_.with({std::string(to_string(call.direction)), std::string(to_string(call.source))}).inc();
  log::info("call started", {{"call_id", call.id},
                             {"direction", std::string(to_string(call.direction))},
                             {"source", std::string(to_string(call.source))},
                             {"sip_call_id", call.sip_call_id},
                             {"room", call.room}});
  publish({call, std::nullopt});
  return call.id;
}

StepStatus Orchestrator::persist_step(CallRecord& call, Transition t, const CallUpdate& update,
                                      std::vector<OutboundEvent> events) {
  auto began = std::chrono::steady_clock::now();
  auto error = store_.apply_transition(t, update, events);
  store_latency_.with({"apply_transition"})
      .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
  if (error) {
    refused_.with({error->kind == StoreError::Kind::conflict ? "conflict" : "store"}).inc();
    log::error("call step not recorded", {{"call_id", call.id},
                                          {"from", std::string(to_string(t.from))},
                                          {"to", std::string(to_string(t.to))},
                                          {"error", error->message}});
    return store_error(*error);
  }
  {
    std::lock_guard lock(mutex_);
    if (t.to == CallState::ended) {
      live_.erase(call.id);
    } else if (auto it = live_.find(call.id); it != live_.end()) {
      it->second.record = call;
    }
  }
  count_state(t.from, -1);
  count_state(t.to, 1);
  publish({call, t});
  return std::nullopt;
}

StepStatus Orchestrator::step(const std::string& call_id, CallState to, std::string detail) {
  if (to == CallState::ended)
    return StepError{StepError::Kind::not_allowed, "a call ends through call_ended"};
  CallRecord call;
  {
    std::lock_guard lock(mutex_);
    auto it = live_.find(call_id);
    if (it == live_.end()) return StepError{StepError::Kind::unknown_call, "no live call " + call_id};
    call = it->second.record;
  }
  if (auto why = check_transition(call.state, to)) {
    refused_.with({"not_allowed"}).inc();
    log::error("call step not allowed", {{"call_id", call_id}, {"error", *why}});
    return StepError{StepError::Kind::not_allowed, *why};
  }
  Transition t{call_id, call.state, to, now_ms(), std::nullopt, std::nullopt, std::move(detail)};
  CallUpdate update;
  std::vector<OutboundEvent> events;
  call.state = to;
  if (to == CallState::answered) {
    update.answered_at = t.at;
    call.answered_at = t.at;
    events.push_back(call_event("call.answered", call, nullptr, t.at));
  }
  return persist_step(call, std::move(t), update, std::move(events));
}

StepStatus Orchestrator::call_ended(const std::string& call_id, const CallEnd& reported) {
  CallRecord call;
  CallEnd end = reported;
  {
    std::lock_guard lock(mutex_);
    auto it = live_.find(call_id);
    if (it == live_.end()) return StepError{StepError::Kind::unknown_call, "no live call " + call_id};
    call = it->second.record;
    const auto& pending = it->second.pending;
    if (end.transcript.empty()) end.transcript = pending.transcript;
    if (end.turns.empty()) end.turns = pending.turns;
    if (end.dtmf.empty()) end.dtmf = pending.dtmf;
  }
  // What was said first: the call.ended event below carries it, and a crash between the two leaves a call
  // that recovery ends with its transcript.
  auto with_id = [&](auto items) {
    for (auto& item : items) item.call_id = call_id;
    return items;
  };
  if (!end.transcript.empty())
    if (auto e = store_.append_transcript(with_id(end.transcript))) return store_error(*e);
  if (!end.turns.empty())
    if (auto e = store_.append_turns(with_id(end.turns))) return store_error(*e);
  if (!end.dtmf.empty())
    if (auto e = store_.append_dtmf(with_id(end.dtmf))) return store_error(*e);

  Transition t{call_id, call.state, CallState::ended, now_ms(), end.reason, end.sip_status, end.detail};
  CallUpdate update;
  update.ended_at = t.at;
  call.state = CallState::ended;
  call.end_reason = end.reason;
  call.sip_status = end.sip_status;
  call.ended_at = t.at;
  auto event = call_event("call.ended", call, &end, t.at);
  if (auto error = persist_step(call, t, update, {std::move(event)})) return error;
  ended_.with({std::string(to_string(end.reason))}).inc();
  if (call.answered_at) duration_.observe(talk_seconds(call));
  log::info("call ended", {{"call_id", call_id},
                           {"reason", std::string(to_string(end.reason))},
                           {"talk_seconds", talk_seconds(call)},
                           {"detail", end.detail}});
  return std::nullopt;
}

StepStatus Orchestrator::update_metadata(const std::string& call_id, const CallStart& update) {
  {
    std::lock_guard lock(mutex_);
    auto it = live_.find(call_id);
    if (it == live_.end()) return StepError{StepError::Kind::unknown_call, "no live call " + call_id};
    auto& c = it->second.record;
    auto set = [](std::string& field, const std::string& value) {
      if (!value.empty()) field = value;
    };
    set(c.trunk, update.trunk);
    set(c.room, update.room);
    set(c.participant_identity, update.participant_identity);
    set(c.sip_call_id, update.sip_call_id);
    set(c.flow, update.flow);
    for (const auto& [k, v] : update.attributes) c.attributes[k] = v;
    c.recordings.insert(c.recordings.end(), update.recordings.begin(), update.recordings.end());
  }
  CallRecord delta;
  delta.id = call_id;
  delta.trunk = update.trunk;
  delta.room = update.room;
  delta.participant_identity = update.participant_identity;
  delta.sip_call_id = update.sip_call_id;
  delta.flow = update.flow;
  delta.attributes = update.attributes;
  delta.recordings = update.recordings;
  if (auto e = store_.update_metadata(delta)) return store_error(*e);
  return std::nullopt;
}

Result<std::size_t, StepError> Orchestrator::recover_unfinished() {
  std::size_t recovered = 0;
  for (auto state : {CallState::ringing, CallState::answered, CallState::active, CallState::on_hold,
                     CallState::transferring}) {
    CallFilter filter;
    filter.state = state;
    filter.instance = options_.instance;
    filter.limit = kMaxPageSize;
    for (int pages = 0; pages < 100'000; ++pages) {
      auto page = store_.list_calls(filter);
      if (!page.ok()) return store_error(page.error());
      for (const auto& stored : page->calls) {
        auto detail = store_.call_detail(stored.id);
        if (!detail.ok()) return store_error(detail.error());
        CallEnd end;
        end.reason = EndReason::agent_restart;
        end.detail = "voice-agent stopped without ending the call";
        if (*detail) {
          end.transcript = (*detail)->transcript;
          end.turns = (*detail)->turns;
          end.dtmf = (*detail)->dtmf;
        }
        auto call = stored;
        Transition t{call.id, call.state, CallState::ended, now_ms(), end.reason, std::nullopt, end.detail};
        CallUpdate update;
        update.ended_at = t.at;
        call.state = CallState::ended;
        call.end_reason = end.reason;
        call.ended_at = t.at;
        auto error = store_.apply_transition(t, update, {call_event("call.ended", call, &end, t.at)});
        if (error && error->kind != StoreError::Kind::conflict) return store_error(*error);
        if (error) continue;  // another writer ended it meanwhile
        ++recovered;
        ended_.with({std::string(to_string(end.reason))}).inc();
        log::warn("call ended at start: this instance stopped during it",
                  {{"call_id", call.id}, {"state", std::string(to_string(stored.state))}});
        publish({call, t});
      }
      if (page->next_cursor.empty()) break;
      filter.cursor = page->next_cursor;
    }
  }
  return recovered;
}

StepStatus Orchestrator::attach_conversation(const std::string& call_id,
                                             std::vector<TranscriptSegment> transcript,
                                             std::vector<TurnMetrics> turns) {
  std::lock_guard lock(mutex_);
  auto it = live_.find(call_id);
  if (it == live_.end()) return StepError{StepError::Kind::unknown_call, "no live call " + call_id};
  it->second.pending.transcript = std::move(transcript);
  it->second.pending.turns = std::move(turns);
  return std::nullopt;
}

StepStatus Orchestrator::note_dtmf(const std::string& call_id, DtmfRecord digit) {
  std::lock_guard lock(mutex_);
  auto it = live_.find(call_id);
  if (it == live_.end()) return StepError{StepError::Kind::unknown_call, "no live call " + call_id};
  // A bound on what one call can make the process hold: a caller leaning on a key is not a reason to grow.
  if (it->second.pending.dtmf.size() < 1000) it->second.pending.dtmf.push_back(std::move(digit));
  return std::nullopt;
}

std::optional<std::string> Orchestrator::find_live(const std::string& sip_call_id,
                                                   const std::string& room) const {
  std::lock_guard lock(mutex_);
  if (!sip_call_id.empty())
    for (const auto& [id, live] : live_)
      if (live.record.sip_call_id == sip_call_id) return id;
  if (!room.empty())
    for (const auto& [id, live] : live_)
      if (live.record.room == room) return id;
  return std::nullopt;
}

std::optional<CallRecord> Orchestrator::live_call(const std::string& call_id) const {
  std::lock_guard lock(mutex_);
  auto it = live_.find(call_id);
  if (it == live_.end()) return std::nullopt;
  return it->second.record;
}

std::vector<CallRecord> Orchestrator::live_calls() const {
  std::lock_guard lock(mutex_);
  std::vector<CallRecord> calls;
  calls.reserve(live_.size());
  for (const auto& entry : live_) calls.push_back(entry.second.record);
  return calls;
}

std::size_t Orchestrator::live_count() const {
  std::lock_guard lock(mutex_);
  return live_.size();
}

void Orchestrator::subscribe(std::function<void(const CallEvent&)> subscriber) {
  std::lock_guard lock(mutex_);
  subscribers_.push_back(std::move(subscriber));
}

void Orchestrator::publish(const CallEvent& event) {
  std::vector<std::function<void(const CallEvent&)>> subscribers;
  {
    std::lock_guard lock(mutex_);
    subscribers = subscribers_;
  }
  for (const auto& s : subscribers) s(event);
}

OutboundEvent call_event(std::string_view type, const CallRecord& call, const CallEnd* end, Timestamp at) {
  OutboundEvent e;
  e.call_id = call.id;
  e.type = std::string(type);
  e.payload = call_event_payload(type, call, end, at);
  e.created_at = at;
  e.next_attempt_at = at;
  return e;
}

}  // namespace va::calls
