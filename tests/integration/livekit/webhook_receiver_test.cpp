// The webhook endpoint of the real `voice-agent serve`, as LiveKit (and an attacker) reach it over HTTP.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/livekit/webhook_served_agent.hpp"

namespace va::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(WebhookReceiver, ASignedEventIsAcceptedAndLogged) {
  WebhookAgent agent;
  ASSERT_TRUE(agent.listening()) << agent.log();
  auto body = room_event("EV_signed", "signed-room");
  auto response = agent.post(body, sign_webhook(body));
  EXPECT_EQ(response.status, 200) << response.body << response.error;
  ASSERT_TRUE(agent.wait_processed("EV_signed")) << agent.log();
  EXPECT_THAT(agent.log(), HasSubstr("\"room\":\"signed-room\""));
  EXPECT_THAT(agent.metrics(), HasSubstr("livekit_webhook_events_total{event=\"room_started\"} 1"));
}

TEST(WebhookReceiver, UnverifiableRequestsGet401AndHaveNoEffect) {
  WebhookAgent agent;
  ASSERT_TRUE(agent.listening()) << agent.log();
  auto body = room_event("EV_bad", "bad-room");
  auto now = unix_now();
  struct Case {
    std::string name;
    std::optional<std::string> authorization;
    std::string body;
    std::string reason;
  };
  std::string tampered = body;
  tampered.replace(tampered.find("bad-room"), 8, "own-room");
  std::vector<Case> cases{
      {"missing header", std::nullopt, body, "missing_authorization"},
      {"expired", sign_webhook(body, kWebhookKey, kWebhookSecret, now - 600), body, "expired"},
      {"forged", sign_webhook(body, kWebhookKey, "an-attacker-guessed-this-secret-0123456"), body,
       "bad_signature"},
      {"wrong key", sign_webhook(body, "APIsomeoneElse1", kWebhookSecret), body, "unknown_key"},
      {"tampered body", sign_webhook(body), tampered, "body_hash_mismatch"},
      {"not a token", std::string("garbage"), body, "malformed_token"},
  };
  for (const auto& c : cases) {
    auto response = agent.post(c.body, c.authorization);
    EXPECT_EQ(response.status, 401) << c.name << ": " << response.body;
    EXPECT_THAT(response.body, HasSubstr("unauthorized")) << c.name;
  }
  auto metrics = agent.metrics();
  for (const auto& c : cases)
    EXPECT_THAT(metrics, HasSubstr("livekit_webhook_rejected_total{reason=\"" + c.reason + "\"} 1"))
        << c.name;
  EXPECT_THAT(metrics, Not(HasSubstr("livekit_webhook_events_total{")));
  EXPECT_EQ(agent.processed_count("EV_bad"), 0);
  // The log names the reason and the remote address, never the token.
  EXPECT_THAT(agent.log(), HasSubstr("\"reason\":\"body_hash_mismatch\""));
  EXPECT_THAT(agent.log(), HasSubstr("\"remote_address\":\"127.0.0.1\""));
  EXPECT_THAT(agent.log(), Not(HasSubstr(*cases[1].authorization)));
}

TEST(WebhookReceiver, ClockSkewWithinTheLeewayIsAcceptedBeyondItRejected) {
  WebhookAgent agent;
  ASSERT_TRUE(agent.listening()) << agent.log();
  auto now = unix_now();
  auto early = room_event("EV_early");
  // Signed by a server whose clock runs 30 s ahead: nbf is in our future, within the 60 s leeway.
  EXPECT_EQ(agent.post(early, sign_webhook(early, kWebhookKey, kWebhookSecret, now + 30)).status, 200);
  auto too_early = room_event("EV_too_early");
  EXPECT_EQ(agent.post(too_early, sign_webhook(too_early, kWebhookKey, kWebhookSecret, now + 180)).status,
            401);
  auto late = room_event("EV_late");
  // Expired 30 s ago by our clock: still within the leeway.
  EXPECT_EQ(agent.post(late, sign_webhook(late, kWebhookKey, kWebhookSecret, now - 330)).status, 200);
  auto too_late = room_event("EV_too_late");
  EXPECT_EQ(agent.post(too_late, sign_webhook(too_late, kWebhookKey, kWebhookSecret, now - 500)).status, 401);
  auto metrics = agent.metrics();
  EXPECT_THAT(metrics, HasSubstr("livekit_webhook_rejected_total{reason=\"not_yet_valid\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("livekit_webhook_rejected_total{reason=\"expired\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("livekit_webhook_events_total{event=\"room_started\"} 2"));
}

TEST(WebhookReceiver, WrongContentTypeGets415) {
  WebhookAgent agent;
  ASSERT_TRUE(agent.listening()) << agent.log();
  auto body = room_event("EV_type");
  EXPECT_EQ(agent.post(body, sign_webhook(body), "text/plain").status, 415);
  EXPECT_EQ(agent.post(body, sign_webhook(body), "application/x-www-form-urlencoded").status, 415);
  EXPECT_EQ(agent.post(body, sign_webhook(body), "application/json").status, 200);
  EXPECT_THAT(agent.metrics(),
              HasSubstr("livekit_webhook_rejected_total{reason=\"unsupported_media_type\"} 2"));
}

TEST(WebhookReceiver, OversizedBodyGets413) {
  WebhookAgent agent({"http.body_limit=4KiB"});
  ASSERT_TRUE(agent.listening()) << agent.log();
  std::string body = room_event("EV_big", std::string(8 * 1024, 'x'));
  auto response = agent.post(body, sign_webhook(body));
  EXPECT_EQ(response.status, 413) << response.body;
  EXPECT_EQ(agent.processed_count("EV_big"), 0);
}

TEST(WebhookReceiver, MalformedJsonGets400) {
  WebhookAgent agent;
  ASSERT_TRUE(agent.listening()) << agent.log();
  for (std::string body : {"{\"event\":\"room_started\"", "[]", "{\"id\":\"EV_x\"}"}) {
    auto response = agent.post(body, sign_webhook(body));
    EXPECT_EQ(response.status, 400) << body << ": " << response.body;
  }
  EXPECT_THAT(agent.metrics(), HasSubstr("livekit_webhook_rejected_total{reason=\"malformed_event\"} 3"));
}

TEST(WebhookReceiver, AReplayedEventIsProcessedOnce) {
  WebhookAgent agent;
  ASSERT_TRUE(agent.listening()) << agent.log();
  auto body = room_event("EV_replayed");
  auto token = sign_webhook(body);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(agent.post(body, token).status, 200);
  ASSERT_TRUE(agent.wait_processed("EV_replayed")) << agent.log();
  // A later event is processed after the repeats would have been: the worker handles events in order.
  auto next = room_event("EV_after_replay");
  EXPECT_EQ(agent.post(next, sign_webhook(next)).status, 200);
  ASSERT_TRUE(agent.wait_processed("EV_after_replay")) << agent.log();
  EXPECT_EQ(agent.processed_count("EV_replayed"), 1);
  EXPECT_THAT(agent.metrics(), HasSubstr("livekit_webhook_duplicates_total 2"));
}

TEST(WebhookReceiver, UnknownEventsAreAcceptedCountedAndIgnored) {
  WebhookAgent agent;
  ASSERT_TRUE(agent.listening()) << agent.log();
  auto body = room_event("EV_future", "r", "room_metadata_changed");
  EXPECT_EQ(agent.post(body, sign_webhook(body)).status, 200);
  EXPECT_THAT(agent.metrics(), HasSubstr("livekit_webhook_events_total{event=\"unknown\"} 1"));
}

TEST(WebhookReceiver, VerifyFalseAcceptsUnsignedEventsWithAWarning) {
  WebhookAgent agent({"webhooks.verify=false"});
  ASSERT_TRUE(agent.listening()) << agent.log();
  auto body = room_event("EV_unsigned");
  EXPECT_EQ(agent.post(body, std::nullopt).status, 200);
  ASSERT_TRUE(agent.wait_processed("EV_unsigned")) << agent.log();
  EXPECT_THAT(agent.log(), HasSubstr("NOT verified"));
}

TEST(WebhookReceiver, QueuedEventsAreProcessedBeforeShutdown) {
  WebhookAgent agent;
  ASSERT_TRUE(agent.listening()) << agent.log();
  for (int i = 0; i < 50; ++i) {
    auto body = room_event("EV_drain" + std::to_string(i));
    ASSERT_EQ(agent.post(body, sign_webhook(body)).status, 200);
  }
  agent.stop();
  for (int i = 0; i < 50; ++i) EXPECT_EQ(agent.processed_count("EV_drain" + std::to_string(i)), 1) << i;
  EXPECT_THAT(agent.log(), HasSubstr("voice-agent stopped"));
}

}  // namespace
}  // namespace va::test
