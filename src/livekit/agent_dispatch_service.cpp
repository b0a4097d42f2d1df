#include "livekit/agent_dispatch_service.hpp"

#include "livekit/json_fields.hpp"
#include "livekit/service_call.hpp"

namespace va::livekit {
namespace {

namespace jf = json_fields;
constexpr std::string_view kService = "livekit.AgentDispatchService";

ApiResult<AgentDispatch> one(ApiResult<nlohmann::json> result) {
  return typed_result<AgentDispatch>(std::move(result), agent_dispatch_from_json);
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
                          room_admin_grants(room), Idempotency::write));
}

ApiResult<std::vector<AgentDispatch>> AgentDispatchService::list_dispatch(const std::string& room) {
  return typed_list<AgentDispatch>(
      client_.call(kService, "ListDispatch", {{"room", room}}, room_admin_grants(room), Idempotency::read),
      {"agent_dispatches", "agentDispatches"}, agent_dispatch_from_json);
}

ApiResult<AgentDispatch> AgentDispatchService::delete_dispatch(const std::string& dispatch_id,
                                                               const std::string& room) {
  return one(client_.call(kService, "DeleteDispatch", {{"dispatch_id", dispatch_id}, {"room", room}},
                          room_admin_grants(room), Idempotency::write));
}

}  // namespace va::livekit
