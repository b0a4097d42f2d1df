// Bridge mode, the decision (pure, unit-tested): a webhook event in, either the CreateSIPParticipant request
// that dials voice-agent's own SIP endpoint into the caller's room, or why nothing is dialled.
//
// A route (routing.inbound[]) owns the rooms whose names start with its room_prefix — LiveKit's dispatch
// rules name rooms <prefix>_<caller>_<random> (individual) or <prefix>_<number> (callee). The longest prefix
// wins, then the first route. Only a SIP participant (the caller, put there by LiveKit SIP) joining a room of
// a `livekit: bridge` route is dialled; our own bridge participant, which is a SIP participant too, never is.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/config.hpp"
#include "livekit/sip_service.hpp"
#include "livekit/webhook_event.hpp"

namespace va::livekit {

// Attributes of the bridge participant: who it was dialled for, so the two legs' records correlate.
inline constexpr std::string_view kBridgeCallerIdentityAttribute = "voice_agent.caller_identity";
inline constexpr std::string_view kBridgeCallerCallIdAttribute = "voice_agent.caller_sip_call_id";
inline constexpr std::string_view kBridgeRouteAttribute = "voice_agent.route";

// The identity LiveKit gives the participant it dials in for us: "<name_prefix>-bridge".
std::string bridge_participant_identity(const config::Config& config);

// The route whose room_prefix `room` starts with (longest prefix, then configuration order); null if none.
const config::InboundRoute* route_for_room(const config::Routing& routing, std::string_view room);

enum class BridgeSkip {
  not_a_join,          // another event type
  not_sip,             // the participant is not a SIP participant
  no_route,            // no route's room_prefix fits the room
  room_mode,           // the route is in room mode (the agent joins the room itself)
  bridge_participant,  // our own bridge participant joined
};
std::string_view to_string(BridgeSkip skip);

struct BridgeDial {
  const config::InboundRoute* route = nullptr;
  CreateSipParticipantRequest request;  // sip_trunk_id left empty: the dialer knows the trunk
};

// What to do with one event: a dial, or why not.
struct BridgeDecision {
  std::optional<BridgeDial> dial;
  BridgeSkip skip = BridgeSkip::not_a_join;
};
BridgeDecision decide_bridge_dial(const config::Config& config, const WebhookEvent& event);

}  // namespace va::livekit
