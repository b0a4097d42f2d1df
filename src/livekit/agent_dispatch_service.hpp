// livekit.AgentDispatchService: explicit dispatch of a named agent into a room.
#pragma once

#include <string>
#include <vector>

#include "livekit/room_service.hpp"
#include "livekit/twirp_client.hpp"

namespace va::livekit {

struct AgentDispatch {
  std::string id;  // "AD_..."
  std::string agent_name;
  std::string room;
  std::string metadata;
};

class AgentDispatchService {
 public:
  explicit AgentDispatchService(TwirpClient& client) : client_(client) {}

  ApiResult<AgentDispatch> create_dispatch(const std::string& room, const std::string& agent_name,
                                           const std::string& metadata = {});
  ApiResult<std::vector<AgentDispatch>> list_dispatch(const std::string& room);
  ApiResult<AgentDispatch> delete_dispatch(const std::string& dispatch_id, const std::string& room);

 private:
  TwirpClient& client_;
};

AgentDispatch agent_dispatch_from_json(const nlohmann::json& json);

}  // namespace va::livekit
