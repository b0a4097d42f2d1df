// What the typed service clients (room_service, sip_service, agent_dispatch_service) share: the grants each
// kind of call needs, and turning a Twirp JSON result into a typed one.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "livekit/json_fields.hpp"
#include "livekit/twirp_client.hpp"

namespace va::livekit {

inline RequestGrants room_admin_grants(const std::string& room) {
  VideoGrant video;
  video.room_admin = true;
  video.room = room;
  return {video, std::nullopt};
}

inline RequestGrants room_create_grants() {
  VideoGrant video;
  video.room_create = true;
  return {video, std::nullopt};
}

inline RequestGrants room_list_grants() {
  VideoGrant video;
  video.room_list = true;
  return {video, std::nullopt};
}

inline RequestGrants sip_admin_grants() {
  return {std::nullopt, SipGrant{true, std::nullopt}};
}

// The typed value made by `from_json` from a successful call, or the call's error.
template <class T, class FromJson>
ApiResult<T> typed_result(ApiResult<nlohmann::json> result, FromJson from_json) {
  if (!result.ok()) return result.error();
  return from_json(result.value());
}

// The list under `field` (e.g. "items", "rooms"), each element made by `from_json`.
template <class T, class FromJson>
ApiResult<std::vector<T>> typed_list(ApiResult<nlohmann::json> result,
                                     std::initializer_list<std::string_view> field, FromJson from_json) {
  if (!result.ok()) return result.error();
  std::vector<T> out;
  if (const auto* items = json_fields::find(result.value(), field); items != nullptr && items->is_array()) {
    for (const auto& item : *items) out.push_back(from_json(item));
  }
  return out;
}

// For calls whose response carries nothing voice-agent uses.
inline ApiResult<Empty> no_result(ApiResult<nlohmann::json> result) {
  if (!result.ok()) return result.error();
  return Empty{};
}

}  // namespace va::livekit
