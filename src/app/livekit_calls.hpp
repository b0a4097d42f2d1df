// Composition of LiveKit mode's calls (issue 11): the agent worker's jobs → RoomCalls (src/livekit/room),
// with liblivekit_ffi loaded from livekit.agent.library, the server API for hang-up and transfer, call
// threads of their own, and the route of each call chosen from routing.inbound. Glue only.
#pragma once

#include <memory>
#include <string>

#include "common/config.hpp"
#include "common/metrics.hpp"
#include "livekit/agent_job.hpp"
#include "livekit/room/room_calls.hpp"
#include "media/call_handler.hpp"

namespace va::app {

// The route of a LiveKit call: the number the caller dialled (sip.trunkPhoneNumber) as on the SIP path, else
// a route whose room_prefix starts the room's name, else the conversation in the agent's language.
livekit::room::RoomCallRoute livekit_call_route(const config::Config& cfg, const livekit::AgentJob& job,
                                                const livekit::room::RoomParticipant& caller);

class LiveKitCalls {
 public:
  // Loads the library (a failure is logged: every job is then refused with the reason). `handlers` must
  // outlive this object.
  LiveKitCalls(const config::Config& cfg, const media::CallHandlerRegistry& handlers,
               metrics::Registry& metrics, livekit::room::RoomCallsReports reports);
  ~LiveKitCalls();  // hangs up what is left, stops the call threads
  LiveKitCalls(const LiveKitCalls&) = delete;
  LiveKitCalls& operator=(const LiveKitCalls&) = delete;

  livekit::room::RoomCalls& calls();
  bool library_loaded() const;

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace va::app
