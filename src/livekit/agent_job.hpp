// A job LiveKit assigned to this agent worker: one room (one call) the agent is to join. A plain value, so
// the room leg that joins the room does not depend on the worker protocol.
#pragma once

#include <string>

namespace va::livekit {

struct AgentJob {
  std::string id;  // "AJ_..."
  std::string room_name;
  std::string room_sid;  // "RM_..."
  // The access token the server minted for the agent's participant (room join, the permissions the worker
  // registered with, the identity/name/attributes it answered with). Secret: never log it.
  std::string token;
  std::string url;  // where to join: the assignment's URL, else the server URL the worker connected to
  std::string agent_name;
  std::string metadata;        // the dispatch's metadata (room_config.agents[].metadata or CreateDispatch)
  std::string dispatch_id;     // "AD_..." (empty for jobs without a dispatch)
  std::string agent_identity;  // the agent participant's identity, as answered to the availability request
  std::string
      target_identity;  // the participant the job is for (publisher/participant jobs); empty for rooms
};

}  // namespace va::livekit
