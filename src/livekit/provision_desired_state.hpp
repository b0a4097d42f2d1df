// Provisioning, step 1: the configuration (livekit.provisioning plus what sip.trunks and routing already say)
// becomes the LiveKit objects that should exist. Pure: no I/O, so it is unit-tested exhaustively.
//
// Every object carries an ownership marker in its metadata, {"managed_by":"voice-agent","instance":
// "<name_prefix>","key":"<stable key>"}: that is how a later run recognises its own objects (and only those)
// to update or prune them. Objects without our marker are never touched.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.hpp"
#include "livekit/sip_types.hpp"

namespace va::livekit {

// The marker a provisioned object's metadata carries.
struct OwnershipMarker {
  std::string instance;       // livekit.provisioning.name_prefix: several deployments can share one server
  std::string key;            // "inbound_trunk", "outbound_trunk", "dispatch_rule/<name>"
  std::string user_metadata;  // the operator's own metadata, kept alongside the marker
  friend bool operator==(const OwnershipMarker&, const OwnershipMarker&) = default;
};

std::string to_metadata(const OwnershipMarker& marker);
// The marker in `metadata`, if it is one of ours (managed_by voice-agent); never throws.
std::optional<OwnershipMarker> ownership_marker(std::string_view metadata);

inline constexpr std::string_view kInboundTrunkKey = "inbound_trunk";
inline constexpr std::string_view kOutboundTrunkKey = "outbound_trunk";
inline constexpr std::string_view kBridgeTrunkKey = "bridge_trunk";
std::string dispatch_rule_key(std::string_view rule_name);

struct DesiredDispatchRule {
  SipDispatchRule rule;
  // Bound to our inbound trunk (its ID is known only once it exists); otherwise the rule's trunk_ids stay
  // empty, which LiveKit reads as "every trunk".
  bool on_inbound_trunk = true;
};

struct DesiredState {
  std::string instance;
  std::optional<SipInboundTrunk> inbound_trunk;
  std::optional<SipOutboundTrunk> outbound_trunk;
  // LiveKit SIP → voice-agent's SIP endpoint, for routes in bridge mode (an outbound trunk on the server).
  std::optional<SipOutboundTrunk> bridge_trunk;
  std::vector<DesiredDispatchRule> dispatch_rules;
  std::vector<std::string> notes;  // what was derived or skipped, for the plan output
};

DesiredState desired_state(const config::Config& config);

// The bridge trunk's host[:port] when livekit.provisioning.bridge_trunk.address is empty: sip.public_address,
// else the first listener's host unless it is a wildcard, with that listener's port. Empty when unknown.
std::string derived_bridge_address(const config::Config& config);

}  // namespace va::livekit
