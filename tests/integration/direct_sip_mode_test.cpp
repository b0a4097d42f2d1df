// A deployment that uses only the direct SIP mode: the configuration has no livekit section. The real binary
// must validate it, serve SIP and HTTP with /readyz saying LiveKit is "not configured", pass `check` with the
// LiveKit checks skipped, and refuse the LiveKit-only commands (provision, token create) with a clear error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "integration/binary.hpp"
#include "support/free_port.hpp"
#include "support/http_client.hpp"
#include "support/temp_directory.hpp"

namespace va::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr const char* kDirectSipConfig =
    "sip:\n"
    "  listen: [udp://127.0.0.1:5060]\n"
    "  trunks: []\n"
    "codecs:\n"
    "  preference: [PCMA, PCMU]\n"
    "http:\n"
    "  listen: 127.0.0.1:0\n"
    "logging:\n"
    "  format: json\n";

class DirectSipMode : public ::testing::Test {
 protected:
  TempDir dir;
  std::string file = dir.write("voice-agent.yaml", kDirectSipConfig);
};

TEST_F(DirectSipMode, ConfigurationWithoutLiveKitIsValid) {
  auto r = run({"config", "validate", file});
  EXPECT_TRUE(r.status.exited_with(0)) << r.err;
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("is required")));

  auto empty_section = dir.write("empty.yaml", std::string("livekit:\n") + kDirectSipConfig);
  auto empty = run({"config", "validate", empty_section});
  EXPECT_TRUE(empty.status.exited_with(0)) << empty.err;
}

TEST_F(DirectSipMode, PartlyConfiguredLiveKitNamesTheMissingValues) {
  auto url_only = run({"config", "validate", file}, {{"LIVEKIT_URL", "wss://lk.example.com"}});
  EXPECT_TRUE(url_only.status.exited_with(2));
  EXPECT_THAT(url_only.err, HasSubstr("livekit.api_key: is required when livekit.url is set (or set the "
                                      "environment variable LIVEKIT_API_KEY)"));
  // The diagnostic for the secret field keeps its words: "api_secret: is required" is not a secret.
  EXPECT_THAT(url_only.err, HasSubstr("livekit.api_secret: is required when livekit.url is set"));

  auto complete =
      run({"config", "validate", file}, {{"LIVEKIT_URL", "wss://lk.example.com"},
                                         {"LIVEKIT_API_KEY", "API48Ajeeuv4tYL"},
                                         {"LIVEKIT_API_SECRET", "0123456789abcdef0123456789abcdef"}});
  EXPECT_TRUE(complete.status.exited_with(0)) << complete.err;
}

TEST_F(DirectSipMode, ServeRunsSipAndHttpAndReadyzSaysLiveKitIsNotConfigured) {
  auto sip_port = reserve_port(PortProtocol::udp);
  ProcessOptions options;
  options.argv = {binary(), "serve", "--config",
                  file,     "--set", "sip.listen=[udp://127.0.0.1:" + std::to_string(sip_port.port()) + "]"};
  options.unset_env = clean_env();
  Process agent(options);
  auto address = wait_for_listen_address(agent, 20s);
  ASSERT_TRUE(address) << agent.stderr_text();

  HttpClient client;
  HttpResponse ready;
  // The SIP endpoint reports ready a moment after HTTP listens.
  for (int attempt = 0; attempt < 100; ++attempt) {
    ready = client.get("http://" + *address + "/readyz");
    if (ready.body.find(R"("sip":{"state":"ready")") != std::string::npos) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(ready.status, 200) << ready.body;
  auto body = nlohmann::json::parse(ready.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << ready.body;
  EXPECT_EQ(body.value("status", ""), "ready");
  EXPECT_EQ(body["components"]["livekit"].value("state", ""), "ready") << ready.body;
  EXPECT_EQ(body["components"]["livekit"].value("detail", ""), "not configured") << ready.body;
  EXPECT_EQ(body["components"]["sip"].value("state", ""), "ready") << ready.body;

  // No webhook receiver without the API key and secret to verify with.
  auto webhook = client.request("POST", "http://" + *address + "/livekit/webhook",
                                {{"Content-Type", "application/webhook+json"}}, "{}");
  EXPECT_EQ(webhook.status, 404);

  agent.send_signal(SIGTERM);
  EXPECT_TRUE(agent.wait_for_exit(20s).exited_with(0));
  const auto log = agent.stderr_text();
  EXPECT_THAT(log, HasSubstr("livekit not configured: direct SIP mode only"));
  EXPECT_THAT(log, HasSubstr("livekit webhook receiver disabled: livekit is not configured"));
  EXPECT_THAT(log, Not(HasSubstr("livekit api unreachable")));
}

TEST_F(DirectSipMode, CheckSkipsTheLiveKitChecksAndPasses) {
  auto r = run({"check", "--json", "--config", file}, {}, 60s);
  auto report = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << r.out << r.err;
  std::map<std::string, nlohmann::json> checks;
  for (const auto& entry : report["checks"]) checks[entry.value("name", "")] = entry;
  for (const char* name :
       {"environment variables", "LiveKit API connection and permissions", "webhook endpoint"}) {
    EXPECT_EQ(checks[name].value("result", ""), "SKIP") << name << ": " << checks[name].dump();
    EXPECT_THAT(checks[name].value("reason", ""), HasSubstr("not configured")) << name;
  }
  // No LiveKit monitor and no trunks: nothing to monitor, which is not a failure.
  EXPECT_EQ(checks["health monitoring"].value("result", ""), "SKIP") << checks["health monitoring"].dump();
  EXPECT_EQ(checks["error handling"].value("result", ""), "PASS") << checks["error handling"].dump();
  EXPECT_EQ(report.value("ok", false), true) << r.out;
  EXPECT_TRUE(r.status.exited_with(0)) << r.status.describe() << "\n" << r.out << r.err;
}

TEST_F(DirectSipMode, ProvisionAndTokenCreateNameWhatIsMissing) {
  auto provision = run({"provision", "--config", file, "--dry-run"});
  EXPECT_TRUE(provision.status.exited_with(2)) << provision.status.describe();
  EXPECT_THAT(provision.err, HasSubstr("provision needs a LiveKit server: livekit.url, livekit.api_key and "
                                       "livekit.api_secret are not set"));

  auto token = run({"token", "create", "--config", file, "--identity", "bob"});
  EXPECT_TRUE(token.status.exited_with(2)) << token.status.describe();
  EXPECT_THAT(token.err, HasSubstr("livekit.url, livekit.api_key and livekit.api_secret are not set"));
  EXPECT_EQ(token.out, "");
}

// The example configuration runs against LiveKit's development server (devkey / secret, dev: true). A webhook
// signed with another secret is rejected, and the log says so in words: LiveKit's public dev secret is not
// masked, so "secret" is not turned into "***".
TEST(WebhookRejectionLog, SaysTheSignatureDoesNotMatchTheApiSecret) {
  TempDirectory records("webhook-rejection");
  ProcessOptions options;
  options.argv = {binary(), "serve", "--config", example_config(), "--set", "http.listen=127.0.0.1:0",
                  "--set", kNoSip, "--set", "logging.format=json",
                  // not beside the example in the source tree
                  "--set", "storage.url=sqlite://" + (records.path() / "calls.db").string()};
  options.unset_env = clean_env();
  Process agent(options);
  auto address = wait_for_listen_address(agent, 20s);
  ASSERT_TRUE(address) << agent.stderr_text();

  // HS256 token {"alg":"HS256"}.{"iss":"devkey"} with a signature that is not devkey's.
  const std::string forged =
      "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJkZXZrZXkifQ.c2lnbmF0dXJlLWJ5LWFub3RoZXItc2VjcmV0";
  HttpClient client;
  auto response = client.request("POST", "http://" + *address + "/livekit/webhook",
                                 {{"Content-Type", "application/webhook+json"}, {"Authorization", forged}},
                                 R"({"event":"room_started","id":"EV_forged"})");
  EXPECT_EQ(response.status, 401) << response.body;
  ASSERT_TRUE(agent.wait_for_output(
      [](const std::string&, const std::string& err) {
        return err.find("livekit webhook rejected") != std::string::npos;
      },
      10s));
  agent.send_signal(SIGTERM);
  agent.wait_for_exit(20s);
  const auto log = agent.stderr_text();
  EXPECT_THAT(log,
              HasSubstr(R"("detail":"webhook signature rejected: token signature does not match the API )"
                        R"(secret of key \"devkey\"")"));
  EXPECT_THAT(log, Not(HasSubstr("the API ***")));
}

}  // namespace
}  // namespace va::test
