#include "calls/call_state.hpp"

#include <array>

namespace va::calls {
namespace {

constexpr std::array<std::string_view, 6> kStates{"ringing", "answered",     "active",
                                                  "on_hold", "transferring", "ended"};
constexpr std::array<std::string_view, 8> kReasons{"caller_hangup", "agent_hangup", "transferred",
                                                   "media_timeout", "rejected",     "failed",
                                                   "agent_restart", "drained"};

template <typename Enum, std::size_t N>
std::optional<Enum> parse_name(const std::array<std::string_view, N>& names, std::string_view text) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == text) return static_cast<Enum>(i);
  return std::nullopt;
}

}  // namespace

std::string_view to_string(CallState s) {
  return kStates[static_cast<std::size_t>(s)];
}
std::string_view to_string(EndReason r) {
  return kReasons[static_cast<std::size_t>(r)];
}
std::optional<CallState> parse_call_state(std::string_view text) {
  return parse_name<CallState>(kStates, text);
}
std::optional<EndReason> parse_end_reason(std::string_view text) {
  return parse_name<EndReason>(kReasons, text);
}

bool transition_allowed(CallState from, CallState to) {
  using S = CallState;
  if (from == S::ended) return false;
  if (to == S::ended) return true;
  switch (from) {
    case S::ringing:
      return to == S::answered;
    case S::answered:
      return to == S::active;
    case S::active:
      return to == S::on_hold || to == S::transferring;
    case S::on_hold:
      return to == S::active || to == S::transferring;
    case S::transferring:
      return to == S::active;  // the transfer failed: the agent has the caller back
    case S::ended:
      return false;
  }
  return false;
}

std::optional<std::string> check_transition(CallState from, CallState to) {
  if (transition_allowed(from, to)) return std::nullopt;
  std::string why = std::string(to_string(from)) + " -> " + std::string(to_string(to)) + ": ";
  if (from == CallState::ended) return why + "the call has ended";
  if (from == to) return why + "already in that state";
  return why + "not a step a call can take";
}

}  // namespace va::calls
