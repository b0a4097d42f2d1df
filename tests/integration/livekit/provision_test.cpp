// `voice-agent provision` — the real binary against the real livekit-server (+ Redis): creates the configured
// trunks and dispatch rules, a second run changes nothing, a changed configuration updates, --prune deletes
// only our own objects, and objects created by someone else are never touched.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "integration/binary.hpp"
#include "livekit/provision_desired_state.hpp"
#include "livekit/sip_service.hpp"
#include "livekit/twirp_client.hpp"
#include "support/livekit_server.hpp"

namespace va::livekit {
namespace {

using test::LiveKitServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

using test::ok;

// An MTS Exolve deployment: a static-IP trunk (numbers and source addresses feed the LiveKit inbound trunk),
// a SIP ID registration (feeds the outbound trunk), two dispatch rules.
std::string exolve_config(const LiveKitServer& server, const std::string& rules) {
  return "livekit:\n  url: " + server.ws_url() + "\n  api_key: " + server.api_key() +
         "\n  api_secret: " + server.api_secret() + R"(
  provisioning:
    inbound_trunk:
      headers_to_attributes: [{header: X-Exolve-Call-Id, attribute: exolve.call_id}]
      include_headers: x_headers
      ringing_timeout: 40s
    outbound_trunk:
      destination_country: RU
    dispatch_rules:
)" + rules +
         R"(sip:
  listen: []
  trunks:
    - name: exolve-static
      mode: static_ip
      allowed_addresses: [80.75.130.99, 80.75.130.101]
      numbers: ["74951234567"]
    - name: exolve-sipid
      mode: register
      registrar: sip.exolve.ru
      username: "883140000000001"
      password: sipid-password-1
      numbers: ["74951234567"]
routing:
  inbound:
    - match: "*"
      flow: main
      room_prefix: exolve-
  outbound:
    caller_id: "74951234567"
    trunk: exolve-sipid
)";
}

constexpr const char* kTwoRules = R"(      - name: main
        kind: individual
        agents: [{agent_name: voice-agent, metadata: '{"flow":"main"}'}]
        attributes: [{name: source, value: exolve}]
      - name: conference
        kind: direct
        room_name: conference
        pin: "2468"
)";

constexpr const char* kOneRuleChanged = R"(      - name: main
        kind: individual
        room_prefix: support-
        agents: [{agent_name: voice-agent, metadata: '{"flow":"main"}'}]
        attributes: [{name: source, value: exolve}]
)";

class Provision : public ::testing::Test {
 protected:
  void SetUp() override {
    VA_REQUIRE_LIVEKIT();
    server_ = std::make_unique<LiveKitServer>();
    client_ = std::make_unique<TwirpClient>(
        ServerEndpoint{server_->ws_url(), server_->api_key(), server_->api_secret()});
    sip_ = std::make_unique<SipService>(*client_);
  }

  test::RunResult provision(const std::string& rules, std::vector<std::string> flags = {}) {
    auto path = dir_.write("livekit-sip.yaml", exolve_config(*server_, rules));
    std::vector<std::string> args{"provision", "--config", path};
    args.insert(args.end(), flags.begin(), flags.end());
    auto r = test::run(args, {}, std::chrono::seconds(60));
    last_output_ = r.out + r.err;
    return r;
  }

  std::vector<std::string> rule_names() {
    std::vector<std::string> names;
    for (const auto& r : ok(sip_->list_dispatch_rules())) names.push_back(r.name);
    std::sort(names.begin(), names.end());
    return names;
  }

  test::TempDir dir_;
  std::unique_ptr<LiveKitServer> server_;
  std::unique_ptr<TwirpClient> client_;
  std::unique_ptr<SipService> sip_;
  std::string last_output_;
};

TEST_F(Provision, CreatesTheConfiguredObjectsWithTheExpectedFields) {
  auto r = provision(kTwoRules);
  ASSERT_TRUE(r.status.exited_with(0)) << last_output_;
  EXPECT_THAT(r.out, HasSubstr("+ create inbound trunk 'voice-agent-inbound'"));
  EXPECT_THAT(r.out, HasSubstr("Applied: 4 created, 0 updated, 0 deleted."));
  EXPECT_THAT(last_output_, Not(HasSubstr("sipid-password-1")));  // secrets masked in the plan

  auto inbound = ok(sip_->list_inbound_trunks());
  ASSERT_EQ(inbound.size(), 1U);
  EXPECT_EQ(inbound[0].name, "voice-agent-inbound");
  EXPECT_THAT(inbound[0].numbers, ElementsAre("74951234567"));
  EXPECT_THAT(inbound[0].allowed_addresses, ElementsAre("80.75.130.99", "80.75.130.101"));
  EXPECT_EQ(inbound[0].headers_to_attributes.at("X-Exolve-Call-Id"), "exolve.call_id");
  EXPECT_EQ(inbound[0].include_headers, SipHeaderOptions::x_headers);
  EXPECT_EQ(inbound[0].ringing_timeout, std::chrono::seconds(40));
  auto marker = ownership_marker(inbound[0].metadata);
  ASSERT_TRUE(marker);
  EXPECT_EQ(marker->key, "inbound_trunk");

  auto outbound = ok(sip_->list_outbound_trunks());
  ASSERT_EQ(outbound.size(), 1U);
  EXPECT_EQ(outbound[0].name, "voice-agent-outbound");
  EXPECT_EQ(outbound[0].address, "sip.exolve.ru");
  EXPECT_EQ(outbound[0].transport, SipTransport::udp);
  EXPECT_THAT(outbound[0].numbers, ElementsAre("74951234567"));
  EXPECT_EQ(outbound[0].auth_username, "883140000000001");
  EXPECT_EQ(outbound[0].auth_password, "sipid-password-1");
  EXPECT_EQ(outbound[0].destination_country, "RU");

  auto rules = ok(sip_->list_dispatch_rules());
  ASSERT_EQ(rules.size(), 2U);
  std::sort(rules.begin(), rules.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  const auto& conference = rules[0];
  EXPECT_EQ(conference.name, "voice-agent-conference");
  EXPECT_EQ(conference.kind, DispatchRuleKind::direct);
  EXPECT_EQ(conference.room_name, "conference");
  EXPECT_EQ(conference.pin, "2468");
  EXPECT_THAT(conference.trunk_ids, ElementsAre(inbound[0].id));
  const auto& main = rules[1];
  EXPECT_EQ(main.name, "voice-agent-main");
  EXPECT_EQ(main.kind, DispatchRuleKind::individual);
  EXPECT_EQ(main.room_prefix, "exolve-");  // from routing.inbound
  EXPECT_TRUE(main.randomize);
  EXPECT_THAT(main.trunk_ids, ElementsAre(inbound[0].id));
  EXPECT_EQ(main.attributes.at("source"), "exolve");
  ASSERT_EQ(main.agents.size(), 1U);
  EXPECT_EQ(main.agents[0].agent_name, "voice-agent");
  EXPECT_EQ(main.agents[0].metadata, R"({"flow":"main"})");
}

TEST_F(Provision, SecondRunAndDryRunChangeNothing) {
  ASSERT_TRUE(provision(kTwoRules).status.exited_with(0)) << last_output_;
  auto before_rules = ok(sip_->list_dispatch_rules());
  auto before_trunks = ok(sip_->list_inbound_trunks());

  auto again = provision(kTwoRules);
  ASSERT_TRUE(again.status.exited_with(0)) << last_output_;
  EXPECT_THAT(again.out, HasSubstr("Nothing to do"));
  EXPECT_THAT(again.out, HasSubstr("= unchanged dispatch rule 'voice-agent-main'"));
  EXPECT_THAT(again.out, Not(HasSubstr("+ create")));

  auto dry = provision(kOneRuleChanged, {"--dry-run", "--prune"});
  ASSERT_TRUE(dry.status.exited_with(0)) << last_output_;
  EXPECT_THAT(dry.out, HasSubstr("~ update dispatch rule 'voice-agent-main'"));
  EXPECT_THAT(dry.out, HasSubstr("room_prefix: exolve- -> support-"));
  EXPECT_THAT(dry.out, HasSubstr("- delete dispatch rule 'voice-agent-conference'"));
  EXPECT_THAT(dry.out, HasSubstr("Dry run: nothing applied."));
  EXPECT_EQ(ok(sip_->list_dispatch_rules()), before_rules);
  EXPECT_EQ(ok(sip_->list_inbound_trunks()), before_trunks);
}

TEST_F(Provision, ChangedConfigurationUpdatesAndPruneDeletesOnlyOurs) {
  ASSERT_TRUE(provision(kTwoRules).status.exited_with(0)) << last_output_;

  // Someone else's trunk and rule (no marker), one of them with a name like ours.
  SipInboundTrunk foreign_trunk;
  foreign_trunk.name = "voice-agent-inbound";
  foreign_trunk.numbers = {"74990000000"};
  foreign_trunk.metadata = R"({"owner":"ops"})";
  auto foreign_trunk_json =
      server_->twirp("SIP", "CreateSIPInboundTrunk", {{"trunk", to_json(foreign_trunk)}});
  auto foreign_trunk_id = foreign_trunk_json.value("sip_trunk_id", "");
  ASSERT_FALSE(foreign_trunk_id.empty()) << foreign_trunk_json.dump();
  SipDispatchRule foreign_rule;
  foreign_rule.name = "voice-agent-main";
  foreign_rule.kind = DispatchRuleKind::direct;
  foreign_rule.room_name = "ops-room";
  foreign_rule.trunk_ids = {foreign_trunk_id};
  auto foreign_rule_json =
      server_->twirp("SIP", "CreateSIPDispatchRule", {{"dispatch_rule", to_json(foreign_rule)}});
  auto foreign_rule_id = foreign_rule_json.value("sip_dispatch_rule_id", "");
  ASSERT_FALSE(foreign_rule_id.empty()) << foreign_rule_json.dump();

  // Without --prune the rule no longer configured stays (and is reported as stale).
  auto changed = provision(kOneRuleChanged);
  ASSERT_TRUE(changed.status.exited_with(0)) << last_output_;
  EXPECT_THAT(changed.out, HasSubstr("Applied: 0 created, 1 updated, 0 deleted."));
  EXPECT_THAT(changed.out, HasSubstr("! stale dispatch rule 'voice-agent-conference'"));
  EXPECT_THAT(rule_names(), ElementsAre("voice-agent-conference", "voice-agent-main", "voice-agent-main"));

  auto pruned = provision(kOneRuleChanged, {"--prune"});
  ASSERT_TRUE(pruned.status.exited_with(0)) << last_output_;
  EXPECT_THAT(pruned.out, HasSubstr("Applied: 0 created, 0 updated, 1 deleted."));
  EXPECT_THAT(rule_names(), ElementsAre("voice-agent-main", "voice-agent-main"));

  // The foreign objects are exactly as they were created.
  bool foreign_rule_seen = false;
  for (const auto& r : ok(sip_->list_dispatch_rules())) {
    if (r.id == foreign_rule_id) {
      foreign_rule_seen = true;
      EXPECT_EQ(r.kind, DispatchRuleKind::direct);
      EXPECT_EQ(r.room_name, "ops-room");
    } else {
      EXPECT_EQ(r.room_prefix, "support-");  // ours, updated
    }
  }
  EXPECT_TRUE(foreign_rule_seen);
  auto trunks = ok(sip_->list_inbound_trunks());
  ASSERT_EQ(trunks.size(), 2U);
  for (const auto& t : trunks) {
    if (t.id == foreign_trunk_id) {
      EXPECT_EQ(t.metadata, R"({"owner":"ops"})");
    }
  }

  // Nothing left to do, even with --prune: the foreign objects are not ours to delete.
  auto settled = provision(kOneRuleChanged, {"--prune"});
  ASSERT_TRUE(settled.status.exited_with(0)) << last_output_;
  EXPECT_THAT(settled.out, HasSubstr("Nothing to do"));
}

TEST_F(Provision, JsonOutputDescribesThePlan) {
  auto r = provision(kTwoRules, {"--dry-run", "--json"});
  ASSERT_TRUE(r.status.exited_with(0)) << last_output_;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j.at("dry_run"), true);
  EXPECT_EQ(j.at("nothing_to_do"), false);
  ASSERT_EQ(j.at("actions").size(), 4U);
  EXPECT_EQ(j.at("actions")[0].at("action"), "create");
  EXPECT_EQ(j.at("actions")[0].at("type"), "inbound trunk");
  EXPECT_THAT(r.out, Not(HasSubstr("sipid-password-1")));
  EXPECT_TRUE(ok(sip_->list_inbound_trunks()).empty());
}

TEST_F(Provision, AFailedCallStopsTheRunAndSaysWhatWasApplied) {
  // Two catch-all rules on the same trunk: LiveKit refuses the second as a conflict.
  auto r = provision(R"(      - name: first
      - name: second
)");
  EXPECT_TRUE(r.status.exited_with(1)) << last_output_;
  EXPECT_THAT(r.err, HasSubstr("create dispatch rule 'voice-agent-second' failed"));
  EXPECT_THAT(r.err, HasSubstr("applied before it: create inbound trunk 'voice-agent-inbound' (ST_"));
  EXPECT_THAT(rule_names(), ElementsAre("voice-agent-first"));
}

TEST(ProvisionErrors, WithoutRedisTheHintSaysSo) {
  VA_REQUIRE_LIVEKIT();
  test::LiveKitServerOptions options;
  options.with_redis = false;
  LiveKitServer server(options);
  test::TempDir dir;
  auto path = dir.write("livekit-sip.yaml", exolve_config(server, kTwoRules));
  auto r = test::run({"provision", "--config", path}, {}, std::chrono::seconds(60));
  EXPECT_TRUE(r.status.exited_with(1)) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("redis required"));
  EXPECT_THAT(r.err, HasSubstr("hint"));
}

TEST(ProvisionErrors, UnreachableServerIsARuntimeFailure) {
  test::TempDir dir;
  auto config = std::string(R"(livekit:
  url: ws://127.0.0.1:9
  api_key: devkey
  api_secret: secret
  dev: true
sip:
  listen: []
)");
  auto path = dir.write("livekit-sip.yaml", config);
  auto r = test::run({"provision", "--config", path}, {}, std::chrono::seconds(60));
  EXPECT_TRUE(r.status.exited_with(1)) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("cannot read the SIP objects of the LiveKit server at ws://127.0.0.1:9"));
}

TEST(ProvisionErrors, InvalidConfigurationIsAUsageError) {
  test::TempDir dir;
  auto path = dir.write("livekit-sip.yaml", R"(livekit:
  url: ws://127.0.0.1:9
  api_key: devkey
  api_secret: secret
  dev: true
  provisioning:
    dispatch_rules: [{name: d, kind: direct}]
)");
  auto r = test::run({"provision", "--config", path});
  EXPECT_TRUE(r.status.exited_with(2)) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("livekit.provisioning.dispatch_rules[0].room_name"));
}

}  // namespace
}  // namespace va::livekit
