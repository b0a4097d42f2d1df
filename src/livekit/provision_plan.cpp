#include "livekit/provision_plan.hpp"

#include <algorithm>
#include <set>

namespace va::livekit {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

std::string join(const StringMap& map) {
  std::string out;
  for (const auto& [k, v] : map) out += (out.empty() ? "" : ", ") + k + "=" + v;
  return out;
}

std::string seconds(std::chrono::seconds s) {
  return s.count() == 0 ? std::string() : std::to_string(s.count()) + "s";
}

std::string flag(bool b) {
  return b ? "true" : "";
}

std::string secret(const std::string& value, bool reveal) {
  return reveal || value.empty() ? value : "***";
}

// Field-level differences; `shown_*` carry the masked values for display.
std::vector<FieldChange> differences(const Fields& before, const Fields& after, const Fields& shown_before,
                                     const Fields& shown_after) {
  std::vector<FieldChange> out;
  for (std::size_t i = 0; i < after.size(); ++i) {
    const std::string& b = i < before.size() ? before[i].second : std::string();
    if (b != after[i].second) {
      std::string shown_b = i < shown_before.size() ? shown_before[i].second : std::string();
      std::string shown_a = shown_after[i].second;
      // A changed secret shows as *** → *** otherwise; say that it changed without revealing it.
      if (shown_b == shown_a) shown_a += " (changed)";
      out.push_back({after[i].first, shown_b, shown_a});
    }
  }
  return out;
}

std::vector<FieldChange> set_fields(const Fields& shown) {
  std::vector<FieldChange> out;
  for (const auto& [field, value] : shown) {
    if (!value.empty()) out.push_back({field, "", value});
  }
  return out;
}

// Objects of type T that carry our marker for `instance`, by key, in server order.
template <class T>
std::vector<std::pair<std::string, const T*>> owned(const std::vector<T>& objects,
                                                    const std::string& instance) {
  std::vector<std::pair<std::string, const T*>> out;
  for (const auto& o : objects) {
    auto marker = ownership_marker(o.metadata);
    if (marker && marker->instance == instance) out.emplace_back(marker->key, &o);
  }
  return out;
}

template <class T>
ProvisionAction compare(ProvisionObjectType type, std::string key, T desired, const T* actual) {
  ProvisionAction a;
  a.type = type;
  a.key = std::move(key);
  a.name = desired.name;
  if (actual == nullptr) {
    a.kind = ProvisionActionKind::create;
    a.changes = set_fields(describe(desired, false));
    a.object = std::move(desired);
    return a;
  }
  a.id = actual->id;
  desired.id = actual->id;
  a.changes = differences(describe(*actual, true), describe(desired, true), describe(*actual, false),
                          describe(desired, false));
  a.kind = a.changes.empty() ? ProvisionActionKind::unchanged : ProvisionActionKind::update;
  a.object = std::move(desired);
  return a;
}

template <class T>
ProvisionAction leftover(ProvisionObjectType type, const std::string& key, const T& actual, bool prune) {
  ProvisionAction a;
  a.kind = prune ? ProvisionActionKind::remove : ProvisionActionKind::stale;
  a.type = type;
  a.key = key;
  a.name = actual.name;
  a.id = actual.id;
  return a;
}

// One desired object of a trunk type, recognised among the server's objects of that type by its key.
template <class T>
struct WantedSingle {
  ProvisionObjectType type;
  std::string_view key;
  const std::optional<T>& desired;
  const T** matched;
};

// Matches each desired object of one server type (an outbound trunk and a bridge trunk are both outbound
// trunks there); the rest of ours become leftovers.
template <class T>
void plan_singles(std::vector<WantedSingle<T>> wanted, const std::vector<T>& actual,
                  const std::string& instance, bool prune, ProvisionPlan& plan,
                  std::vector<ProvisionAction>& leftovers) {
  std::vector<const T*> matches(wanted.size(), nullptr);
  for (const auto& [k, object] : owned(actual, instance)) {
    const auto& key = k;  // clang 14 (the fuzz build) cannot capture a structured binding
    auto w = std::find_if(wanted.begin(), wanted.end(), [&key](const auto& x) { return x.key == key; });
    auto type = w != wanted.end() ? w->type : wanted.front().type;
    if (w != wanted.end() && w->desired) {
      auto& match = matches[static_cast<std::size_t>(w - wanted.begin())];
      if (match == nullptr) {
        match = object;
        continue;
      }
      plan.notes.push_back(std::string(to_string(type)) + " '" + object->name + "' (" + object->id +
                           ") duplicates ours: " + (prune ? "deleted" : "kept; --prune deletes it"));
    }
    leftovers.push_back(leftover(type, k, *object, prune));
  }
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    if (wanted[i].desired)
      plan.actions.push_back(
          compare(wanted[i].type, std::string(wanted[i].key), *wanted[i].desired, matches[i]));
    *wanted[i].matched = matches[i];
  }
}

}  // namespace

std::string_view to_string(ProvisionActionKind kind) {
  switch (kind) {
    case ProvisionActionKind::create:
      return "create";
    case ProvisionActionKind::update:
      return "update";
    case ProvisionActionKind::remove:
      return "delete";
    case ProvisionActionKind::unchanged:
      return "unchanged";
    case ProvisionActionKind::stale:
      return "stale";
  }
  return "unchanged";
}

std::string_view to_string(ProvisionObjectType type) {
  switch (type) {
    case ProvisionObjectType::inbound_trunk:
      return "inbound trunk";
    case ProvisionObjectType::outbound_trunk:
      return "outbound trunk";
    case ProvisionObjectType::bridge_trunk:
      return "bridge trunk";
    case ProvisionObjectType::dispatch_rule:
      return "dispatch rule";
  }
  return "inbound trunk";
}

bool ProvisionPlan::nothing_to_do() const {
  return std::all_of(actions.begin(), actions.end(), [](const ProvisionAction& a) {
    return a.kind == ProvisionActionKind::unchanged || a.kind == ProvisionActionKind::stale;
  });
}

Fields describe(const SipInboundTrunk& t, bool reveal) {
  return {
      {"name", t.name},
      {"metadata", t.metadata},
      {"numbers", join(t.numbers)},
      {"allowed_addresses", join(t.allowed_addresses)},
      {"allowed_numbers", join(t.allowed_numbers)},
      {"auth_username", t.auth_username},
      {"auth_password", secret(t.auth_password, reveal)},
      {"auth_realm", t.auth_realm},
      {"headers", join(t.headers)},
      {"headers_to_attributes", join(t.headers_to_attributes)},
      {"attributes_to_headers", join(t.attributes_to_headers)},
      {"include_headers",
       t.include_headers == SipHeaderOptions::none ? "" : std::string(to_string(t.include_headers))},
      {"ringing_timeout", seconds(t.ringing_timeout)},
      {"max_call_duration", seconds(t.max_call_duration)},
      {"krisp_enabled", flag(t.krisp_enabled)},
      {"media.codecs", join(t.media.codecs)},
      {"media.encryption",
       t.media.encryption == SipMediaEncryption::disable ? "" : std::string(to_string(t.media.encryption))}};
}

Fields describe(const SipOutboundTrunk& t, bool reveal) {
  return {{"name", t.name},
          {"metadata", t.metadata},
          {"address", t.address},
          {"transport", t.transport == SipTransport::automatic ? "" : std::string(to_string(t.transport))},
          {"numbers", join(t.numbers)},
          {"auth_username", t.auth_username},
          {"auth_password", secret(t.auth_password, reveal)},
          {"headers", join(t.headers)},
          {"headers_to_attributes", join(t.headers_to_attributes)},
          {"destination_country", t.destination_country},
          {"from_host", t.from_host}};
}

Fields describe(const SipDispatchRule& r, bool reveal) {
  std::string agents;
  for (const auto& a : r.agents)
    agents +=
        (agents.empty() ? "" : ", ") + a.agent_name + (a.metadata.empty() ? "" : " (" + a.metadata + ")");
  bool prefixed = r.kind != DispatchRuleKind::direct;
  return {{"name", r.name},
          {"metadata", r.metadata},
          {"kind", std::string(to_string(r.kind))},
          {"room_name", r.room_name},
          {"room_prefix", r.room_prefix},
          {"pin", secret(r.pin, reveal)},
          {"randomize", prefixed ? (r.randomize ? "true" : "false") : ""},
          {"trunk_ids", join(r.trunk_ids)},
          {"numbers", join(r.numbers)},
          {"inbound_numbers", join(r.inbound_numbers)},
          {"attributes", join(r.attributes)},
          {"hide_phone_number", flag(r.hide_phone_number)},
          {"room_config.agents", agents},
          {"krisp_enabled", flag(r.krisp_enabled)}};
}

ProvisionPlan plan_provisioning(const DesiredState& desired, const ActualState& actual, bool prune) {
  ProvisionPlan plan;
  plan.notes = desired.notes;
  std::vector<ProvisionAction> rule_leftovers;
  std::vector<ProvisionAction> trunk_leftovers;

  const SipInboundTrunk* inbound = nullptr;
  plan_singles<SipInboundTrunk>(
      {{ProvisionObjectType::inbound_trunk, kInboundTrunkKey, desired.inbound_trunk, &inbound}},
      actual.inbound_trunks, desired.instance, prune, plan, trunk_leftovers);
  const SipOutboundTrunk* outbound = nullptr;
  const SipOutboundTrunk* bridge = nullptr;
  plan_singles<SipOutboundTrunk>(
      {{ProvisionObjectType::outbound_trunk, kOutboundTrunkKey, desired.outbound_trunk, &outbound},
       {ProvisionObjectType::bridge_trunk, kBridgeTrunkKey, desired.bridge_trunk, &bridge}},
      actual.outbound_trunks, desired.instance, prune, plan, trunk_leftovers);

  std::set<std::string> desired_keys;
  for (const auto& d : desired.dispatch_rules) {
    auto marker = ownership_marker(d.rule.metadata);
    desired_keys.insert(marker ? marker->key : d.rule.name);
  }
  std::set<std::string> matched_keys;
  std::vector<std::pair<std::string, const SipDispatchRule*>> matches;
  for (const auto& [key, rule] : owned(actual.dispatch_rules, desired.instance)) {
    if (desired_keys.contains(key) && matched_keys.insert(key).second) {
      matches.emplace_back(key, rule);
      continue;
    }
    if (desired_keys.contains(key))
      plan.notes.push_back("dispatch rule '" + rule->name + "' (" + rule->id +
                           ") duplicates ours: " + (prune ? "deleted" : "kept; --prune deletes it"));
    rule_leftovers.push_back(leftover(ProvisionObjectType::dispatch_rule, key, *rule, prune));
  }
  for (const auto& d : desired.dispatch_rules) {
    auto marker = ownership_marker(d.rule.metadata);
    std::string key = marker ? marker->key : d.rule.name;
    SipDispatchRule rule = d.rule;
    if (d.on_inbound_trunk && desired.inbound_trunk)
      rule.trunk_ids = {inbound != nullptr ? inbound->id : std::string(kPendingInboundTrunkId)};
    const SipDispatchRule* match = nullptr;
    for (const auto& [k, r] : matches) {
      if (k == key) match = r;
    }
    plan.actions.push_back(compare(ProvisionObjectType::dispatch_rule, key, std::move(rule), match));
  }
  // Rules go before the trunks they may reference.
  for (auto& a : rule_leftovers) plan.actions.push_back(std::move(a));
  for (auto& a : trunk_leftovers) plan.actions.push_back(std::move(a));
  return plan;
}

}  // namespace va::livekit
