// Provisioning, step 2: desired state (provision_desired_state.hpp) against what the server has → an ordered
// list of actions with field-level differences. Pure, so the plan can be printed (`--dry-run`) and tested
// without a server.
//
// Order matters to LiveKit: dispatch rules reference trunk IDs, so trunks are created/updated first, then
// rules; rules are deleted before the trunks they may reference.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "livekit/provision_desired_state.hpp"
#include "livekit/sip_types.hpp"

namespace va::livekit {

// What the server has now (the three List calls).
struct ActualState {
  std::vector<SipInboundTrunk> inbound_trunks;
  std::vector<SipOutboundTrunk> outbound_trunks;
  std::vector<SipDispatchRule> dispatch_rules;
};

enum class ProvisionActionKind {
  create,
  update,
  remove,     // ours, no longer desired, --prune given
  unchanged,  // ours and as desired
  stale,      // ours, no longer desired, kept because --prune was not given
};
std::string_view to_string(ProvisionActionKind kind);

// A bridge trunk is an outbound trunk on the server (LiveKit SIP → voice-agent), told apart by its marker.
enum class ProvisionObjectType { inbound_trunk, outbound_trunk, bridge_trunk, dispatch_rule };
std::string_view to_string(ProvisionObjectType type);

struct FieldChange {
  std::string field;
  std::string before;  // display form, secrets masked; empty when unset
  std::string after;
  friend bool operator==(const FieldChange&, const FieldChange&) = default;
};

// The dispatch rule's trunk_ids placeholder when our inbound trunk is created in the same run.
inline constexpr std::string_view kPendingInboundTrunkId = "<new inbound trunk>";

struct ProvisionAction {
  ProvisionActionKind kind = ProvisionActionKind::unchanged;
  ProvisionObjectType type = ProvisionObjectType::inbound_trunk;
  std::string key;                   // ownership key ("inbound_trunk", "dispatch_rule/<name>")
  std::string name;                  // object name
  std::string id;                    // server ID (empty for create)
  std::vector<FieldChange> changes;  // create: every set field; update: the differing ones
  // The full object to send (create/update); the ID set for update.
  std::variant<std::monostate, SipInboundTrunk, SipOutboundTrunk, SipDispatchRule> object;
};

struct ProvisionPlan {
  std::vector<ProvisionAction> actions;  // in execution order
  std::vector<std::string> notes;        // derived values, skipped objects, duplicates found

  // No create, update or remove.
  bool nothing_to_do() const;
};

ProvisionPlan plan_provisioning(const DesiredState& desired, const ActualState& actual, bool prune);

// One object as "field → display value" pairs (secrets "***"), in a stable order; used for the diffs.
std::vector<std::pair<std::string, std::string>> describe(const SipInboundTrunk& trunk, bool reveal_secrets);
std::vector<std::pair<std::string, std::string>> describe(const SipOutboundTrunk& trunk, bool reveal_secrets);
std::vector<std::pair<std::string, std::string>> describe(const SipDispatchRule& rule, bool reveal_secrets);

}  // namespace va::livekit
