// A call's states and why it ended (issue 12 item 1), and the transitions between them:
//
//   ringing ──► answered ──► active ⇄ on_hold
//      │            │          │  ▲      │
//      │            │          ▼  │      │
//      │            │      transferring ◄┘
//      └────────────┴──────────┴─────────┴──► ended   (from every state but ended)
//
// An impossible transition is refused with an error naming both states: the caller logs it and counts it,
// the call goes on in the state it was in.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace va::calls {

enum class CallState { ringing, answered, active, on_hold, transferring, ended };

enum class EndReason {
  caller_hangup,
  agent_hangup,
  transferred,
  media_timeout,
  rejected,
  failed,
  agent_restart,  // the instance died with the call active; marked at its next start
  drained,        // still active when the drain timeout ran out
};

std::string_view to_string(CallState s);
std::string_view to_string(EndReason r);
std::optional<CallState> parse_call_state(std::string_view text);
std::optional<EndReason> parse_end_reason(std::string_view text);

bool transition_allowed(CallState from, CallState to);

// Empty when allowed, else why not ("ended -> active: the call has ended").
std::optional<std::string> check_transition(CallState from, CallState to);

}  // namespace va::calls
