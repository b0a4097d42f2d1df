// The admin API of the real `voice-agent serve` (issue 12 item 5) through a real HTTP client, over records of
// real SIPp calls: bearer authentication, filters, pagination, one call in detail, counts, clear 400s.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "support/agent_instance.hpp"
#include "support/free_port.hpp"
#include "support/http_client.hpp"
#include "support/sipp.hpp"

namespace va::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kToken = "admin-token-for-tests-0123456789";

TEST(AdminApi, ListsFiltersPagesAndShowsRecordedCallsToABearerOnly) {
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";
  const auto sip = reserve_port(PortProtocol::udp);
  const auto media = reserve_rtp_ports(8);
  AgentInstance agent({.sip_transports = {"udp"},
                       .sip_port = sip.port(),
                       .rtp_first = media.first(),
                       .rtp_last = media.last(),
                       .flow = "echo",
                       .sets = {"http.shutdown_timeout=5s"},
                       .env = {{"VOICE_AGENT_ADMIN_TOKEN", kToken}}});
  ASSERT_TRUE(agent.ready()) << agent.log();
  EXPECT_THAT(agent.log(), ::testing::Not(HasSubstr(kToken))) << "the token is a secret";

  const auto caller = Sipp::run({.builtin_scenario = "uac",
                                 .remote = "127.0.0.1:" + std::to_string(sip.port()),
                                 .service = "74951112233",
                                 .max_calls = 5,
                                 .call_duration = 200ms},
                                30s);
  ASSERT_TRUE(caller.exit.exited_with(0) && caller.all_successful()) << caller.describe();
  ASSERT_EQ(agent.wait_for_metric(R"(calls_ended_total{reason="caller_hangup"})", 5.0), 5.0) << agent.log();

  HttpClient http;
  const HeaderList auth = {{"Authorization", std::string("Bearer ") + kToken}};
  // Without the token, or with another: 401 and a challenge.
  auto anonymous = http.get(agent.url("/v1/calls"));
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_THAT(anonymous.header("WWW-Authenticate").value_or(""), HasSubstr("Bearer"));
  EXPECT_EQ(
      http.get(agent.url("/v1/calls"), {{"Authorization", "Bearer admin-token-for-tests-0123456780"}}).status,
      401);
  EXPECT_EQ(http.get(agent.url("/v1/calls/counts"), {{"Authorization", kToken}}).status, 401) << "no scheme";

  // Pages of two, newest first, every call once.
  std::set<std::string> ids;
  std::string cursor;
  int pages = 0;
  do {
    auto r = http.get(agent.url("/v1/calls?state=ended&direction=inbound&limit=2" +
                                (cursor.empty() ? std::string() : "&cursor=" + cursor)),
                      auth);
    ASSERT_EQ(r.status, 200) << r.body;
    auto body = json::parse(r.body);
    for (const auto& c : body["calls"]) {
      EXPECT_EQ(c["state"], "ended");
      EXPECT_EQ(c["end_reason"], "caller_hangup");
      EXPECT_EQ(c["called"], "74951112233");
      ids.insert(c["id"].get<std::string>());
    }
    cursor = body["next_cursor"].is_null() ? std::string() : body["next_cursor"].get<std::string>();
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(ids.size(), 5u);
  EXPECT_EQ(pages, 3);

  auto none = json::parse(http.get(agent.url("/v1/calls?direction=outbound"), auth).body);
  EXPECT_TRUE(none["calls"].empty());
  auto by_number =
      json::parse(http.get(agent.url("/v1/calls?number=74951112233&from=2020-01-01T00:00:00Z"), auth).body);
  EXPECT_EQ(by_number["calls"].size(), 5u);
  auto future = json::parse(http.get(agent.url("/v1/calls?from=4102444800"), auth).body);
  EXPECT_TRUE(future["calls"].empty());

  // One call in detail.
  auto detail = http.get(agent.url("/v1/calls/" + *ids.begin()), auth);
  ASSERT_EQ(detail.status, 200) << detail.body;
  auto call = json::parse(detail.body);
  EXPECT_EQ(call["id"], *ids.begin());
  ASSERT_EQ(call["transitions"].size(), 3u);
  EXPECT_EQ(call["transitions"][2]["to"], "ended");
  ASSERT_EQ(call["events"].size(), 3u);
  EXPECT_EQ(call["events"][2]["type"], "call.ended");

  auto counts = json::parse(http.get(agent.url("/v1/calls/counts"), auth).body);
  EXPECT_EQ(counts["stored"]["ended"], 5);
  EXPECT_EQ(counts["live"]["active"], 0);

  // Mistakes get a 400 or 404 that says what was wrong.
  auto bad_state = http.get(agent.url("/v1/calls?state=hung"), auth);
  EXPECT_EQ(bad_state.status, 400);
  EXPECT_THAT(bad_state.body, HasSubstr("state=hung"));
  EXPECT_EQ(http.get(agent.url("/v1/calls?limit=0"), auth).status, 400);
  EXPECT_EQ(http.get(agent.url("/v1/calls?cursor=garbage"), auth).status, 400);
  EXPECT_EQ(http.get(agent.url("/v1/calls?colour=blue"), auth).status, 400);
  EXPECT_EQ(http.get(agent.url("/v1/calls?number=%zz"), auth).status, 400);
  EXPECT_EQ(http.get(agent.url("/v1/calls/0123456789abcdef0123456789abcdef"), auth).status, 404);

  // The OpenAPI document names the routes (served without the token).
  auto openapi = http.get(agent.url("/openapi.json"));
  ASSERT_EQ(openapi.status, 200);
  auto doc = json::parse(openapi.body);
  EXPECT_EQ(doc["openapi"], "3.0.3");
  EXPECT_TRUE(doc["paths"].contains("/v1/calls/{id}"));
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.log();
}

TEST(AdminApi, IsNotServedWithoutAToken) {
  AgentInstance agent({.sets = {"http.shutdown_timeout=5s"}});
  ASSERT_TRUE(agent.listening()) << agent.log();
  HttpClient http;
  EXPECT_EQ(http.get(agent.url("/v1/calls")).status, 404);
  EXPECT_GE(agent.count_log_lines("admin API off"), 1u);
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.log();
}

}  // namespace
}  // namespace va::test
