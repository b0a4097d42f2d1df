// Steering live calls (issue 12 item 5): what the admin API asks of the transports — hang up, transfer,
// place a call. The calls module knows the records; the handles of live calls (SIP dialogs, LiveKit rooms)
// belong to the transports, so app implements this interface (app/call_control.hpp) and hands it to
// add_admin_routes.
#pragma once

#include <optional>
#include <string>

#include "common/result.hpp"

namespace va::calls {

struct ControlError {
  enum class Kind {
    not_found,    // no live call with this id here (it may have ended, or run on another instance)
    conflict,     // the call cannot do that now (ended, already transferring)
    invalid,      // the request is wrong (target, trunk, flow)
    unavailable,  // cannot do it now (draining, no SIP endpoint)
  };
  Kind kind = Kind::invalid;
  std::string message;
};
using ControlStatus = std::optional<ControlError>;  // empty: done (asked of the call)

struct OriginateRequest {
  std::string to;     // a phone number ("+79161234567", digits) or a sip:/sips: URI
  std::string flow;   // empty: the flow of the first inbound route
  std::string trunk;  // empty: routing.outbound.trunk; ignored for a SIP URI
  std::string from;   // caller id; empty: routing.outbound.caller_id
};

struct Originated {
  std::string id;  // the call record's id
  std::string sip_call_id;
};

class CallControl {
 public:
  virtual ~CallControl() = default;
  // Both are asked of the call's own thread and return at once; the record shows the outcome (ended with
  // agent_hangup; transferring, then transferred or back to active).
  virtual ControlStatus hang_up(const std::string& call_id) = 0;
  virtual ControlStatus transfer(const std::string& call_id, const std::string& target) = 0;
  virtual Result<Originated, ControlError> originate(const OriginateRequest& request) = 0;
};

}  // namespace va::calls
