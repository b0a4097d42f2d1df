// LiveKit webhook events (livekit.WebhookEvent, protobuf JSON) as typed values.
//
// The server sends lowerCamelCase JSON with int64 values as strings and enums as names; we also accept
// snake_case, int64 numbers and enum numbers, because protobuf JSON parsers must and other senders (SDKs,
// proxies) differ. The body is untrusted until verified and a parse never throws: malformed input gives a
// WebhookParseError with a message.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace va::livekit {

enum class WebhookEventType {
  room_started,
  room_finished,
  participant_joined,
  participant_left,
  participant_connection_aborted,
  track_published,
  track_unpublished,
  egress_started,
  egress_updated,
  egress_ended,
  ingress_started,
  ingress_ended,
  unknown,  // a newer server's event; WebhookEvent::name keeps what it was called
};
std::string_view to_string(WebhookEventType type);
WebhookEventType webhook_event_type(std::string_view name);

struct WebhookRoom {
  std::string sid;
  std::string name;
  std::int64_t empty_timeout = 0;      // seconds
  std::int64_t departure_timeout = 0;  // seconds
  std::int64_t max_participants = 0;
  std::int64_t creation_time = 0;  // unix seconds
  std::int64_t creation_time_ms = 0;
  std::string metadata;
  std::int64_t num_participants = 0;
  std::int64_t num_publishers = 0;
  bool active_recording = false;
};

enum class ParticipantKind { standard, ingress, egress, sip, agent, unknown };
std::string_view to_string(ParticipantKind kind);
enum class ParticipantState { joining, joined, active, disconnected, unknown };
std::string_view to_string(ParticipantState state);

struct WebhookParticipant {
  std::string sid;
  std::string identity;
  std::string name;
  ParticipantState state = ParticipantState::joining;
  ParticipantKind kind = ParticipantKind::standard;
  std::string metadata;
  std::map<std::string, std::string> attributes;
  std::int64_t joined_at = 0;  // unix seconds
  std::int64_t joined_at_ms = 0;
  bool is_publisher = false;
  std::string disconnect_reason;  // enum name, e.g. "CLIENT_INITIATED"; empty when unset
};

struct WebhookTrack {
  std::string sid;
  std::string type;    // "AUDIO", "VIDEO", "DATA"
  std::string source;  // "MICROPHONE", "CAMERA", "SCREEN_SHARE", ... ("UNKNOWN" when unset)
  std::string name;
  std::string mime_type;
  bool muted = false;
  std::int64_t width = 0;
  std::int64_t height = 0;
};

struct WebhookEgress {
  std::string egress_id;
  std::string room_id;
  std::string room_name;
  std::string status;           // "EGRESS_STARTING", "EGRESS_ACTIVE", "EGRESS_COMPLETE", "EGRESS_FAILED", ...
  std::int64_t started_at = 0;  // unix nanoseconds
  std::int64_t ended_at = 0;
  std::string error;
};

struct WebhookIngress {
  std::string ingress_id;
  std::string name;
  std::string room_name;
  std::string participant_identity;
  std::string input_type;  // "RTMP_INPUT", "WHIP_INPUT", "URL_INPUT"
  std::string status;      // state.status: "ENDPOINT_INACTIVE", "ENDPOINT_PUBLISHING", ...
  std::string room_id;     // state.roomId
  std::string error;       // state.error
  // The stream key is a credential and is deliberately not kept.
};

struct WebhookEvent {
  std::string id;  // unique per event; LiveKit resends the same id when it retries
  WebhookEventType type = WebhookEventType::unknown;
  std::string name;             // the `event` field as received
  std::int64_t created_at = 0;  // unix seconds
  std::optional<WebhookRoom> room;
  std::optional<WebhookParticipant> participant;
  std::optional<WebhookTrack> track;
  std::optional<WebhookEgress> egress;
  std::optional<WebhookIngress> ingress;
};

struct WebhookParseError {
  std::string message;
};

// Parses a webhook body. An object with a non-empty string `event` is an event (unknown names included);
// anything else is a WebhookParseError. Never throws.
std::variant<WebhookEvent, WebhookParseError> parse_webhook_event(std::string_view body);

// The attributes LiveKit's SIP service sets on a SIP participant (docs.livekit.io, "SIP participant
// attributes"); headers mapped with headers_to_attributes or the `sip.h.` prefix land in `headers`, keyed by
// the part after "sip.h.".
struct SipParticipantAttributes {
  std::string call_id;             // sip.callID (LiveKit's SCL_ id)
  std::string call_id_full;        // sip.callIDFull (the SIP Call-ID header)
  std::string phone_number;        // sip.phoneNumber (the caller, or the callee for outbound calls)
  std::string trunk_phone_number;  // sip.trunkPhoneNumber
  std::string call_status;         // sip.callStatus: "active", "automation", "dialing", "ringing", "hangup"
  std::string trunk_id;            // sip.trunkID
  std::string rule_id;             // sip.ruleID
  std::string hostname;            // sip.hostname
  std::map<std::string, std::string> headers;

  // True when no sip.* attribute was present (not a SIP participant).
  bool empty() const;
};
SipParticipantAttributes sip_participant_attributes(const std::map<std::string, std::string>& attributes);

}  // namespace va::livekit
