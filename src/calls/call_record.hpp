// The call as the orchestrator knows it (issue 12, design.md "calls"): one record per call, whichever way it
// came (a direct SIP dialog or a LiveKit room), with the transitions of its life, what was said, the
// per-turn latencies, the DTMF heard, and the events owed to the customer's systems (the outbox).
//
// These are plain values: the state machine (call_state.hpp) decides which changes are allowed, the store
// (store.hpp) keeps them, the orchestrator (orchestrator.hpp) ties the two to the running calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "calls/call_state.hpp"

namespace va::calls {

using Timestamp = std::chrono::system_clock::time_point;

enum class Direction { inbound, outbound };
enum class Source { sip, livekit };

std::string_view to_string(Direction d);
std::string_view to_string(Source s);
std::optional<Direction> parse_direction(std::string_view text);
std::optional<Source> parse_source(std::string_view text);

struct CallRecord {
  std::string id;  // ours, unique across instances sharing a store (calls/call_id.hpp)
  Direction direction = Direction::inbound;
  Source source = Source::sip;
  CallState state = CallState::ringing;
  std::optional<EndReason> end_reason;
  std::optional<int> sip_status;  // the final SIP status where one ended or rejected the call
  std::string caller;             // digits or URI user part as received (masked in logs, never here)
  std::string called;
  std::string trunk;
  std::string room;                  // LiveKit room, empty for direct SIP
  std::string participant_identity;  // LiveKit SIP participant
  std::string sip_call_id;           // SIP Call-ID (direct), or LiveKit's sip.callID attribute
  std::string flow;
  std::string instance;  // the voice-agent instance that ran the call (crash recovery marks only its own)
  std::map<std::string, std::string> attributes;  // participant attributes, headers_to_attributes, flow slots
  Timestamp created_at{};
  std::optional<Timestamp> answered_at;
  std::optional<Timestamp> ended_at;
  std::vector<std::string> recordings;  // file paths, when the route records
};

struct Transition {
  std::string call_id;
  CallState from = CallState::ringing;
  CallState to = CallState::ringing;
  Timestamp at{};
  std::optional<EndReason> reason;
  std::optional<int> sip_status;
  std::string detail;
};

enum class Speaker { caller, agent };
std::string_view to_string(Speaker s);
std::optional<Speaker> parse_speaker(std::string_view text);

struct TranscriptSegment {
  std::string call_id;
  std::int64_t seq = 0;  // order within the call
  Speaker speaker = Speaker::caller;
  std::string text;
  std::int64_t start_ms = 0;  // from the answer
  std::int64_t end_ms = 0;
  bool interrupted = false;
  std::optional<std::int64_t> cut_ms;  // where barge-in cut the agent's prompt
};

// One caller-stops → agent-speaks turn (voice::Conversation's turn metrics); absent stages are empty.
struct TurnMetrics {
  std::string call_id;
  std::int64_t turn = 0;
  std::optional<double> total_ms;
  std::optional<double> endpointing_ms;
  std::optional<double> end_of_speech_to_final_ms;
  std::optional<double> final_to_reply_ms;
  std::optional<double> reply_to_first_audio_ms;
  std::optional<double> first_audio_to_first_frame_ms;
  std::optional<double> recognition_ms;
  std::optional<double> llm_first_token_ms;  // the LLM's request → its first text; empty without an LLM
};

struct DtmfRecord {
  std::string call_id;
  char digit = '0';
  std::int64_t at_ms = 0;  // from the answer
  std::int64_t duration_ms = 0;
  std::string source;  // rfc4733, inband, sip_info, livekit
};

// An event owed to the customer's systems (call.started, call.answered, call.ended), written in the same
// store transaction as the state change it reports, delivered by the outbox (calls/outbox.hpp).
struct OutboundEvent {
  std::int64_t id = 0;  // assigned by the store, increasing: delivery order within a call
  std::string call_id;
  std::string type;
  std::string payload;  // the JSON body, exactly as signed and sent
  Timestamp created_at{};
  int attempts = 0;
  std::optional<Timestamp> next_attempt_at;
  std::optional<Timestamp> delivered_at;
  std::string last_error;
};

}  // namespace va::calls
