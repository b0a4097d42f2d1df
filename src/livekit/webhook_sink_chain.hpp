// Several consumers of the same webhook events (the log line, bridge mode, the orchestrator), called in order
// on the receiver's worker thread. One sink's exception is logged and does not keep the event from the rest.
#pragma once

#include <vector>

#include "livekit/webhook_receiver.hpp"

namespace va::livekit {

class WebhookSinkChain : public WebhookEventSink {
 public:
  explicit WebhookSinkChain(std::vector<WebhookEventSink*> sinks) : sinks_(std::move(sinks)) {}
  void on_event(const WebhookEvent& event) override;

 private:
  std::vector<WebhookEventSink*> sinks_;
};

}  // namespace va::livekit
