// The calls of LiveKit mode: each job the agent worker is assigned becomes a room leg (room_leg.hpp) on one
// of the call threads, driven by the handler (flow) its route names — the same handlers a SIP dialog gets,
// through the same media::CallLeg seam. This is where a LiveKit call starts, is counted and ends:
//
//   job assigned ─► RoomLeg on the next call thread, joined and publishing at once (ring time)
//                   │  report job_running
//   caller found ─► route (flow, language) ─► handler.start(leg, info)
//   leg ended    ─► report job_finished (with the reason when it failed), the call is forgotten
//
// The worker's reports are callbacks (AgentWorker::job_running / job_finished), so this file does not depend
// on the worker protocol. Without the library (FfiLibrary::load failed) every job is refused with the load
// error, which names the file and what is missing: the direct SIP path does not need it.
//
// One call, whichever way its events come: LiveKit's webhooks (verified and de-duplicated by the receiver)
// describe the same call as the room leg. RoomCalls is also a webhook sink: an event of a room with a call in
// progress is joined to that call by the room's name and, for the caller's participant, checked against the
// caller's sip.callID; it is logged with the job and call ids (livekit_call_webhooks_total{matched}) and
// counted on the call, so the orchestrator can keep one record per call.
//
// Threading: run(), terminate(), hang_up_all() and on_event() may be called from any thread; a call's own
// work runs on its call thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/metrics.hpp"
#include "livekit/agent_job.hpp"
#include "livekit/room/ffi_library.hpp"
#include "livekit/room/room_administration.hpp"
#include "livekit/room/room_participant.hpp"
#include "livekit/webhook_receiver.hpp"
#include "media/call_handler.hpp"
#include "media/media_threads.hpp"

namespace va::livekit::room {

// What a call runs: the route's flow and language, chosen by the composition root from the configuration.
struct RoomCallRoute {
  std::string flow;
  std::string language;
  std::string route;  // how it was chosen, for the log ("dialled +7999…", "room prefix call-", "default")
  media::RecordingMode record = media::RecordingMode::off;  // the route's `record`
};

struct RoomCallsOptions {
  CallerSelection caller_selection = CallerSelection::sip_or_first_audio_publisher;
  bool delete_room_on_hangup = true;
  std::string track_name = "voice-agent";
  std::chrono::milliseconds caller_timeout{30000};
  // The route of a call: by the caller's sip.* attributes and the room's name.
  std::function<RoomCallRoute(const AgentJob& job, const RoomParticipant& caller)> route;
};

struct RoomCallsReports {
  std::function<void(const std::string& job_id)> job_running;
  std::function<void(const std::string& job_id, const std::string& error)> job_finished;
};

class RoomCalls : public WebhookEventSink {
 public:
  // `library` null: the library could not be loaded, `library_error` says why. `admin` may be null (no
  // server API: hang-up only leaves the room). Everything passed by reference must outlive this object.
  RoomCalls(FfiLibrary* library, std::string library_error, media::MediaThreads& threads,
            RoomAdministration* admin, const media::CallHandlerRegistry& handlers, RoomCallsOptions options,
            RoomCallsReports reports, metrics::Registry& metrics);
  ~RoomCalls() override;
  RoomCalls(const RoomCalls&) = delete;
  RoomCalls& operator=(const RoomCalls&) = delete;

  // A job the worker was assigned (its token joins the room). `assigned` is when the assignment arrived.
  void run(const AgentJob& job, std::chrono::steady_clock::time_point assigned);
  // The server ended the job: the call hangs up.
  void terminate(const std::string& job_id);
  // Shutdown: every call hangs up (reason shutdown).
  void hang_up_all();
  std::size_t active() const;

  // WebhookEventSink: joins an event to the call in its room, if any.
  void on_event(const WebhookEvent& event) override;
  // Webhook events joined to the call of `job_id` so far (0 for an unknown job).
  std::size_t webhook_events(const std::string& job_id) const;

 private:
  class Call;
  void forget(const std::string& job_id, const std::string& error);
  void caller_found(Call& call, const RoomParticipant& caller);

  FfiLibrary* library_;
  std::string library_error_;
  media::MediaThreads& threads_;
  RoomAdministration* admin_;
  const media::CallHandlerRegistry& handlers_;
  RoomCallsOptions options_;
  RoomCallsReports reports_;

  metrics::Family<metrics::Counter>& calls_;
  metrics::Family<metrics::Gauge>& active_gauge_;
  metrics::Family<metrics::Counter>& webhooks_;
  metrics::Family<metrics::Histogram>& ring_time_;

  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Call>> calls_by_job_;
};

}  // namespace va::livekit::room
