#include "livekit/bridge_dial.hpp"

namespace va::livekit {

std::string bridge_participant_identity(const config::Config& config) {
  return config.livekit.provisioning.name_prefix + "-bridge";
}

const config::InboundRoute* route_for_room(const config::Routing& routing, std::string_view room) {
  const config::InboundRoute* best = nullptr;
  for (const auto& route : routing.inbound) {
    if (!room.starts_with(route.room_prefix)) continue;
    if (best == nullptr || route.room_prefix.size() > best->room_prefix.size()) best = &route;
  }
  return best;
}

std::string_view to_string(BridgeSkip skip) {
  switch (skip) {
    case BridgeSkip::not_a_join:
      return "not_a_join";
    case BridgeSkip::not_sip:
      return "not_sip";
    case BridgeSkip::no_route:
      return "no_route";
    case BridgeSkip::room_mode:
      return "room_mode";
    case BridgeSkip::bridge_participant:
      return "bridge_participant";
  }
  return "not_a_join";
}

BridgeDecision decide_bridge_dial(const config::Config& config, const WebhookEvent& event) {
  BridgeDecision decision;
  if (event.type != WebhookEventType::participant_joined || !event.participant || !event.room)
    return decision;
  const auto& participant = *event.participant;
  if (participant.kind != ParticipantKind::sip) {
    decision.skip = BridgeSkip::not_sip;
    return decision;
  }
  // Ours: dialled by this instance (identity) or by another deployment's bridge (the attribute).
  if (participant.identity == bridge_participant_identity(config) ||
      participant.attributes.contains(std::string(kBridgeCallerCallIdAttribute))) {
    decision.skip = BridgeSkip::bridge_participant;
    return decision;
  }
  const auto* route = route_for_room(config.routing, event.room->name);
  if (route == nullptr) {
    decision.skip = BridgeSkip::no_route;
    return decision;
  }
  if (route->livekit != config::RouteLiveKitMode::bridge) {
    decision.skip = BridgeSkip::room_mode;
    return decision;
  }
  auto sip = sip_participant_attributes(participant.attributes);
  BridgeDial dial;
  dial.route = route;
  auto& r = dial.request;
  r.room_name = event.room->name;
  r.sip_call_to = route->bridge_user;
  // The caller's number as our From, so the flow sees who calls; empty (hidden number): the trunk's.
  r.sip_number = sip.phone_number;
  r.participant_identity = bridge_participant_identity(config);
  r.participant_name = config.livekit.provisioning.name_prefix + " bridge";
  r.participant_attributes = {{std::string(kBridgeCallerIdentityAttribute), participant.identity},
                              {std::string(kBridgeCallerCallIdAttribute), sip.call_id},
                              {std::string(kBridgeRouteAttribute), route->match}};
  // voice-agent answers at once; a bridge call that rings longer has found nobody.
  r.ringing_timeout = std::chrono::seconds(20);
  decision.dial = std::move(dial);
  return decision;
}

}  // namespace va::livekit
