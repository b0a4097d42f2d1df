// Provisioning, step 3: executes a plan (provision_plan.hpp) against the server in its order, stopping at the
// first error; the report says what was applied before it, so the operator knows the server's state.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "livekit/provision_plan.hpp"
#include "livekit/sip_service.hpp"

namespace va::livekit {

struct AppliedAction {
  ProvisionActionKind kind;
  ProvisionObjectType type;
  std::string name;
  std::string id;  // the created object's ID for create
};

struct ApplyReport {
  std::vector<AppliedAction> applied;
  std::optional<ApiError> error;  // the failed call, when one failed
  std::string failed_action;      // "create dispatch rule 'voice-agent-inbound'"

  bool ok() const { return !error.has_value(); }
  // "create dispatch rule 'x' failed: <error>; applied before it: create inbound trunk 'y' (ST_...)"
  std::string failure_message() const;
};

ApplyReport apply_provisioning(SipService& sip, const ProvisionPlan& plan);

}  // namespace va::livekit
