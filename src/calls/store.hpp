// Where call records live (issue 12 item 4, design.md "Store"): one interface, two backends —
// SQLite (sqlite_store.hpp, the embedded default: WAL, one writer) and PostgreSQL (postgres_store.hpp, when
// several instances share the records). Both pass the same conformance suite (tests/unit/calls/
// store_conformance.hpp), the PostgreSQL one against a real server the test harness starts.
//
// Atomicity is the point: a call's state change, the fields it sets and the outbound events that report it
// are written in one transaction (insert_call, apply_transition), so an event is owed exactly when its
// change happened, and nothing is acknowledged before it is on disk.
//
// Every method is safe to call from any thread; each returns a StoreError instead of throwing.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "calls/call_record.hpp"
#include "common/result.hpp"

namespace va::calls {

struct StoreError {
  enum class Kind {
    unavailable,  // cannot reach or open the database; retrying later may work
    conflict,     // the stored call is not in the state the change starts from, or the id exists
    not_found,
    invalid,  // the store refused the data (schema newer than this build, constraint)
  };
  Kind kind = Kind::unavailable;
  std::string message;
};

template <class T>
using StoreResult = Result<T, StoreError>;
using StoreStatus = std::optional<StoreError>;  // empty: done

// What a transition changes in the call besides its state (the state, end reason and SIP status come from
// the Transition itself).
struct CallUpdate {
  std::optional<Timestamp> answered_at;
  std::optional<Timestamp> ended_at;
};

struct CallFilter {
  std::optional<CallState> state;
  std::optional<Direction> direction;
  std::optional<Source> source;
  std::string number;  // equals the caller or the called number
  std::string instance;
  std::optional<Timestamp> created_from;  // inclusive
  std::optional<Timestamp> created_to;    // exclusive
  std::size_t limit = 50;                 // clamped to 1..kMaxPageSize
  std::string cursor;                     // from CallPage::next_cursor: the page after it
};

inline constexpr std::size_t kMaxPageSize = 500;

// Newest first (created_at, then id); keyset-paginated so a page costs the same deep in the list.
struct CallPage {
  std::vector<CallRecord> calls;
  std::string next_cursor;  // empty on the last page
};

struct CallDetail {
  CallRecord call;
  std::vector<Transition> transitions;  // in order
  std::vector<TranscriptSegment> transcript;
  std::vector<TurnMetrics> turns;
  std::vector<DtmfRecord> dtmf;
  std::vector<OutboundEvent> events;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual std::string_view backend() const = 0;  // "sqlite" or "postgresql"

  // Creates or upgrades the schema (a schema_version table, numbered migrations, each in a transaction).
  // Idempotent; with PostgreSQL safe when several instances start at once. A schema newer than this build
  // is an `invalid` error naming both versions.
  virtual StoreStatus migrate() = 0;

  // A new call and the events that report it. `conflict` when the id exists.
  virtual StoreStatus insert_call(const CallRecord& call, const std::vector<OutboundEvent>& events) = 0;

  // The transition, the call's new state (and end reason, SIP status, CallUpdate fields) and the events, in
  // one transaction. `conflict` when the stored state is not `t.from` (another writer moved the call),
  // `not_found` when there is no such call.
  virtual StoreStatus apply_transition(const Transition& t, const CallUpdate& update,
                                       const std::vector<OutboundEvent>& events) = 0;

  // Metadata learnt during the call: attributes are merged (a key given replaces the stored one); room,
  // participant, sip_call_id, trunk, flow are set when not empty; recordings appended.
  virtual StoreStatus update_metadata(const CallRecord& call) = 0;

  virtual StoreStatus append_transcript(const std::vector<TranscriptSegment>& segments) = 0;
  virtual StoreStatus append_turns(const std::vector<TurnMetrics>& turns) = 0;
  virtual StoreStatus append_dtmf(const std::vector<DtmfRecord>& digits) = 0;

  virtual StoreResult<std::optional<CallRecord>> find_call(const std::string& id) = 0;
  // Correlation (issue 12 item 2): the newest call with this SIP Call-ID / LiveKit sip.callID.
  virtual StoreResult<std::optional<CallRecord>> find_by_sip_call_id(const std::string& sip_call_id) = 0;
  virtual StoreResult<std::optional<CallDetail>> call_detail(const std::string& id) = 0;
  virtual StoreResult<CallPage> list_calls(const CallFilter& filter) = 0;
  virtual StoreResult<std::map<CallState, std::int64_t>> count_by_state() = 0;

  // Outbox (calls/outbox.hpp): undelivered events whose next attempt is due, oldest first, and only the
  // oldest undelivered one of each call (events of a call go out in order, one at a time). With `instance`,
  // only the events of that instance's calls: instances sharing a store each deliver their own calls' events,
  // so none is sent twice (a dead instance's are delivered when it starts again, as its calls are ended).
  virtual StoreResult<std::vector<OutboundEvent>> due_events(Timestamp now, std::size_t limit,
                                                             const std::string& instance = {}) = 0;
  virtual StoreStatus mark_delivered(std::int64_t event_id, Timestamp at) = 0;
  virtual StoreStatus mark_attempt_failed(std::int64_t event_id, Timestamp next_attempt,
                                          const std::string& error) = 0;
  virtual StoreResult<std::int64_t> outbox_backlog() = 0;  // undelivered events
};

// Opens the store `url` names: "sqlite:PATH" or a bare path → SQLite; "postgres://…" or "postgresql://…"
// → PostgreSQL. Does not migrate.
StoreResult<std::unique_ptr<Store>> open_store(const std::string& url);

}  // namespace va::calls
