// The LiveKit API monitor against a real livekit-server (+ Redis) on loopback, and against a port where
// nothing listens. Backoff and state transitions are driven with run_round(), one round at a time, so the
// tests assert the sequence of states without depending on timing.
#include "livekit/api_health_monitor.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "support/free_port.hpp"
#include "support/livekit_server.hpp"

namespace va::livekit {
namespace {

using namespace std::chrono_literals;

TwirpClientOptions quick_client() {
  TwirpClientOptions o;
  o.connect_timeout = 2000ms;
  o.request_timeout = 5000ms;
  return o;
}

ApiHealthMonitorOptions quick_schedule(bool required = false) {
  ApiHealthMonitorOptions o;
  o.interval = 50ms;
  o.retry = RetrySchedule{10ms, 40ms, 3};
  o.required = required;
  return o;
}

HealthRegistry::Component component(const HealthRegistry& health, const std::string& name) {
  for (const auto& c : health.components())
    if (c.name == name) return c;
  ADD_FAILURE() << "no component " << name;
  return {};
}

double metric_value(const metrics::Registry& registry, const std::string& sample) {
  auto text = registry.expose();
  auto at = text.find("\n" + sample + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + sample.size() + 2));
}

class LiveKitApiMonitorRealServer : public ::testing::Test {
 protected:
  void SetUp() override { VA_REQUIRE_LIVEKIT(); }
};

TEST_F(LiveKitApiMonitorRealServer, ReadyWhenReachableWithValidCredentialsAndSip) {
  test::LiveKitServer server;
  HealthRegistry health;
  metrics::Registry metrics;
  ApiHealthMonitor monitor({server.url(), server.api_key(), server.api_secret()}, quick_client(),
                           quick_schedule(), health, metrics);
  EXPECT_EQ(component(health, "livekit").state, ComponentState::degraded) << "optional: first check pending";
  auto status = monitor.run_round();
  EXPECT_EQ(status.state, ApiHealth::ready) << status.detail;
  EXPECT_EQ(status.consecutive_failures, 0u);
  EXPECT_EQ(status.next_in, 50ms);
  EXPECT_NE(status.detail.find("sip available"), std::string::npos) << status.detail;
  EXPECT_EQ(component(health, "livekit").state, ComponentState::ready);
  EXPECT_TRUE(health.ready());
  EXPECT_EQ(metric_value(metrics, "livekit_api_up"), 1.0);
  EXPECT_EQ(metric_value(metrics, "livekit_api_sip_available"), 1.0);
  EXPECT_EQ(metric_value(metrics, "livekit_api_checks_total{result=\"ok\"}"), 1.0);
  EXPECT_EQ(metric_value(metrics, "livekit_api_check_duration_seconds_count"), 1.0);
}

TEST_F(LiveKitApiMonitorRealServer, DegradedWithRedisHintWhenTheServerHasNoSip) {
  test::LiveKitServerOptions options;
  options.with_redis = false;
  test::LiveKitServer server(options);
  HealthRegistry health;
  metrics::Registry metrics;
  ApiHealthMonitor monitor({server.url(), server.api_key(), server.api_secret()}, quick_client(),
                           quick_schedule(), health, metrics);
  auto status = monitor.run_round();
  EXPECT_EQ(status.state, ApiHealth::degraded);
  EXPECT_NE(status.detail.find("sip unavailable (no Redis on the LiveKit server)"), std::string::npos)
      << status.detail;
  EXPECT_EQ(status.next_in, 50ms) << "reachable: the normal interval, not a backoff";
  auto c = component(health, "livekit");
  EXPECT_EQ(c.state, ComponentState::degraded);
  EXPECT_NE(c.detail.find("Redis"), std::string::npos) << c.detail;
  EXPECT_TRUE(health.ready()) << "degraded keeps the process in rotation";
  EXPECT_EQ(metric_value(metrics, "livekit_api_up"), 1.0);
  EXPECT_EQ(metric_value(metrics, "livekit_api_sip_available"), 0.0);
  EXPECT_EQ(metric_value(metrics, "livekit_api_checks_total{result=\"sip_unavailable\"}"), 1.0);
}

TEST_F(LiveKitApiMonitorRealServer, WrongSecretIsAFailureWithTheCredentialsHint) {
  test::LiveKitServer server;
  HealthRegistry health;
  metrics::Registry metrics;
  ApiHealthMonitor monitor({server.url(), server.api_key(), "not-the-secret-0123456789abcdef"},
                           quick_client(), quick_schedule(), health, metrics);
  auto status = monitor.run_round();
  EXPECT_EQ(status.state, ApiHealth::degraded);
  EXPECT_EQ(status.consecutive_failures, 1u);
  auto c = component(health, "livekit");
  EXPECT_NE(c.detail.find("api_secret"), std::string::npos) << c.detail;
  EXPECT_EQ(metric_value(metrics, "livekit_api_up"), 0.0);
  EXPECT_EQ(metric_value(metrics, "livekit_api_checks_total{result=\"unauthenticated\"}"), 1.0);
}

TEST_F(LiveKitApiMonitorRealServer, StoppedServerTurnsReadyIntoDegradedThenFailedForARequiredComponent) {
  test::LiveKitServer server;
  HealthRegistry health;
  metrics::Registry metrics;
  ApiHealthMonitor monitor({server.url(), server.api_key(), server.api_secret()}, quick_client(),
                           quick_schedule(/*required=*/true), health, metrics);
  EXPECT_EQ(monitor.run_round().state, ApiHealth::ready);
  server.stop();
  auto first = monitor.run_round();
  EXPECT_EQ(first.state, ApiHealth::degraded);
  EXPECT_EQ(first.next_in, 10ms);
  EXPECT_EQ(monitor.run_round().next_in, 20ms);
  auto third = monitor.run_round();
  EXPECT_EQ(third.state, ApiHealth::failed);
  EXPECT_EQ(third.next_in, 40ms) << "after the attempts: keep retrying at backoff_max";
  EXPECT_EQ(monitor.run_round().next_in, 40ms);
  auto c = component(health, "livekit");
  EXPECT_EQ(c.state, ComponentState::failed);
  EXPECT_NE(c.detail.find("is the LiveKit server running at"), std::string::npos) << c.detail;
  EXPECT_FALSE(health.ready());
  EXPECT_EQ(metric_value(metrics, "livekit_api_checks_total{result=\"unreachable\"}"), 4.0);
}

TEST(ApiHealthMonitor, UnreachableOptionalLiveKitStaysDegradedInReadyzAfterTheAttempts) {
  auto closed = test::reserve_port();  // bound, never listening: connections are refused
  HealthRegistry health;
  metrics::Registry metrics;
  ApiHealthMonitor monitor({"http://127.0.0.1:" + std::to_string(closed.port()), "key", "secret"},
                           quick_client(), quick_schedule(/*required=*/false), health, metrics);
  ApiHealthStatus status;
  for (int i = 0; i < 4; ++i) status = monitor.run_round();
  EXPECT_EQ(status.state, ApiHealth::failed);
  EXPECT_EQ(status.consecutive_failures, 4u);
  auto c = component(health, "livekit");
  EXPECT_EQ(c.state, ComponentState::degraded);
  EXPECT_EQ(c.detail.rfind("failed: ", 0), 0u) << c.detail;
  EXPECT_TRUE(health.ready());
}

TEST(ApiHealthMonitor, BackgroundThreadProbesRepeatedlyAndStopsPromptly) {
  auto closed = test::reserve_port();
  HealthRegistry health;
  metrics::Registry metrics;
  auto options = quick_schedule();
  options.retry = RetrySchedule{5ms, 5ms, 2};
  ApiHealthMonitor monitor({"http://127.0.0.1:" + std::to_string(closed.port()), "key", "secret"},
                           quick_client(), options, health, metrics);
  monitor.start();
  for (int i = 0; i < 500 && monitor.status().rounds < 3; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_GE(monitor.status().rounds, 3u);
  EXPECT_EQ(monitor.status().state, ApiHealth::failed);
  monitor.stop();
  auto rounds = monitor.status().rounds;
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(monitor.status().rounds, rounds) << "no rounds after stop()";
  EXPECT_EQ(component(health, "livekit").state, ComponentState::stopped);
}

TEST(ApiHealthMonitor, StopWithALongIntervalDoesNotWaitForTheNextRound) {
  auto closed = test::reserve_port();
  HealthRegistry health;
  metrics::Registry metrics;
  auto options = quick_schedule();
  options.retry = RetrySchedule{std::chrono::hours(1), std::chrono::hours(1), 5};
  ApiHealthMonitor monitor({"http://127.0.0.1:" + std::to_string(closed.port()), "key", "secret"},
                           quick_client(), options, health, metrics);
  monitor.start();
  for (int i = 0; i < 500 && monitor.status().rounds < 1; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(monitor.status().rounds, 1u);
  monitor.stop();  // would hang for an hour if the wait ignored stop(); ctest's timeout catches that
  EXPECT_EQ(component(health, "livekit").state, ComponentState::stopped);
}

}  // namespace
}  // namespace va::livekit
