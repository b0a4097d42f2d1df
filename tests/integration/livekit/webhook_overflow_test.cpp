// A full webhook queue over real HTTP: the receiver route on voice-agent's HTTP server (in-process, so the
// event handler can be held, standing in for a slow orchestrator), LiveKit's side played by an HTTP client.
// The binary's log sink is too fast to fill a queue deterministically; this is the honest way to do it.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <vector>

#include "integration/livekit/webhook_served_agent.hpp"
#include "livekit/webhook_receiver.hpp"
#include "support/running_http_server.hpp"

namespace va::test {
namespace {

class HeldSink : public livekit::WebhookEventSink {
 public:
  void on_event(const livekit::WebhookEvent& event) override {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !held_; });
    ids_.push_back(event.id);
    changed_.notify_all();
  }
  void release() {
    std::lock_guard lock(mutex_);
    held_ = false;
    changed_.notify_all();
  }
  std::vector<std::string> wait_for(std::size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(10), [&] { return ids_.size() >= count; });
    return ids_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool held_ = true;
  std::vector<std::string> ids_;
};

TEST(WebhookQueue, OverflowIsAnswered503AndLiveKitsRetryIsProcessed) {
  metrics::Registry metrics;
  HeldSink sink;
  livekit::WebhookReceiverOptions options;
  options.secrets_by_key = {{kWebhookKey, kWebhookSecret}};
  options.queue_size = 2;
  livekit::WebhookReceiver receiver(options, sink, metrics);
  http::Router router;
  receiver.add_route(router);
  RunningHttpServer server(loopback_http_options(), std::move(router));
  receiver.start();
  HttpClient client;
  auto post = [&](const std::string& id) {
    auto body = room_event(id);
    return client.request(
        "POST", server.url("/livekit/webhook"),
        {{"Content-Type", "application/webhook+json"}, {"Authorization", sign_webhook(body)}}, body);
  };

  // The worker takes the first event and is held in the sink; two more fill the queue; the fourth overflows.
  ASSERT_EQ(post("EV_q1").status, 200);
  for (int i = 0; i < 1000 && receiver.queue_depth() != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(post("EV_q2").status, 200);
  ASSERT_EQ(post("EV_q3").status, 200);
  auto overflow = post("EV_q4");
  EXPECT_EQ(overflow.status, 503) << overflow.body;
  EXPECT_EQ(overflow.header("Retry-After").value_or(""), "1");

  sink.release();
  ASSERT_EQ(sink.wait_for(3).size(), 3u);
  // LiveKit retries EV_q4: it was not remembered as seen, so now it is queued and processed.
  EXPECT_EQ(post("EV_q4").status, 200);
  EXPECT_EQ(sink.wait_for(4), (std::vector<std::string>{"EV_q1", "EV_q2", "EV_q3", "EV_q4"}));
  // A repeat of a processed event is still answered 200, and not processed again.
  EXPECT_EQ(post("EV_q2").status, 200);
  receiver.stop(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  EXPECT_EQ(sink.wait_for(4).size(), 4u);
  auto text = metrics.expose();
  EXPECT_NE(text.find("livekit_webhook_rejected_total{reason=\"queue_full\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("livekit_webhook_duplicates_total 1"), std::string::npos) << text;
}

}  // namespace
}  // namespace va::test
