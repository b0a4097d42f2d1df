#include "livekit/webhook_event.hpp"

#include <array>
#include <nlohmann/json.hpp>
#include <span>

#include "livekit/json_fields.hpp"

namespace va::livekit {
namespace {

using json_fields::boolean;
using json_fields::integer;
using json_fields::text;

struct EventName {
  std::string_view name;
  WebhookEventType type;
};
constexpr std::array<EventName, 12> kEventNames{{
    {"room_started", WebhookEventType::room_started},
    {"room_finished", WebhookEventType::room_finished},
    {"participant_joined", WebhookEventType::participant_joined},
    {"participant_left", WebhookEventType::participant_left},
    {"participant_connection_aborted", WebhookEventType::participant_connection_aborted},
    {"track_published", WebhookEventType::track_published},
    {"track_unpublished", WebhookEventType::track_unpublished},
    {"egress_started", WebhookEventType::egress_started},
    {"egress_updated", WebhookEventType::egress_updated},
    {"egress_ended", WebhookEventType::egress_ended},
    {"ingress_started", WebhookEventType::ingress_started},
    {"ingress_ended", WebhookEventType::ingress_ended},
}};

// Protobuf JSON writes enums by name; a parser must also accept the number. `names` are in number order.
std::string enum_name(const nlohmann::json& json, std::initializer_list<std::string_view> keys,
                      std::span<const std::string_view> names) {
  const auto* v = json_fields::find(json, keys);
  if (v == nullptr) return names.empty() ? std::string() : std::string(names.front());
  if (v->is_string()) return v->get<std::string>();
  if (v->is_number_integer() || v->is_number_unsigned()) {
    auto n = integer(json, keys);
    if (n >= 0 && static_cast<std::size_t>(n) < names.size())
      return std::string(names[static_cast<std::size_t>(n)]);
    return std::to_string(n);
  }
  return names.empty() ? std::string() : std::string(names.front());
}

constexpr std::array<std::string_view, 5> kKindNames{"STANDARD", "INGRESS", "EGRESS", "SIP", "AGENT"};
constexpr std::array<std::string_view, 4> kStateNames{"JOINING", "JOINED", "ACTIVE", "DISCONNECTED"};
constexpr std::array<std::string_view, 3> kTrackTypeNames{"AUDIO", "VIDEO", "DATA"};
constexpr std::array<std::string_view, 5> kTrackSourceNames{"UNKNOWN", "CAMERA", "MICROPHONE", "SCREEN_SHARE",
                                                            "SCREEN_SHARE_AUDIO"};
constexpr std::array<std::string_view, 7> kEgressStatusNames{
    "EGRESS_STARTING", "EGRESS_ACTIVE",  "EGRESS_ENDING",       "EGRESS_COMPLETE",
    "EGRESS_FAILED",   "EGRESS_ABORTED", "EGRESS_LIMIT_REACHED"};
constexpr std::array<std::string_view, 5> kIngressStatusNames{
    "ENDPOINT_INACTIVE", "ENDPOINT_BUFFERING", "ENDPOINT_PUBLISHING", "ENDPOINT_ERROR", "ENDPOINT_COMPLETE"};
constexpr std::array<std::string_view, 3> kIngressInputNames{"RTMP_INPUT", "WHIP_INPUT", "URL_INPUT"};
constexpr std::array<std::string_view, 16> kDisconnectReasonNames{
    "UNKNOWN_REASON",      "CLIENT_INITIATED",  "DUPLICATE_IDENTITY", "SERVER_SHUTDOWN",
    "PARTICIPANT_REMOVED", "ROOM_DELETED",      "STATE_MISMATCH",     "JOIN_FAILURE",
    "MIGRATION",           "SIGNAL_CLOSE",      "ROOM_CLOSED",        "USER_UNAVAILABLE",
    "USER_REJECTED",       "SIP_TRUNK_FAILURE", "CONNECTION_TIMEOUT", "MEDIA_FAILURE"};

ParticipantKind kind_from(std::string_view name) {
  if (name == "STANDARD") return ParticipantKind::standard;
  if (name == "INGRESS") return ParticipantKind::ingress;
  if (name == "EGRESS") return ParticipantKind::egress;
  if (name == "SIP") return ParticipantKind::sip;
  if (name == "AGENT") return ParticipantKind::agent;
  return ParticipantKind::unknown;
}

ParticipantState state_from(std::string_view name) {
  if (name == "JOINING") return ParticipantState::joining;
  if (name == "JOINED") return ParticipantState::joined;
  if (name == "ACTIVE") return ParticipantState::active;
  if (name == "DISCONNECTED") return ParticipantState::disconnected;
  return ParticipantState::unknown;
}

WebhookRoom room_from(const nlohmann::json& j) {
  WebhookRoom r;
  r.sid = text(j, {"sid"});
  r.name = text(j, {"name"});
  r.empty_timeout = integer(j, {"emptyTimeout", "empty_timeout"});
  r.departure_timeout = integer(j, {"departureTimeout", "departure_timeout"});
  r.max_participants = integer(j, {"maxParticipants", "max_participants"});
  r.creation_time = integer(j, {"creationTime", "creation_time"});
  r.creation_time_ms = integer(j, {"creationTimeMs", "creation_time_ms"});
  r.metadata = text(j, {"metadata"});
  r.num_participants = integer(j, {"numParticipants", "num_participants"});
  r.num_publishers = integer(j, {"numPublishers", "num_publishers"});
  r.active_recording = boolean(j, {"activeRecording", "active_recording"});
  return r;
}

WebhookParticipant participant_from(const nlohmann::json& j) {
  WebhookParticipant p;
  p.sid = text(j, {"sid"});
  p.identity = text(j, {"identity"});
  p.name = text(j, {"name"});
  p.state = state_from(enum_name(j, {"state"}, kStateNames));
  p.kind = kind_from(enum_name(j, {"kind"}, kKindNames));
  p.metadata = text(j, {"metadata"});
  p.attributes = json_fields::text_map(j, {"attributes"});
  p.joined_at = integer(j, {"joinedAt", "joined_at"});
  p.joined_at_ms = integer(j, {"joinedAtMs", "joined_at_ms"});
  p.is_publisher = boolean(j, {"isPublisher", "is_publisher"});
  if (json_fields::find(j, {"disconnectReason", "disconnect_reason"}) != nullptr)
    p.disconnect_reason = enum_name(j, {"disconnectReason", "disconnect_reason"}, kDisconnectReasonNames);
  return p;
}

WebhookTrack track_from(const nlohmann::json& j) {
  WebhookTrack t;
  t.sid = text(j, {"sid"});
  t.type = enum_name(j, {"type"}, kTrackTypeNames);
  t.source = enum_name(j, {"source"}, kTrackSourceNames);
  t.name = text(j, {"name"});
  t.mime_type = text(j, {"mimeType", "mime_type"});
  t.muted = boolean(j, {"muted"});
  t.width = integer(j, {"width"});
  t.height = integer(j, {"height"});
  return t;
}

WebhookEgress egress_from(const nlohmann::json& j) {
  WebhookEgress e;
  e.egress_id = text(j, {"egressId", "egress_id"});
  e.room_id = text(j, {"roomId", "room_id"});
  e.room_name = text(j, {"roomName", "room_name"});
  e.status = enum_name(j, {"status"}, kEgressStatusNames);
  e.started_at = integer(j, {"startedAt", "started_at"});
  e.ended_at = integer(j, {"endedAt", "ended_at"});
  e.error = text(j, {"error"});
  return e;
}

WebhookIngress ingress_from(const nlohmann::json& j) {
  WebhookIngress i;
  i.ingress_id = text(j, {"ingressId", "ingress_id"});
  i.name = text(j, {"name"});
  i.room_name = text(j, {"roomName", "room_name"});
  i.participant_identity = text(j, {"participantIdentity", "participant_identity"});
  i.input_type = enum_name(j, {"inputType", "input_type"}, kIngressInputNames);
  if (const auto* state = json_fields::find(j, {"state"}); state != nullptr && state->is_object()) {
    i.status = enum_name(*state, {"status"}, kIngressStatusNames);
    i.room_id = text(*state, {"roomId", "room_id"});
    i.error = text(*state, {"error"});
  }
  return i;
}

// A sub-message is present when the key holds an object (protobuf JSON omits unset messages).
const nlohmann::json* object_field(const nlohmann::json& j, std::initializer_list<std::string_view> keys) {
  const auto* v = json_fields::find(j, keys);
  return v != nullptr && v->is_object() ? v : nullptr;
}

}  // namespace

std::string_view to_string(WebhookEventType type) {
  for (const auto& entry : kEventNames) {
    if (entry.type == type) return entry.name;
  }
  return "unknown";
}

WebhookEventType webhook_event_type(std::string_view name) {
  for (const auto& entry : kEventNames) {
    if (entry.name == name) return entry.type;
  }
  return WebhookEventType::unknown;
}

std::string_view to_string(ParticipantKind kind) {
  switch (kind) {
    case ParticipantKind::standard:
      return "standard";
    case ParticipantKind::ingress:
      return "ingress";
    case ParticipantKind::egress:
      return "egress";
    case ParticipantKind::sip:
      return "sip";
    case ParticipantKind::agent:
      return "agent";
    case ParticipantKind::unknown:
      break;
  }
  return "unknown";
}

std::string_view to_string(ParticipantState state) {
  switch (state) {
    case ParticipantState::joining:
      return "joining";
    case ParticipantState::joined:
      return "joined";
    case ParticipantState::active:
      return "active";
    case ParticipantState::disconnected:
      return "disconnected";
    case ParticipantState::unknown:
      break;
  }
  return "unknown";
}

std::variant<WebhookEvent, WebhookParseError> parse_webhook_event(std::string_view body) {
  try {
    auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return WebhookParseError{"the body is not valid JSON"};
    if (!j.is_object()) return WebhookParseError{"the body is not a JSON object"};
    const auto* event = json_fields::find(j, {"event"});
    if (event == nullptr || !event->is_string() || event->get_ref<const std::string&>().empty())
      return WebhookParseError{"the event has no \"event\" name"};
    WebhookEvent out;
    out.name = event->get<std::string>();
    out.type = webhook_event_type(out.name);
    out.id = text(j, {"id"});
    out.created_at = integer(j, {"createdAt", "created_at"});
    if (const auto* v = object_field(j, {"room"})) out.room = room_from(*v);
    if (const auto* v = object_field(j, {"participant"})) out.participant = participant_from(*v);
    if (const auto* v = object_field(j, {"track"})) out.track = track_from(*v);
    if (const auto* v = object_field(j, {"egressInfo", "egress_info"})) out.egress = egress_from(*v);
    if (const auto* v = object_field(j, {"ingressInfo", "ingress_info"})) out.ingress = ingress_from(*v);
    return out;
  } catch (const std::exception& e) {
    // Only allocation failure can get here (parse itself does not throw with allow_exceptions = false).
    return WebhookParseError{std::string("cannot parse the event: ") + e.what()};
  }
}

bool SipParticipantAttributes::empty() const {
  return call_id.empty() && call_id_full.empty() && phone_number.empty() && trunk_phone_number.empty() &&
         call_status.empty() && trunk_id.empty() && rule_id.empty() && hostname.empty() && headers.empty();
}

SipParticipantAttributes sip_participant_attributes(const std::map<std::string, std::string>& attributes) {
  SipParticipantAttributes out;
  constexpr std::string_view kHeaderPrefix = "sip.h.";
  // Attribute keys are ordered, so everything with the "sip." prefix is one contiguous range.
  for (auto it = attributes.lower_bound("sip."); it != attributes.end(); ++it) {
    std::string_view key = it->first;
    if (!key.starts_with("sip.")) break;
    const std::string& value = it->second;
    if (key.starts_with(kHeaderPrefix)) {
      if (key.size() > kHeaderPrefix.size())
        out.headers[std::string(key.substr(kHeaderPrefix.size()))] = value;
    } else if (key == "sip.callID") {
      out.call_id = value;
    } else if (key == "sip.callIDFull") {
      out.call_id_full = value;
    } else if (key == "sip.phoneNumber") {
      out.phone_number = value;
    } else if (key == "sip.trunkPhoneNumber") {
      out.trunk_phone_number = value;
    } else if (key == "sip.callStatus") {
      out.call_status = value;
    } else if (key == "sip.trunkID") {
      out.trunk_id = value;
    } else if (key == "sip.ruleID") {
      out.rule_id = value;
    } else if (key == "sip.hostname") {
      out.hostname = value;
    }
  }
  return out;
}

}  // namespace va::livekit
