#include "livekit/webhook_sink_chain.hpp"

#include <exception>

#include "common/log.hpp"

namespace va::livekit {

void WebhookSinkChain::on_event(const WebhookEvent& event) {
  for (auto* sink : sinks_) {
    try {
      sink->on_event(event);
    } catch (const std::exception& e) {
      log::error("livekit webhook event handler failed",
                 {{"event", event.name}, {"id", event.id}, {"error", e.what()}});
    }
  }
}

}  // namespace va::livekit
