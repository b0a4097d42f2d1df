// The remote participants a room leg sees, and which of them is the caller: LiveKit's SIP bridge joins the
// phone call as a participant of kind SIP (identity `sip_<number>`) carrying the call's `sip.*` attributes
// (facts/livekit.md "SIP participants inside a room"). Optionally — rooms without the bridge, tests with
// an SDK participant — the first remote participant that publishes audio is taken instead.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "media/call_handler.hpp"

namespace va::livekit::room {

enum class CallerSelection {
  sip_participant,               // only a participant of kind SIP
  sip_or_first_audio_publisher,  // a SIP participant, else the first remote participant publishing audio
};

struct RoomParticipant {
  std::string identity;
  std::string name;
  std::string sid;
  bool sip = false;  // kind == SIP
  std::map<std::string, std::string, std::less<>> attributes;
  bool publishes_audio = false;

  // The attribute's value, empty when absent.
  std::string attribute(std::string_view key) const;
};

// Whether `participant` is the call's caller under `selection`.
bool is_caller(const RoomParticipant& participant, CallerSelection selection);

// The call's description from the caller's attributes: call_id = sip.callID (else the identity), caller =
// sip.phoneNumber, dialed = sip.trunkPhoneNumber. The lead adds flow, language, executor.
media::CallInfo call_info_from(const RoomParticipant& caller);

}  // namespace va::livekit::room
