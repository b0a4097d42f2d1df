#include "livekit/bridge_dialer.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "livekit/bridge_dial.hpp"
#include "livekit/provision_desired_state.hpp"

namespace va::livekit {
namespace {

// Rooms remembered as dialled. Far more than concurrent calls; the oldest is forgotten first (its room has
// long finished, and room_finished normally forgets it sooner).
constexpr std::size_t kRoomMemory = 65'536;

}  // namespace

TwirpClientOptions BridgeDialer::default_client_options() {
  TwirpClientOptions o;
  o.connect_timeout = std::chrono::seconds(3);
  // A server without a SIP bridge answers "no response from servers" after about 1 s; one with a bridge
  // answers once the INVITE is under way.
  o.request_timeout = std::chrono::seconds(10);
  return o;
}

BridgeDialer::BridgeDialer(const config::Config& config, metrics::Registry& metrics,
                           TwirpClientOptions client_options)
    : config_(config),
      client_({config.livekit.url, config.livekit.api_key, config.livekit.api_secret}, client_options),
      sip_(client_),
      dials_(metrics.counter(
          "livekit_bridge_dials_total",
          "Bridge mode: CreateSIPParticipant calls that dial voice-agent into a caller's room, "
          "by result (dialled, failed, no_trunk)",
          {"result"})) {
  for (const char* result : {"dialled", "failed", "no_trunk"}) dials_.with({result});
}

std::optional<std::string> BridgeDialer::trunk_id(std::string& error) {
  if (trunk_id_) return trunk_id_;
  auto trunks = sip_.list_outbound_trunks();
  if (!trunks.ok()) {
    error = trunks.error().to_string();
    return std::nullopt;
  }
  const auto& instance = config_.livekit.provisioning.name_prefix;
  for (const auto& t : trunks.value()) {
    auto marker = ownership_marker(t.metadata);
    if (marker && marker->instance == instance && marker->key == kBridgeTrunkKey) {
      trunk_id_ = t.id;
      return trunk_id_;
    }
  }
  error = "no bridge trunk of instance '" + instance + "' on the server: run voice-agent provision";
  return std::nullopt;
}

bool BridgeDialer::remember_room(const std::string& room) {
  if (!dialled_rooms_.insert(room).second) return false;
  dialled_order_.push_back(room);
  if (dialled_order_.size() > kRoomMemory) {
    dialled_rooms_.erase(dialled_order_.front());
    dialled_order_.pop_front();
  }
  return true;
}

void BridgeDialer::forget_room(const std::string& room) {
  if (dialled_rooms_.erase(room) == 0) return;
  dialled_order_.erase(std::find(dialled_order_.begin(), dialled_order_.end(), room));
}

void BridgeDialer::on_event(const WebhookEvent& event) {
  if (event.type == WebhookEventType::room_finished && event.room) {
    forget_room(event.room->name);
    return;
  }
  auto decision = decide_bridge_dial(config_, event);
  if (!decision.dial) {
    if (decision.skip != BridgeSkip::not_a_join && decision.skip != BridgeSkip::not_sip)
      log::debug("livekit bridge: nothing to dial",
                 {{"room", event.room ? event.room->name : ""}, {"reason", to_string(decision.skip)}});
    return;
  }
  auto& request = decision.dial->request;
  // One dial per room, whatever happens to it: the first SIP participant is the caller.
  if (!remember_room(request.room_name)) {
    log::debug("livekit bridge: room already dialled", {{"room", request.room_name}});
    return;
  }
  const std::string caller_call_id =
      request.participant_attributes[std::string(kBridgeCallerCallIdAttribute)];
  std::string error;
  auto trunk = trunk_id(error);
  if (!trunk) {
    dials_.with({"no_trunk"}).inc();
    log::warn("livekit bridge dial failed: no bridge trunk",
              {{"room", request.room_name}, {"route", decision.dial->route->match}, {"error", error}});
    return;
  }
  request.sip_trunk_id = *trunk;
  auto placed = sip_.create_participant(request);
  if (!placed.ok()) {
    dials_.with({"failed"}).inc();
    // The trunk may have been deleted (provision --prune): look it up again next time.
    if (placed.error().code == ApiErrorCode::not_found) trunk_id_.reset();
    log::warn("livekit bridge dial failed", {{"room", request.room_name},
                                             {"trunk", request.sip_trunk_id},
                                             {"sip_call_to", request.sip_call_to},
                                             {"caller_sip_call_id", caller_call_id},
                                             {"error", placed.error().to_string()}});
    return;
  }
  dials_.with({"dialled"}).inc();
  log::info("livekit bridge dialled", {{"room", request.room_name},
                                       {"trunk", request.sip_trunk_id},
                                       {"sip_call_to", request.sip_call_to},
                                       {"caller_sip_call_id", caller_call_id},
                                       {"participant", placed.value().participant_identity},
                                       {"sip_call_id", placed.value().sip_call_id}});
}

}  // namespace va::livekit
