#include "livekit/provision_apply.hpp"

namespace va::livekit {
namespace {

std::string describe(ProvisionActionKind kind, ProvisionObjectType type, const std::string& name) {
  return std::string(to_string(kind)) + " " + std::string(to_string(type)) + " '" + name + "'";
}

// Runs one action; the created/updated object's ID on success.
ApiResult<std::string> run(SipService& sip, const ProvisionAction& action,
                           const std::string& inbound_trunk_id) {
  auto id_of = [](const auto& result) -> ApiResult<std::string> {
    if (!result.ok()) return result.error();
    return result.value().id;
  };
  auto done = [&action](const ApiResult<Empty>& result) -> ApiResult<std::string> {
    if (!result.ok()) return result.error();
    return action.id;
  };
  bool create = action.kind == ProvisionActionKind::create;
  switch (action.type) {
    case ProvisionObjectType::inbound_trunk: {
      if (action.kind == ProvisionActionKind::remove) return done(sip.delete_trunk(action.id));
      const auto& t = std::get<SipInboundTrunk>(action.object);
      return id_of(create ? sip.create_inbound_trunk(t) : sip.update_inbound_trunk(t));
    }
    case ProvisionObjectType::outbound_trunk:
    case ProvisionObjectType::bridge_trunk: {
      if (action.kind == ProvisionActionKind::remove) return done(sip.delete_trunk(action.id));
      const auto& t = std::get<SipOutboundTrunk>(action.object);
      return id_of(create ? sip.create_outbound_trunk(t) : sip.update_outbound_trunk(t));
    }
    case ProvisionObjectType::dispatch_rule: {
      if (action.kind == ProvisionActionKind::remove) return done(sip.delete_dispatch_rule(action.id));
      SipDispatchRule rule = std::get<SipDispatchRule>(action.object);
      for (auto& id : rule.trunk_ids) {
        if (id == kPendingInboundTrunkId) id = inbound_trunk_id;
      }
      return id_of(create ? sip.create_dispatch_rule(rule) : sip.update_dispatch_rule(rule));
    }
  }
  return action.id;
}

}  // namespace

std::string ApplyReport::failure_message() const {
  if (!error) return {};
  std::string out = failed_action + " failed: " + error->to_string();
  if (applied.empty()) return out + "; nothing was applied before it";
  out += "; applied before it:";
  for (const auto& a : applied) out += " " + describe(a.kind, a.type, a.name) + " (" + a.id + ");";
  out.pop_back();
  return out;
}

ApplyReport apply_provisioning(SipService& sip, const ProvisionPlan& plan) {
  ApplyReport report;
  std::string inbound_trunk_id;
  for (const auto& action : plan.actions) {
    if (action.type == ProvisionObjectType::inbound_trunk && action.kind != ProvisionActionKind::remove)
      inbound_trunk_id = action.id;
    if (action.kind == ProvisionActionKind::unchanged || action.kind == ProvisionActionKind::stale) continue;
    auto result = run(sip, action, inbound_trunk_id);
    if (!result.ok()) {
      report.error = result.error();
      report.failed_action = describe(action.kind, action.type, action.name);
      return report;
    }
    if (action.type == ProvisionObjectType::inbound_trunk && action.kind == ProvisionActionKind::create)
      inbound_trunk_id = result.value();
    report.applied.push_back({action.kind, action.type, action.name, result.value()});
  }
  return report;
}

}  // namespace va::livekit
