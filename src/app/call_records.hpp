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

// Every handler `registry` makes from now on reports its call to `orchestrator` and, with `control`, can be
// hung up or transferred through it while it lasts.
void record_calls(media::CallHandlerRegistry& registry, calls::Orchestrator& orchestrator,
                  LiveCallControl* control = nullptr);

// The conversation's transcript and turns, kept with the live call until it ends.
void attach_conversation(calls::Orchestrator& orchestrator, const std::string& record_id,
                         const voice::Conversation& conversation);

}  // namespace va::app
