// voice-agent as a LiveKit agent worker: registered with the LiveKit server over WebSocket
// (`<server>/agent`, protobuf WorkerMessage/ServerMessage, see agent_worker_protocol.hpp), it is offered the
// jobs dispatched to its agent name — a room created with the agent in room_config.agents (which is what
// `voice-agent provision` puts into the SIP dispatch rules) or an explicit AgentDispatchService dispatch —
// and hands each assigned job to its owner, which joins the room and runs the call.
//
// Behaviour:
// - capacity: accepts offers while running + reserved jobs < max_calls and not draining
// (agent_job_slots.hpp);
//   reports WS_FULL at capacity, load = held / capacity, whenever the count changes;
// - liveness: a WorkerPing every ping_interval; nothing received for ping_interval * missed_pings means the
//   connection is dead;
// - reconnects with exponential backoff and jitter, and registers again (a new worker id); running jobs go
//   on (their calls do not depend on this connection), offers in flight are forgotten;
// - drain(): refuses new jobs and reports WS_FULL, calls back when the last job finished or the timeout
//   passed;
// - server input is never trusted: an unparsable frame or a message this protocol version does not know is
//   logged with context and counted, and the connection goes on.
//
// Threading: all work runs on a strand of the given executor; owner callbacks run there too. The public
// functions are thread-safe. After stop() (or the destructor) returns, no callback runs or is running.
//
// Reports: health component "livekit_agent" (ready when registered, degraded while (re)connecting — a LiveKit
// outage is shared by every instance and the SIP endpoint works without it, see api_health_monitor.hpp —
// stopped after stop()); metrics livekit_worker_* (see the constructor).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/health.hpp"
#include "common/metrics.hpp"
#include "common/retry_schedule.hpp"
#include "livekit/agent_job.hpp"
#include "livekit/twirp_client.hpp"

namespace va::config {
struct Config;
}

namespace va::livekit {

struct AgentWorkerOptions {
  ServerEndpoint endpoint;  // url (ws/wss/http/https), api_key, api_secret
  std::string agent_name = "voice-agent";
  std::string version;          // reported to the server (voice-agent's version)
  std::uint32_t max_calls = 4;  // capacity
  std::string participant_name = "voice-agent";
  std::string identity_prefix = "agent-";  // the agent participant's identity: prefix + job id
  std::map<std::string, std::string> participant_attributes;

  std::chrono::milliseconds connect_timeout{10000};   // resolve, TCP, TLS and the WebSocket upgrade
  std::chrono::milliseconds register_timeout{10000};  // RegisterWorkerRequest → RegisterWorkerResponse
  std::chrono::milliseconds ping_interval{5000};
  std::uint32_t missed_pings = 3;  // silence for ping_interval * missed_pings: the connection is dead
  // An accepted offer whose JobAssignment does not come within this frees its slot (the server waits
  // 10 s for our answer and assigns at once after it; 7.5 s is what LiveKit's Python worker allows).
  std::chrono::milliseconds assignment_timeout{7500};
  RetrySchedule retry{std::chrono::milliseconds(1000), std::chrono::milliseconds(30000), 5};
  double retry_jitter = 0.2;  // ± this fraction of each reconnect delay
  std::string ca_file;        // extra trusted CAs for wss (tests); empty: the system store
  std::string health_component = "livekit_agent";
};

// The options serve uses: livekit.url/api_key/api_secret, livekit.agent.*, monitoring.backoff_*.
AgentWorkerOptions agent_worker_options(const config::Config& config, std::string version);

enum class AgentWorkerState { connecting, registered, stopped };
std::string_view to_string(AgentWorkerState state);

struct AgentWorkerStatus {
  AgentWorkerState state = AgentWorkerState::connecting;
  std::string worker_id;  // of the current registration; empty while not registered
  std::uint32_t running_jobs = 0;
  std::uint32_t reserved_jobs = 0;
  bool draining = false;
  std::uint64_t registrations = 0;  // successful registrations since start (1 + reconnects)
  std::string last_error;           // why the last connection failed or ended
};

struct AgentWorkerCallbacks {
  // A job was assigned: join job.room_name with job.token at job.url, then call job_running(job.id); call
  // job_finished(job.id, ...) when the call is over (or could not start).
  std::function<void(const AgentJob& job)> on_job;
  // The server ended a job (the dispatch was deleted, the room closed): hang up that call, then report
  // job_finished as usual.
  std::function<void(const std::string& job_id)> on_termination;
};

class AgentWorker {
 public:
  // `health` may be null. `metrics` must outlive the worker.
  AgentWorker(boost::asio::any_io_executor executor, AgentWorkerOptions options,
              AgentWorkerCallbacks callbacks, metrics::Registry& metrics, HealthRegistry* health = nullptr);
  ~AgentWorker();  // stop()
  AgentWorker(const AgentWorker&) = delete;
  AgentWorker& operator=(const AgentWorker&) = delete;

  // Connects and registers; retries until stop().
  void start();
  // Closes the connection; no callback runs after this returns. Idempotent.
  void stop();

  // The owner's reports on an assigned job (→ UpdateJobStatus). job_finished frees its slot; an empty
  // `error` means success.
  void job_running(const std::string& job_id);
  void job_finished(const std::string& job_id, const std::string& error = {});

  // Stops taking jobs (WS_FULL, offers refused). `done(jobs_left)` runs once on the worker's strand: with 0
  // when the last job finished, or with the jobs still running when `timeout` passed.
  void drain(std::chrono::milliseconds timeout, std::function<void(std::uint32_t jobs_left)> done);

  AgentWorkerStatus status() const;

 private:
  struct Session;
  std::shared_ptr<Session> session_;
};

}  // namespace va::livekit
