// The call records at the composition root (issue 12): the store storage.url names, the orchestrator over
// it, and a decorator around every flow's handler so each call — SIP dialog or LiveKit room — is recorded
// from its first ring to its end, with the conversation's transcript and turn metrics.
#pragma once

#include <memory>
#include <string>

#include "app/call_control.hpp"
#include "calls/orchestrator.hpp"
#include "calls/outbox.hpp"
#include "calls/store.hpp"
#include "common/config.hpp"
#include "common/metrics.hpp"
#include "media/call_handler.hpp"
#include "media/recording_retention.hpp"
#include "media/recording_writer.hpp"
#include "voice/conversation.hpp"

namespace va::app {

struct CallRecords {
  std::unique_ptr<calls::Store> store;
  std::unique_ptr<calls::Orchestrator> orchestrator;
  std::unique_ptr<calls::Outbox> outbox;  // events.url set: delivers the events; goes first at exit
};

// Opens and migrates the store, ends the calls this instance left unfinished (agent_restart) and, with
// events.url, starts delivering the outbound events (those left from before the restart too). The error
// says what could not be opened and why; serve refuses to start without its records.
Result<CallRecords, std::string> open_call_records(const config::Config& cfg, metrics::Registry& metrics);

// storage.instance, or the host name.
std::string instance_name(const config::Config& cfg);

// The call recordings (recording.*, routes' `record`): the writer when a route records, the retention
// sweeper when recording.retention is not 0 and there are (or may be) recordings to expire.
struct CallRecordings {
  std::unique_ptr<media::RecordingWriter> writer;
  std::unique_ptr<media::RecordingRetention> retention;
};
// The error says why recording.dir cannot be used; serve refuses to start then.
Result<CallRecordings, std::string> open_call_recordings(const config::Config& cfg,
                                                         metrics::Registry& metrics);

// Every handler `registry` makes from now on reports its call to `orchestrator`, and — when its route asks
// (CallInfo::record) and `recordings` is set — records the call's audio from its answer to its end, listing
// the files in the call's record; with `control`, the call can be hung up or transferred through it while it
// lasts. `recordings` must outlive every call.
void record_calls(media::CallHandlerRegistry& registry, calls::Orchestrator& orchestrator,
                  media::RecordingWriter* recordings = nullptr, LiveCallControl* control = nullptr);

// The conversation's transcript and turns, kept with the live call until it ends, and the flow's metadata
// (`set:`, the hang-up reason) merged into the call's attributes.
void attach_conversation(calls::Orchestrator& orchestrator, const std::string& record_id,
                         const voice::Conversation& conversation);

}  // namespace va::app
