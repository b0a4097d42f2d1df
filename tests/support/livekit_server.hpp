// A real LiveKit server (livekit-server, built by scripts/setup from the Go module proxy) with its own Redis
// (Debian redis-server), both on free loopback ports, for integration tests of the LiveKit control plane.
//
// Each instance gets a scratch directory with the generated server config and, once stopped, both logs
// (livekit-server.log, redis.log). Redis runs without
// persistence. The server is ready when GET / answers 200 ("OK"). Without Redis (`with_redis = false`) the
// server still starts, but every SIP API answers "sip not connected (redis required)" — what an operator
// sees when the LiveKit deployment lacks Redis.
//
// The server binary: $VA_LIVEKIT_SERVER_BIN, else the pinned version under the tools directory that
// scripts/setup fills ($VA_TOOLS_DIR, else $XDG_CACHE_HOME or ~/.cache, then voice-agent/tools).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "livekit/access_token.hpp"
#include "livekit/twirp_client.hpp"
#include "support/free_port.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/temp_directory.hpp"

// First line of a test that needs the server: fails (never skips) with what is missing, since CI must run it.
#define VA_REQUIRE_LIVEKIT() \
  if (!::va::test::LiveKitServer::available()) FAIL() << ::va::test::LiveKitServer::unavailable_reason()

namespace va::test {

// The value of a LiveKit API call (a copy: the result is usually a temporary), or a default after recording
// the error as a test failure.
template <class T>
T ok(const livekit::ApiResult<T>& result) {
  if (!result.ok()) ADD_FAILURE() << result.error().to_string();
  return result.ok() ? result.value() : T{};
}

struct LiveKitServerOptions {
  std::string api_key = "APIvoiceagentTest1";
  std::string api_secret = "voice-agent-test-secret-0123456789abcdef";
  std::vector<std::string> webhook_urls{};  // the server POSTs every event to each
  bool with_redis = true;
  std::chrono::seconds startup_timeout{30};
  // Rooms with real WebRTC participants: the address the server offers in its ICE candidates, an address of
  // the test's private network namespace (support/network_namespace.hpp: private_network()->address) since
  // WebRTC stacks never use loopback. Empty: 127.0.0.1 with the loopback candidate, enough for the APIs and
  // webhooks. Either way the server listens for signalling on 127.0.0.1, takes media on `rtc_tcp_port()` and
  // `rtc_udp_ports()`, and hands clients a dead STUN server on loopback (never a public one).
  std::string node_ip{};
};

// The directory scripts/setup installs tools into: $VA_TOOLS_DIR, else $XDG_CACHE_HOME (or ~/.cache) then
// voice-agent/tools.
std::filesystem::path test_tools_directory();

// The path the harness runs, whether or not it exists.
std::filesystem::path livekit_server_binary();

class LiveKitServer {
 public:
  // True when the server binary and redis-server are installed (scripts/setup).
  static bool available();
  // What is missing, for a skip or failure message.
  static std::string unavailable_reason();

  // Starts Redis and the server and waits until the server answers; throws std::runtime_error with the
  // config and the logs when it does not.
  explicit LiveKitServer(LiveKitServerOptions options = {});
  ~LiveKitServer();
  LiveKitServer(const LiveKitServer&) = delete;
  LiveKitServer& operator=(const LiveKitServer&) = delete;

  std::string url() const;     // "http://127.0.0.1:<port>"
  std::string ws_url() const;  // "ws://127.0.0.1:<port>"
  std::uint16_t port() const { return http_port_.port(); }
  std::uint16_t rtc_tcp_port() const { return rtc_tcp_port_.port(); }
  const PortReservation& rtc_udp_ports() const { return rtc_udp_ports_; }
  const std::string& api_key() const { return options_.api_key; }
  const std::string& api_secret() const { return options_.api_secret; }
  std::string log() const;
  const std::filesystem::path& directory() const { return directory_.path(); }

  // A token for this server's key with every admin grant (room create/list/admin on `room`, SIP admin and
  // call), valid for 10 minutes.
  std::string admin_token(const std::string& room = {}) const;

  // A Twirp call made without voice-agent's client: POST /twirp/livekit.<service>/<method> with
  // `admin_token()` (or `token` when given). The response's JSON body, or {"_status": N, "_body": "..."}
  // for a non-JSON reply; `status` receives the HTTP status.
  nlohmann::json twirp(const std::string& service, const std::string& method, const nlohmann::json& request,
                       long* status = nullptr, const std::optional<std::string>& token = std::nullopt) const;

  // SIGTERM (SIGKILL after `grace`: a test server holds nothing worth a graceful drain) to the server, then
  // Redis. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(1));
  // Starts Redis and the server again after stop(), on the same ports with the same config and keys (a
  // server restart as clients see it; Redis starts empty). Waits until the server answers; throws like the
  // constructor. No-op while running.
  void start();

 private:
  LiveKitServerOptions options_;
  TempDirectory directory_;
  PortReservation http_port_;
  PortReservation rtc_tcp_port_;
  PortReservation rtc_udp_ports_;
  PortReservation redis_port_;
  std::string config_text_;
  std::filesystem::path config_file_;
  std::string earlier_log_;  // of the runs before start() restarted the server
  std::unique_ptr<Process> redis_;
  std::unique_ptr<Process> server_;
  mutable HttpClient http_;
};

}  // namespace va::test
