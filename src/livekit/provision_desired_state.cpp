#include "livekit/provision_desired_state.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace va::livekit {
namespace {

constexpr std::string_view kManagedBy = "voice-agent";

void append_unique(std::vector<std::string>& out, const std::vector<std::string>& items) {
  for (const auto& item : items) {
    if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
  }
}

const config::Trunk* find_trunk(const config::Config& config, const std::string& name) {
  for (const auto& t : config.sip.trunks) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::string default_room_prefix(const config::Config& config) {
  if (!config.routing.inbound.empty()) return config.routing.inbound.front().room_prefix;
  return "call-";
}

std::optional<SipInboundTrunk> inbound_trunk(const config::Config& config, DesiredState& state) {
  const auto& p = config.livekit.provisioning;
  const auto& c = p.inbound_trunk;
  if (!c.enabled) {
    state.notes.push_back("inbound trunk: disabled (livekit.provisioning.inbound_trunk.enabled: false)");
    return std::nullopt;
  }
  SipInboundTrunk t;
  t.name = c.name.empty() ? p.name_prefix + "-inbound" : c.name;
  t.metadata = to_metadata({p.name_prefix, std::string(kInboundTrunkKey), {}});
  t.numbers = c.numbers;
  if (t.numbers.empty()) {
    for (const auto& trunk : config.sip.trunks) append_unique(t.numbers, trunk.numbers);
    if (!t.numbers.empty()) state.notes.push_back("inbound trunk: numbers from sip.trunks");
  }
  t.allowed_addresses = c.allowed_addresses;
  if (t.allowed_addresses.empty()) {
    for (const auto& trunk : config.sip.trunks) {
      if (trunk.mode == config::TrunkMode::static_ip)
        append_unique(t.allowed_addresses, trunk.allowed_addresses);
    }
    if (!t.allowed_addresses.empty())
      state.notes.push_back("inbound trunk: allowed_addresses from the static_ip trunks in sip.trunks");
  }
  t.allowed_numbers = c.allowed_numbers;
  t.auth_username = c.auth_username;
  t.auth_password = c.auth_password;
  t.auth_realm = c.auth_realm;
  for (const auto& m : c.headers_to_attributes) t.headers_to_attributes[m.header] = m.attribute;
  t.include_headers = c.include_headers == "x_headers" ? SipHeaderOptions::x_headers
                      : c.include_headers == "all"     ? SipHeaderOptions::all
                                                       : SipHeaderOptions::none;
  t.ringing_timeout = std::chrono::duration_cast<std::chrono::seconds>(c.ringing_timeout);
  t.max_call_duration = std::chrono::duration_cast<std::chrono::seconds>(c.max_call_duration);
  t.krisp_enabled = c.krisp_enabled;
  t.media.codecs = c.codecs;
  t.media.encryption = c.media_encryption == "allow"     ? SipMediaEncryption::allow
                       : c.media_encryption == "require" ? SipMediaEncryption::require
                                                         : SipMediaEncryption::disable;
  // LiveKit refuses a trunk that would accept anyone (and so should we).
  if (t.numbers.empty() && t.allowed_addresses.empty() && t.auth_username.empty()) {
    state.notes.push_back(
        "inbound trunk: skipped: nothing restricts who may call (set numbers, allowed_addresses or "
        "auth_username/auth_password under livekit.provisioning.inbound_trunk, or numbers in sip.trunks)");
    return std::nullopt;
  }
  return t;
}

std::optional<SipOutboundTrunk> outbound_trunk(const config::Config& config, DesiredState& state) {
  const auto& p = config.livekit.provisioning;
  const auto& c = p.outbound_trunk;
  if (!c.enabled) {
    state.notes.push_back("outbound trunk: disabled (livekit.provisioning.outbound_trunk.enabled: false)");
    return std::nullopt;
  }
  const config::Trunk* source = find_trunk(config, config.routing.outbound.trunk);
  SipOutboundTrunk t;
  t.name = c.name.empty() ? p.name_prefix + "-outbound" : c.name;
  t.metadata = to_metadata({p.name_prefix, std::string(kOutboundTrunkKey), {}});
  t.address = c.address;
  if (t.address.empty() && source != nullptr && source->mode == config::TrunkMode::register_) {
    t.address = source->registrar;
    bool default_port = source->port == (source->transport == config::Transport::tls ? 5061 : 5060);
    if (!default_port) t.address += ":" + std::to_string(source->port);
    state.notes.push_back("outbound trunk: address from sip.trunks '" + source->name + "'");
  }
  if (t.address.empty()) {
    state.notes.push_back(
        "outbound trunk: skipped: no address (set livekit.provisioning.outbound_trunk.address, or "
        "routing.outbound.trunk to a register trunk)");
    return std::nullopt;
  }
  std::string transport = c.transport;
  if (transport.empty() && source != nullptr) {
    transport = source->transport == config::Transport::tcp   ? "tcp"
                : source->transport == config::Transport::tls ? "tls"
                                                              : "udp";
  }
  t.transport = transport == "udp"   ? SipTransport::udp
                : transport == "tcp" ? SipTransport::tcp
                : transport == "tls" ? SipTransport::tls
                                     : SipTransport::automatic;
  t.numbers = c.numbers;
  if (t.numbers.empty() && !config.routing.outbound.caller_id.empty())
    t.numbers.push_back(config.routing.outbound.caller_id);
  if (t.numbers.empty() && source != nullptr) t.numbers = source->numbers;
  t.auth_username = c.auth_username;
  t.auth_password = c.auth_password;
  if (t.auth_username.empty() && source != nullptr && source->mode == config::TrunkMode::register_) {
    t.auth_username = source->username;
    t.auth_password = source->password;
  }
  t.destination_country = c.destination_country;
  t.from_host = c.from_host;
  return t;
}

bool has_bridge_routes(const config::Config& config) {
  return std::any_of(config.routing.inbound.begin(), config.routing.inbound.end(),
                     [](const auto& r) { return r.livekit == config::RouteLiveKitMode::bridge; });
}

std::optional<SipOutboundTrunk> bridge_trunk(const config::Config& config, DesiredState& state) {
  const auto& p = config.livekit.provisioning;
  const auto& c = p.bridge_trunk;
  if (!has_bridge_routes(config)) return std::nullopt;
  if (!c.enabled) {
    state.notes.push_back("bridge trunk: disabled (livekit.provisioning.bridge_trunk.enabled: false)");
    return std::nullopt;
  }
  SipOutboundTrunk t;
  t.name = c.name.empty() ? p.name_prefix + "-bridge" : c.name;
  t.metadata = to_metadata({p.name_prefix, std::string(kBridgeTrunkKey), {}});
  t.address = c.address;
  if (t.address.empty()) {
    t.address = derived_bridge_address(config);
    if (t.address.empty()) {
      state.notes.push_back(
          "bridge trunk: skipped: no address (set livekit.provisioning.bridge_trunk.address to voice-agent's "
          "SIP host:port as LiveKit SIP reaches it, or sip.public_address)");
      return std::nullopt;
    }
    state.notes.push_back("bridge trunk: address " + t.address + " from sip.public_address/sip.listen");
  }
  std::string transport = c.transport;
  if (transport.empty() && !config.sip.listen.empty()) {
    auto lt = config.sip.listen.front().transport;
    transport = lt == config::Transport::tcp ? "tcp" : lt == config::Transport::tls ? "tls" : "udp";
  }
  t.transport = transport == "udp"   ? SipTransport::udp
                : transport == "tcp" ? SipTransport::tcp
                : transport == "tls" ? SipTransport::tls
                                     : SipTransport::automatic;
  // LiveKit refuses an outbound trunk without numbers. They are only the default caller ID: a bridge dial
  // passes the caller's own number.
  t.numbers = c.numbers;
  if (t.numbers.empty()) {
    for (const auto& trunk : config.sip.trunks) append_unique(t.numbers, trunk.numbers);
    if (t.numbers.empty() && !config.routing.outbound.caller_id.empty())
      t.numbers.push_back(config.routing.outbound.caller_id);
    if (t.numbers.empty()) {
      state.notes.push_back(
          "bridge trunk: skipped: no number (LiveKit needs one; set "
          "livekit.provisioning.bridge_trunk.numbers)");
      return std::nullopt;
    }
  }
  t.auth_username = c.auth_username;
  t.auth_password = c.auth_password;
  return t;
}

DesiredDispatchRule dispatch_rule(const config::Config& config, const config::ProvisionedDispatchRule& c,
                                  bool on_inbound_trunk) {
  const auto& p = config.livekit.provisioning;
  SipDispatchRule r;
  r.name = p.name_prefix + "-" + c.name;
  r.metadata = to_metadata({p.name_prefix, dispatch_rule_key(c.name), c.metadata});
  r.kind = c.kind == "direct"   ? DispatchRuleKind::direct
           : c.kind == "callee" ? DispatchRuleKind::callee
                                : DispatchRuleKind::individual;
  if (r.kind == DispatchRuleKind::direct) {
    r.room_name = c.room_name;
  } else {
    r.room_prefix = c.room_prefix.empty() ? default_room_prefix(config) : c.room_prefix;
    r.randomize = c.randomize;
  }
  r.pin = c.pin;
  r.numbers = c.numbers;
  r.inbound_numbers = c.inbound_numbers;
  for (const auto& a : c.attributes) r.attributes[a.name] = a.value;
  r.hide_phone_number = c.hide_phone_number;
  for (const auto& a : c.agents) r.agents.push_back({a.agent_name, a.metadata});
  // voice-agent's own worker takes the calls of a rule that names no agent: the server dispatches it when
  // the bridge creates the room, with no webhook round trip.
  if (r.agents.empty() && config.livekit.agent_worker_enabled())
    r.agents.push_back({config.livekit.agent.name, ""});
  r.krisp_enabled = c.krisp_enabled;
  return {r, on_inbound_trunk};
}

}  // namespace

std::string to_metadata(const OwnershipMarker& marker) {
  nlohmann::json j{{"managed_by", kManagedBy}, {"instance", marker.instance}, {"key", marker.key}};
  if (!marker.user_metadata.empty()) j["metadata"] = marker.user_metadata;
  return j.dump();
}

std::optional<OwnershipMarker> ownership_marker(std::string_view metadata) {
  auto j = nlohmann::json::parse(metadata, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  auto text = [&j](const char* key) -> std::optional<std::string> {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto managed_by = text("managed_by");
  auto instance = text("instance");
  auto key = text("key");
  if (!managed_by || *managed_by != kManagedBy || !instance || !key || key->empty()) return std::nullopt;
  return OwnershipMarker{*instance, *key, text("metadata").value_or("")};
}

std::string derived_bridge_address(const config::Config& config) {
  if (config.sip.listen.empty()) return {};
  const auto& listen = config.sip.listen.front();
  std::string host = config.sip.public_address;
  if (host.empty() && listen.host != "0.0.0.0" && listen.host != "::") host = listen.host;
  if (host.empty()) return {};
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return host + ":" + std::to_string(listen.port);
}

std::string dispatch_rule_key(std::string_view rule_name) {
  return "dispatch_rule/" + std::string(rule_name);
}

DesiredState desired_state(const config::Config& config) {
  DesiredState state;
  const auto& p = config.livekit.provisioning;
  state.instance = p.name_prefix;
  state.inbound_trunk = inbound_trunk(config, state);
  state.outbound_trunk = outbound_trunk(config, state);
  state.bridge_trunk = bridge_trunk(config, state);
  bool bound = state.inbound_trunk.has_value();
  if (!bound)
    state.notes.push_back(
        "dispatch rules: not bound to a trunk (no inbound trunk): they apply to every trunk");
  if (p.dispatch_rules.empty()) {
    config::ProvisionedDispatchRule rule;
    rule.name = "inbound";
    rule.kind = "individual";
    rule.randomize = true;
    state.dispatch_rules.push_back(dispatch_rule(config, rule, bound));
    state.notes.push_back("dispatch rules: none configured: one individual rule 'inbound' (room prefix '" +
                          state.dispatch_rules.back().rule.room_prefix + "')");
  }
  for (const auto& c : p.dispatch_rules) state.dispatch_rules.push_back(dispatch_rule(config, c, bound));
  bool defaulted = std::any_of(p.dispatch_rules.begin(), p.dispatch_rules.end(),
                               [](const config::ProvisionedDispatchRule& c) { return c.agents.empty(); }) ||
                   p.dispatch_rules.empty();
  if (defaulted && config.livekit.agent_worker_enabled())
    state.notes.push_back("dispatch rules: rules without agents dispatch '" + config.livekit.agent.name +
                          "' (livekit.agent.name)");
  return state;
}

}  // namespace va::livekit
