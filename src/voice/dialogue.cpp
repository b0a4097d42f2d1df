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

}  // namespace va::voice
