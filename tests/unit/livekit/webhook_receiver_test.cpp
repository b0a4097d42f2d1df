// The receiver's request handling, called directly (the HTTP transport has its own tests, and
// tests/integration/livekit/webhook_*_test.cpp send real requests to the real binary).
#include "livekit/webhook_receiver.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "livekit/webhook_dedupe.hpp"

namespace va::livekit {
namespace {

constexpr UnixSeconds kNow = 1700000000;

std::string event_body(const std::string& id, const std::string& type = "room_started") {
  return R"({"event":")" + type + R"(","room":{"sid":"RM_1","name":"r"},"id":")" + id +
         R"(","createdAt":"1700000000"})";
}

std::string sign(std::string_view body, const std::string& secret = "secret") {
  AccessTokenClaims claims;
  claims.api_key = "APIkey";
  claims.sha256 = webhook_body_hash(body);
  claims.not_before = kNow;
  claims.expires_at = kNow + 300;
  return mint_access_token(claims, secret);
}

http::Request post(std::string body, std::string authorization,
                   std::string content_type = "application/webhook+json") {
  http::Request r;
  r.method = http::Method::post;
  r.path = "/livekit/webhook";
  r.body = std::move(body);
  r.remote_address = "127.0.0.1";
  r.headers.push_back({"Content-Type", std::move(content_type)});
  if (!authorization.empty()) r.headers.push_back({"Authorization", std::move(authorization)});
  return r;
}

// Records events; while `hold` is set, on_event waits until it is cleared (a slow consumer).
class RecordingSink : public WebhookEventSink {
 public:
  void on_event(const WebhookEvent& event) override {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !hold_; });
    events_.push_back(event);
    changed_.notify_all();
  }
  void hold(bool on) {
    std::lock_guard lock(mutex_);
    hold_ = on;
    changed_.notify_all();
  }
  std::vector<WebhookEvent> wait_for(std::size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(10), [&] { return events_.size() >= count; });
    return events_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool hold_ = false;
  std::vector<WebhookEvent> events_;
};

struct Fixture : ::testing::Test {
  metrics::Registry metrics;
  RecordingSink sink;
  WebhookReceiverOptions options() {
    WebhookReceiverOptions o;
    o.secrets_by_key = {{"APIkey", "secret"}};
    o.clock = [] { return kNow; };
    return o;
  }
  std::string exposed() { return metrics.expose(); }
};

using WebhookReceiverTest = Fixture;

TEST_F(WebhookReceiverTest, ASignedEventIsAnsweredThenProcessed) {
  WebhookReceiver receiver(options(), sink, metrics);
  receiver.start();
  auto body = event_body("EV_1");
  auto response = receiver.handle(post(body, sign(body)));
  EXPECT_EQ(response.status, 200u);
  auto events = sink.wait_for(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, "EV_1");
  EXPECT_EQ(events[0].type, WebhookEventType::room_started);
  EXPECT_NE(exposed().find("livekit_webhook_events_total{event=\"room_started\"} 1"), std::string::npos);
}

TEST_F(WebhookReceiverTest, RejectionsHaveNoSideEffect) {
  WebhookReceiver receiver(options(), sink, metrics);
  receiver.start();
  auto body = event_body("EV_2");
  auto tampered = event_body("EV_3");
  EXPECT_EQ(receiver.handle(post(body, "")).status, 401u);
  EXPECT_EQ(receiver.handle(post(body, sign(body, "wrong"))).status, 401u);
  EXPECT_EQ(receiver.handle(post(tampered, sign(body))).status, 401u);
  EXPECT_EQ(receiver.handle(post(body, sign(body), "text/plain")).status, 415u);
  EXPECT_EQ(receiver.handle(post("{not json", sign("{not json"))).status, 400u);
  // The one good delivery afterwards is the only event, so none of the above reached the sink.
  EXPECT_EQ(receiver.handle(post(body, sign(body), "application/json; charset=utf-8")).status, 200u);
  auto events = sink.wait_for(1);
  ASSERT_EQ(receiver.stop(std::chrono::steady_clock::now() + std::chrono::seconds(5)), 0u);
  EXPECT_EQ(sink.wait_for(1).size(), 1u);
  auto text = exposed();
  for (const char* line : {"livekit_webhook_rejected_total{reason=\"missing_authorization\"} 1",
                           "livekit_webhook_rejected_total{reason=\"bad_signature\"} 1",
                           "livekit_webhook_rejected_total{reason=\"body_hash_mismatch\"} 1",
                           "livekit_webhook_rejected_total{reason=\"unsupported_media_type\"} 1",
                           "livekit_webhook_rejected_total{reason=\"malformed_event\"} 1"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

TEST_F(WebhookReceiverTest, ARepeatedIdIsProcessedOnce) {
  WebhookReceiver receiver(options(), sink, metrics);
  receiver.start();
  auto body = event_body("EV_same");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(receiver.handle(post(body, sign(body))).status, 200u);
  receiver.stop(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  EXPECT_EQ(sink.wait_for(1).size(), 1u);
  EXPECT_NE(exposed().find("livekit_webhook_duplicates_total 2"), std::string::npos) << exposed();
}

TEST_F(WebhookReceiverTest, AFullQueueAnswers503AndTheRetryIsProcessed) {
  auto o = options();
  o.queue_size = 1;
  WebhookReceiver receiver(o, sink, metrics);
  sink.hold(true);
  receiver.start();
  // The first event is taken by the worker (and held in the sink), the second fills the queue.
  auto first = event_body("EV_a");
  ASSERT_EQ(receiver.handle(post(first, sign(first))).status, 200u);
  for (int i = 0; i < 1000 && receiver.queue_depth() != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(receiver.queue_depth(), 0u);
  auto second = event_body("EV_b");
  ASSERT_EQ(receiver.handle(post(second, sign(second))).status, 200u);
  auto third = event_body("EV_c");
  auto overflow = receiver.handle(post(third, sign(third)));
  EXPECT_EQ(overflow.status, 503u);
  bool retry_after = false;
  for (const auto& h : overflow.headers) retry_after = retry_after || h.name == "Retry-After";
  EXPECT_TRUE(retry_after);
  sink.hold(false);
  ASSERT_EQ(sink.wait_for(2).size(), 2u);
  for (int i = 0; i < 1000 && receiver.queue_depth() != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // LiveKit retries the rejected event: it was not remembered, so it is processed now.
  EXPECT_EQ(receiver.handle(post(third, sign(third))).status, 200u);
  auto events = sink.wait_for(3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].id, "EV_c");
  EXPECT_NE(exposed().find("livekit_webhook_rejected_total{reason=\"queue_full\"} 1"), std::string::npos);
}

TEST_F(WebhookReceiverTest, UnknownEventsAreAcceptedAndCounted) {
  WebhookReceiver receiver(options(), sink, metrics);
  receiver.start();
  auto body = event_body("EV_new", "room_metadata_changed");
  EXPECT_EQ(receiver.handle(post(body, sign(body))).status, 200u);
  EXPECT_NE(exposed().find("livekit_webhook_events_total{event=\"unknown\"} 1"), std::string::npos);
}

TEST_F(WebhookReceiverTest, VerifyFalseAcceptsUnsignedEvents) {
  auto o = options();
  o.verify = false;
  WebhookReceiver receiver(o, sink, metrics);
  receiver.start();
  EXPECT_EQ(receiver.handle(post(event_body("EV_u"), "")).status, 200u);
  EXPECT_EQ(sink.wait_for(1).size(), 1u);
}

TEST_F(WebhookReceiverTest, StopDrainsWhatIsQueued) {
  WebhookReceiver receiver(options(), sink, metrics);
  receiver.start();
  for (int i = 0; i < 20; ++i) {
    auto body = event_body("EV_d" + std::to_string(i));
    ASSERT_EQ(receiver.handle(post(body, sign(body))).status, 200u);
  }
  EXPECT_EQ(receiver.stop(std::chrono::steady_clock::now() + std::chrono::seconds(10)), 0u);
  EXPECT_EQ(sink.wait_for(20).size(), 20u);
  auto late = event_body("EV_late");
  EXPECT_EQ(receiver.handle(post(late, sign(late))).status, 503u);
}

TEST(WebhookDedupe, ForgetsAfterTheWindowAndBeyondCapacity) {
  using namespace std::chrono_literals;
  WebhookDedupe dedupe(2, 10s);
  auto t0 = WebhookDedupe::Clock::time_point{} + 1h;
  EXPECT_TRUE(dedupe.claim("a", t0));
  EXPECT_FALSE(dedupe.claim("a", t0 + 9s));
  EXPECT_TRUE(dedupe.claim("a", t0 + 10s));  // the window passed
  EXPECT_TRUE(dedupe.claim("b", t0 + 11s));
  EXPECT_TRUE(dedupe.claim("c", t0 + 12s));  // capacity 2: "a" is forgotten
  EXPECT_EQ(dedupe.size(), 2u);
  EXPECT_TRUE(dedupe.claim("a", t0 + 13s));
  dedupe.release("a");
  EXPECT_TRUE(dedupe.claim("a", t0 + 14s));
}

}  // namespace
}  // namespace va::livekit
