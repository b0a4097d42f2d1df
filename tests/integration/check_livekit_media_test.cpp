// `voice-agent check`, the LiveKit media path: the room leg's library (liblivekit_ffi) and the agent worker's
// registration, with the real binary against a real livekit-server (+ Redis) on loopback, the real library
// where scripts/setup installs it, and the two wrong files tests/unit/livekit/room builds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "integration/binary.hpp"
#include "support/livekit_server.hpp"

#ifndef VA_TEST_NOT_LIVEKIT_FFI
#error "VA_TEST_NOT_LIVEKIT_FFI and VA_TEST_OTHER_PROTOCOL_FFI are set by tests/integration/CMakeLists.txt"
#endif

namespace va::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

const char* const kLibrary = "LiveKit media library";
const char* const kWorker = "LiveKit agent worker";

struct AgentSection {
  std::string secret;   // empty: the server's
  std::string library;  // empty: the default path
  bool enabled = true;
};

AgentSection with_library(std::string library) {
  AgentSection agent;
  agent.library = std::move(library);
  return agent;
}

std::string config_yaml(const LiveKitServer& server, const AgentSection& agent) {
  std::string yaml =
      "livekit:\n  url: " + server.url() + "\n  api_key: " + server.api_key() +
      "\n  api_secret: " + (agent.secret.empty() ? server.api_secret() : agent.secret) +
      "\n  agent:\n    name: check-media-agent\n    enabled: " + (agent.enabled ? "true" : "false") + "\n";
  if (!agent.library.empty()) yaml += "    library: " + agent.library + "\n";
  return yaml +
         "sip:\n  listen: []\n  trunks: []\n"
         "http:\n  listen: 127.0.0.1:0\n"
         "logging:\n  level: warn\n";
}

struct CheckRun {
  RunResult run;
  nlohmann::json report;
  std::map<std::string, nlohmann::json> checks;  // name → the check's entry
  std::string describe() const { return run.out + "\n--- stderr ---\n" + run.err; }
  std::string result(const std::string& name) const {
    auto it = checks.find(name);
    return it == checks.end() ? "missing" : it->second.value("result", "?");
  }
  std::string reason(const std::string& name) const {
    auto it = checks.find(name);
    return it == checks.end() ? "" : it->second.value("reason", "");
  }
  std::string hint(const std::string& name) const {
    auto it = checks.find(name);
    return it == checks.end() ? "" : it->second.value("hint", "");
  }
};

CheckRun run_check(const std::string& yaml) {
  TempDir dir;
  auto file = dir.write("voice-agent.yaml", yaml);
  CheckRun c;
  c.run = run({"check", "--json", "--config", file}, {}, 90s);
  c.report = nlohmann::json::parse(c.run.out, nullptr, false);
  if (c.report.is_object() && c.report.contains("checks")) {
    for (const auto& entry : c.report["checks"]) c.checks[entry.value("name", "")] = entry;
  }
  return c;
}

class CheckLiveKitMedia : public ::testing::Test {
 protected:
  void SetUp() override { VA_REQUIRE_LIVEKIT(); }
};

TEST_F(CheckLiveKitMedia, TheRealLibraryLoadsAndTheWorkerRegisters) {
  LiveKitServer server;
  auto c = run_check(config_yaml(server, {}));
  ASSERT_TRUE(c.report.is_object()) << c.describe();
  EXPECT_EQ(c.result(kLibrary), "PASS") << c.describe();
  EXPECT_THAT(c.reason(kLibrary), HasSubstr("liblivekit_ffi.so (the default path)"));
  EXPECT_THAT(c.reason(kLibrary), HasSubstr("PyPI livekit " VA_LIVEKIT_PY_VERSION));
  EXPECT_EQ(c.result(kWorker), "PASS") << c.describe();
  EXPECT_THAT(c.reason(kWorker), HasSubstr("as agent \"check-media-agent\" (worker AW_"));
  // A clean exit: the library disposed, the worker's connection closed, nothing for ASan to report (and no
  // other check fails with this configuration).
  EXPECT_TRUE(c.run.status.exited_with(0)) << c.run.status.describe() << "\n" << c.describe();
  EXPECT_THAT(c.run.err, Not(HasSubstr("ERROR: ")));
  EXPECT_THAT(c.run.err, Not(HasSubstr("panicked")));
  // Directly after the API check, in the order of the report.
  std::vector<std::string> names;
  for (const auto& entry : c.report["checks"]) names.push_back(entry.value("name", ""));
  auto api = std::find(names.begin(), names.end(), "LiveKit API connection and permissions");
  ASSERT_LT(api + 2, names.end());
  EXPECT_EQ(*(api + 1), kLibrary);
  EXPECT_EQ(*(api + 2), kWorker);
}

TEST_F(CheckLiveKitMedia, AFileThatIsNotTheLibraryFailsNamingIt) {
  LiveKitServer server;
  auto c = run_check(config_yaml(server, with_library(VA_TEST_NOT_LIVEKIT_FFI)));
  ASSERT_TRUE(c.report.is_object()) << c.describe();
  EXPECT_EQ(c.result(kLibrary), "FAIL") << c.describe();
  EXPECT_THAT(c.reason(kLibrary), HasSubstr(std::string(VA_TEST_NOT_LIVEKIT_FFI) + " is not liblivekit_ffi"));
  EXPECT_THAT(c.hint(kLibrary), HasSubstr("direct SIP calls are unaffected"));
  EXPECT_THAT(c.hint(kLibrary), HasSubstr("scripts/setup"));
  EXPECT_THAT(c.hint(kLibrary), HasSubstr("livekit.agent.library"));
  // The worker registers without the library, as serve's does (its jobs are then handed back failed).
  EXPECT_EQ(c.result(kWorker), "PASS") << c.describe();
  EXPECT_EQ(c.run.status.code, 1) << c.describe();
  EXPECT_EQ(c.report.value("ok", true), false);
}

TEST_F(CheckLiveKitMedia, ALibraryOfAnotherProtocolFailsNamingIt) {
  LiveKitServer server;
  auto c = run_check(config_yaml(server, with_library(VA_TEST_OTHER_PROTOCOL_FFI)));
  ASSERT_TRUE(c.report.is_object()) << c.describe();
  EXPECT_EQ(c.result(kLibrary), "FAIL") << c.describe();
  EXPECT_THAT(c.reason(kLibrary),
              HasSubstr(std::string(VA_TEST_OTHER_PROTOCOL_FFI) + " speaks another protocol"));
  EXPECT_THAT(c.reason(kLibrary), HasSubstr("PyPI livekit " VA_LIVEKIT_PY_VERSION));
  EXPECT_THAT(c.hint(kLibrary), HasSubstr("direct SIP calls are unaffected"));
  EXPECT_EQ(c.run.status.code, 1) << c.describe();
}

// A configured file that is not there is a configuration error (config_schema.cpp), so serve would not start:
// check says so in its first line and skips the rest. (A missing default file is the load error above.)
TEST_F(CheckLiveKitMedia, AMissingConfiguredFileIsAConfigurationError) {
  LiveKitServer server;
  TempDir dir;
  auto missing = dir.path() + "/liblivekit_ffi.so";
  auto c = run_check(config_yaml(server, with_library(missing)));
  ASSERT_TRUE(c.report.is_object()) << c.describe();
  EXPECT_EQ(c.result("configuration validation"), "FAIL") << c.describe();
  EXPECT_THAT(c.reason("configuration validation"), HasSubstr("file '" + missing + "' not found"));
  EXPECT_EQ(c.result(kLibrary), "SKIP") << c.describe();
  EXPECT_EQ(c.result(kWorker), "SKIP") << c.describe();
}

TEST_F(CheckLiveKitMedia, AWrongSecretFailsTheWorkerWithTheServersAnswer) {
  LiveKitServer server;
  AgentSection wrong_secret;
  wrong_secret.secret = "not-the-server-secret-0123456789abcdef";
  auto c = run_check(config_yaml(server, wrong_secret));
  ASSERT_TRUE(c.report.is_object()) << c.describe();
  EXPECT_EQ(c.result(kWorker), "FAIL") << c.describe();
  EXPECT_THAT(c.reason(kWorker),
              HasSubstr("agent \"check-media-agent\" could not register with " + server.url()));
  EXPECT_THAT(c.reason(kWorker), HasSubstr("401"));
  EXPECT_THAT(c.hint(kWorker), HasSubstr("direct SIP calls are unaffected"));
  // The library does not depend on the server.
  EXPECT_EQ(c.result(kLibrary), "PASS") << c.describe();
  EXPECT_EQ(c.run.status.code, 1);
}

TEST_F(CheckLiveKitMedia, AStoppedServerFailsTheWorkerQuickly) {
  LiveKitServer server;
  auto yaml = config_yaml(server, {});
  server.stop();
  auto c = run_check(yaml);
  ASSERT_TRUE(c.report.is_object()) << c.describe();
  EXPECT_EQ(c.result(kWorker), "FAIL") << c.describe();
  EXPECT_THAT(c.reason(kWorker), HasSubstr("could not register with " + server.url()));
}

TEST_F(CheckLiveKitMedia, ADisabledWorkerSkipsBoth) {
  LiveKitServer server;
  auto disabled = with_library(VA_TEST_NOT_LIVEKIT_FFI);  // not even looked at
  disabled.enabled = false;
  auto c = run_check(config_yaml(server, disabled));
  ASSERT_TRUE(c.report.is_object()) << c.describe();
  for (const char* name : {kLibrary, kWorker}) {
    EXPECT_EQ(c.result(name), "SKIP") << name << ": " << c.describe();
    EXPECT_THAT(c.reason(name), HasSubstr("livekit.agent.enabled: false")) << name;
  }
}

TEST_F(CheckLiveKitMedia, TextOutputShowsBothLines) {
  LiveKitServer server;
  TempDir dir;
  auto file = dir.write("voice-agent.yaml", config_yaml(server, {}));
  auto r = run({"check", "--config", file}, {}, 90s);
  EXPECT_THAT(r.out, HasSubstr("[PASS] LiveKit media library: "));
  EXPECT_THAT(r.out, HasSubstr("[PASS] LiveKit agent worker: registered with " + server.url()));
}

}  // namespace
}  // namespace va::test
