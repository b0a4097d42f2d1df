// livekit.provisioning: the keys `voice-agent provision` reads, their defaults and their validation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "common/config.hpp"
#include "unit/common/config_diagnostics.hpp"

namespace va::config {
namespace {

using test::errors;
using test::has_error;

constexpr const char* kBase = R"(livekit:
  url: ws://127.0.0.1:7880
  api_key: devkey
  api_secret: secret
  dev: true
)";

LoadResult load(const std::string& provisioning) {
  LoadOptions options;
  options.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  return load_string(std::string(kBase) + "  provisioning:\n" + provisioning, options);
}

TEST(ConfigProvisioning, DefaultsWhenTheSectionIsAbsent) {
  LoadOptions options;
  options.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  auto r = load_string(kBase, options);
  ASSERT_TRUE(r.ok()) << errors(r);
  const auto& p = r.config.livekit.provisioning;
  EXPECT_EQ(p.name_prefix, "voice-agent");
  EXPECT_TRUE(p.inbound_trunk.enabled);
  EXPECT_TRUE(p.outbound_trunk.enabled);
  EXPECT_EQ(p.inbound_trunk.include_headers, "none");
  EXPECT_EQ(p.inbound_trunk.media_encryption, "disable");
  EXPECT_TRUE(p.dispatch_rules.empty());
}

TEST(ConfigProvisioning, ReadsEveryKey) {
  auto r = load(R"(    name_prefix: exolve-prod
    inbound_trunk:
      name: exolve-in
      numbers: ["74951234567"]
      allowed_addresses: [80.75.130.99, 80.75.130.0/24]
      allowed_numbers: ["79991234567"]
      auth_username: lk
      auth_password: s3cret-pass
      auth_realm: sip.exolve.ru
      headers_to_attributes: [{header: X-Exolve-Call-Id, attribute: exolve.call_id}]
      include_headers: x_headers
      ringing_timeout: 30s
      max_call_duration: 1h
      krisp_enabled: true
      codecs: [PCMA, PCMU]
      media_encryption: allow
    outbound_trunk:
      address: sip.exolve.ru:5060
      transport: udp
      numbers: ["74951234567"]
      auth_username: "883140000000001"
      auth_password: out-pass
      destination_country: RU
      from_host: sip.exolve.ru
    dispatch_rules:
      - name: support
        kind: callee
        room_prefix: support-
        pin: "1234"
        numbers: ["74951234567"]
        attributes: [{name: department, value: support}]
        metadata: '{"flow":"main"}'
        hide_phone_number: true
        agents: [{agent_name: voice-agent, metadata: '{"lang":"ru"}'}]
      - name: conference
        kind: direct
        room_name: conference
)");
  ASSERT_TRUE(r.ok()) << errors(r);
  const auto& p = r.config.livekit.provisioning;
  EXPECT_EQ(p.name_prefix, "exolve-prod");
  EXPECT_EQ(p.inbound_trunk.allowed_addresses, (std::vector<std::string>{"80.75.130.99", "80.75.130.0/24"}));
  ASSERT_EQ(p.inbound_trunk.headers_to_attributes.size(), 1U);
  EXPECT_EQ(p.inbound_trunk.headers_to_attributes[0].header, "X-Exolve-Call-Id");
  EXPECT_EQ(p.inbound_trunk.headers_to_attributes[0].attribute, "exolve.call_id");
  EXPECT_EQ(p.inbound_trunk.ringing_timeout, std::chrono::seconds(30));
  EXPECT_EQ(p.outbound_trunk.transport, "udp");
  ASSERT_EQ(p.dispatch_rules.size(), 2U);
  EXPECT_EQ(p.dispatch_rules[0].kind, "callee");
  EXPECT_FALSE(p.dispatch_rules[0].randomize);  // callee default
  EXPECT_EQ(p.dispatch_rules[0].agents.at(0).agent_name, "voice-agent");
  EXPECT_EQ(p.dispatch_rules[1].room_name, "conference");
  // Both passwords are secrets: registered with the log masker and masked by `config show`.
  EXPECT_THAT(r.secrets, testing::IsSupersetOf({"s3cret-pass", "out-pass"}));
  auto shown = to_yaml(r.config);
  EXPECT_EQ(shown.find("s3cret-pass"), std::string::npos);
  EXPECT_EQ(shown.find("out-pass"), std::string::npos);
  // Printed with secrets revealed, it loads back to the same values.
  LoadOptions options;
  options.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  auto again = load_string(to_yaml(r.config, true), options);
  ASSERT_TRUE(again.ok()) << errors(again);
  EXPECT_EQ(to_yaml(again.config, true), to_yaml(r.config, true));
}

TEST(ConfigProvisioning, IndividualRulesMakeANewRoomPerCallByDefault) {
  auto r = load("    dispatch_rules: [{name: calls}]\n");
  ASSERT_TRUE(r.ok()) << errors(r);
  EXPECT_EQ(r.config.livekit.provisioning.dispatch_rules.at(0).kind, "individual");
  EXPECT_TRUE(r.config.livekit.provisioning.dispatch_rules.at(0).randomize);
}

TEST(ConfigProvisioning, DirectRuleNeedsRoomName) {
  auto r = load("    dispatch_rules: [{name: d, kind: direct}]\n");
  EXPECT_TRUE(has_error(r, "livekit.provisioning.dispatch_rules[0].room_name", "needs room_name"))
      << errors(r);
}

TEST(ConfigProvisioning, RoomNameOnlyForDirectRules) {
  auto r = load("    dispatch_rules: [{name: d, kind: callee, room_name: x}]\n");
  EXPECT_TRUE(has_error(r, "livekit.provisioning.dispatch_rules[0].room_name", "only to kind: direct"))
      << errors(r);
}

TEST(ConfigProvisioning, UnknownRuleKindIsRejectedWithASuggestion) {
  auto r = load("    dispatch_rules: [{name: d, kind: calee}]\n");
  EXPECT_TRUE(has_error(r, "livekit.provisioning.dispatch_rules[0].kind", "did you mean 'callee'"))
      << errors(r);
}

TEST(ConfigProvisioning, PinIsDigitsOnly) {
  auto r = load("    dispatch_rules: [{name: d, pin: 12ab}]\n");
  EXPECT_TRUE(has_error(r, "livekit.provisioning.dispatch_rules[0].pin", "digits only")) << errors(r);
}

TEST(ConfigProvisioning, RuleNamesAreUnique) {
  auto r = load("    dispatch_rules: [{name: d}, {name: d}]\n");
  EXPECT_TRUE(has_error(r, "livekit.provisioning.dispatch_rules", "used twice")) << errors(r);
}

TEST(ConfigProvisioning, PasswordWithoutUsernameAndViceVersa) {
  auto r = load("    inbound_trunk: {auth_username: lk}\n");
  EXPECT_TRUE(has_error(r, "livekit.provisioning.inbound_trunk.auth_password", "required")) << errors(r);
  auto r2 = load("    inbound_trunk: {auth_password: x}\n");
  EXPECT_TRUE(has_error(r2, "livekit.provisioning.inbound_trunk.auth_username", "required")) << errors(r2);
}

TEST(ConfigProvisioning, OutboundAddressIsHostPortNotAUri) {
  auto r = load("    outbound_trunk: {address: 'sip:sip.exolve.ru'}\n");
  EXPECT_TRUE(has_error(r, "livekit.provisioning.outbound_trunk.address", "not a SIP URI")) << errors(r);
}

TEST(ConfigProvisioning, BadValuesAreReportedWithTheirPaths) {
  auto r = load(R"(    inbound_trunk:
      codecs: [OPUS]
      allowed_addresses: [not-an-ip/99]
      include_headers: everything
      headers_to_attributes: [{header: "bad header", attribute: x}]
    outbound_trunk: {transport: sctp, destination_country: Russia}
)");
  EXPECT_TRUE(has_error(r, "livekit.provisioning.inbound_trunk.codecs", "not a LiveKit SIP codec"))
      << errors(r);
  EXPECT_TRUE(has_error(r, "livekit.provisioning.inbound_trunk.allowed_addresses", "")) << errors(r);
  EXPECT_TRUE(has_error(r, "livekit.provisioning.inbound_trunk.include_headers", "not one of")) << errors(r);
  EXPECT_TRUE(has_error(r, "livekit.provisioning.inbound_trunk.headers_to_attributes[0].header",
                        "not a SIP header name"))
      << errors(r);
  EXPECT_TRUE(has_error(r, "livekit.provisioning.outbound_trunk.transport", "not one of")) << errors(r);
  EXPECT_TRUE(has_error(r, "livekit.provisioning.outbound_trunk.destination_country", "two-letter"))
      << errors(r);
}

TEST(ConfigProvisioning, UnknownKeysAreReported) {
  auto r = load("    inbound_trunk: {numbrs: ['74951234567']}\n");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(errors(r).find("numbrs"), std::string::npos) << errors(r);
}

LoadResult load_routes(const std::string& routes, const std::string& more = {}) {
  LoadOptions options;
  options.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  return load_string(
      std::string(kBase) + more + "sip:\n  listen: [udp://127.0.0.1:5070]\nrouting:\n  inbound:\n" + routes,
      options);
}

TEST(ConfigProvisioning, BridgeRoutesDefaultTheirBridgeUserToTheirNumber) {
  auto r = load_routes(R"(    - {match: "+74951234567", flow: main, livekit: bridge}
    - {match: "*", flow: reception}
    - {match: "7800*", flow: support, livekit: bridge, bridge_user: bridge-support}
)");
  ASSERT_TRUE(r.ok()) << errors(r);
  const auto& routes = r.config.routing.inbound;
  EXPECT_EQ(routes[0].livekit, RouteLiveKitMode::bridge);
  EXPECT_EQ(routes[0].bridge_user, "+74951234567");
  EXPECT_EQ(routes[1].livekit, RouteLiveKitMode::room);  // the default
  EXPECT_EQ(routes[1].bridge_user, "");
  EXPECT_EQ(routes[2].bridge_user, "bridge-support");
  EXPECT_NE(to_yaml(r.config).find("livekit: bridge"), std::string::npos);
}

TEST(ConfigProvisioning, BridgeRouteMistakesNameTheirPath) {
  auto r = load_routes(R"(    - {match: "7800*", flow: support, livekit: bridge}
    - {match: "100", flow: echo, bridge_user: echo}
    - {match: "101", flow: echo, livekit: bridged}
    - {match: "102", flow: main, livekit: bridge, bridge_user: "a b"}
    - {match: "~7(8|9)00.*", flow: main, livekit: bridge, bridge_user: bridge-support}
)");
  EXPECT_TRUE(has_error(r, "routing.inbound[0].bridge_user", "needs bridge_user")) << errors(r);
  EXPECT_TRUE(has_error(r, "routing.inbound[1].bridge_user", "applies only to livekit: bridge")) << errors(r);
  EXPECT_TRUE(has_error(r, "routing.inbound[2].livekit", "bridge")) << errors(r);
  EXPECT_TRUE(has_error(r, "routing.inbound[3].bridge_user", "not a SIP user")) << errors(r);
  // Lines are reported (the first route is on line 9 of the text).
  for (const auto& d : r.errors) EXPECT_GT(d.line, 0) << d.to_string();
  auto twice = load_routes(R"(    - {match: "7800*", flow: a, livekit: bridge, bridge_user: bridge-x}
    - {match: "7900*", flow: b, livekit: bridge, bridge_user: bridge-x}
)");
  EXPECT_TRUE(has_error(twice, "routing.inbound", "bridge_user 'bridge-x' is used by an earlier"))
      << errors(twice);
}

TEST(ConfigProvisioning, BridgeTrunkKeys) {
  auto r = load(R"(    bridge_trunk:
      name: lk-to-agent
      address: 10.0.0.5:5060
      transport: udp
      numbers: ["74951234567"]
      auth_username: livekit
      auth_password: bridge-secret-1
)");
  ASSERT_TRUE(r.ok()) << errors(r);
  const auto& b = r.config.livekit.provisioning.bridge_trunk;
  EXPECT_TRUE(b.enabled);
  EXPECT_EQ(b.address, "10.0.0.5:5060");
  EXPECT_EQ(b.auth_password, "bridge-secret-1");
  EXPECT_NE(std::find(r.secrets.begin(), r.secrets.end(), "bridge-secret-1"), r.secrets.end());
  auto bad = load(R"(    bridge_trunk: {address: "sip:10.0.0.5", transport: sctp, auth_username: x}
)");
  EXPECT_TRUE(has_error(bad, "livekit.provisioning.bridge_trunk.address", "not a SIP URI")) << errors(bad);
  EXPECT_TRUE(has_error(bad, "livekit.provisioning.bridge_trunk.transport", "not one of")) << errors(bad);
  EXPECT_TRUE(has_error(bad, "livekit.provisioning.bridge_trunk.auth_password", "required")) << errors(bad);
}

}  // namespace
}  // namespace va::config
