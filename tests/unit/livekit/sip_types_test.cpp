// LiveKit SIP objects ↔ protobuf JSON, in the forms livekit_sip.proto defines and the server answers with
// (snake_case, enums as names, durations as "<n>s"). The real-server round trip is in
// tests/integration/livekit/provision_test.cpp.
#include "livekit/sip_types.hpp"

#include <gtest/gtest.h>

namespace va::livekit {
namespace {

TEST(SipTypes, InboundTrunkRequestUsesTheProtoFieldNames) {
  SipInboundTrunk t;
  t.name = "in";
  t.numbers = {"74951234567"};
  t.allowed_addresses = {"80.75.130.99"};
  t.headers_to_attributes = {{"X-Exolve-Call-Id", "exolve.call_id"}};
  t.include_headers = SipHeaderOptions::x_headers;
  t.ringing_timeout = std::chrono::seconds(30);
  t.media.codecs = {"PCMA"};
  t.media.encryption = SipMediaEncryption::allow;
  auto j = to_json(t);
  EXPECT_EQ(j.at("name"), "in");
  EXPECT_EQ(j.at("numbers"), nlohmann::json::array({"74951234567"}));
  EXPECT_EQ(j.at("allowed_addresses"), nlohmann::json::array({"80.75.130.99"}));
  EXPECT_EQ(j.at("headers_to_attributes").at("X-Exolve-Call-Id"), "exolve.call_id");
  EXPECT_EQ(j.at("include_headers"), "SIP_X_HEADERS");
  EXPECT_EQ(j.at("ringing_timeout"), "30s");
  EXPECT_FALSE(j.contains("max_call_duration"));
  EXPECT_EQ(j.at("media").at("only_listed_codecs"), true);
  EXPECT_EQ(j.at("media").at("codecs").at(0).at("name"), "PCMA");
  EXPECT_EQ(j.at("media").at("encryption"), "SIP_MEDIA_ENCRYPT_ALLOW");
  EXPECT_FALSE(j.contains("sip_trunk_id"));
}

TEST(SipTypes, InboundTrunkFromServerJson) {
  auto j = nlohmann::json::parse(R"({
    "sip_trunk_id": "ST_abc", "name": "in", "metadata": "m", "numbers": ["1", "2"],
    "allowed_addresses": [], "allowed_numbers": [], "auth_username": "u", "auth_password": "p",
    "auth_realm": "", "headers": {}, "headers_to_attributes": {"X-A": "a"}, "attributes_to_headers": {},
    "include_headers": "SIP_ALL_HEADERS", "ringing_timeout": "45s", "max_call_duration": "3600.500s",
    "krisp_enabled": true, "media_encryption": "SIP_MEDIA_ENCRYPT_DISABLE",
    "media": {"only_listed_codecs": true, "codecs": [{"name": "PCMU", "rate": 0}],
              "encryption": "SIP_MEDIA_ENCRYPT_REQUIRE"},
    "created_at": "2026-11-26T20:00:00Z"})");
  auto t = inbound_trunk_from_json(j);
  EXPECT_EQ(t.id, "ST_abc");
  EXPECT_EQ(t.numbers, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(t.auth_password, "p");
  EXPECT_EQ(t.headers_to_attributes.at("X-A"), "a");
  EXPECT_EQ(t.include_headers, SipHeaderOptions::all);
  EXPECT_EQ(t.ringing_timeout, std::chrono::seconds(45));
  EXPECT_EQ(t.max_call_duration, std::chrono::seconds(3600));
  EXPECT_TRUE(t.krisp_enabled);
  EXPECT_EQ(t.media.codecs, std::vector<std::string>{"PCMU"});
  EXPECT_EQ(t.media.encryption, SipMediaEncryption::require);
}

TEST(SipTypes, RoundTripsThroughJson) {
  SipInboundTrunk in;
  in.name = "in";
  in.numbers = {"1"};
  in.auth_username = "u";
  in.auth_password = "p";
  in.max_call_duration = std::chrono::seconds(600);
  EXPECT_EQ(inbound_trunk_from_json(to_json(in)), in);

  SipOutboundTrunk out;
  out.name = "out";
  out.address = "sip.exolve.ru:5060";
  out.transport = SipTransport::tcp;
  out.numbers = {"74951234567"};
  out.destination_country = "RU";
  EXPECT_EQ(outbound_trunk_from_json(to_json(out)), out);

  for (auto kind : {DispatchRuleKind::individual, DispatchRuleKind::direct, DispatchRuleKind::callee}) {
    SipDispatchRule r;
    r.name = "rule";
    r.kind = kind;
    if (kind == DispatchRuleKind::direct) {
      r.room_name = "room";
    } else {
      r.room_prefix = "call-";
      r.randomize = true;
    }
    r.pin = "1234";
    r.trunk_ids = {"ST_1"};
    r.attributes = {{"a", "b"}};
    r.agents = {{"voice-agent", "{}"}};
    r.hide_phone_number = true;
    EXPECT_EQ(dispatch_rule_from_json(to_json(r)), r) << to_string(kind);
  }
}

TEST(SipTypes, DispatchRuleKindsUseTheOneofNames) {
  SipDispatchRule r;
  r.kind = DispatchRuleKind::individual;
  r.room_prefix = "p";
  r.randomize = true;
  EXPECT_EQ(to_json(r).at("rule").at("dispatch_rule_individual").at("no_randomness"), false);
  r.kind = DispatchRuleKind::callee;
  EXPECT_EQ(to_json(r).at("rule").at("dispatch_rule_callee").at("randomize"), true);
  r.kind = DispatchRuleKind::direct;
  r.room_name = "x";
  EXPECT_EQ(to_json(r).at("rule").at("dispatch_rule_direct").at("room_name"), "x");
}

TEST(SipTypes, HostileJsonReadsAsDefaults) {
  for (const char* text : {"null", "[]", "42", R"({"numbers": "x", "media": [], "ringing_timeout": 7})",
                           R"({"rule": {"dispatch_rule_direct": 5}, "room_config": {"agents": [1, null]}})",
                           R"({"ringing_timeout": "99999999999999999999999s"})"}) {
    auto j = nlohmann::json::parse(text);
    EXPECT_NO_THROW({
      (void)inbound_trunk_from_json(j);
      (void)outbound_trunk_from_json(j);
      (void)dispatch_rule_from_json(j);
    }) << text;
  }
}

}  // namespace
}  // namespace va::livekit
