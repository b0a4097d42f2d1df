#include "livekit/webhook_event.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace va::livekit {
namespace {

// The fuzz corpus holds one realistic event of each type, as LiveKit's server writes them.
std::string seed(const std::string& name) {
  std::ifstream in(std::filesystem::path(VA_SOURCE_DIR) / "tests/fuzz/corpus/webhook_event" /
                   (name + ".json"));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

WebhookEvent parsed(const std::string& body) {
  auto result = parse_webhook_event(body);
  if (auto* error = std::get_if<WebhookParseError>(&result)) {
    ADD_FAILURE() << error->message << "\n" << body;
    return {};
  }
  return std::get<WebhookEvent>(result);
}

std::string error_of(std::string_view body) {
  auto result = parse_webhook_event(body);
  EXPECT_TRUE(std::holds_alternative<WebhookParseError>(result)) << body;
  return std::holds_alternative<WebhookParseError>(result) ? std::get<WebhookParseError>(result).message : "";
}

TEST(WebhookEvent, EveryTypeNameMapsToItsType) {
  for (auto type :
       {WebhookEventType::room_started, WebhookEventType::room_finished, WebhookEventType::participant_joined,
        WebhookEventType::participant_left, WebhookEventType::participant_connection_aborted,
        WebhookEventType::track_published, WebhookEventType::track_unpublished,
        WebhookEventType::egress_started, WebhookEventType::egress_updated, WebhookEventType::egress_ended,
        WebhookEventType::ingress_started, WebhookEventType::ingress_ended}) {
    EXPECT_EQ(webhook_event_type(to_string(type)), type) << to_string(type);
  }
  EXPECT_EQ(webhook_event_type("room_metadata_changed"), WebhookEventType::unknown);
}

TEST(WebhookEvent, RoomStarted) {
  auto e = parsed(seed("room_started"));
  EXPECT_EQ(e.type, WebhookEventType::room_started);
  EXPECT_EQ(e.name, "room_started");
  EXPECT_EQ(e.id, "EV_eugWmGhovZmm");
  EXPECT_EQ(e.created_at, 1692985556);
  ASSERT_TRUE(e.room);
  EXPECT_EQ(e.room->sid, "RM_hycBMAjmt6Ub");
  EXPECT_EQ(e.room->name, "voice-agent-check");
  EXPECT_EQ(e.room->empty_timeout, 300);
  EXPECT_EQ(e.room->departure_timeout, 20);
  EXPECT_EQ(e.room->creation_time, 1692627281);
  EXPECT_EQ(e.room->creation_time_ms, 1692627281532);
  EXPECT_FALSE(e.participant);
  EXPECT_FALSE(e.track);
}

TEST(WebhookEvent, RoomFinished) {
  auto e = parsed(seed("room_finished"));
  EXPECT_EQ(e.type, WebhookEventType::room_finished);
  ASSERT_TRUE(e.room);
  EXPECT_EQ(e.room->metadata, R"({"flow":"echo"})");
  EXPECT_EQ(e.room->num_participants, 0);
}

TEST(WebhookEvent, SipParticipantJoinedWithItsAttributes) {
  auto e = parsed(seed("participant_joined_sip"));
  EXPECT_EQ(e.type, WebhookEventType::participant_joined);
  ASSERT_TRUE(e.participant);
  const auto& p = *e.participant;
  EXPECT_EQ(p.sid, "PA_7yhEb5m3bBvN");
  EXPECT_EQ(p.identity, "sip_+4915112345678");
  EXPECT_EQ(p.name, "Phone +4915112345678");
  EXPECT_EQ(p.kind, ParticipantKind::sip);
  EXPECT_EQ(p.state, ParticipantState::active);
  EXPECT_EQ(p.joined_at, 1700000001);
  EXPECT_EQ(p.joined_at_ms, 1700000001250);
  auto sip = sip_participant_attributes(p.attributes);
  EXPECT_FALSE(sip.empty());
  EXPECT_EQ(sip.call_id, "SCL_Ub2P3kVvLqHb");
  EXPECT_EQ(sip.call_id_full, "a84b4c76e66710@pc33.example.com");
  EXPECT_EQ(sip.phone_number, "+4915112345678");
  EXPECT_EQ(sip.trunk_phone_number, "+4930901820");
  EXPECT_EQ(sip.call_status, "active");
  EXPECT_EQ(sip.trunk_id, "ST_mZRfGvN7wYqT");
  EXPECT_EQ(sip.rule_id, "SDR_QnLx9bJfS2Aa");
  EXPECT_EQ(sip.hostname, "sip.exolve.ru");
  EXPECT_EQ(sip.headers,
            (std::map<std::string, std::string>{{"x-customer", "acme"}, {"x-exolve-call-id", "7f1c2e"}}));
}

TEST(WebhookEvent, ParticipantLeftAndAborted) {
  auto left = parsed(seed("participant_left"));
  EXPECT_EQ(left.type, WebhookEventType::participant_left);
  ASSERT_TRUE(left.participant);
  EXPECT_EQ(left.participant->state, ParticipantState::disconnected);
  EXPECT_EQ(left.participant->disconnect_reason, "CLIENT_INITIATED");
  EXPECT_EQ(sip_participant_attributes(left.participant->attributes).call_status, "hangup");

  auto aborted = parsed(seed("participant_connection_aborted"));
  EXPECT_EQ(aborted.type, WebhookEventType::participant_connection_aborted);
  ASSERT_TRUE(aborted.participant);
  EXPECT_EQ(aborted.participant->kind, ParticipantKind::agent);
  EXPECT_EQ(aborted.participant->state, ParticipantState::joining);
  EXPECT_TRUE(sip_participant_attributes(aborted.participant->attributes).empty());
}

TEST(WebhookEvent, Tracks) {
  auto published = parsed(seed("track_published"));
  EXPECT_EQ(published.type, WebhookEventType::track_published);
  ASSERT_TRUE(published.track);
  EXPECT_EQ(published.track->sid, "TR_AMkSi7bKtfEh2W");
  EXPECT_EQ(published.track->type, "AUDIO");
  EXPECT_EQ(published.track->source, "MICROPHONE");
  EXPECT_EQ(published.track->name, "phone");
  EXPECT_EQ(published.track->mime_type, "audio/opus");
  EXPECT_FALSE(published.track->muted);

  auto unpublished = parsed(seed("track_unpublished"));
  EXPECT_EQ(unpublished.type, WebhookEventType::track_unpublished);
  ASSERT_TRUE(unpublished.track);
  EXPECT_EQ(unpublished.track->type, "VIDEO");
  EXPECT_EQ(unpublished.track->source, "CAMERA");
  EXPECT_TRUE(unpublished.track->muted);
  EXPECT_EQ(unpublished.track->width, 1280);
  EXPECT_EQ(unpublished.track->height, 720);
}

TEST(WebhookEvent, Egress) {
  auto started = parsed(seed("egress_started"));
  EXPECT_EQ(started.type, WebhookEventType::egress_started);
  ASSERT_TRUE(started.egress);
  EXPECT_EQ(started.egress->egress_id, "EG_nMu2eE5Skbe7");
  EXPECT_EQ(started.egress->room_name, "support");
  EXPECT_EQ(started.egress->room_id, "RM_4xTQmLh2ZQ8P");
  EXPECT_EQ(started.egress->status, "EGRESS_STARTING");
  EXPECT_EQ(started.egress->started_at, 1700000003000000000);

  auto updated = parsed(seed("egress_updated"));
  EXPECT_EQ(updated.type, WebhookEventType::egress_updated);
  ASSERT_TRUE(updated.egress);
  EXPECT_EQ(updated.egress->status, "EGRESS_ACTIVE");

  auto ended = parsed(seed("egress_ended"));
  EXPECT_EQ(ended.type, WebhookEventType::egress_ended);
  ASSERT_TRUE(ended.egress);
  EXPECT_EQ(ended.egress->status, "EGRESS_FAILED");
  EXPECT_EQ(ended.egress->error, "pipeline stalled");
  EXPECT_EQ(ended.egress->ended_at, 1700000099000000000);
}

TEST(WebhookEvent, Ingress) {
  auto started = parsed(seed("ingress_started"));
  EXPECT_EQ(started.type, WebhookEventType::ingress_started);
  ASSERT_TRUE(started.ingress);
  EXPECT_EQ(started.ingress->ingress_id, "IN_2hB9pXqLmV6c");
  EXPECT_EQ(started.ingress->name, "studio");
  EXPECT_EQ(started.ingress->room_name, "broadcast");
  EXPECT_EQ(started.ingress->participant_identity, "studio-feed");
  EXPECT_EQ(started.ingress->input_type, "RTMP_INPUT");
  EXPECT_EQ(started.ingress->status, "ENDPOINT_PUBLISHING");
  EXPECT_EQ(started.ingress->room_id, "RM_bRoAdCaStXyZ");

  auto ended = parsed(seed("ingress_ended"));
  EXPECT_EQ(ended.type, WebhookEventType::ingress_ended);
  ASSERT_TRUE(ended.ingress);
  EXPECT_EQ(ended.ingress->status, "ENDPOINT_COMPLETE");
}

TEST(WebhookEvent, AcceptsSnakeCaseInt64NumbersAndEnumNumbers) {
  auto e = parsed(seed("snake_case_numbers"));
  EXPECT_EQ(e.id, "EV_snake");
  EXPECT_EQ(e.created_at, 1700000005);
  ASSERT_TRUE(e.room);
  EXPECT_EQ(e.room->empty_timeout, 60);
  EXPECT_EQ(e.room->creation_time, 1700000000);
  EXPECT_EQ(e.room->num_participants, 2);
  ASSERT_TRUE(e.participant);
  EXPECT_EQ(e.participant->state, ParticipantState::active);  // 2
  EXPECT_EQ(e.participant->kind, ParticipantKind::agent);     // 4
  EXPECT_EQ(e.participant->joined_at, 1700000005);
}

TEST(WebhookEvent, UnknownEventKeepsItsName) {
  auto e = parsed(seed("unknown_event"));
  EXPECT_EQ(e.type, WebhookEventType::unknown);
  EXPECT_EQ(e.name, "room_metadata_changed");
  EXPECT_EQ(e.id, "EV_newKind");
  ASSERT_TRUE(e.room);
  EXPECT_EQ(e.room->name, "r");
}

TEST(WebhookEvent, UnknownEnumNamesAndMistypedFieldsReadAsDefaults) {
  auto e = parsed(
      R"({"event":"participant_joined","id":7,"createdAt":"soon","room":"not an object",)"
      R"("participant":{"identity":["x"],"kind":"ROBOT","state":"FLOATING","attributes":{"a":1,"b":"2"}}})");
  EXPECT_EQ(e.id, "");
  EXPECT_EQ(e.created_at, 0);
  EXPECT_FALSE(e.room);
  ASSERT_TRUE(e.participant);
  EXPECT_EQ(e.participant->identity, "");
  EXPECT_EQ(e.participant->kind, ParticipantKind::unknown);
  EXPECT_EQ(e.participant->state, ParticipantState::unknown);
  EXPECT_EQ(e.participant->attributes, (std::map<std::string, std::string>{{"b", "2"}}));
}

TEST(WebhookEvent, MalformedInputIsATypedError) {
  EXPECT_NE(error_of(""), "");
  EXPECT_NE(error_of("{\"event\":\"room_started\""), "");
  EXPECT_NE(error_of("[1,2]"), "");
  EXPECT_NE(error_of("\"room_started\""), "");
  EXPECT_NE(error_of("{}"), "");
  EXPECT_NE(error_of(R"({"event":""})"), "");
  EXPECT_NE(error_of(R"({"event":5})"), "");
  EXPECT_NE(error_of(std::string("{\"event\":\"a\xff\"}")), "");
  EXPECT_NE(error_of(std::string(100000, '[')), "");
}

TEST(SipParticipantAttributes, IgnoresOtherAttributesAndEmptyHeaderNames) {
  auto sip = sip_participant_attributes(
      {{"lk.agent.state", "listening"}, {"sip.h.", "x"}, {"sipx", "y"}, {"z", "1"}});
  EXPECT_TRUE(sip.empty());
}

}  // namespace
}  // namespace va::livekit
