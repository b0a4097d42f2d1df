#include "livekit/sip_types.hpp"

#include "livekit/json_fields.hpp"

namespace va::livekit {
namespace {

namespace jf = json_fields;

void put_if(nlohmann::json& out, const char* key, const std::string& value) {
  if (!value.empty()) out[key] = value;
}
void put_if(nlohmann::json& out, const char* key, const std::vector<std::string>& value) {
  if (!value.empty()) out[key] = value;
}
void put_if(nlohmann::json& out, const char* key, const StringMap& value) {
  if (!value.empty()) out[key] = value;
}

SipTransport transport_from(std::string_view name) {
  if (name == "SIP_TRANSPORT_UDP") return SipTransport::udp;
  if (name == "SIP_TRANSPORT_TCP") return SipTransport::tcp;
  if (name == "SIP_TRANSPORT_TLS") return SipTransport::tls;
  return SipTransport::automatic;
}

SipHeaderOptions header_options_from(std::string_view name) {
  if (name == "SIP_X_HEADERS") return SipHeaderOptions::x_headers;
  if (name == "SIP_ALL_HEADERS") return SipHeaderOptions::all;
  return SipHeaderOptions::none;
}

SipMediaEncryption encryption_from(std::string_view name) {
  if (name == "SIP_MEDIA_ENCRYPT_ALLOW") return SipMediaEncryption::allow;
  if (name == "SIP_MEDIA_ENCRYPT_REQUIRE") return SipMediaEncryption::require;
  return SipMediaEncryption::disable;
}

// google.protobuf.Duration in JSON is "<seconds>s" with optional fractions ("1.5s"); whole seconds kept.
std::chrono::seconds duration_from(const nlohmann::json& j, std::initializer_list<std::string_view> names) {
  std::string text = jf::text(j, names);
  std::int64_t seconds = 0;
  for (char c : text) {
    if (c < '0' || c > '9') break;
    if (seconds > 1'000'000'000) break;  // hostile input: clamp rather than overflow
    seconds = seconds * 10 + (c - '0');
  }
  return std::chrono::seconds(seconds);
}

nlohmann::json duration_json(std::chrono::seconds s) {
  return std::to_string(s.count()) + "s";
}

nlohmann::json media_json(const SipMedia& media) {
  nlohmann::json j = nlohmann::json::object();
  if (!media.codecs.empty()) {
    j["only_listed_codecs"] = true;
    auto codecs = nlohmann::json::array();
    for (const auto& c : media.codecs) codecs.push_back({{"name", c}});
    j["codecs"] = codecs;
  }
  if (media.encryption != SipMediaEncryption::disable) j["encryption"] = to_string(media.encryption);
  return j;
}

SipMedia media_from(const nlohmann::json& j) {
  SipMedia m;
  const auto* media = jf::find(j, {"media"});
  if (media == nullptr || !media->is_object()) return m;
  if (const auto* codecs = jf::find(*media, {"codecs"}); codecs != nullptr && codecs->is_array()) {
    for (const auto& c : *codecs) m.codecs.push_back(jf::text(c, {"name"}));
  }
  m.encryption = encryption_from(jf::text(*media, {"encryption"}));
  return m;
}

}  // namespace

std::string_view to_string(SipHeaderOptions options) {
  switch (options) {
    case SipHeaderOptions::none:
      return "SIP_NO_HEADERS";
    case SipHeaderOptions::x_headers:
      return "SIP_X_HEADERS";
    case SipHeaderOptions::all:
      return "SIP_ALL_HEADERS";
  }
  return "SIP_NO_HEADERS";
}

std::string_view to_string(SipMediaEncryption encryption) {
  switch (encryption) {
    case SipMediaEncryption::disable:
      return "SIP_MEDIA_ENCRYPT_DISABLE";
    case SipMediaEncryption::allow:
      return "SIP_MEDIA_ENCRYPT_ALLOW";
    case SipMediaEncryption::require:
      return "SIP_MEDIA_ENCRYPT_REQUIRE";
  }
  return "SIP_MEDIA_ENCRYPT_DISABLE";
}

std::string_view to_string(DispatchRuleKind kind) {
  switch (kind) {
    case DispatchRuleKind::individual:
      return "individual";
    case DispatchRuleKind::direct:
      return "direct";
    case DispatchRuleKind::callee:
      return "callee";
  }
  return "individual";
}

std::string_view to_string(SipTransport transport) {
  switch (transport) {
    case SipTransport::automatic:
      return "SIP_TRANSPORT_AUTO";
    case SipTransport::udp:
      return "SIP_TRANSPORT_UDP";
    case SipTransport::tcp:
      return "SIP_TRANSPORT_TCP";
    case SipTransport::tls:
      return "SIP_TRANSPORT_TLS";
  }
  return "SIP_TRANSPORT_AUTO";
}

nlohmann::json to_json(const SipInboundTrunk& t) {
  nlohmann::json j{{"name", t.name}};
  put_if(j, "metadata", t.metadata);
  put_if(j, "numbers", t.numbers);
  put_if(j, "allowed_addresses", t.allowed_addresses);
  put_if(j, "allowed_numbers", t.allowed_numbers);
  put_if(j, "auth_username", t.auth_username);
  put_if(j, "auth_password", t.auth_password);
  put_if(j, "auth_realm", t.auth_realm);
  put_if(j, "headers", t.headers);
  put_if(j, "headers_to_attributes", t.headers_to_attributes);
  put_if(j, "attributes_to_headers", t.attributes_to_headers);
  if (t.include_headers != SipHeaderOptions::none) j["include_headers"] = to_string(t.include_headers);
  if (t.ringing_timeout.count() > 0) j["ringing_timeout"] = duration_json(t.ringing_timeout);
  if (t.max_call_duration.count() > 0) j["max_call_duration"] = duration_json(t.max_call_duration);
  if (t.krisp_enabled) j["krisp_enabled"] = true;
  if (auto media = media_json(t.media); !media.empty()) j["media"] = media;
  return j;
}

nlohmann::json to_json(const SipOutboundTrunk& t) {
  nlohmann::json j{{"name", t.name}, {"address", t.address}, {"transport", to_string(t.transport)}};
  put_if(j, "metadata", t.metadata);
  put_if(j, "numbers", t.numbers);
  put_if(j, "auth_username", t.auth_username);
  put_if(j, "auth_password", t.auth_password);
  put_if(j, "headers", t.headers);
  put_if(j, "headers_to_attributes", t.headers_to_attributes);
  put_if(j, "destination_country", t.destination_country);
  put_if(j, "from_host", t.from_host);
  return j;
}

nlohmann::json to_json(const SipDispatchRule& r) {
  nlohmann::json rule;
  switch (r.kind) {
    case DispatchRuleKind::direct:
      rule["dispatch_rule_direct"] = {{"room_name", r.room_name}, {"pin", r.pin}};
      break;
    case DispatchRuleKind::individual:
      rule["dispatch_rule_individual"] = {
          {"room_prefix", r.room_prefix}, {"pin", r.pin}, {"no_randomness", !r.randomize}};
      break;
    case DispatchRuleKind::callee:
      rule["dispatch_rule_callee"] = {
          {"room_prefix", r.room_prefix}, {"pin", r.pin}, {"randomize", r.randomize}};
      break;
  }
  nlohmann::json j{{"name", r.name}, {"rule", rule}};
  put_if(j, "metadata", r.metadata);
  put_if(j, "trunk_ids", r.trunk_ids);
  put_if(j, "inbound_numbers", r.inbound_numbers);
  put_if(j, "numbers", r.numbers);
  put_if(j, "attributes", r.attributes);
  if (r.hide_phone_number) j["hide_phone_number"] = true;
  if (r.krisp_enabled) j["krisp_enabled"] = true;
  if (!r.agents.empty()) {
    auto agents = nlohmann::json::array();
    for (const auto& a : r.agents) agents.push_back({{"agent_name", a.agent_name}, {"metadata", a.metadata}});
    j["room_config"] = {{"agents", agents}};
  }
  return j;
}

SipInboundTrunk inbound_trunk_from_json(const nlohmann::json& j) {
  SipInboundTrunk t;
  t.id = jf::text(j, {"sip_trunk_id", "sipTrunkId"});
  t.name = jf::text(j, {"name"});
  t.metadata = jf::text(j, {"metadata"});
  t.numbers = jf::texts(j, {"numbers"});
  t.allowed_addresses = jf::texts(j, {"allowed_addresses", "allowedAddresses"});
  t.allowed_numbers = jf::texts(j, {"allowed_numbers", "allowedNumbers"});
  t.auth_username = jf::text(j, {"auth_username", "authUsername"});
  t.auth_password = jf::text(j, {"auth_password", "authPassword"});
  t.auth_realm = jf::text(j, {"auth_realm", "authRealm"});
  t.headers = jf::text_map(j, {"headers"});
  t.headers_to_attributes = jf::text_map(j, {"headers_to_attributes", "headersToAttributes"});
  t.attributes_to_headers = jf::text_map(j, {"attributes_to_headers", "attributesToHeaders"});
  t.include_headers = header_options_from(jf::text(j, {"include_headers", "includeHeaders"}));
  t.ringing_timeout = duration_from(j, {"ringing_timeout", "ringingTimeout"});
  t.max_call_duration = duration_from(j, {"max_call_duration", "maxCallDuration"});
  t.krisp_enabled = jf::boolean(j, {"krisp_enabled", "krispEnabled"});
  t.media = media_from(j);
  return t;
}

SipOutboundTrunk outbound_trunk_from_json(const nlohmann::json& j) {
  SipOutboundTrunk t;
  t.id = jf::text(j, {"sip_trunk_id", "sipTrunkId"});
  t.name = jf::text(j, {"name"});
  t.metadata = jf::text(j, {"metadata"});
  t.address = jf::text(j, {"address"});
  t.transport = transport_from(jf::text(j, {"transport"}));
  t.numbers = jf::texts(j, {"numbers"});
  t.auth_username = jf::text(j, {"auth_username", "authUsername"});
  t.auth_password = jf::text(j, {"auth_password", "authPassword"});
  t.headers = jf::text_map(j, {"headers"});
  t.headers_to_attributes = jf::text_map(j, {"headers_to_attributes", "headersToAttributes"});
  t.destination_country = jf::text(j, {"destination_country", "destinationCountry"});
  t.from_host = jf::text(j, {"from_host", "fromHost"});
  return t;
}

SipDispatchRule dispatch_rule_from_json(const nlohmann::json& j) {
  SipDispatchRule r;
  r.id = jf::text(j, {"sip_dispatch_rule_id", "sipDispatchRuleId"});
  r.name = jf::text(j, {"name"});
  r.metadata = jf::text(j, {"metadata"});
  if (const auto* rule = jf::find(j, {"rule"})) {
    if (const auto* d = jf::find(*rule, {"dispatch_rule_direct", "dispatchRuleDirect"})) {
      r.kind = DispatchRuleKind::direct;
      r.room_name = jf::text(*d, {"room_name", "roomName"});
      r.pin = jf::text(*d, {"pin"});
    } else if (const auto* i = jf::find(*rule, {"dispatch_rule_individual", "dispatchRuleIndividual"})) {
      r.kind = DispatchRuleKind::individual;
      r.room_prefix = jf::text(*i, {"room_prefix", "roomPrefix"});
      r.pin = jf::text(*i, {"pin"});
      r.randomize = !jf::boolean(*i, {"no_randomness", "noRandomness"});
    } else if (const auto* c = jf::find(*rule, {"dispatch_rule_callee", "dispatchRuleCallee"})) {
      r.kind = DispatchRuleKind::callee;
      r.room_prefix = jf::text(*c, {"room_prefix", "roomPrefix"});
      r.pin = jf::text(*c, {"pin"});
      r.randomize = jf::boolean(*c, {"randomize"});
    }
  }
  r.trunk_ids = jf::texts(j, {"trunk_ids", "trunkIds"});
  r.inbound_numbers = jf::texts(j, {"inbound_numbers", "inboundNumbers"});
  r.numbers = jf::texts(j, {"numbers"});
  r.attributes = jf::text_map(j, {"attributes"});
  r.hide_phone_number = jf::boolean(j, {"hide_phone_number", "hidePhoneNumber"});
  r.krisp_enabled = jf::boolean(j, {"krisp_enabled", "krispEnabled"});
  if (const auto* config = jf::find(j, {"room_config", "roomConfig"})) {
    if (const auto* agents = jf::find(*config, {"agents"}); agents != nullptr && agents->is_array()) {
      for (const auto& a : *agents)
        r.agents.push_back({jf::text(a, {"agent_name", "agentName"}), jf::text(a, {"metadata"})});
    }
  }
  return r;
}

}  // namespace va::livekit
