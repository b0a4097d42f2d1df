// The one place that knows every call (issue 12, design.md "calls"): the transports (the SIP user agent, the
// LiveKit room calls) and the conversation report what happens to a call here; the orchestrator checks each
// step against the state machine (call_state.hpp), persists it with the events it owes the customer's
// systems (store.hpp, one transaction: a step is acknowledged only once it is on disk), keeps the live calls
// in memory for the admin API and metrics, and publishes each step to its subscribers.
//
// Thread-safe: transports call it from their own threads. Store writes are synchronous (SQLite WAL commits
// take tens of microseconds; design.md "Store"); the live table is guarded by one mutex that is never held
// across a store call.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "calls/call_record.hpp"
#include "calls/store.hpp"
#include "common/metrics.hpp"

namespace va::calls {

// What a transport knows when a call appears.
struct CallStart {
  std::string id;  // the record's id when the caller chose one (an originated call); empty: a new one
  Direction direction = Direction::inbound;
  Source source = Source::sip;
  std::string caller;
  std::string called;
  std::string trunk;
  std::string room;
  std::string participant_identity;
  std::string sip_call_id;
  std::string flow;
  std::map<std::string, std::string> attributes;
  std::vector<std::string> recordings;  // update_metadata: files appended to the record's recordings
};

// The end of a call with what was said: written before the call.ended event that carries it.
struct CallEnd {
  EndReason reason = EndReason::failed;
  std::optional<int> sip_status;
  std::string detail;
  std::vector<TranscriptSegment> transcript;
  std::vector<TurnMetrics> turns;
  std::vector<DtmfRecord> dtmf;
};

// A step published to subscribers, after it was persisted.
struct CallEvent {
  CallRecord call;                       // as it is after the step
  std::optional<Transition> transition;  // empty for call_started
};

struct OrchestratorOptions {
  std::string instance;  // this process's name in shared stores; crash recovery ends only its own calls
};

// Why a step was refused: the state machine said no, or the store could not keep it.
struct StepError {
  enum class Kind { unknown_call, not_allowed, store };
  Kind kind = Kind::store;
  std::string message;
};
using StepStatus = std::optional<StepError>;  // empty: done

class Orchestrator {
 public:
  Orchestrator(Store& store, OrchestratorOptions options, metrics::Registry& metrics);
  Orchestrator(const Orchestrator&) = delete;
  Orchestrator& operator=(const Orchestrator&) = delete;

  // A new call, ringing; persisted with its call.started event. The id, or why it could not be kept.
  Result<std::string, StepError> call_started(const CallStart& start);

  // answered, active, on_hold, transferring: checked, persisted (call.answered for answered), published.
  StepStatus step(const std::string& call_id, CallState to, std::string detail = {});

  // The call ends: its transcript, turns and digits are written, then the ended transition with the
  // call.ended event carrying them. Ending an ended call is refused (not_allowed), not repeated.
  StepStatus call_ended(const std::string& call_id, const CallEnd& end);

  // What was said, from the conversation when it finishes (before the transport reports the end), and the
  // digits as they come: kept with the live call and written by call_ended.
  StepStatus attach_conversation(const std::string& call_id, std::vector<TranscriptSegment> transcript,
                                 std::vector<TurnMetrics> turns);
  StepStatus note_dtmf(const std::string& call_id, DtmfRecord digit);

  // Metadata learnt during the call: attributes merged; trunk, room, participant, sip_call_id and flow set
  // when not empty (caller and called are what the call started with); recordings appended.
  StepStatus update_metadata(const std::string& call_id, const CallStart& update);

  // At start: calls this instance left unfinished (it was killed) end as agent_restart, with their
  // call.ended events. Returns how many, or the store's error.
  Result<std::size_t, StepError> recover_unfinished();

  // Correlation (issue 12 item 2): the live call of a SIP Call-ID / LiveKit sip.callID, else the room's.
  std::optional<std::string> find_live(const std::string& sip_call_id, const std::string& room) const;

  std::optional<CallRecord> live_call(const std::string& call_id) const;
  std::vector<CallRecord> live_calls() const;
  std::size_t live_count() const;

  // Called after every persisted step, on the thread that made it. Subscribers must not call back into the
  // orchestrator's mutating methods synchronously.
  void subscribe(std::function<void(const CallEvent&)> subscriber);

  Store& store() { return store_; }

 private:
  StepStatus persist_step(CallRecord& call, Transition t, const CallUpdate& update,
                          std::vector<OutboundEvent> events);
  void publish(const CallEvent& event);
  void count_state(CallState state, double by);

  Store& store_;
  OrchestratorOptions options_;
  mutable std::mutex mutex_;
  struct Live {
    CallRecord record;
    CallEnd pending;  // transcript, turns and digits gathered during the call
  };
  std::map<std::string, Live> live_;
  std::vector<std::function<void(const CallEvent&)>> subscribers_;

  metrics::Family<metrics::Gauge>& by_state_;
  metrics::Family<metrics::Counter>& started_;
  metrics::Family<metrics::Counter>& ended_;
  metrics::Histogram& duration_;
  metrics::Family<metrics::Histogram>& store_latency_;
  metrics::Family<metrics::Counter>& refused_;
};

// The JSON bodies of the outbound events (documented in docs/call-events.md).
std::string call_event_payload(std::string_view type, const CallRecord& call, const CallEnd* end,
                               Timestamp at);
// The outbound event `type` reporting `call` at `at`, due at once (what the orchestrator writes with a step).
OutboundEvent call_event(std::string_view type, const CallRecord& call, const CallEnd* end, Timestamp at);

// A fresh call id: 32 lowercase hex digits from a CSPRNG, unique across instances sharing a store.
std::string new_call_id();

}  // namespace va::calls
