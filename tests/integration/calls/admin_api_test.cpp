// The admin API of the real `voice-agent serve` (issue 12 item 5) through a real HTTP client, over records of
// real SIPp calls: bearer authentication, filters, pagination, one call in detail, counts, clear 400s. Its
// OpenAPI document is checked by a real validator (PyPI openapi-spec-validator, which scripts/setup installs
// from tests/python/openapi-requirements.txt) and against the routes the API registers.
#include "calls/admin_api.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "calls/call_json.hpp"
#include "calls/orchestrator.hpp"
#include "calls/sqlite_store.hpp"
#include "common/metrics.hpp"
#include "http/router.hpp"
#include "support/agent_instance.hpp"
#include "support/external_tool.hpp"
#include "support/free_port.hpp"
#include "support/http_client.hpp"
#include "support/livekit_server.hpp"
#include "support/sipp.hpp"
#include "support/temp_directory.hpp"

#ifndef VA_OPENAPI_SPEC_VALIDATOR_VERSION
#error \
    "VA_OPENAPI_SPEC_VALIDATOR_VERSION must carry the pinned PyPI openapi-spec-validator version (scripts/versions.sh)"
#endif

namespace va::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kToken = "admin-token-for-tests-0123456789";

// $VA_OPENAPI_VALIDATOR, else the console script of the venv scripts/setup installs
// (scripts/versions.sh va_openapi_validator_venv).
std::filesystem::path openapi_validator() {
  if (const char* env = std::getenv("VA_OPENAPI_VALIDATOR"); env != nullptr && *env != '\0') return env;
  return test_tools_directory() / ("python-openapi-spec-validator-" VA_OPENAPI_SPEC_VALIDATOR_VERSION) /
         "bin" / "openapi-spec-validator";
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The (method, path template) pairs add_admin_routes registers, read back from a router it filled. Each admin
// route's metrics label is its path template (admin_api.cpp), so route_label names the path.
std::set<std::pair<std::string, std::string>> registered_admin_routes() {
  TempDirectory dir("openapi-routes");
  auto opened = calls::open_sqlite_store((dir / "calls.db").string());
  if (!opened.ok()) throw std::runtime_error(opened.error().message);
  auto store = std::move(opened.value());
  metrics::Registry metrics;
  calls::Orchestrator orchestrator(*store, calls::OrchestratorOptions{"openapi-test"}, metrics);
  http::Router router;
  calls::add_admin_routes(router, *store, orchestrator, kToken);
  std::set<std::pair<std::string, std::string>> routes;
  for (std::size_t i = 0; i < router.route_count(); ++i) {
    const auto& path = router.route_label(i);
    for (auto method : router.methods_for(path))
      if (method != http::Method::head)  // GET routes serve HEAD too; OpenAPI 3.0 documents GET
        routes.emplace(lower(http::to_string(method)), path);
  }
  return routes;
}

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

// A client generated from the document sees every turn figure the API answers with, the LLM's included.
TEST(AdminApi, OpenApiDocumentNamesEveryTurnMetricTheApiAnswers) {
  calls::CallDetail detail;
  detail.call.id = "c1";
  calls::TurnMetrics turn;
  turn.call_id = "c1";
  turn.turn = 1;
  turn.llm_first_token_ms = 412.25;
  detail.turns = {turn};
  auto answered = calls::detail_json(detail)["metrics"];
  ASSERT_EQ(answered.size(), 1u);
  EXPECT_EQ(answered[0]["llm_first_token_ms"], 412.25);
  EXPECT_TRUE(answered[0]["total_ms"].is_null());

  auto doc = json::parse(calls::admin_openapi_document());
  ASSERT_TRUE(doc["components"]["schemas"].contains("TurnMetrics"));
  auto& schema = doc["components"]["schemas"]["TurnMetrics"];
  EXPECT_EQ(doc["components"]["schemas"]["CallDetail"]["allOf"][1]["properties"]["metrics"]["items"]["$ref"],
            "#/components/schemas/TurnMetrics");
  std::set<std::string> documented, sent;
  for (const auto& property : schema["properties"].items()) documented.insert(property.key());
  for (const auto& field : answered[0].items()) sent.insert(field.key());
  EXPECT_EQ(documented, sent);
  EXPECT_EQ(schema["properties"]["llm_first_token_ms"]["nullable"], true);
}

TEST(AdminApi, OpenApiDocumentPassesARealValidatorAndNamesEveryRoute) {
  const auto validator = openapi_validator();
  ASSERT_TRUE(std::filesystem::exists(validator))
      << "PyPI openapi-spec-validator " VA_OPENAPI_SPEC_VALIDATOR_VERSION " is not installed at " << validator
      << " (run scripts/setup)";
  AgentInstance agent({.sets = {"http.shutdown_timeout=5s"}, .env = {{"VOICE_AGENT_ADMIN_TOKEN", kToken}}});
  ASSERT_TRUE(agent.listening()) << agent.log();
  HttpClient http;
  auto served = http.get(agent.url("/openapi.json"));  // no token: the document is public
  ASSERT_EQ(served.status, 200) << served.body;
  EXPECT_THAT(served.header("Content-Type").value_or(""), HasSubstr("application/json"));
  const auto doc = json::parse(served.body);

  // The document as served passes the validator: OpenAPI 3.0 structure, resolvable $refs, declared path
  // parameters, unique operation ids.
  TempDirectory dir("openapi");
  const auto file = dir.write_file("openapi.json", served.body);
  const std::vector<std::string> check{validator.string(), file.string()};
  const auto run = run_tool(check);
  EXPECT_TRUE(run.ok()) << run.describe(check);
  EXPECT_THAT(run.out, HasSubstr("OK"));

  // Negative controls: the same document broken in two ways the validator must see — an operation without
  // `responses` (structure), a path template whose {id} is not declared as a parameter (a semantic rule).
  auto no_responses = doc;
  no_responses["paths"]["/v1/calls"]["get"].erase("responses");
  const std::vector<std::string> check_no_responses{
      validator.string(), dir.write_file("no-responses.json", no_responses.dump()).string()};
  const auto refused_structure = run_tool(check_no_responses);
  EXPECT_FALSE(refused_structure.ok()) << refused_structure.describe(check_no_responses);
  EXPECT_THAT(refused_structure.out + refused_structure.err, HasSubstr("'responses' is a required property"));
  auto undeclared_id = doc;
  undeclared_id["paths"]["/v1/calls/{id}"]["get"].erase("parameters");
  const std::vector<std::string> check_undeclared{
      validator.string(), dir.write_file("undeclared-id.json", undeclared_id.dump()).string()};
  const auto refused_semantics = run_tool(check_undeclared);
  EXPECT_FALSE(refused_semantics.ok()) << refused_semantics.describe(check_undeclared);
  EXPECT_THAT(refused_semantics.out + refused_semantics.err, HasSubstr("Path parameter 'id'"));

  // Every route the admin API registers is documented with its method...
  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& [path, item] : doc["paths"].items())
    for (const auto& [method, operation] : item.items())
      if (method != "parameters" && method != "summary" && method != "description" && method != "servers")
        documented.emplace(method, path);
  const auto registered = registered_admin_routes();
  ASSERT_TRUE(registered.count({"get", "/v1/calls/{id}"})) << "the routes were not read back from the router";
  for (const auto& route : registered)
    EXPECT_TRUE(documented.count(route)) << route.first << " " << route.second
                                         << " is served, not documented: add it to admin_openapi_document()";

  // ...and every documented operation is served by the running binary with one of its documented statuses.
  // POSTs carry an empty JSON object: a request the handler refuses (400) or, for an unknown call, a 404.
  const HeaderList auth = {{"Authorization", std::string("Bearer ") + kToken},
                           {"Content-Type", "application/json"}};
  const std::string unknown_id = "0123456789abcdef0123456789abcdef";
  for (const auto& [method, path] : documented) {
    ASSERT_TRUE(method == "get" || method == "post") << path << ": only GET and POST routes are served";
    auto url = path;
    if (auto at = url.find("{id}"); at != std::string::npos) url.replace(at, 4, unknown_id);
    auto r = method == "get" ? http.get(agent.url(url), auth)
                             : http.request("POST", agent.url(url), auth, std::string("{}"));
    EXPECT_TRUE(doc["paths"][path][method]["responses"].contains(std::to_string(r.status)))
        << method << " " << url << " answered " << r.status
        << ", which the document does not list: " << r.body;
    if (r.status == 404) {
      EXPECT_THAT(r.body, HasSubstr(unknown_id)) << "the handler's 404, not the router's";
    }
  }
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
