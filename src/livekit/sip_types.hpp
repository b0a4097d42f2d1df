// LiveKit's SIP objects (livekit_sip.proto): inbound and outbound trunks and dispatch rules, with their
// protobuf-JSON mapping. Only the fields voice-agent sets or compares are modelled; provisioning compares
// exactly these (provision_plan.hpp).
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace va::livekit {

using StringMap = std::map<std::string, std::string>;

// Which received SIP headers become `sip.h.*` participant attributes besides the mapped ones.
enum class SipHeaderOptions { none, x_headers, all };
enum class SipMediaEncryption { disable, allow, require };

// SIPMediaConfig: when `codecs` is non-empty only those are offered (only_listed_codecs).
struct SipMedia {
  std::vector<std::string> codecs;  // "PCMA", "PCMU", "G722"
  SipMediaEncryption encryption = SipMediaEncryption::disable;
  friend bool operator==(const SipMedia&, const SipMedia&) = default;
};

// Accepts calls from the carrier (MTS Exolve) into LiveKit.
struct SipInboundTrunk {
  std::string id;  // sip_trunk_id, "ST_..."; empty before creation
  std::string name;
  std::string metadata;
  std::vector<std::string> numbers;            // accepted called numbers (To)
  std::vector<std::string> allowed_addresses;  // carrier source IPs / CIDRs
  std::vector<std::string> allowed_numbers;    // accepted callers (From); empty: any
  std::string auth_username;
  std::string auth_password;  // secret
  std::string auth_realm;
  StringMap headers;                // added to responses
  StringMap headers_to_attributes;  // SIP header → participant attribute
  StringMap attributes_to_headers;
  SipHeaderOptions include_headers = SipHeaderOptions::none;
  std::chrono::seconds ringing_timeout{0};  // 0: the server's default (3 min)
  std::chrono::seconds max_call_duration{0};
  bool krisp_enabled = false;
  SipMedia media;
  friend bool operator==(const SipInboundTrunk&, const SipInboundTrunk&) = default;
};

enum class SipTransport { automatic, udp, tcp, tls };

// Places calls through the carrier.
struct SipOutboundTrunk {
  std::string id;
  std::string name;
  std::string metadata;
  std::string address;  // host[:port], not a URI
  SipTransport transport = SipTransport::automatic;
  std::vector<std::string> numbers;  // caller IDs this trunk may use
  std::string auth_username;
  std::string auth_password;  // secret
  StringMap headers;
  StringMap headers_to_attributes;
  std::string destination_country;
  std::string from_host;
  friend bool operator==(const SipOutboundTrunk&, const SipOutboundTrunk&) = default;
};

enum class DispatchRuleKind { individual, direct, callee };

struct DispatchAgent {
  std::string agent_name;
  std::string metadata;
  friend bool operator==(const DispatchAgent&, const DispatchAgent&) = default;
};

// Which room an accepted call goes to.
struct SipDispatchRule {
  std::string id;  // sip_dispatch_rule_id, "SDR_..."
  std::string name;
  std::string metadata;
  DispatchRuleKind kind = DispatchRuleKind::individual;
  std::string room_name;    // direct
  std::string room_prefix;  // individual, callee
  std::string pin;
  bool randomize = false;  // callee: a new room per call; individual: the inverse of no_randomness
  std::vector<std::string> trunk_ids;  // empty: every trunk
  std::vector<std::string> inbound_numbers;
  std::vector<std::string> numbers;
  StringMap attributes;
  bool hide_phone_number = false;
  std::vector<DispatchAgent> agents;  // room_config.agents: dispatched when the room is created
  bool krisp_enabled = false;
  friend bool operator==(const SipDispatchRule&, const SipDispatchRule&) = default;
};

std::string_view to_string(DispatchRuleKind kind);
std::string_view to_string(SipTransport transport);
std::string_view to_string(SipHeaderOptions options);
std::string_view to_string(SipMediaEncryption encryption);

// To the request JSON the server takes (snake_case); `id` is not part of it.
nlohmann::json to_json(const SipInboundTrunk& trunk);
nlohmann::json to_json(const SipOutboundTrunk& trunk);
nlohmann::json to_json(const SipDispatchRule& rule);

// From the server's JSON. Never throws; missing fields read as defaults.
SipInboundTrunk inbound_trunk_from_json(const nlohmann::json& json);
SipOutboundTrunk outbound_trunk_from_json(const nlohmann::json& json);
SipDispatchRule dispatch_rule_from_json(const nlohmann::json& json);

}  // namespace va::livekit
