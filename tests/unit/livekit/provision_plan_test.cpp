// Desired vs actual → the ordered actions `voice-agent provision` prints and applies.
#include "livekit/provision_plan.hpp"

#include <gtest/gtest.h>

namespace va::livekit {
namespace {

SipInboundTrunk inbound(const std::string& instance = "voice-agent") {
  SipInboundTrunk t;
  t.name = "voice-agent-inbound";
  t.metadata = to_metadata({instance, std::string(kInboundTrunkKey), {}});
  t.numbers = {"74951234567"};
  t.allowed_addresses = {"80.75.130.99"};
  t.auth_username = "lk";
  t.auth_password = "in-secret";
  return t;
}

SipOutboundTrunk outbound() {
  SipOutboundTrunk t;
  t.name = "voice-agent-outbound";
  t.metadata = to_metadata({"voice-agent", std::string(kOutboundTrunkKey), {}});
  t.address = "sip.exolve.ru";
  t.numbers = {"74951234567"};
  return t;
}

SipDispatchRule rule(const std::string& name) {
  SipDispatchRule r;
  r.name = "voice-agent-" + name;
  r.metadata = to_metadata({"voice-agent", dispatch_rule_key(name), {}});
  r.kind = DispatchRuleKind::individual;
  r.room_prefix = "call-";
  r.randomize = true;
  return r;
}

DesiredState desired() {
  DesiredState d;
  d.instance = "voice-agent";
  d.inbound_trunk = inbound();
  d.outbound_trunk = outbound();
  d.dispatch_rules.push_back({rule("inbound"), true});
  return d;
}

// What the server would hold after applying `desired()`.
ActualState applied() {
  ActualState a;
  a.inbound_trunks.push_back(inbound());
  a.inbound_trunks.back().id = "ST_in";
  a.outbound_trunks.push_back(outbound());
  a.outbound_trunks.back().id = "ST_out";
  a.dispatch_rules.push_back(rule("inbound"));
  a.dispatch_rules.back().id = "SDR_1";
  a.dispatch_rules.back().trunk_ids = {"ST_in"};
  return a;
}

std::string kinds(const ProvisionPlan& plan) {
  std::string s;
  for (const auto& a : plan.actions)
    s += std::string(to_string(a.kind)) + " " + std::string(to_string(a.type)) + "; ";
  return s;
}

const FieldChange* change(const ProvisionAction& a, const std::string& field) {
  for (const auto& c : a.changes) {
    if (c.field == field) return &c;
  }
  return nullptr;
}

TEST(ProvisionPlan, EmptyServerCreatesTrunksThenRules) {
  auto plan = plan_provisioning(desired(), {}, false);
  EXPECT_EQ(kinds(plan), "create inbound trunk; create outbound trunk; create dispatch rule; ");
  EXPECT_FALSE(plan.nothing_to_do());
  // The rule is bound to the trunk created in the same run.
  const auto& r = std::get<SipDispatchRule>(plan.actions[2].object);
  EXPECT_EQ(r.trunk_ids, std::vector<std::string>{std::string(kPendingInboundTrunkId)});
  // Create lists the fields it sets, with secrets masked.
  const auto* password = change(plan.actions[0], "auth_password");
  ASSERT_NE(password, nullptr);
  EXPECT_EQ(password->after, "***");
  ASSERT_NE(change(plan.actions[0], "numbers"), nullptr);
  EXPECT_EQ(change(plan.actions[0], "numbers")->after, "74951234567");
  EXPECT_EQ(change(plan.actions[0], "auth_realm"), nullptr);  // unset fields are not listed
}

TEST(ProvisionPlan, SecondRunHasNothingToDo) {
  auto plan = plan_provisioning(desired(), applied(), false);
  EXPECT_EQ(kinds(plan), "unchanged inbound trunk; unchanged outbound trunk; unchanged dispatch rule; ");
  EXPECT_TRUE(plan.nothing_to_do());
  EXPECT_EQ(plan.actions[0].id, "ST_in");
}

TEST(ProvisionPlan, ChangedFieldsBecomeAnUpdateWithTheirDifferences) {
  auto d = desired();
  d.inbound_trunk->numbers.push_back("74957654321");
  d.dispatch_rules[0].rule.room_prefix = "exolve-";
  auto plan = plan_provisioning(d, applied(), false);
  EXPECT_EQ(kinds(plan), "update inbound trunk; unchanged outbound trunk; update dispatch rule; ");
  ASSERT_EQ(plan.actions[0].changes.size(), 1U);
  EXPECT_EQ(plan.actions[0].changes[0], (FieldChange{"numbers", "74951234567", "74951234567, 74957654321"}));
  EXPECT_EQ(std::get<SipInboundTrunk>(plan.actions[0].object).id, "ST_in");  // update replaces by ID
  ASSERT_EQ(plan.actions[2].changes.size(), 1U);
  EXPECT_EQ(plan.actions[2].changes[0], (FieldChange{"room_prefix", "call-", "exolve-"}));
}

TEST(ProvisionPlan, AChangedSecretIsAnUpdateWithoutRevealingIt) {
  auto d = desired();
  d.inbound_trunk->auth_password = "new-secret";
  auto plan = plan_provisioning(d, applied(), false);
  ASSERT_EQ(plan.actions[0].kind, ProvisionActionKind::update);
  ASSERT_EQ(plan.actions[0].changes.size(), 1U);
  EXPECT_EQ(plan.actions[0].changes[0].field, "auth_password");
  EXPECT_EQ(plan.actions[0].changes[0].before, "***");
  EXPECT_EQ(plan.actions[0].changes[0].after, "*** (changed)");
}

TEST(ProvisionPlan, ForeignObjectsAreIgnoredEvenWithOurNames) {
  ActualState a;
  auto foreign_trunk = inbound();
  foreign_trunk.id = "ST_foreign";
  foreign_trunk.metadata = "";  // same name, no marker: someone else's
  a.inbound_trunks.push_back(foreign_trunk);
  auto other_instance = inbound("staging");
  other_instance.id = "ST_staging";
  a.inbound_trunks.push_back(other_instance);
  auto foreign_rule = rule("inbound");
  foreign_rule.id = "SDR_foreign";
  foreign_rule.metadata = R"({"owner":"ops"})";
  a.dispatch_rules.push_back(foreign_rule);
  auto plan = plan_provisioning(desired(), a, /*prune=*/true);
  EXPECT_EQ(kinds(plan), "create inbound trunk; create outbound trunk; create dispatch rule; ");
  for (const auto& action : plan.actions) {
    EXPECT_NE(action.id, "ST_foreign");
    EXPECT_NE(action.id, "ST_staging");
    EXPECT_NE(action.id, "SDR_foreign");
  }
}

TEST(ProvisionPlan, OursNoLongerWantedIsStaleWithoutPruneAndDeletedWithIt) {
  auto d = desired();
  d.outbound_trunk.reset();
  auto a = applied();
  auto old_rule = rule("old");
  old_rule.id = "SDR_old";
  a.dispatch_rules.push_back(old_rule);

  auto kept = plan_provisioning(d, a, false);
  EXPECT_EQ(kinds(kept),
            "unchanged inbound trunk; unchanged dispatch rule; stale dispatch rule; stale outbound trunk; ");
  EXPECT_TRUE(kept.nothing_to_do());

  auto pruned = plan_provisioning(d, a, true);
  // Rules are deleted before trunks (a rule may reference the trunk).
  EXPECT_EQ(
      kinds(pruned),
      "unchanged inbound trunk; unchanged dispatch rule; delete dispatch rule; delete outbound trunk; ");
  EXPECT_EQ(pruned.actions[2].id, "SDR_old");
  EXPECT_EQ(pruned.actions[3].id, "ST_out");
  EXPECT_FALSE(pruned.nothing_to_do());
}

TEST(ProvisionPlan, DuplicatesOfOursAreLeftoversAndNoted) {
  auto a = applied();
  auto twin = inbound();
  twin.id = "ST_twin";
  a.inbound_trunks.push_back(twin);
  auto plan = plan_provisioning(desired(), a, true);
  EXPECT_EQ(
      kinds(plan),
      "unchanged inbound trunk; unchanged outbound trunk; unchanged dispatch rule; delete inbound trunk; ");
  EXPECT_EQ(plan.actions[0].id, "ST_in");
  EXPECT_EQ(plan.actions[3].id, "ST_twin");
  ASSERT_FALSE(plan.notes.empty());
  EXPECT_NE(plan.notes.back().find("duplicates"), std::string::npos);
}

TEST(ProvisionPlan, ARecreatedTrunkRebindsTheRule) {
  auto a = applied();
  a.inbound_trunks.clear();  // deleted by hand
  auto plan = plan_provisioning(desired(), a, false);
  EXPECT_EQ(kinds(plan), "create inbound trunk; unchanged outbound trunk; update dispatch rule; ");
  const auto* ids = change(plan.actions[2], "trunk_ids");
  ASSERT_NE(ids, nullptr);
  EXPECT_EQ(ids->before, "ST_in");
  EXPECT_EQ(ids->after, kPendingInboundTrunkId);
}

TEST(ProvisionPlan, UnboundRulesKeepEmptyTrunkIds) {
  auto d = desired();
  d.inbound_trunk.reset();
  d.dispatch_rules[0].on_inbound_trunk = false;
  auto plan = plan_provisioning(d, {}, false);
  const auto& r = std::get<SipDispatchRule>(plan.actions.back().object);
  EXPECT_TRUE(r.trunk_ids.empty());
}

// The bridge trunk is an outbound trunk on the server too: told apart from the carrier trunk by its marker,
// planned beside it, and neither is taken for a leftover of the other.
TEST(ProvisionPlan, TheBridgeTrunkLivesBesideTheOutboundTrunk) {
  auto d = desired();
  SipOutboundTrunk bridge;
  bridge.name = "voice-agent-bridge";
  bridge.metadata = to_metadata({"voice-agent", std::string(kBridgeTrunkKey), {}});
  bridge.address = "10.0.0.5:5060";
  bridge.transport = SipTransport::udp;
  bridge.numbers = {"74951234567"};
  d.bridge_trunk = bridge;
  auto created = plan_provisioning(d, applied(), false);
  EXPECT_EQ(
      kinds(created),
      "unchanged inbound trunk; unchanged outbound trunk; create bridge trunk; unchanged dispatch rule; ");

  auto a = applied();
  a.outbound_trunks.push_back(bridge);
  a.outbound_trunks.back().id = "ST_bridge";
  auto second = plan_provisioning(d, a, true);
  EXPECT_TRUE(second.nothing_to_do()) << kinds(second);
  EXPECT_EQ(second.actions[2].id, "ST_bridge");

  // No bridge route any more: the bridge trunk is ours and no longer wanted; the carrier trunk stays.
  d.bridge_trunk.reset();
  auto pruned = plan_provisioning(d, a, true);
  EXPECT_EQ(
      kinds(pruned),
      "unchanged inbound trunk; unchanged outbound trunk; unchanged dispatch rule; delete bridge trunk; ");
  EXPECT_EQ(pruned.actions[3].id, "ST_bridge");
}

}  // namespace
}  // namespace va::livekit
