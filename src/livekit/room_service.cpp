#include "livekit/room_service.hpp"

#include "livekit/json_fields.hpp"
#include "livekit/service_call.hpp"

namespace va::livekit {
namespace {

namespace jf = json_fields;
constexpr std::string_view kService = "livekit.RoomService";

}  // namespace

Room room_from_json(const nlohmann::json& json) {
  Room room;
  room.sid = jf::text(json, {"sid"});
  room.name = jf::text(json, {"name"});
  room.metadata = jf::text(json, {"metadata"});
  room.creation_time = jf::integer(json, {"creation_time", "creationTime"});
  room.empty_timeout = static_cast<std::uint32_t>(jf::integer(json, {"empty_timeout", "emptyTimeout"}));
  room.departure_timeout =
      static_cast<std::uint32_t>(jf::integer(json, {"departure_timeout", "departureTimeout"}));
  room.max_participants =
      static_cast<std::uint32_t>(jf::integer(json, {"max_participants", "maxParticipants"}));
  room.num_participants =
      static_cast<std::uint32_t>(jf::integer(json, {"num_participants", "numParticipants"}));
  return room;
}

Participant participant_from_json(const nlohmann::json& json) {
  Participant p;
  p.sid = jf::text(json, {"sid"});
  p.identity = jf::text(json, {"identity"});
  p.name = jf::text(json, {"name"});
  p.metadata = jf::text(json, {"metadata"});
  p.state = jf::text(json, {"state"});
  p.kind = jf::text(json, {"kind"});
  // protobuf JSON writes the default enum value (STANDARD / JOINING) only when asked to; absent means it.
  if (p.kind.empty()) p.kind = "STANDARD";
  if (p.state.empty()) p.state = "JOINING";
  p.attributes = jf::text_map(json, {"attributes"});
  p.joined_at = jf::integer(json, {"joined_at", "joinedAt"});
  return p;
}

ApiResult<Room> RoomService::create_room(const CreateRoomRequest& r) {
  nlohmann::json body{{"name", r.name}};
  if (r.empty_timeout != 0) body["empty_timeout"] = r.empty_timeout;
  if (r.departure_timeout != 0) body["departure_timeout"] = r.departure_timeout;
  if (r.max_participants != 0) body["max_participants"] = r.max_participants;
  if (!r.metadata.empty()) body["metadata"] = r.metadata;
  for (const auto& agent : r.agents)
    body["agents"].push_back({{"agent_name", agent.agent_name}, {"metadata", agent.metadata}});
  return typed_result<Room>(
      client_.call(kService, "CreateRoom", body, room_create_grants(), Idempotency::write), room_from_json);
}

ApiResult<std::vector<Room>> RoomService::list_rooms(const std::vector<std::string>& names) {
  nlohmann::json body = nlohmann::json::object();
  if (!names.empty()) body["names"] = names;
  return typed_list<Room>(client_.call(kService, "ListRooms", body, room_list_grants(), Idempotency::read),
                          {"rooms"}, room_from_json);
}

ApiResult<Empty> RoomService::delete_room(const std::string& room) {
  return no_result(
      client_.call(kService, "DeleteRoom", {{"room", room}}, room_create_grants(), Idempotency::write));
}

ApiResult<std::vector<Participant>> RoomService::list_participants(const std::string& room) {
  return typed_list<Participant>(client_.call(kService, "ListParticipants", {{"room", room}},
                                              room_admin_grants(room), Idempotency::read),
                                 {"participants"}, participant_from_json);
}

ApiResult<Participant> RoomService::get_participant(const std::string& room, const std::string& identity) {
  return typed_result<Participant>(
      client_.call(kService, "GetParticipant", {{"room", room}, {"identity", identity}},
                   room_admin_grants(room), Idempotency::read),
      participant_from_json);
}

ApiResult<Empty> RoomService::remove_participant(const std::string& room, const std::string& identity) {
  return no_result(client_.call(kService, "RemoveParticipant", {{"room", room}, {"identity", identity}},
                                room_admin_grants(room), Idempotency::write));
}

ApiResult<Participant> RoomService::update_participant(const UpdateParticipantRequest& r) {
  nlohmann::json body{{"room", r.room}, {"identity", r.identity}};
  if (r.metadata) body["metadata"] = *r.metadata;
  if (r.name) body["name"] = *r.name;
  if (!r.attributes.empty()) body["attributes"] = r.attributes;
  return typed_result<Participant>(
      client_.call(kService, "UpdateParticipant", body, room_admin_grants(r.room), Idempotency::write),
      participant_from_json);
}

ApiResult<Empty> RoomService::send_data(const SendDataRequest& r) {
  // protobuf JSON carries bytes as standard base64.
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string data;
  std::uint32_t bits = 0;
  int count = 0;
  for (unsigned char c : r.data) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6) {
      count -= 6;
      data += kAlphabet[(bits >> count) & 0x3f];
    }
  }
  if (count > 0) data += kAlphabet[(bits << (6 - count)) & 0x3f];
  while (data.size() % 4 != 0) data += '=';
  nlohmann::json body{
      {"room", r.room}, {"data", data}, {"kind", r.kind == DataKind::reliable ? "RELIABLE" : "LOSSY"}};
  if (!r.destination_identities.empty()) body["destination_identities"] = r.destination_identities;
  if (!r.topic.empty()) body["topic"] = r.topic;
  return no_result(client_.call(kService, "SendData", body, room_admin_grants(r.room), Idempotency::write));
}

ApiResult<Room> RoomService::update_room_metadata(const std::string& room, const std::string& metadata) {
  return typed_result<Room>(
      client_.call(kService, "UpdateRoomMetadata", {{"room", room}, {"metadata", metadata}},
                   room_admin_grants(room), Idempotency::write),
      room_from_json);
}

}  // namespace va::livekit
