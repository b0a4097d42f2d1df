#include "livekit/webhook_log_sink.hpp"

#include "common/log.hpp"

namespace va::livekit {

void WebhookLogSink::on_event(const WebhookEvent& event) {
  log::Fields fields{{"event", event.name}, {"id", event.id}};
  if (event.room) fields.emplace_back("room", event.room->name);
  if (event.participant) {
    fields.emplace_back("participant", event.participant->identity);
    fields.emplace_back("participant_kind", to_string(event.participant->kind));
    auto sip = sip_participant_attributes(event.participant->attributes);
    if (!sip.empty()) {
      fields.emplace_back("sip_call_id", sip.call_id);
      fields.emplace_back("sip_call_status", sip.call_status);
      // The logger masks phone numbers (logging.mask_phone_numbers).
      fields.emplace_back("sip_phone_number", sip.phone_number);
    }
  }
  if (event.track) {
    fields.emplace_back("track", event.track->sid);
    fields.emplace_back("track_source", event.track->source);
  }
  if (event.egress) {
    fields.emplace_back("egress", event.egress->egress_id);
    fields.emplace_back("egress_status", event.egress->status);
  }
  if (event.ingress) {
    fields.emplace_back("ingress", event.ingress->ingress_id);
    fields.emplace_back("ingress_status", event.ingress->status);
  }
  if (event.type == WebhookEventType::unknown) {
    log::info("livekit webhook event of an unknown type ignored", fields);
    return;
  }
  log::info("livekit webhook event", fields);
}

}  // namespace va::livekit
