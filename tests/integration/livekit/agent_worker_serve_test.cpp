// The agent worker inside the real `voice-agent serve`, against the real livekit-server: it registers with
// livekit.agent.name, shows in /readyz and /metrics, takes a dispatched job and drains on SIGTERM. Here
// livekit.agent.library names a shared library that exports liblivekit_ffi's functions but speaks another
// protocol version (built by tests/unit/livekit/room): the worker still registers, the job is handed back
// failed at once with an error naming the file, and a direct SIP call is answered as usual (whole LiveKit
// calls: tests/e2e/livekit_call_test.cpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <nlohmann/json.hpp>
#include <thread>

#include "livekit/room_service.hpp"
#include "support/agent_instance.hpp"
#include "support/http_client.hpp"
#include "support/livekit_server.hpp"
#include "support/sipp.hpp"

namespace va::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

std::string config_for(const LiveKitServer& server) {
  return "livekit:\n  url: " + server.ws_url() + "\n  api_key: " + server.api_key() +
         "\n  api_secret: " + server.api_secret() +
         "\n  agent:\n    name: serve-agent\n    max_calls: 2\n    library: " VA_TEST_OTHER_PROTOCOL_FFI
         "\n"
         "http:\n  listen: 127.0.0.1:0\n"
         "logging:\n  level: info\n";
}

TEST(LiveKitAgentServe, WithAWrongLibraryRegistersRefusesTheJobNamingTheFileAnswersSipAndDrains) {
  VA_REQUIRE_LIVEKIT();
  if (!Sipp::available()) FAIL() << "sipp is not installed (scripts/setup installs it)";
  LiveKitServer server;
  AgentInstance instance(
      {.config_yaml = config_for(server), .sip_transports = {"udp"}, .flow = "echo", .http_timeout = 30s});
  ASSERT_TRUE(instance.ready()) << instance.describe();
  HttpClient client;
  auto worker_state = [&] {
    auto body = nlohmann::json::parse(client.get(instance.url("/readyz")).body, nullptr, false);
    if (!body.is_object() || !body["components"].contains("livekit_agent")) return std::string();
    return body["components"]["livekit_agent"].value("state", "");
  };
  std::string state;
  for (int i = 0; i < 150 && (state = worker_state()) != "ready"; ++i) std::this_thread::sleep_for(100ms);
  ASSERT_EQ(state, "ready") << client.get(instance.url("/readyz")).body << instance.describe();
  auto metrics = client.get(instance.url("/metrics")).body;
  EXPECT_THAT(metrics, HasSubstr("livekit_worker_registered 1"));
  EXPECT_THAT(metrics, HasSubstr("livekit_worker_capacity 2"));

  livekit::TwirpClient api({server.url(), server.api_key(), server.api_secret()});
  livekit::RoomService rooms(api);
  livekit::CreateRoomRequest request;
  request.name = "serve-call";
  request.agents = {{"serve-agent", ""}};
  ok(rooms.create_room(request));
  EXPECT_TRUE(instance.process().wait_for_output("livekit job assigned", Stream::err, 20s))
      << instance.describe();
  EXPECT_TRUE(instance.process().wait_for_output("cannot join the room: LiveKit's Rust core is not loaded",
                                                 Stream::err, 10s))
      << instance.describe();
  EXPECT_THAT(instance.log(), HasSubstr(VA_TEST_OTHER_PROTOCOL_FFI));
  EXPECT_THAT(instance.log(), HasSubstr("another protocol"));
  EXPECT_EQ(instance.wait_for_metric("livekit_calls_total{result=\"refused\"}", 1.0), 1.0);

  // The direct SIP path does not need the library.
  auto call = Sipp::run(
      {.builtin_scenario = "uac", .remote = instance.sip_address(), .max_calls = 1, .call_duration = 1s},
      30s);
  EXPECT_TRUE(call.all_successful()) << call.describe() << instance.describe();

  ASSERT_TRUE(instance.process().send_signal(SIGTERM));
  auto status = instance.process().wait_for_exit(20s);
  EXPECT_TRUE(status.exited_with(0)) << status.describe() << instance.describe();
  EXPECT_THAT(instance.log(), HasSubstr("LiveKit agent worker drained"));
}

}  // namespace
}  // namespace va::test
