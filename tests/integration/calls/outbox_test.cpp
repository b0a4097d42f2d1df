// Delivery of the call events (src/calls/outbox.hpp) from a real SQLite store to a real HTTP receiver on
// loopback (voice-agent's own HTTP server with a recording route): an endpoint that is down for 30 s and
// then up gets every event exactly once, in order per call, signed; a restart delivers only what was left;
// a receiver slower than the timeout gets the same event id again (at-least-once, documented); stop() is
// bounded while a receiver hangs.
#include "calls/outbox.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "calls/event_signature.hpp"
#include "calls/orchestrator.hpp"
#include "calls/sqlite_store.hpp"
#include "support/free_port.hpp"
#include "support/running_http_server.hpp"
#include "support/temp_directory.hpp"

namespace va::calls {
namespace {

using namespace std::chrono_literals;
constexpr const char* kSecret = "events-secret-for-tests";

struct Received {
  std::int64_t id = 0;
  std::string type;
  std::string call_id;
  std::string signature_problem;  // empty: verified
};

// The customer's endpoint: records every POST, answers `status` after `delay`.
class Receiver {
 public:
  explicit Receiver(std::uint16_t port, std::chrono::milliseconds delay = 0ms) {
    http::Router router;
    router.add(http::Method::post, "/hooks/calls", [this, delay](const http::Request& r) {
      if (delay.count() > 0) std::this_thread::sleep_for(delay);
      Received got;
      got.id = std::stoll(std::string(r.header("X-Voice-Agent-Event-Id")));
      got.type = std::string(r.header("X-Voice-Agent-Event"));
      got.call_id = nlohmann::json::parse(r.body)["call"]["id"].get<std::string>();
      auto now = std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch());
      got.signature_problem =
          verify_event_signature(r.header("X-Voice-Agent-Signature"), r.body, kSecret, now.count());
      std::lock_guard lock(mutex_);
      received_.push_back(got);
      return http::Response::json(200, "{}");
    });
    auto options = test::loopback_http_options();
    options.listen = {"127.0.0.1:" + std::to_string(port)};
    server_ = std::make_unique<test::RunningHttpServer>(options, std::move(router));
  }
  std::vector<Received> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  std::mutex mutex_;
  std::vector<Received> received_;
  std::unique_ptr<test::RunningHttpServer> server_;
};

CallStart with_sip_call_id(const std::string& sip_call_id) {
  CallStart start;
  start.sip_call_id = sip_call_id;
  return start;
}

class OutboxDelivery : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = open_sqlite_store((dir_.path() / "calls.db").string());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened.value());
    ASSERT_FALSE(store_->migrate());
    orchestrator_ = std::make_unique<Orchestrator>(*store_, OrchestratorOptions{"outbox-test"}, metrics_);
  }

  // A whole call: started, answered (active), ended — three events.
  void whole_call(const std::string& sip_call_id) {
    auto id = orchestrator_->call_started(with_sip_call_id(sip_call_id));
    ASSERT_TRUE(id.ok());
    ASSERT_FALSE(orchestrator_->step(*id, CallState::answered));
    ASSERT_FALSE(orchestrator_->step(*id, CallState::active));
    ASSERT_FALSE(orchestrator_->call_ended(*id, {EndReason::caller_hangup, 200, "BYE", {}, {}, {}}));
  }

  OutboxOptions options(std::uint16_t port) {
    OutboxOptions o;
    o.url = "http://127.0.0.1:" + std::to_string(port) + "/hooks/calls";
    o.secrets = {kSecret};
    o.request_timeout = 2s;
    o.poll_interval = 100ms;
    o.backoff = RetrySchedule{100ms, 1s, 0};
    return o;
  }

  bool backlog_empty(std::chrono::milliseconds within) {
    auto until = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < until) {
      auto b = store_->outbox_backlog();
      if (b.ok() && *b == 0) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  // Every event exactly once, each call's in the order written, every signature verified.
  static void expect_exactly_once_in_order(const std::vector<Received>& got, std::size_t events) {
    std::map<std::int64_t, int> seen;
    std::map<std::string, std::vector<std::string>> per_call;
    for (const auto& r : got) {
      ++seen[r.id];
      per_call[r.call_id].push_back(r.type);
      EXPECT_EQ(r.signature_problem, "") << "event " << r.id;
    }
    EXPECT_EQ(seen.size(), events);
    for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << "event " << id << " arrived " << n << " times";
    for (const auto& [call, types] : per_call)
      EXPECT_EQ(types, (std::vector<std::string>{"call.started", "call.answered", "call.ended"})) << call;
  }

  test::TempDirectory dir_{"outbox"};
  metrics::Registry metrics_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Orchestrator> orchestrator_;
};

TEST_F(OutboxDelivery, AnEndpointDownForThirtySecondsGetsEveryEventOnceInOrderWhenItComesBack) {
  auto port = test::reserve_port(test::PortProtocol::tcp);
  Outbox outbox(*store_, options(port.port()), metrics_);
  ASSERT_EQ(outbox.error(), "");
  for (int i = 0; i < 4; ++i) whole_call("sip-" + std::to_string(i));
  std::this_thread::sleep_for(30s);  // nothing listens: connection refused, attempt after attempt
  auto detail = store_->call_detail(store_->list_calls({})->calls.back().id);
  ASSERT_TRUE(detail.ok() && *detail);
  EXPECT_GE((*detail)->events.front().attempts, 5) << "retried while the endpoint was down";
  EXPECT_NE((*detail)->events.front().last_error, "");
  EXPECT_EQ((*detail)->events.back().attempts, 0) << "a call's later events wait behind its first";

  Receiver receiver(port.port());
  ASSERT_TRUE(backlog_empty(15s)) << "the backlog did not drain after the endpoint came back";
  outbox.stop();
  expect_exactly_once_in_order(receiver.received(), 12);
  EXPECT_EQ(metrics_.counter("calls_outbox_delivered_total", "").get().value(), 12.0);
  EXPECT_GE(metrics_.counter("calls_outbox_failed_attempts_total", "").get().value(), 4.0);
}

TEST_F(OutboxDelivery, ARestartDeliversOnlyWhatWasLeft) {
  auto port = test::reserve_port(test::PortProtocol::tcp);
  Receiver receiver(port.port());
  whole_call("before");
  {
    Outbox first(*store_, options(port.port()), metrics_);
    ASSERT_TRUE(backlog_empty(10s));
  }
  whole_call("while-stopped");
  whole_call("also-while-stopped");
  Outbox second(*store_, options(port.port()), metrics_);
  ASSERT_TRUE(backlog_empty(10s));
  second.stop();
  expect_exactly_once_in_order(receiver.received(), 9);
}

TEST_F(OutboxDelivery, AnAnswerSlowerThanTheTimeoutMeansTheSameEventIdAgain) {
  auto port = test::reserve_port(test::PortProtocol::tcp);
  Receiver slow(port.port(), 1500ms);
  auto o = options(port.port());
  o.request_timeout = 1s;
  o.max_attempts = 2;
  auto id = orchestrator_->call_started(with_sip_call_id("slow"));
  ASSERT_TRUE(id.ok());
  Outbox outbox(*store_, o, metrics_);
  std::this_thread::sleep_for(4s);
  outbox.stop();
  auto got = slow.received();
  ASSERT_GE(got.size(), 2u) << "sent again after the timeout";
  EXPECT_EQ(got[0].id, got[1].id) << "receivers de-duplicate on X-Voice-Agent-Event-Id";
  EXPECT_EQ(metrics_.counter("calls_outbox_parked_total", "").get().value(), 1.0)
      << "parked after 2 attempts";
}

TEST_F(OutboxDelivery, StopIsBoundedWhileTheReceiverHangs) {
  auto port = test::reserve_port(test::PortProtocol::tcp);
  Receiver hanging(port.port(), 5s);
  auto o = options(port.port());
  o.request_timeout = 2s;
  auto id = orchestrator_->call_started(with_sip_call_id("hang"));
  ASSERT_TRUE(id.ok());
  Outbox outbox(*store_, o, metrics_);
  std::this_thread::sleep_for(500ms);  // the POST is in flight
  auto began = std::chrono::steady_clock::now();
  outbox.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - began, 4s);
}

}  // namespace
}  // namespace va::calls
