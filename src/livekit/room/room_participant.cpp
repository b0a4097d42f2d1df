#include "livekit/room/room_participant.hpp"

namespace va::livekit::room {

std::string RoomParticipant::attribute(std::string_view key) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? std::string{} : it->second;
}

bool is_caller(const RoomParticipant& participant, CallerSelection selection) {
  if (participant.sip) return true;
  return selection == CallerSelection::sip_or_first_audio_publisher && participant.publishes_audio;
}

media::CallInfo call_info_from(const RoomParticipant& caller) {
  media::CallInfo info;
  info.call_id = caller.attribute("sip.callID");
  if (info.call_id.empty()) info.call_id = caller.identity;
  info.caller = caller.attribute("sip.phoneNumber");
  info.dialed = caller.attribute("sip.trunkPhoneNumber");
  info.transport = "livekit";
  info.participant = caller.identity;
  info.attributes.insert(caller.attributes.begin(), caller.attributes.end());
  // LiveKit's bridge also dials out (CreateSIPParticipant): sip.phoneNumber is then the number it called.
  // Whether the call is ours to place is the lead's knowledge (the dispatch), not the attributes'.
  return info;
}

}  // namespace va::livekit::room
