// Bridge mode, the action: on a caller joining a room of a `livekit: bridge` route (decide_bridge_dial), ask
// LiveKit to dial voice-agent's own SIP endpoint into that room (CreateSIPParticipant through the bridge
// trunk that `voice-agent provision` created). The conversation then runs on the SIP leg.
//
// Runs on the webhook receiver's worker thread (one event at a time; the API call blocks it for its
// duration, which is what that thread is for). At most one dial per room: LiveKit's retried deliveries are
// already dropped by the receiver, and a second SIP participant (or our own bridge participant) joining the
// same room dials nothing. A failed dial is logged and counted, never retried: a retry storm against a server
// without a SIP bridge helps nobody, and the caller's own ringing timeout ends the call.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "common/config.hpp"
#include "common/metrics.hpp"
#include "livekit/sip_service.hpp"
#include "livekit/twirp_client.hpp"
#include "livekit/webhook_receiver.hpp"

namespace va::livekit {

class BridgeDialer : public WebhookEventSink {
 public:
  BridgeDialer(const config::Config& config, metrics::Registry& metrics,
               TwirpClientOptions client_options = default_client_options());

  void on_event(const WebhookEvent& event) override;

  static TwirpClientOptions default_client_options();

 private:
  // The bridge trunk's ID, looked up by our ownership marker (cached once found).
  std::optional<std::string> trunk_id(std::string& error);
  bool remember_room(const std::string& room);
  void forget_room(const std::string& room);

  const config::Config& config_;
  TwirpClient client_;
  SipService sip_;
  metrics::Family<metrics::Counter>& dials_;
  std::optional<std::string> trunk_id_;
  std::set<std::string> dialled_rooms_;
  std::deque<std::string> dialled_order_;  // oldest first, to bound the set
};

}  // namespace va::livekit
