// livekit.RoomService: rooms and the participants in them (the calls voice-agent joins or watches).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "livekit/twirp_client.hpp"

namespace va::livekit {

// An agent dispatched into a room when it is created (RoomAgentDispatch).
struct RoomAgent {
  std::string agent_name;
  std::string metadata;
};

struct Room {
  std::string sid;
  std::string name;
  std::string metadata;
  std::int64_t creation_time = 0;  // Unix seconds
  std::uint32_t empty_timeout = 0;
  std::uint32_t departure_timeout = 0;
  std::uint32_t max_participants = 0;
  std::uint32_t num_participants = 0;
};

struct Participant {
  std::string sid;
  std::string identity;
  std::string name;
  std::string metadata;
  std::string state;  // JOINING, JOINED, ACTIVE, DISCONNECTED
  std::string kind;   // STANDARD, INGRESS, EGRESS, SIP, AGENT
  std::map<std::string, std::string> attributes;
  std::int64_t joined_at = 0;
};

struct CreateRoomRequest {
  std::string name{};
  std::uint32_t empty_timeout = 0;  // seconds; 0: the server's default
  std::uint32_t departure_timeout = 0;
  std::uint32_t max_participants = 0;
  std::string metadata{};
  std::vector<RoomAgent> agents{};
};

struct UpdateParticipantRequest {
  std::string room{};
  std::string identity{};
  std::optional<std::string> metadata{};
  std::optional<std::string> name{};
  std::map<std::string, std::string> attributes{};  // set these keys (an empty value deletes the key)
};

enum class DataKind { reliable, lossy };

struct SendDataRequest {
  std::string room{};
  std::string data{};  // raw bytes
  DataKind kind = DataKind::reliable;
  std::vector<std::string> destination_identities{};  // empty: everyone
  std::string topic{};
};

class RoomService {
 public:
  explicit RoomService(TwirpClient& client) : client_(client) {}

  ApiResult<Room> create_room(const CreateRoomRequest& request);
  ApiResult<std::vector<Room>> list_rooms(const std::vector<std::string>& names = {});
  ApiResult<Empty> delete_room(const std::string& room);
  ApiResult<std::vector<Participant>> list_participants(const std::string& room);
  ApiResult<Participant> get_participant(const std::string& room, const std::string& identity);
  ApiResult<Empty> remove_participant(const std::string& room, const std::string& identity);
  ApiResult<Participant> update_participant(const UpdateParticipantRequest& request);
  ApiResult<Empty> send_data(const SendDataRequest& request);
  ApiResult<Room> update_room_metadata(const std::string& room, const std::string& metadata);

 private:
  TwirpClient& client_;
};

// JSON mapping (protobuf JSON as the server writes it: snake_case, int64 as strings). Never throws.
Room room_from_json(const nlohmann::json& json);
Participant participant_from_json(const nlohmann::json& json);

}  // namespace va::livekit
