#include "voice/dialogue.hpp"

namespace va::voice {

std::string_view to_string(HangupReason reason) {
  switch (reason) {
    case HangupReason::completed:
      return "completed";
    case HangupReason::caller_request:
      return "caller_request";
    case HangupReason::no_input:
      return "no_input";
    case HangupReason::no_match:
      return "no_match";
    case HangupReason::error:
      return "error";
  }
  return "error";
}

std::string_view to_string(ChatRole role) {
  switch (role) {
    case ChatRole::system:
      return "system";
    case ChatRole::user:
      return "user";
    case ChatRole::assistant:
      return "assistant";
    case ChatRole::tool:
      return "tool";
  }
  return "user";
}

std::string_view to_string(ChatError::Kind kind) {
  switch (kind) {
    case ChatError::Kind::timeout:
      return "timeout";
    case ChatError::Kind::connect:
      return "connect";
    case ChatError::Kind::status:
      return "status";
    case ChatError::Kind::protocol:
      return "protocol";
    case ChatError::Kind::cancelled:
      return "cancelled";
    case ChatError::Kind::engine:
      return "engine";
  }
  return "engine";
}

}  // namespace va::voice
