// The HTTP service of the real `voice-agent serve`, as an operator, a load balancer, Prometheus and a browser
// admin console see it: ops endpoints, error bodies, keep-alive, limits, rate limiting and CORS.
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

// `voice-agent serve` with the example configuration on an ephemeral loopback port, plus `overrides`
// (each a --set key=value). Stopped with SIGTERM at the end of the test.
class ServedAgent : public AgentInstance {
 public:
  explicit ServedAgent(const std::vector<std::string>& overrides = {},
                       const std::string& listen = "127.0.0.1:0")
      : AgentInstance({.http_listen = listen, .sets = overrides, .http_timeout = 20s}) {}
  const std::string& address() const { return http_address(); }
};

TEST(HttpService, AnnouncesItsAddressAndAnswersHealthz) {
  ServedAgent agent;
  ASSERT_TRUE(agent.listening()) << agent.log();
  EXPECT_THAT(agent.address(), StartsWith("127.0.0.1:"));

  HttpClient client;
  const auto response = client.get(agent.url("/healthz"));
  EXPECT_EQ(response.status, 200) << response.error;
  EXPECT_EQ(response.body, R"({"status":"ok"})");
  EXPECT_THAT(response.header("Content-Type").value_or(""), StartsWith("application/json"));
  EXPECT_EQ(response.header("Server"), "voice-agent");
}

TEST(HttpService, ReadyzReportsComponents) {
  ServedAgent agent;
  ASSERT_TRUE(agent.listening()) << agent.log();
  HttpClient client;
  const auto response = client.get(agent.url("/readyz"));
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_THAT(response.body, HasSubstr(R"("status":"ready")"));
  EXPECT_THAT(response.body, HasSubstr(R"("http":{"state":"ready")"));
}

TEST(HttpService, MetricsExposeRequestCountsInPrometheusFormat) {
  ServedAgent agent;
  ASSERT_TRUE(agent.listening()) << agent.log();
  HttpClient client;
  ASSERT_EQ(client.get(agent.url("/healthz")).status, 200);
  ASSERT_EQ(client.get(agent.url("/nope")).status, 404);

  // The count is recorded once the response is written; a scrape right after may be a moment early.
  HttpResponse metrics;
  for (int attempt = 0; attempt < 50; ++attempt) {
    metrics = client.get(agent.url("/metrics"));
    if (metrics.body.find(R"(route="unmatched",method="GET",status="404"} 1)") != std::string::npos) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(metrics.body,
              HasSubstr(R"(http_requests_total{route="/healthz",method="GET",status="200"} 1)"));
  EXPECT_THAT(metrics.body,
              HasSubstr(R"(http_requests_total{route="unmatched",method="GET",status="404"} 1)"));
  EXPECT_THAT(metrics.body, HasSubstr("http_request_duration_seconds_bucket{route=\"/healthz\""));
  EXPECT_THAT(metrics.body, HasSubstr("http_connections_active 1"));
  EXPECT_THAT(metrics.body, HasSubstr("http_rejected_total{reason=\"rate_limited\"} 0"));
}

TEST(HttpService, KeepsConnectionsAlive) {
  ServedAgent agent;
  ASSERT_TRUE(agent.listening()) << agent.log();
  HttpClient client;
  const auto first = client.get(agent.url("/healthz"));
  const auto second = client.get(agent.url("/readyz"));
  ASSERT_EQ(first.status, 200);
  ASSERT_EQ(second.status, 200);
  EXPECT_TRUE(first.new_connection);
  EXPECT_FALSE(second.new_connection);
}

TEST(HttpService, ErrorsAreJsonWithStatusCodes) {
  ServedAgent agent;
  ASSERT_TRUE(agent.listening()) << agent.log();
  HttpClient client;

  const auto not_found = client.get(agent.url("/admin"));
  EXPECT_EQ(not_found.status, 404);
  EXPECT_THAT(not_found.body, HasSubstr(R"("code":"not_found")"));

  const auto wrong_method = client.request("POST", agent.url("/healthz"), {}, "x");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.header("Allow"), "GET, HEAD");
  EXPECT_THAT(wrong_method.body, HasSubstr(R"("code":"method_not_allowed")"));

  const auto wrong_type =
      client.request("POST", agent.url("/v1/config/validate"), {{"Content-Type", "application/json"}}, "{}");
  EXPECT_EQ(wrong_type.status, 415);
  EXPECT_THAT(wrong_type.body, HasSubstr(R"("status":415)"));

  RawHttpConnection raw(agent.address());
  ASSERT_TRUE(raw.connected());
  raw.send("BLAH\r\n\r\n");
  EXPECT_THAT(raw.read_response().value_or(""), StartsWith("HTTP/1.1 400"));
  EXPECT_TRUE(raw.closed_by_peer());
}

TEST(HttpService, HeadAnswersLikeGetWithoutBody) {
  ServedAgent agent;
  ASSERT_TRUE(agent.listening()) << agent.log();
  HttpClient client;
  const auto response = client.request("HEAD", agent.url("/healthz"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("Content-Length"), "15");
  EXPECT_TRUE(response.body.empty());
}

TEST(HttpService, BodyOverTheConfiguredLimitIs413) {
  ServedAgent agent({"http.body_limit=1KiB"});
  ASSERT_TRUE(agent.listening()) << agent.log();
  HttpClient client;
  const auto small =
      client.request("POST", agent.url("/v1/config/validate"), {{"Content-Type", "application/yaml"}},
                     "http:\n  listen: 127.0.0.1:8080\n");
  EXPECT_EQ(small.status, 200) << small.body;
  const auto large =
      client.request("POST", agent.url("/v1/config/validate"), {{"Content-Type", "application/yaml"}},
                     "# " + std::string(8 * 1024, 'x') + "\n");
  EXPECT_EQ(large.status, 413) << large.error;
  EXPECT_THAT(large.body, HasSubstr(R"("code":"body_too_large")"));
}

TEST(HttpService, RateLimitAnswers429WithRetryAfter) {
  ServedAgent agent({"security.rate_limit.enabled=true", "security.rate_limit.requests_per_second=0.5",
                     "security.rate_limit.burst=3"});
  ASSERT_TRUE(agent.listening()) << agent.log();
  HttpClient client;
  for (int i = 0; i < 3; ++i) ASSERT_EQ(client.get(agent.url("/healthz")).status, 200) << i;
  const auto limited = client.get(agent.url("/healthz"));
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("Retry-After"), "2");  // one token every 2 s
  EXPECT_THAT(limited.body, HasSubstr(R"("code":"rate_limited")"));
}

TEST(HttpService, CorsAllowsOnlyTheConfiguredOrigin) {
  ServedAgent agent({R"(security.cors.allowed_origins=["https://console.example.com"])"});
  ASSERT_TRUE(agent.listening()) << agent.log();
  HttpClient client;

  const auto preflight = client.request("OPTIONS", agent.url("/v1/config/validate"),
                                        {{"Origin", "https://console.example.com"},
                                         {"Access-Control-Request-Method", "POST"},
                                         {"Access-Control-Request-Headers", "content-type"}});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.header("Access-Control-Allow-Origin"), "https://console.example.com");
  EXPECT_EQ(preflight.header("Access-Control-Allow-Methods"), "POST");
  EXPECT_THAT(preflight.header("Access-Control-Allow-Headers").value_or(""), HasSubstr("Content-Type"));

  const auto foreign =
      client.request("OPTIONS", agent.url("/v1/config/validate"),
                     {{"Origin", "https://evil.example.com"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(foreign.status, 403);
  EXPECT_FALSE(foreign.header("Access-Control-Allow-Origin").has_value());

  const auto simple = client.get(agent.url("/readyz"), {{"Origin", "https://console.example.com"}});
  EXPECT_EQ(simple.header("Access-Control-Allow-Origin"), "https://console.example.com");
  EXPECT_EQ(simple.header("Vary"), "Origin");
}

TEST(HttpService, ListensOnIpv6Loopback) {
  ServedAgent agent({}, "[::1]:0");
  if (!agent.listening()) {
    if (agent.log().find("cannot start the HTTP server") != std::string::npos) {
      GTEST_SKIP() << "no IPv6 loopback here";
    }
    FAIL() << agent.log();
  }
  EXPECT_THAT(agent.address(), StartsWith("[::1]:"));
  HttpClient client;
  EXPECT_EQ(client.get(agent.url("/healthz")).status, 200);
}

TEST(HttpService, PortInUseFailsNamingTheAddress) {
  ServedAgent first;
  ASSERT_TRUE(first.listening()) << first.log();
  const auto taken = first.address();

  AgentInstance second({.http_listen = taken, .http_timeout = 20s});
  const auto status = second.process().wait_for_exit(20s);
  EXPECT_TRUE(status.exited_with(1)) << status.describe();
  EXPECT_THAT(second.log(), HasSubstr("cannot listen on " + taken));

  HttpClient client;  // the first instance is unaffected
  EXPECT_EQ(client.get(first.url("/healthz")).status, 200);
}

}  // namespace
}  // namespace va::test
