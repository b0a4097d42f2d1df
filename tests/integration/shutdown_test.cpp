// Graceful shutdown of the real `voice-agent serve` on SIGTERM, as a load balancer and its clients see it:
// stop accepting at once, let a request in flight finish (answered with "Connection: close"), close idle
// keep-alive connections, exit 0 — and cut what is left when the shutdown deadline passes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/agent_instance.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"

namespace va::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace std::chrono_literals;

constexpr const char* kValidYaml = "http:\n  listen: 127.0.0.1:8080\n";

std::unique_ptr<AgentInstance> start_agent(const std::vector<std::string>& overrides,
                                           std::optional<std::string>& address) {
  auto agent = std::make_unique<AgentInstance>(AgentInstanceOptions{.sets = overrides, .http_timeout = 20s});
  if (agent->listening()) address = agent->http_address();
  return agent;
}

// Headers plus the first half of a body: the server is mid-request until the rest arrives.
std::string half_sent_validate_request() {
  const std::string body = kValidYaml;
  return "POST /v1/config/validate HTTP/1.1\r\nHost: test\r\nContent-Type: "
         "application/yaml\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, body.size() / 2);
}

std::string second_half_of_body() {
  const std::string body = kValidYaml;
  return body.substr(body.size() / 2);
}

TEST(Shutdown, SigtermWithNothingInFlightExitsCleanly) {
  std::optional<std::string> address;
  auto agent = start_agent({}, address);
  ASSERT_TRUE(address) << agent->process().stderr_text();

  ASSERT_TRUE(agent->process().send_signal(SIGTERM));
  const auto status = agent->process().wait_for_exit(15s);
  EXPECT_TRUE(status.exited_with(0)) << status.describe() << "\n" << agent->process().stderr_text();
  agent->process().wait_for_output([](const std::string&, const std::string&) { return false; }, 100ms);
  EXPECT_THAT(agent->process().stderr_text(), HasSubstr("shutting down"));
  EXPECT_THAT(agent->process().stderr_text(), HasSubstr(R"("clean":true)"));
}

TEST(Shutdown, RequestInFlightFinishesWithConnectionClose) {
  std::optional<std::string> address;
  auto agent = start_agent({"http.shutdown_timeout=20s"}, address);
  ASSERT_TRUE(address) << agent->process().stderr_text();

  RawHttpConnection idle(*address);  // a keep-alive connection between two requests
  ASSERT_TRUE(idle.send("GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n"));
  ASSERT_THAT(idle.read_response().value_or(""), StartsWith("HTTP/1.1 200"));

  RawHttpConnection uploading(*address);
  ASSERT_TRUE(uploading.send(half_sent_validate_request()));
  // The server must have started reading the request before the signal; it cannot be observed from
  // outside, so give it a moment (this orders events, it does not measure anything).
  std::this_thread::sleep_for(200ms);

  ASSERT_TRUE(agent->process().send_signal(SIGTERM));
  ASSERT_TRUE(agent->process().wait_for_output("shutting down", Stream::err, 10s));
  EXPECT_TRUE(idle.closed_by_peer(5s)) << "idle keep-alive connections are closed at once";
  EXPECT_FALSE(RawHttpConnection(*address).connected()) << "no new connections while draining";
  EXPECT_TRUE(agent->process().running()) << "still serving the request in flight";

  ASSERT_TRUE(uploading.send(second_half_of_body()));
  const auto response = uploading.read_response().value_or("");
  EXPECT_THAT(response, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(response, HasSubstr("Connection: close"));
  EXPECT_THAT(response, HasSubstr(R"("valid":)"));
  EXPECT_TRUE(uploading.closed_by_peer());

  const auto status = agent->process().wait_for_exit(15s);
  EXPECT_TRUE(status.exited_with(0)) << status.describe() << "\n" << agent->process().stderr_text();
  agent->process().wait_for_output([](const std::string&, const std::string&) { return false; }, 100ms);
  EXPECT_THAT(agent->process().stderr_text(), HasSubstr(R"("clean":true)"));
}

TEST(Shutdown, DeadlineCutsARequestThatNeverFinishes) {
  std::optional<std::string> address;
  auto agent = start_agent({"http.shutdown_timeout=1s"}, address);
  ASSERT_TRUE(address) << agent->process().stderr_text();

  RawHttpConnection stalled(*address);
  ASSERT_TRUE(stalled.send(half_sent_validate_request()));
  std::this_thread::sleep_for(200ms);

  ASSERT_TRUE(agent->process().send_signal(SIGTERM));
  EXPECT_TRUE(stalled.closed_by_peer(15s)) << "cut at the deadline";
  const auto status = agent->process().wait_for_exit(15s);
  EXPECT_FALSE(status.timed_out) << agent->process().stderr_text();
  agent->process().wait_for_output([](const std::string&, const std::string&) { return false; }, 100ms);
  EXPECT_THAT(agent->process().stderr_text(), HasSubstr("shutdown deadline reached"));
  EXPECT_THAT(agent->process().stderr_text(), HasSubstr(R"("clean":false)"));
}

TEST(Shutdown, SecondSignalStopsWithoutWaiting) {
  std::optional<std::string> address;
  auto agent = start_agent({"http.shutdown_timeout=60s"}, address);
  ASSERT_TRUE(address) << agent->process().stderr_text();

  RawHttpConnection stalled(*address);
  ASSERT_TRUE(stalled.send(half_sent_validate_request()));
  std::this_thread::sleep_for(200ms);

  ASSERT_TRUE(agent->process().send_signal(SIGTERM));
  ASSERT_TRUE(agent->process().wait_for_output("shutting down", Stream::err, 10s));
  EXPECT_TRUE(agent->process().running());
  ASSERT_TRUE(agent->process().send_signal(SIGINT));
  const auto status = agent->process().wait_for_exit(15s);
  EXPECT_FALSE(status.timed_out) << "the second signal must not wait for the 60 s deadline";
  EXPECT_TRUE(stalled.closed_by_peer(5s));
}

}  // namespace
}  // namespace va::test
