#include "livekit/agent_dispatch_service.hpp"

#include "livekit/json_fields.hpp"

namespace va::livekit {
namespace {

namespace jf = json_fields;
constexpr std::string_view kService = "livekit.AgentDispatchService";

RequestGrants room_admin(const std::string& room) {
  VideoGrant video;
  video.room_admin = true;
  video.room = room;
  return {video, std::nullopt};
}

ApiResult<AgentDispatch> one(ApiResult<nlohmann::json> result) {
  if (!result.ok()) return result.error();
  return agent_dispatch_from_json(result.value());
}

}  // namespace

AgentDispatch agent_dispatch_from_json(const nlohmann::json& json) {
  return {jf::text(json, {"id"}), jf::text(json, {"agent_name", "agentName"}), jf::text(json, {"room"}),
          jf::text(json, {"metadata"})};
}

ApiResult<AgentDispatch> AgentDispatchService::create_dispatch(const std::string& room,
                                                               const std::string& agent_name,
                                                               const std::string& metadata) {
  return one(client_.call(kService, "CreateDispatch",
                          {{"room", room}, {"agent_name", agent_name}, {"metadata", metadata}},
                          room_admin(room), Idempotency::write));
}

ApiResult<std::vector<AgentDispatch>> AgentDispatchService::list_dispatch(const std::string& room) {
  auto result = client_.call(kService, "ListDispatch", {{"room", room}}, room_admin(room), Idempotency::read);
  if (!result.ok()) return result.error();
  std::vector<AgentDispatch> out;
  if (const auto* list = jf::find(result.value(), {"agent_dispatches", "agentDispatches"});
      list != nullptr && list->is_array()) {
    for (const auto& item : *list) out.push_back(agent_dispatch_from_json(item));
  }
  return out;
}

ApiResult<AgentDispatch> AgentDispatchService::delete_dispatch(const std::string& dispatch_id,
                                                               const std::string& room) {
  return one(client_.call(kService, "DeleteDispatch", {{"dispatch_id", dispatch_id}, {"room", room}},
                          room_admin(room), Idempotency::write));
}

}  // namespace va::livekit
