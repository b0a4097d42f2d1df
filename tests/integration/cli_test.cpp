// The CLI as an operator uses it: commands, help, exit codes (0 ok, 1 runtime failure, 2 usage/config error).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "integration/binary.hpp"
#include "support/agent_instance.hpp"
#include "support/http_client.hpp"

namespace va::test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// A configuration with exactly five mistakes (shared with the unit tests).
std::string five_mistakes_file() {
  return source_dir() + "/tests/data/config/five-mistakes.yaml";
}

TEST(Cli, VersionPrintsTheVersion) {
  auto r = run({"version"});
  EXPECT_TRUE(r.status.exited_with(0)) << r.status.describe();
  EXPECT_THAT(r.out, ::testing::StartsWith("voice-agent 0.1.0"));
}

TEST(Cli, HelpOnEveryCommandExitsZero) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{{"--help"},
                                                                             {"serve", "--help"},
                                                                             {"config", "--help"},
                                                                             {"config", "validate", "--help"},
                                                                             {"config", "show", "--help"},
                                                                             {"check", "--help"},
                                                                             {"token", "--help"},
                                                                             {"token", "create", "--help"},
                                                                             {"provision", "--help"},
                                                                             {"version", "--help"}}) {
    auto r = run(args);
    EXPECT_TRUE(r.status.exited_with(0)) << args.front() << ": " << r.status.describe();
    EXPECT_THAT(r.out, HasSubstr("Usage")) << args.front();
  }
  EXPECT_THAT(run({"--help"}).out, HasSubstr("Exit codes"));
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_TRUE(run({}).status.exited_with(2));
  EXPECT_TRUE(run({"frobnicate"}).status.exited_with(2));
  EXPECT_TRUE(run({"config", "validate"}).status.exited_with(2));  // missing FILE
  EXPECT_TRUE(run({"serve", "--config", "/nonexistent.yaml"}).status.exited_with(2));
  EXPECT_TRUE(run({"serve", "--bogus-flag"}).status.exited_with(2));
}

TEST(Cli, ExampleConfigurationValidates) {
  auto r = run({"config", "validate", example_config()});
  EXPECT_TRUE(r.status.exited_with(0)) << r.err;
  EXPECT_THAT(r.out, HasSubstr("valid"));
}

TEST(Cli, ConfigWithFiveMistakesNamesAllFiveWithPathsAndLines) {
  auto r = run({"config", "validate", five_mistakes_file()});
  EXPECT_TRUE(r.status.exited_with(2)) << r.status.describe();
  EXPECT_THAT(
      r.err,
      HasSubstr(
          "livekit.api_key: LiveKit API key is too short: 6 characters, at least 12 expected (line 3)"));
  EXPECT_THAT(r.err, HasSubstr("sip.trunks[0].port: 70000 is not a valid port (1-65535) (line 12)"));
  EXPECT_THAT(r.err,
              HasSubstr("codecs.preference[1]: 'OPUS' is not one of PCMU, PCMA, G722, G729 (line 14)"));
  EXPECT_THAT(r.err, HasSubstr("monitoring.trunk_check_interval: expected a duration"));
  EXPECT_THAT(r.err, HasSubstr("(line 16)"));
  EXPECT_THAT(r.err, HasSubstr("http.listn: unknown key; did you mean 'listen'? (line 18)"));
  EXPECT_THAT(r.err, HasSubstr("5 errors"));
}

TEST(Cli, ValidateJsonListsErrors) {
  auto r = run({"config", "validate", "--json", five_mistakes_file()});
  EXPECT_TRUE(r.status.exited_with(2));
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_FALSE(doc["valid"].get<bool>());
  ASSERT_EQ(doc["errors"].size(), 5u);
  EXPECT_EQ(doc["errors"][1]["path"], "sip.trunks[0].port");
  EXPECT_EQ(doc["errors"][1]["line"], 12);
}

TEST(Cli, SetOverridesAreValidatedAndShown) {
  auto r = run({"config", "show", example_config(), "--set", "http.listen=127.0.0.1:18080", "--set",
                "sip.listen[0]=udp://127.0.0.1:5070"});
  ASSERT_TRUE(r.status.exited_with(0)) << r.err;
  EXPECT_THAT(r.out, HasSubstr("listen: 127.0.0.1:18080"));
  EXPECT_THAT(r.out, HasSubstr("udp://127.0.0.1:5070"));
  // Defaults appear in the effective configuration even though the file does not set them.
  EXPECT_THAT(r.out, HasSubstr("threads: 0"));

  auto bad = run({"config", "validate", example_config(), "--set", "sip.trunks[0].port=70000"});
  EXPECT_TRUE(bad.status.exited_with(2));
  EXPECT_THAT(bad.err,
              HasSubstr("sip.trunks[0].port: 70000 is not a valid port (1-65535) (set on the command line)"));
}

TEST(Cli, EnvironmentSuppliesLiveKitCredentials) {
  TempDir dir;
  auto file = dir.write("env.yaml", "sip:\n  listen: [udp://127.0.0.1:5060]\n");
  // Without any of them the file is a direct-SIP-mode deployment (see direct_sip_mode_test.cpp); with only
  // some of them the missing ones are named.
  auto partial = run(
      {"config", "validate", file},
      {{"LIVEKIT_API_KEY", "API48Ajeeuv4tYL"}, {"LIVEKIT_API_SECRET", "0123456789abcdef0123456789abcdef"}});
  EXPECT_TRUE(partial.status.exited_with(2));
  EXPECT_THAT(partial.err, HasSubstr("livekit.url: is required when livekit.api_key and livekit.api_secret "
                                     "are set (or set the environment variable LIVEKIT_URL)"));
  auto ok = run({"config", "validate", file}, {{"LIVEKIT_URL", "wss://lk.example.com"},
                                               {"LIVEKIT_API_KEY", "API48Ajeeuv4tYL"},
                                               {"LIVEKIT_API_SECRET", "0123456789abcdef0123456789abcdef"}});
  EXPECT_TRUE(ok.status.exited_with(0)) << ok.err;
}

TEST(Cli, ServeRefusesAnInvalidConfigurationWithExitTwo) {
  auto r = run({"serve", "--config", five_mistakes_file()});
  EXPECT_TRUE(r.status.exited_with(2)) << r.status.describe();
  EXPECT_THAT(r.err, HasSubstr("sip.trunks[0].port"));
}

TEST(Cli, ServeExitsOneWhenItCannotListen) {
  // Occupy a port with a first instance, then start a second one on the same port.
  AgentInstance first({.config_file = {}, .http_timeout = 10s});  // the embedded example configuration
  ASSERT_TRUE(first.listening()) << first.log();
  auto address = first.http_address();
  auto r = run({"serve", "--set", "http.listen=" + address, "--set", kNoSip});
  EXPECT_TRUE(r.status.exited_with(1)) << r.status.describe();
  EXPECT_THAT(r.err, HasSubstr("cannot start the HTTP server"));
  EXPECT_TRUE(first.stop(10s).exited_with(0));
}

TEST(Cli, CheckReportsEachCheck) {
  // No LiveKit server here (the example's 127.0.0.1:7880) and no trunks: the LiveKit checks FAIL with the
  // hint, the in-process SIP checks PASS. tests/integration/check_test.cpp runs it against real peers.
  std::vector<std::string> offline = {"--set", "sip.trunks=[]", "--set", "routing.outbound.trunk="};
  auto args = [&](std::vector<std::string> a) {
    a.insert(a.end(), offline.begin(), offline.end());
    return a;
  };
  auto r = run(args({"check", "--config", example_config()}), {}, 60s);
  EXPECT_TRUE(r.status.exited_with(1)) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("[PASS] configuration validation"));
  EXPECT_THAT(r.out, HasSubstr("[PASS] audio codec configuration"));
  EXPECT_THAT(r.out, HasSubstr("[SKIP] SIP trunk connectivity"));
  EXPECT_THAT(r.out, HasSubstr("[FAIL] LiveKit API connection and permissions"));
  EXPECT_THAT(r.out, HasSubstr("hint: is the LiveKit server running at http://127.0.0.1:7880"));
  EXPECT_THAT(r.out, HasSubstr("[PASS] call simulation"));
  EXPECT_THAT(r.out, HasSubstr("[PASS] error handling"));

  auto json = run(args({"check", "--json", "--config", example_config()}), {}, 60s);
  auto doc = nlohmann::json::parse(json.out);
  EXPECT_FALSE(doc["ok"].get<bool>());
  EXPECT_GE(doc["checks"].size(), 9u);
  for (const auto& c : doc["checks"]) {
    EXPECT_THAT((std::vector<std::string>{"PASS", "FAIL", "SKIP"}),
                ::testing::Contains(c["result"].get<std::string>()));
    EXPECT_FALSE(c["reason"].get<std::string>().empty());
  }

  auto failing = run({"check", "--config", five_mistakes_file()});
  EXPECT_TRUE(failing.status.exited_with(1)) << failing.status.describe();
  EXPECT_THAT(failing.out, HasSubstr("[FAIL] configuration validation"));

  auto no_g711 = run({"check", "--config", example_config(), "--set", "codecs.preference=[G722]"});
  EXPECT_TRUE(no_g711.status.exited_with(1));
  EXPECT_THAT(no_g711.out, HasSubstr("[FAIL] audio codec configuration"));
}

}  // namespace
}  // namespace va::test
