// Config → the LiveKit objects `voice-agent provision` wants: what is derived from sip.trunks and routing,
// what explicit keys override, and the ownership marker.
#include "livekit/provision_desired_state.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "common/config.hpp"
#include "support/config_text.hpp"

namespace va::livekit {
namespace {

config::Config load(const std::string& yaml) {
  return test::load_valid_config(yaml);
}

// MTS Exolve: a static-IP trunk for inbound calls, a SIP ID registration for outbound ones.
constexpr const char* kExolve = R"(livekit:
  url: ws://127.0.0.1:7880
  api_key: devkey
  api_secret: secret
  dev: true
sip:
  trunks:
    - name: exolve-static
      mode: static_ip
      allowed_addresses: [80.75.130.99, 80.75.130.101]
      numbers: ["74951234567"]
    - name: exolve-sipid
      mode: register
      registrar: sip.exolve.ru
      username: "883140000000001"
      password: sipid-password
      numbers: ["74951234567", "74957654321"]
routing:
  inbound:
    - match: "*"
      flow: main
      room_prefix: exolve-
  outbound:
    caller_id: "74951234567"
    trunk: exolve-sipid
)";

TEST(ProvisionDesiredState, DerivesTheInboundTrunkFromSipTrunks) {
  auto state = desired_state(load(kExolve));
  ASSERT_TRUE(state.inbound_trunk);
  const auto& t = *state.inbound_trunk;
  EXPECT_EQ(t.name, "voice-agent-inbound");
  EXPECT_EQ(t.numbers, (std::vector<std::string>{"74951234567", "74957654321"}));  // deduplicated
  EXPECT_EQ(t.allowed_addresses, (std::vector<std::string>{"80.75.130.99", "80.75.130.101"}));
  EXPECT_TRUE(t.auth_username.empty());
  auto marker = ownership_marker(t.metadata);
  ASSERT_TRUE(marker);
  EXPECT_EQ(marker->instance, "voice-agent");
  EXPECT_EQ(marker->key, "inbound_trunk");
}

TEST(ProvisionDesiredState, DerivesTheOutboundTrunkFromTheOutboundRoute) {
  auto state = desired_state(load(kExolve));
  ASSERT_TRUE(state.outbound_trunk);
  const auto& t = *state.outbound_trunk;
  EXPECT_EQ(t.name, "voice-agent-outbound");
  EXPECT_EQ(t.address, "sip.exolve.ru");  // default port not spelled out
  EXPECT_EQ(t.transport, SipTransport::udp);
  EXPECT_EQ(t.numbers, std::vector<std::string>{"74951234567"});  // the caller ID
  EXPECT_EQ(t.auth_username, "883140000000001");
  EXPECT_EQ(t.auth_password, "sipid-password");
  EXPECT_EQ(ownership_marker(t.metadata)->key, "outbound_trunk");
}

TEST(ProvisionDesiredState, DefaultRuleIsIndividualWithTheRoutePrefix) {
  auto state = desired_state(load(kExolve));
  ASSERT_EQ(state.dispatch_rules.size(), 1U);
  const auto& d = state.dispatch_rules[0];
  EXPECT_TRUE(d.on_inbound_trunk);
  EXPECT_EQ(d.rule.name, "voice-agent-inbound");
  EXPECT_EQ(d.rule.kind, DispatchRuleKind::individual);
  EXPECT_EQ(d.rule.room_prefix, "exolve-");
  EXPECT_TRUE(d.rule.randomize);
  EXPECT_EQ(ownership_marker(d.rule.metadata)->key, "dispatch_rule/inbound");
}

TEST(ProvisionDesiredState, ExplicitKeysWin) {
  auto state = desired_state(
      load(std::string(kExolve).replace(std::string(kExolve).find("  dev: true\n"), 12, R"(  dev: true
  provisioning:
    name_prefix: prod
    inbound_trunk:
      name: in
      numbers: ["74950000000"]
      allowed_addresses: [10.0.0.1]
      headers_to_attributes: [{header: X-Exolve-Call-Id, attribute: exolve.call_id}]
      include_headers: x_headers
      ringing_timeout: 45s
      codecs: [PCMA]
    outbound_trunk:
      address: 80.75.130.100:5070
      transport: tcp
      numbers: ["74959999999"]
      auth_username: other
      auth_password: other-pass
    dispatch_rules:
      - name: sales
        kind: callee
        room_prefix: sales-
        pin: "4321"
        metadata: '{"flow":"sales"}'
        attributes: [{name: department, value: sales}]
        agents: [{agent_name: voice-agent}]
      - name: conf
        kind: direct
        room_name: conference
)")));
  ASSERT_TRUE(state.inbound_trunk);
  EXPECT_EQ(state.inbound_trunk->name, "in");
  EXPECT_EQ(state.inbound_trunk->numbers, std::vector<std::string>{"74950000000"});
  EXPECT_EQ(state.inbound_trunk->allowed_addresses, std::vector<std::string>{"10.0.0.1"});
  EXPECT_EQ(state.inbound_trunk->headers_to_attributes.at("X-Exolve-Call-Id"), "exolve.call_id");
  EXPECT_EQ(state.inbound_trunk->include_headers, SipHeaderOptions::x_headers);
  EXPECT_EQ(state.inbound_trunk->ringing_timeout, std::chrono::seconds(45));
  EXPECT_EQ(state.inbound_trunk->media.codecs, std::vector<std::string>{"PCMA"});
  EXPECT_EQ(ownership_marker(state.inbound_trunk->metadata)->instance, "prod");
  ASSERT_TRUE(state.outbound_trunk);
  EXPECT_EQ(state.outbound_trunk->address, "80.75.130.100:5070");
  EXPECT_EQ(state.outbound_trunk->transport, SipTransport::tcp);
  EXPECT_EQ(state.outbound_trunk->numbers, std::vector<std::string>{"74959999999"});
  EXPECT_EQ(state.outbound_trunk->auth_username, "other");
  ASSERT_EQ(state.dispatch_rules.size(), 2U);
  const auto& sales = state.dispatch_rules[0].rule;
  EXPECT_EQ(sales.name, "prod-sales");
  EXPECT_EQ(sales.kind, DispatchRuleKind::callee);
  EXPECT_EQ(sales.room_prefix, "sales-");
  EXPECT_EQ(sales.pin, "4321");
  EXPECT_FALSE(sales.randomize);
  EXPECT_EQ(sales.attributes.at("department"), "sales");
  ASSERT_EQ(sales.agents.size(), 1U);
  EXPECT_EQ(sales.agents[0].agent_name, "voice-agent");
  auto marker = ownership_marker(sales.metadata);
  ASSERT_TRUE(marker);
  EXPECT_EQ(marker->key, "dispatch_rule/sales");
  EXPECT_EQ(marker->user_metadata, R"({"flow":"sales"})");  // the operator's metadata travels with it
  const auto& conf = state.dispatch_rules[1].rule;
  EXPECT_EQ(conf.kind, DispatchRuleKind::direct);
  EXPECT_EQ(conf.room_name, "conference");
  EXPECT_TRUE(conf.room_prefix.empty());
}

TEST(ProvisionDesiredState, NoTrunksMeansNoInboundTrunkAndUnboundRules) {
  auto state = desired_state(load(R"(livekit:
  url: ws://127.0.0.1:7880
  api_key: devkey
  api_secret: secret
  dev: true
)"));
  EXPECT_FALSE(state.inbound_trunk);  // LiveKit refuses a trunk that accepts anyone
  EXPECT_FALSE(state.outbound_trunk);
  ASSERT_EQ(state.dispatch_rules.size(), 1U);
  EXPECT_FALSE(state.dispatch_rules[0].on_inbound_trunk);
  EXPECT_EQ(state.dispatch_rules[0].rule.room_prefix, "call-");
  EXPECT_FALSE(state.notes.empty());
}

TEST(ProvisionDesiredState, DisabledTrunksAreNotWanted) {
  auto yaml = std::string(kExolve);
  yaml.replace(
      yaml.find("  dev: true\n"), 12,
      "  dev: true\n  provisioning:\n    inbound_trunk: {enabled: false}\n    outbound_trunk: {enabled: "
      "false}\n");
  auto state = desired_state(load(yaml));
  EXPECT_FALSE(state.inbound_trunk);
  EXPECT_FALSE(state.outbound_trunk);
}

TEST(ProvisionDesiredState, RulesWithoutAgentsDispatchVoiceAgentsOwnWorker) {
  auto yaml = std::string(kExolve);
  yaml.replace(yaml.find("  dev: true\n"), 12, R"(  dev: true
  agent:
    name: exolve-agent
  provisioning:
    dispatch_rules:
      - name: main
      - name: partner
        agents: [{agent_name: partner-bot, metadata: "x"}]
)");
  auto state = desired_state(load(yaml));
  ASSERT_EQ(state.dispatch_rules.size(), 2U);
  ASSERT_EQ(state.dispatch_rules[0].rule.agents.size(), 1U);
  EXPECT_EQ(state.dispatch_rules[0].rule.agents[0].agent_name, "exolve-agent");
  ASSERT_EQ(state.dispatch_rules[1].rule.agents.size(), 1U);  // listed agents are kept as they are
  EXPECT_EQ(state.dispatch_rules[1].rule.agents[0].agent_name, "partner-bot");
  EXPECT_TRUE(std::any_of(state.notes.begin(), state.notes.end(), [](const std::string& n) {
    return n.find("'exolve-agent'") != std::string::npos;
  }));

  // The default rule names the agent too.
  EXPECT_EQ(desired_state(load(kExolve)).dispatch_rules[0].rule.agents.at(0).agent_name, "voice-agent");
}

TEST(ProvisionDesiredState, WithTheWorkerDisabledRulesNameNoAgent) {
  auto yaml = std::string(kExolve);
  yaml.replace(yaml.find("  dev: true\n"), 12, "  dev: true\n  agent: {enabled: false}\n");
  auto state = desired_state(load(yaml));
  ASSERT_EQ(state.dispatch_rules.size(), 1U);
  EXPECT_TRUE(state.dispatch_rules[0].rule.agents.empty());
}

TEST(OwnershipMarker, RoundTripsAndRejectsForeignMetadata) {
  OwnershipMarker m{"voice-agent", "dispatch_rule/x", "user data"};
  EXPECT_EQ(ownership_marker(to_metadata(m)), m);
  EXPECT_FALSE(ownership_marker(""));
  EXPECT_FALSE(ownership_marker("not json"));
  EXPECT_FALSE(ownership_marker("[1,2]"));
  EXPECT_FALSE(ownership_marker(R"({"managed_by":"someone-else","instance":"voice-agent","key":"k"})"));
  EXPECT_FALSE(ownership_marker(R"({"managed_by":"voice-agent","instance":"voice-agent"})"));
  EXPECT_FALSE(ownership_marker(R"({"managed_by":"voice-agent","instance":1,"key":"k"})"));
}

constexpr const char* kBridge = R"(livekit:
  url: ws://127.0.0.1:7880
  api_key: devkey
  api_secret: secret
  dev: true
sip:
  listen: [udp://0.0.0.0:5070, tcp://0.0.0.0:5070]
  public_address: 203.0.113.10
  trunks:
    - name: livekit-sip
      mode: static_ip
      allowed_addresses: [10.0.0.7]
      numbers: ["74951234567"]
routing:
  inbound:
    - match: "74951234567"
      flow: main
      room_prefix: exolve-
      livekit: bridge
)";

TEST(ProvisionDesiredState, BridgeRoutesGetABridgeTrunkPointingAtOurSipEndpoint) {
  auto state = desired_state(load(kBridge));
  ASSERT_TRUE(state.bridge_trunk);
  const auto& t = *state.bridge_trunk;
  EXPECT_EQ(t.name, "voice-agent-bridge");
  EXPECT_EQ(t.address, "203.0.113.10:5070");  // sip.public_address with the first listener's port
  EXPECT_EQ(t.transport, SipTransport::udp);
  EXPECT_EQ(t.numbers, std::vector<std::string>{"74951234567"});
  auto marker = ownership_marker(t.metadata);
  ASSERT_TRUE(marker);
  EXPECT_EQ(marker->key, "bridge_trunk");
}

TEST(ProvisionDesiredState, ExplicitBridgeTrunkKeysWin) {
  auto config = load(std::string(kBridge) + R"(
)");
  auto& b = config.livekit.provisioning.bridge_trunk;
  b.name = "lk-to-agent";
  b.address = "voice-agent.internal:5080";
  b.transport = "tcp";
  b.numbers = {"70000000000"};
  b.auth_username = "livekit";
  b.auth_password = "bridge-secret";
  auto state = desired_state(config);
  ASSERT_TRUE(state.bridge_trunk);
  EXPECT_EQ(state.bridge_trunk->name, "lk-to-agent");
  EXPECT_EQ(state.bridge_trunk->address, "voice-agent.internal:5080");
  EXPECT_EQ(state.bridge_trunk->transport, SipTransport::tcp);
  EXPECT_EQ(state.bridge_trunk->numbers, std::vector<std::string>{"70000000000"});
  EXPECT_EQ(state.bridge_trunk->auth_username, "livekit");
  EXPECT_EQ(state.bridge_trunk->auth_password, "bridge-secret");
}

TEST(ProvisionDesiredState, NoBridgeTrunkWithoutABridgeRouteOrAnAddress) {
  EXPECT_FALSE(desired_state(load(kExolve)).bridge_trunk);  // every route in room mode
  auto config = load(kBridge);
  config.sip.public_address.clear();  // listening on 0.0.0.0: LiveKit cannot be told where we are
  auto state = desired_state(config);
  EXPECT_FALSE(state.bridge_trunk);
  bool noted = false;
  for (const auto& n : state.notes) noted |= n.find("bridge trunk: skipped: no address") != std::string::npos;
  EXPECT_TRUE(noted);
  config.livekit.provisioning.bridge_trunk.enabled = false;
  config.livekit.provisioning.bridge_trunk.address = "10.0.0.5:5060";
  EXPECT_FALSE(desired_state(config).bridge_trunk);
}

}  // namespace
}  // namespace va::livekit
