#include "livekit/agent_worker_protocol.hpp"

#include "common/ascii.hpp"

namespace va::livekit {

agent_proto::WorkerMessage register_request(const WorkerRegistration& registration) {
  agent_proto::WorkerMessage message;
  auto& request = *message.mutable_register_();
  // A room job per call: the server dispatches when the room is created (room_config.agents) or on an
  // explicit CreateDispatch, never per publisher.
  request.set_type(agent_proto::JT_ROOM);
  request.set_agent_name(registration.agent_name);
  request.set_version(registration.version);
  // What the server grants the agent's participant in the tokens it mints for our jobs: a call needs the
  // caller's audio (subscribe), its own audio (publish), sip_dtmf packets (publish data) and attributes.
  auto& permissions = *request.mutable_allowed_permissions();
  permissions.set_can_publish(true);
  permissions.set_can_subscribe(true);
  permissions.set_can_publish_data(true);
  permissions.set_can_update_metadata(true);
  return message;
}

agent_proto::WorkerMessage availability_response(const std::string& job_id, bool available,
                                                 const AgentParticipant& participant) {
  agent_proto::WorkerMessage message;
  auto& response = *message.mutable_availability();
  response.set_job_id(job_id);
  response.set_available(available);
  if (available) {
    response.set_participant_identity(participant.identity);
    response.set_participant_name(participant.name);
    for (const auto& [key, value] : participant.attributes)
      (*response.mutable_participant_attributes())[key] = value;
  }
  return message;
}

agent_proto::WorkerMessage worker_status(const WorkerLoad& load) {
  agent_proto::WorkerMessage message;
  auto& update = *message.mutable_update_worker();
  update.set_status(load.full ? agent_proto::WS_FULL : agent_proto::WS_AVAILABLE);
  update.set_load(load.load);
  update.set_job_count(load.job_count);
  update.set_draining(load.draining);
  return message;
}

agent_proto::WorkerMessage job_status(const std::string& job_id, agent_proto::JobStatus status,
                                      const std::string& error) {
  agent_proto::WorkerMessage message;
  auto& update = *message.mutable_update_job();
  update.set_job_id(job_id);
  update.set_status(status);
  update.set_error(error);
  return message;
}

agent_proto::WorkerMessage worker_ping(std::int64_t unix_millis) {
  agent_proto::WorkerMessage message;
  message.mutable_ping()->set_timestamp(unix_millis);
  return message;
}

std::string serialize(const agent_proto::WorkerMessage& message) {
  return message.SerializeAsString();
}

std::optional<agent_proto::ServerMessage> parse_server_message(std::string_view bytes) {
  agent_proto::ServerMessage message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;
  return message;
}

std::string_view message_name(const agent_proto::ServerMessage& message) {
  switch (message.message_case()) {
    case agent_proto::ServerMessage::kRegister:
      return "register";
    case agent_proto::ServerMessage::kAvailability:
      return "availability";
    case agent_proto::ServerMessage::kAssignment:
      return "assignment";
    case agent_proto::ServerMessage::kTermination:
      return "termination";
    case agent_proto::ServerMessage::kPong:
      return "pong";
    case agent_proto::ServerMessage::kGoAway:
      return "go_away";
    case agent_proto::ServerMessage::MESSAGE_NOT_SET:
      break;
  }
  return "unset";
}

AgentJob agent_job(const agent_proto::JobAssignment& assignment, std::string_view server_url,
                   std::string agent_identity) {
  const auto& job = assignment.job();
  AgentJob out;
  out.id = job.id();
  out.room_name = job.room().name();
  out.room_sid = job.room().sid();
  out.token = assignment.token();
  out.url = assignment.has_url() && !assignment.url().empty() ? assignment.url() : websocket_url(server_url);
  out.agent_name = job.agent_name();
  out.metadata = job.metadata();
  out.dispatch_id = job.dispatch_id();
  out.agent_identity = std::move(agent_identity);
  if (job.has_participant()) out.target_identity = job.participant().identity();
  return out;
}

std::string websocket_url(std::string_view url) {
  std::string text(url);
  auto lower = ascii::to_lower(text);
  if (lower.starts_with("https://")) return "wss://" + text.substr(8);
  if (lower.starts_with("http://")) return "ws://" + text.substr(7);
  return text;
}

}  // namespace va::livekit
