// What drives a call, whatever its transport: a handler (a "flow") named by the routing configuration
// (routing.inbound[].flow) — the diagnostic flows, the conversation pipeline. Handlers are registered by name
// at the composition root (Envoy style: a new flow is a new file plus one registration line), so neither the
// SIP user agent nor the LiveKit agent knows which flows exist. It lives beside the CallLeg seam because both
// transports start handlers on their legs.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "media/call_leg.hpp"
#include "media/recording_mode.hpp"

namespace va::media {

struct CallInfo {
  std::string call_id;
  std::string caller;  // From URI
  std::string
      dialed;        // Request-URI user part (inbound: the number the route matched; outbound: the target's)
  std::string flow;  // the flow name the route (or the outbound request) chose
  std::string language;   // the route's language ("ru", "en"); empty: the agent's default
  bool outbound = false;  // we placed the call (UserAgent::place_call): no answer() needed, it is the peer's
  // Where the call came from, for its record (src/calls): "sip" (a dialog of our own) or "livekit" (a room).
  std::string transport = "sip";
  std::string trunk;        // SIP: the trunk the call came in on or goes out through, when known
  std::string room;         // LiveKit: the room
  std::string participant;  // LiveKit: the caller participant's identity
  std::map<std::string, std::string> attributes;  // LiveKit: the participant's attributes (sip.*)
  std::string record_id;  // the call's id in the call records (src/calls), when it is recorded
  RecordingMode record = RecordingMode::off;  // the route's `record`: the call's audio to WAV files
  // The call's media thread, for the handler's own timers (a handler runs only there).
  boost::asio::any_io_executor executor;
};

// A handler is the leg's observer for the whole call. start() runs once on the call's thread, after the
// observer is set; the handler calls leg.answer() when it is ready (at once for the diagnostic flows) or
// leg.hangup(EndReason::rejected) to refuse the call. An inbound call whose handler has not answered when
// start() returns rings (180 Ringing) until it does. For an outbound call start() runs before the INVITE is
// sent, answer() does nothing, and on_answered() reports the peer's 2xx.
class CallHandler : public CallLegObserver {
 public:
  virtual void start(CallLeg& leg, const CallInfo& info) = 0;
};

using CallHandlerFactory = std::function<std::unique_ptr<CallHandler>()>;

class CallHandlerRegistry {
 public:
  void add(std::string name, CallHandlerFactory factory) { factories_[std::move(name)] = std::move(factory); }
  bool contains(std::string_view name) const { return factories_.find(name) != factories_.end(); }
  // Wraps the handlers of every registered flow (a decorator, e.g. the call records): make() returns
  // wrap(handler). Decorations made later wrap the earlier ones.
  void decorate(const std::function<std::unique_ptr<CallHandler>(std::unique_ptr<CallHandler>)>& wrap) {
    for (auto it = factories_.begin(); it != factories_.end(); ++it) {
      it->second = [inner = it->second, wrap]() -> std::unique_ptr<CallHandler> {
        auto handler = inner();
        return handler ? wrap(std::move(handler)) : nullptr;
      };
    }
  }
  std::unique_ptr<CallHandler> make(std::string_view name) const {
    auto it = factories_.find(name);
    return it == factories_.end() ? nullptr : it->second();
  }

 private:
  std::map<std::string, CallHandlerFactory, std::less<>> factories_;
};

}  // namespace va::media
