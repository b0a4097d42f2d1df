// Webhooks from independent implementations: the real livekit-server posting its own events to
// voice-agent, and signatures made by the official Node SDK (livekit-server-sdk).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/livekit/webhook_served_agent.hpp"
#include "support/livekit_server.hpp"
#include "support/node_sdk.hpp"

namespace va::test {
namespace {

using ::testing::HasSubstr;

// Waits (bounded) for a processed event of `type` for `room` in the agent's log.
bool wait_event(WebhookAgent& agent, const std::string& type, const std::string& room) {
  return agent.process().wait_for_output(
      [&](const std::string&, const std::string& err) {
        std::size_t start = 0;
        while (start < err.size()) {
          auto end = err.find('\n', start);
          if (end == std::string::npos) end = err.size();
          std::string_view line(err.data() + start, end - start);
          if (line.find("\"msg\":\"livekit webhook event\"") != std::string_view::npos &&
              line.find("\"event\":\"" + type + "\"") != std::string_view::npos &&
              line.find("\"room\":\"" + room + "\"") != std::string_view::npos)
            return true;
          start = end + 1;
        }
        return false;
      },
      std::chrono::seconds(30));
}

TEST(WebhookFromLiveKitServer, RoomStartedAndFinishedArriveVerified) {
  VA_REQUIRE_LIVEKIT();
  WebhookAgent agent;
  ASSERT_TRUE(agent.listening()) << agent.log();
  LiveKitServerOptions options;
  options.api_key = kWebhookKey;
  options.api_secret = kWebhookSecret;
  options.webhook_urls = {agent.url()};
  LiveKitServer server(options);

  long status = 0;
  auto created = server.twirp("RoomService", "CreateRoom", {{"name", "webhook-real-room"}}, &status);
  ASSERT_EQ(status, 200) << created.dump();
  ASSERT_TRUE(wait_event(agent, "room_started", "webhook-real-room")) << agent.log() << server.log();
  server.twirp("RoomService", "DeleteRoom", {{"room", "webhook-real-room"}}, &status);
  ASSERT_EQ(status, 200);
  ASSERT_TRUE(wait_event(agent, "room_finished", "webhook-real-room")) << agent.log() << server.log();

  auto metrics = agent.metrics();
  EXPECT_THAT(metrics, HasSubstr("livekit_webhook_events_total{event=\"room_started\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("livekit_webhook_events_total{event=\"room_finished\"} 1"));
  EXPECT_THAT(metrics, ::testing::Not(HasSubstr("livekit_webhook_rejected_total{")));
}

TEST(WebhookFromLiveKitServer, AServerWithAnotherKeyIsRejected) {
  VA_REQUIRE_LIVEKIT();
  WebhookAgent agent;
  ASSERT_TRUE(agent.listening()) << agent.log();
  LiveKitServerOptions options;  // the harness's own key, which voice-agent does not know
  options.webhook_urls = {agent.url()};
  LiveKitServer server(options);
  long status = 0;
  server.twirp("RoomService", "CreateRoom", {{"name", "stranger-room"}}, &status);
  ASSERT_EQ(status, 200);
  ASSERT_TRUE(
      agent.process().wait_for_output("\"reason\":\"unknown_key\"", Stream::err, std::chrono::seconds(30)))
      << agent.log() << server.log();
  EXPECT_THAT(agent.metrics(), ::testing::Not(HasSubstr("livekit_webhook_events_total{")));
  EXPECT_THAT(agent.log(), ::testing::Not(HasSubstr("stranger-room\"")));
}

nlohmann::json node_sign(const std::string& body, const std::string& key = kWebhookKey,
                         const std::string& secret = kWebhookSecret, const std::string& ttl = "5m") {
  return NodeSdk::run("sign-webhook.mjs",
                      {{"apiKey", key}, {"apiSecret", secret}, {"body", body}, {"ttl", ttl}});
}

TEST(WebhookFromNodeSdk, SignaturesVerifyAndBadOnesAreRejected) {
  if (!NodeSdk::available()) FAIL() << NodeSdk::unavailable_reason();
  WebhookAgent agent;
  ASSERT_TRUE(agent.listening()) << agent.log();
  auto body = room_event("EV_node", "node-room");
  auto signed_by_sdk = node_sign(body).value("authorization", "");
  ASSERT_FALSE(signed_by_sdk.empty());
  EXPECT_EQ(agent.post(body, signed_by_sdk).status, 200);
  ASSERT_TRUE(agent.wait_processed("EV_node")) << agent.log();

  auto tampered = body;
  tampered.replace(tampered.find("node-room"), 9, "evil-room");
  EXPECT_EQ(agent.post(tampered, signed_by_sdk).status, 401);
  auto wrong_key = room_event("EV_node_wrong_key");
  EXPECT_EQ(
      agent.post(wrong_key, node_sign(wrong_key, "APIunknownKey1", kWebhookSecret).value("authorization", ""))
          .status,
      401);
  auto wrong_secret = room_event("EV_node_wrong_secret");
  EXPECT_EQ(
      agent
          .post(wrong_secret, node_sign(wrong_secret, kWebhookKey, "not-the-secret-0123456789abcdefghij")
                                  .value("authorization", ""))
          .status,
      401);
  auto expired = room_event("EV_node_expired");
  EXPECT_EQ(
      agent.post(expired, node_sign(expired, kWebhookKey, kWebhookSecret, "-5m").value("authorization", ""))
          .status,
      401);
  auto missing = room_event("EV_node_missing");
  EXPECT_EQ(agent.post(missing, std::nullopt).status, 401);

  auto metrics = agent.metrics();
  for (const char* reason :
       {"body_hash_mismatch", "unknown_key", "bad_signature", "expired", "missing_authorization"})
    EXPECT_THAT(metrics,
                HasSubstr(std::string("livekit_webhook_rejected_total{reason=\"") + reason + "\"} 1"))
        << reason;
  EXPECT_THAT(metrics, HasSubstr("livekit_webhook_events_total{event=\"room_started\"} 1"));
}

TEST(WebhookFromNodeSdk, TheSdkAcceptsWhatVoiceAgentAccepts) {
  // The same body and token through the SDK's own WebhookReceiver: both implementations agree.
  if (!NodeSdk::available()) FAIL() << NodeSdk::unavailable_reason();
  auto body = room_event("EV_both", "both-room");
  auto token = sign_webhook(body);
  auto received = NodeSdk::run(
      "receive-webhook.mjs",
      {{"apiKey", kWebhookKey}, {"apiSecret", kWebhookSecret}, {"body", body}, {"authorization", token}});
  ASSERT_TRUE(received.value("ok", false)) << received.dump();
  EXPECT_EQ(received["event"].value("id", ""), "EV_both");
  auto tampered = body;
  tampered.replace(tampered.find("both-room"), 9, "evil-room");
  auto refused = NodeSdk::run(
      "receive-webhook.mjs",
      {{"apiKey", kWebhookKey}, {"apiSecret", kWebhookSecret}, {"body", tampered}, {"authorization", token}});
  EXPECT_FALSE(refused.value("ok", true)) << refused.dump();
}

}  // namespace
}  // namespace va::test
