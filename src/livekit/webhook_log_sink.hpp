// The event sink of the composition root until the orchestrator handles LiveKit events: one info line per
// event (type, room, participant identity and kind, SIP call id, track), phone numbers masked by the logger.
#pragma once

#include "livekit/webhook_receiver.hpp"

namespace va::livekit {

class WebhookLogSink : public WebhookEventSink {
 public:
  void on_event(const WebhookEvent& event) override;
};

}  // namespace va::livekit
