// The agent worker protocol's messages (livekit_agent.proto, generated at build time from the pinned
// livekit-protocol wheel): what the worker sends, built from plain values, and what the server sends, parsed
// without trusting it. Internal to the worker (agent_worker.cpp) and its tests.
//
// The exchange (LiveKit server pkg/agent, livekit/agents worker.py):
//   worker → RegisterWorkerRequest            server → RegisterWorkerResponse {worker_id}
//   server → AvailabilityRequest {job}        worker → AvailabilityResponse {available, participant ...}
//   server → JobAssignment {job, token, url}  worker → UpdateJobStatus {running / success / failed}
//   server → JobTermination {job_id}          worker → UpdateWorkerStatus {status, load, job_count}
//   worker → WorkerPing {timestamp}           server → WorkerPong {last_timestamp, timestamp}
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "livekit/agent_job.hpp"
#include "livekit/agent_job_slots.hpp"
#include "livekit_agent.pb.h"

namespace va::livekit {

namespace agent_proto = ::livekit;

// Who the worker is, sent once per connection.
struct WorkerRegistration {
  std::string agent_name;
  std::string version;
};

// How the agent appears in the room it is dispatched to.
struct AgentParticipant {
  std::string identity;
  std::string name;
  std::map<std::string, std::string> attributes;
};

agent_proto::WorkerMessage register_request(const WorkerRegistration& registration);
agent_proto::WorkerMessage availability_response(const std::string& job_id, bool available,
                                                 const AgentParticipant& participant);
agent_proto::WorkerMessage worker_status(const WorkerLoad& load);
agent_proto::WorkerMessage job_status(const std::string& job_id, agent_proto::JobStatus status,
                                      const std::string& error = {});
agent_proto::WorkerMessage worker_ping(std::int64_t unix_millis);

std::string serialize(const agent_proto::WorkerMessage& message);

// A ServerMessage, or nullopt when `bytes` is not one (garbage, truncated, a text frame's JSON).
std::optional<agent_proto::ServerMessage> parse_server_message(std::string_view bytes);
// "register", "availability", ... or "unset" (a message of a newer protocol: its field is unknown to us).
std::string_view message_name(const agent_proto::ServerMessage& message);

// The job to hand to the owner. `server_url` is used when the assignment carries no URL of its own.
AgentJob agent_job(const agent_proto::JobAssignment& assignment, std::string_view server_url,
                   std::string agent_identity);

// LiveKit's SDKs join rooms over WebSocket: http(s) URLs become ws(s), others are kept.
std::string websocket_url(std::string_view url);

}  // namespace va::livekit
