// livekit.agent: the agent worker's keys, their defaults and their validation (with YAML paths and lines).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "common/config.hpp"
#include "unit/common/config_diagnostics.hpp"

namespace va::config {
namespace {

using test::errors;

using namespace std::chrono_literals;

constexpr const char* kLiveKit = R"(livekit:
  url: ws://127.0.0.1:7880
  api_key: devkey
  api_secret: secret
  dev: true
)";

LoadOptions no_env() {
  LoadOptions options;
  options.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  return options;
}

LoadResult load_agent(const std::string& agent) {
  return load_string(std::string(kLiveKit) + "  agent:\n" + agent, no_env());
}

const Diagnostic* find(const std::vector<Diagnostic>& list, const std::string& path) {
  auto it = std::find_if(list.begin(), list.end(), [&](const Diagnostic& d) { return d.path == path; });
  return it == list.end() ? nullptr : &*it;
}

TEST(ConfigLiveKitAgent, DefaultsWhenTheSectionIsAbsent) {
  auto r = load_string(kLiveKit, no_env());
  ASSERT_TRUE(r.ok()) << errors(r);
  const auto& a = r.config.livekit.agent;
  EXPECT_TRUE(a.enabled);
  EXPECT_TRUE(r.config.livekit.agent_worker_enabled());
  EXPECT_EQ(a.name, "voice-agent");
  EXPECT_EQ(a.max_calls, 4);
  EXPECT_EQ(a.library, "");
  EXPECT_EQ(a.caller, CallerChoice::sip_or_first);
  EXPECT_EQ(a.hangup, RoomHangup::delete_room);
  EXPECT_EQ(a.drain_timeout, Duration(30s));
  EXPECT_EQ(a.participant_name, "voice-agent");
}

TEST(ConfigLiveKitAgent, WithoutLiveKitTheWorkerIsOffAndTheDefaultsStillPrint) {
  auto r = load_string("logging:\n  level: info\n", no_env());
  ASSERT_TRUE(r.ok()) << errors(r);
  EXPECT_FALSE(r.config.livekit.agent_worker_enabled());
  EXPECT_THAT(to_yaml(r.config), ::testing::HasSubstr("max_calls: 4"));
}

TEST(ConfigLiveKitAgent, ReadsEveryKey) {
  auto r = load_agent(R"(    enabled: false
    name: exolve-agent
    max_calls: 12
    caller: sip
    hangup: remove_participant
    drain_timeout: 2m
    participant_name: "Exolve assistant"
)");
  ASSERT_TRUE(r.ok()) << errors(r);
  const auto& a = r.config.livekit.agent;
  EXPECT_FALSE(a.enabled);
  EXPECT_FALSE(r.config.livekit.agent_worker_enabled());
  EXPECT_EQ(a.name, "exolve-agent");
  EXPECT_EQ(a.max_calls, 12);
  EXPECT_EQ(a.caller, CallerChoice::sip);
  EXPECT_EQ(a.hangup, RoomHangup::remove_participant);
  EXPECT_EQ(a.drain_timeout, Duration(120s));
  EXPECT_EQ(a.participant_name, "Exolve assistant");
}

TEST(ConfigLiveKitAgent, EveryMistakeIsReportedWithItsPathAndLine) {
  auto r = load_agent(R"(    name: "bad name!"
    max_calls: 0
    caller: first
    hangup: hangup
    drain_timeout: forever
    participant_name: ""
    library: /nonexistent/liblivekit_ffi.so
    colour: blue
)");
  ASSERT_FALSE(r.ok());
  for (const char* path :
       {"livekit.agent.name", "livekit.agent.max_calls", "livekit.agent.caller", "livekit.agent.hangup",
        "livekit.agent.drain_timeout", "livekit.agent.participant_name", "livekit.agent.library",
        "livekit.agent.colour"}) {
    const auto* d = find(r.errors, path);
    ASSERT_NE(d, nullptr) << "no error at " << path << "\n" << errors(r);
    EXPECT_GT(d->line, 6) << d->to_string();
  }
  EXPECT_THAT(find(r.errors, "livekit.agent.caller")->message, ::testing::HasSubstr("sip_or_first"));
  EXPECT_THAT(find(r.errors, "livekit.agent.max_calls")->message, ::testing::HasSubstr("out of range"));
}

TEST(ConfigLiveKitAgent, AnAgentSectionWithoutLiveKitIsAWarning) {
  auto r = load_string("livekit:\n  agent:\n    name: lonely\n", no_env());
  ASSERT_TRUE(r.ok()) << errors(r);
  ASSERT_NE(find(r.warnings, "livekit.agent"), nullptr);
  EXPECT_THAT(find(r.warnings, "livekit.agent")->message, ::testing::HasSubstr("does not run"));
}

}  // namespace
}  // namespace va::config
