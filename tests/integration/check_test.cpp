// `voice-agent check` as an operator runs it: the real binary against a real livekit-server (+ Redis) and a
// SIPp UAS standing in for the carrier's SBC, all on loopback. Also /readyz of the real `serve` following
// the LiveKit server up and down through the API monitor.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "integration/binary.hpp"
#include "support/agent_instance.hpp"
#include "support/free_port.hpp"
#include "support/http_client.hpp"
#include "support/livekit_server.hpp"
#include "support/sipp.hpp"

namespace va::test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

struct Server {
  std::string url, key, secret;
};

// A configuration with LiveKit at `lk` and, when `trunk_port` is set, one register-mode trunk whose
// registrar is 127.0.0.1:<trunk_port> (the OPTIONS probe goes there; the check never REGISTERs).
std::string config_yaml(const Server& lk, std::optional<std::uint16_t> trunk_port) {
  std::string trunks = "  trunks: []\n";
  if (trunk_port) {
    trunks =
        "  trunks:\n"
        "    - name: sbc\n"
        "      mode: register\n"
        "      registrar: 127.0.0.1\n"
        "      port: " +
        std::to_string(*trunk_port) +
        "\n"
        "      transport: udp\n"
        "      username: \"883140000000000\"\n"
        "      password: check-test-password\n"
        "      numbers: [\"+79991234567\"]\n";
  }
  return "livekit:\n  url: " + lk.url + "\n  api_key: " + lk.key + "\n  api_secret: " + lk.secret +
         "\n"
         "sip:\n"
         "  listen: []\n" +
         trunks +
         "codecs:\n"
         "  preference: [PCMA, PCMU]\n"
         "  telephone_event: true\n"
         "  ptime: 20ms\n"
         "http:\n"
         "  listen: 127.0.0.1:0\n"
         "logging:\n"
         "  level: warn\n";
}

struct CheckRun {
  RunResult run;
  nlohmann::json report;
  // name → the check's entry
  std::map<std::string, nlohmann::json> checks;
  std::string describe() const { return run.out + "\n--- stderr ---\n" + run.err; }
  std::string result(const std::string& name) const {
    auto it = checks.find(name);
    return it == checks.end() ? "missing" : it->second.value("result", "?");
  }
  std::string text(const std::string& name) const {
    auto it = checks.find(name);
    return it == checks.end() ? ""
                              : it->second.value("reason", "") + " | hint: " + it->second.value("hint", "");
  }
};

CheckRun run_check(const std::string& yaml) {
  TempDir dir;
  auto file = dir.write("voice-agent.yaml", yaml);
  CheckRun c;
  c.run = run({"check", "--json", "--config", file}, {}, 60s);
  c.report = nlohmann::json::parse(c.run.out, nullptr, false);
  if (c.report.is_object() && c.report.contains("checks")) {
    for (const auto& entry : c.report["checks"]) c.checks[entry.value("name", "")] = entry;
  }
  return c;
}

const char* const kLiveKitCheck = "LiveKit API connection and permissions";

class CheckCommand : public ::testing::Test {
 protected:
  void SetUp() override { VA_REQUIRE_LIVEKIT(); }
  static Server of(const LiveKitServer& s) { return {s.url(), s.api_key(), s.api_secret()}; }
};

TEST_F(CheckCommand, EverythingPassesWithARealServerAndAnAnsweringTrunk) {
  if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";
  LiveKitServer server;
  SippOptions uas;
  uas.scenario_file =
      std::filesystem::path(VA_SOURCE_DIR) / "tests/integration/check_scenarios/uas_options.xml";
  uas.global_timeout = 60s;
  Sipp sbc(uas);

  auto c = run_check(config_yaml(of(server), sbc.local_port()));
  ASSERT_TRUE(c.report.is_object()) << c.describe();
  // One entry per check, in the order of the seed report.
  std::vector<std::string> names;
  for (const auto& entry : c.report["checks"]) names.push_back(entry.value("name", ""));
  EXPECT_EQ(names,
            (std::vector<std::string>{
                "configuration validation", "environment variables", "SIP trunk connectivity", kLiveKitCheck,
                "LiveKit media library", "LiveKit agent worker", "audio codec configuration",
                "speech engine: VAD", "speech engine: STT", "speech engine: TTS", "language model",
                "webhook endpoint", "call simulation", "health monitoring", "error handling"}));
  for (const auto& entry : c.report["checks"]) {
    EXPECT_TRUE(entry.contains("reason") && entry.contains("hint")) << entry.dump();
  }
  EXPECT_EQ(c.result("SIP trunk connectivity"), "PASS") << c.text("SIP trunk connectivity");
  EXPECT_THAT(c.text("SIP trunk connectivity"), HasSubstr("sbc (udp:127.0.0.1:"));
  EXPECT_THAT(c.text("SIP trunk connectivity"), HasSubstr("200 OK"));
  EXPECT_EQ(c.result(kLiveKitCheck), "PASS") << c.text(kLiveKitCheck);
  EXPECT_THAT(c.text(kLiveKitCheck), HasSubstr("CreateRoom + DeleteRoom"));
  EXPECT_EQ(c.result("call simulation"), "PASS") << c.text("call simulation");
  EXPECT_THAT(c.text("call simulation"), HasSubstr("tone frames sent 25"));
  EXPECT_EQ(c.result("health monitoring"), "PASS") << c.text("health monitoring");
  EXPECT_THAT(c.text("health monitoring"), HasSubstr("livekit: ready"));
  EXPECT_THAT(c.text("health monitoring"), HasSubstr("trunks: 1/1 reachable"));
  EXPECT_EQ(c.result("error handling"), "PASS") << c.text("error handling");
  EXPECT_THAT(c.text("error handling"), HasSubstr("SIP/2.0 400"));
  EXPECT_THAT(c.text("error handling"), HasSubstr("401"));
  EXPECT_EQ(c.result("webhook endpoint"), "PASS") << c.text("webhook endpoint");

  // The throwaway room is gone again.
  auto rooms = server.twirp("RoomService", "ListRooms", nlohmann::json::object());
  for (const auto& room : rooms.value("rooms", nlohmann::json::array()))
    EXPECT_THAT(room.value("name", ""), ::testing::Not(HasSubstr("voice-agent-check-")));

  bool any_fail = false;
  for (const auto& [name, entry] : c.checks) any_fail = any_fail || entry.value("result", "") == "FAIL";
  EXPECT_EQ(c.report.value("ok", !any_fail), !any_fail);
  EXPECT_EQ(c.run.status.code, any_fail ? 1 : 0) << c.describe();
  EXPECT_FALSE(any_fail) << c.describe();
}

TEST_F(CheckCommand, ATrunkWithNothingListeningFailsWithAHint) {
  LiveKitServer server;
  auto closed = reserve_port();  // bound by us, so nothing else answers there
  auto c = run_check(config_yaml(of(server), closed.port()));
  ASSERT_TRUE(c.report.is_object()) << c.describe();
  EXPECT_EQ(c.result("SIP trunk connectivity"), "FAIL") << c.text("SIP trunk connectivity");
  EXPECT_THAT(c.text("SIP trunk connectivity"), HasSubstr("hint: check the trunk's registrar"));
  EXPECT_EQ(c.result("health monitoring"), "FAIL") << c.text("health monitoring");
  EXPECT_THAT(c.text("health monitoring"), HasSubstr("trunks: 0/1 reachable"));
  EXPECT_EQ(c.run.status.code, 1);
  EXPECT_EQ(c.report.value("ok", true), false);
}

TEST_F(CheckCommand, NoTrunksIsASkipNotAFailure) {
  LiveKitServer server;
  auto c = run_check(config_yaml(of(server), std::nullopt));
  ASSERT_TRUE(c.report.is_object()) << c.describe();
  EXPECT_EQ(c.result("SIP trunk connectivity"), "SKIP");
  EXPECT_THAT(c.text("SIP trunk connectivity"), HasSubstr("no trunks configured"));
  EXPECT_EQ(c.result(kLiveKitCheck), "PASS") << c.text(kLiveKitCheck);
}

TEST_F(CheckCommand, AServerWithoutRedisFailsTheLiveKitCheckWithTheRedisHint) {
  LiveKitServerOptions options;
  options.with_redis = false;
  LiveKitServer server(options);
  auto c = run_check(config_yaml(of(server), std::nullopt));
  ASSERT_TRUE(c.report.is_object()) << c.describe();
  EXPECT_EQ(c.result(kLiveKitCheck), "FAIL") << c.text(kLiveKitCheck);
  EXPECT_THAT(c.text(kLiveKitCheck), HasSubstr("SIP is not available on the server"));
  EXPECT_THAT(c.text(kLiveKitCheck), HasSubstr("Redis"));
  EXPECT_EQ(c.result("health monitoring"), "FAIL");
  EXPECT_THAT(c.text("health monitoring"), HasSubstr("sip unavailable (no Redis on the LiveKit server)"));
  EXPECT_EQ(c.run.status.code, 1);
}

TEST_F(CheckCommand, AWrongSecretFailsWithTheCredentialsHint) {
  LiveKitServer server;
  Server wrong = of(server);
  wrong.secret = "not-the-server-secret-0123456789abcdef";
  auto c = run_check(config_yaml(wrong, std::nullopt));
  ASSERT_TRUE(c.report.is_object()) << c.describe();
  EXPECT_EQ(c.result(kLiveKitCheck), "FAIL") << c.text(kLiveKitCheck);
  EXPECT_THAT(c.text(kLiveKitCheck), HasSubstr("unauthenticated"));
  EXPECT_THAT(c.text(kLiveKitCheck), HasSubstr("livekit.api_secret"));
  EXPECT_EQ(c.run.status.code, 1);
}

TEST_F(CheckCommand, AStoppedServerFailsWithIsTheServerRunning) {
  LiveKitServer server;
  auto lk = of(server);
  server.stop();
  auto c = run_check(config_yaml(lk, std::nullopt));
  ASSERT_TRUE(c.report.is_object()) << c.describe();
  EXPECT_EQ(c.result(kLiveKitCheck), "FAIL") << c.text(kLiveKitCheck);
  EXPECT_THAT(c.text(kLiveKitCheck), HasSubstr("is the LiveKit server running at " + lk.url));
  EXPECT_EQ(c.run.status.code, 1);
}

TEST_F(CheckCommand, TextOutputHasOneLinePerCheckAndASummary) {
  LiveKitServer server;
  TempDir dir;
  auto file = dir.write("voice-agent.yaml", config_yaml(of(server), std::nullopt));
  auto r = run({"check", "--config", file}, {}, 60s);
  EXPECT_THAT(r.out, HasSubstr("[PASS] " + std::string(kLiveKitCheck) + ": " + server.url()));
  EXPECT_THAT(r.out, HasSubstr("[SKIP] SIP trunk connectivity: no trunks configured"));
  EXPECT_THAT(r.out, HasSubstr("summary: "));
}

// /readyz of the real `serve`: component "livekit" is ready while the server runs and degraded once it is
// stopped (degraded, not failed: our SIP endpoint works without LiveKit; see api_health_monitor.hpp).
TEST_F(CheckCommand, ReadyzFollowsTheLiveKitServer) {
  LiveKitServer server;
  auto yaml = config_yaml(of(server), std::nullopt);
  yaml.replace(yaml.find("level: warn"), 11, "level: info");  // the listen address is announced at info
  yaml +=
      "monitoring:\n  trunk_check_interval: 1s\n  reconnect_attempts: 2\n  backoff_initial: 100ms\n"
      "  backoff_max: 500ms\n";
  AgentInstance instance({.config_yaml = yaml, .http_timeout = 20s});
  Process& agent = instance.process();
  auto address = instance.listening() ? std::optional(instance.http_address()) : std::nullopt;
  ASSERT_TRUE(address) << agent.stderr_text();
  HttpClient client;
  auto livekit_state = [&] {
    auto response = client.get("http://" + *address + "/readyz");
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    if (!body.is_object() || !body.contains("components") || !body["components"].contains("livekit"))
      return std::string();
    return body["components"]["livekit"].value("state", "");
  };
  std::string state;
  for (int i = 0; i < 100 && (state = livekit_state()) != "ready"; ++i) std::this_thread::sleep_for(100ms);
  EXPECT_EQ(state, "ready") << client.get("http://" + *address + "/readyz").body;
  auto metrics = client.get("http://" + *address + "/metrics").body;
  EXPECT_THAT(metrics, HasSubstr("livekit_api_up 1"));
  EXPECT_THAT(metrics, HasSubstr("livekit_api_checks_total{result=\"ok\"}"));

  server.stop();
  for (int i = 0; i < 100 && (state = livekit_state()) == "ready"; ++i) std::this_thread::sleep_for(100ms);
  EXPECT_EQ(state, "degraded");
  auto readyz = client.get("http://" + *address + "/readyz");
  EXPECT_EQ(readyz.status, 200) << "a LiveKit outage does not take the instance out of rotation";
  EXPECT_THAT(readyz.body, HasSubstr("is the LiveKit server running at"));
  EXPECT_THAT(client.get("http://" + *address + "/metrics").body, HasSubstr("livekit_api_up 0"));
  // After reconnect_attempts failures the monitor reports failed (in the detail) and keeps retrying.
  std::string detail;
  for (int i = 0; i < 100; ++i) {
    auto body = nlohmann::json::parse(client.get("http://" + *address + "/readyz").body, nullptr, false);
    detail = body.is_object() ? body["components"]["livekit"].value("detail", "") : "";
    if (detail.starts_with("failed: ")) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_THAT(detail, ::testing::StartsWith("failed: "));
  EXPECT_THAT(agent.stderr_text(),
              HasSubstr("livekit api failed after the reconnect attempts: retrying every backoff_max"));

  agent.send_signal(SIGTERM);
  EXPECT_TRUE(agent.wait_for_exit(20s).exited_with(0));
}

}  // namespace
}  // namespace va::test
