#include "support/livekit_server.hpp"

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/external_tool.hpp"

#ifndef VA_LIVEKIT_SERVER_VERSION
#error "VA_LIVEKIT_SERVER_VERSION must carry the pinned livekit-server tag (scripts/versions.sh)"
#endif

namespace va::test {
namespace {

using namespace std::chrono_literals;

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

std::string process_logs(const Process* p) {
  if (p == nullptr) return "(not started)";
  return tail(p->stdout_text() + p->stderr_text(), 6000);
}

}  // namespace

std::filesystem::path test_tools_directory() {
  if (auto dir = env_or_empty("VA_TOOLS_DIR"); !dir.empty()) return dir;
  std::filesystem::path cache = env_or_empty("XDG_CACHE_HOME");
  if (cache.empty()) cache = std::filesystem::path(env_or_empty("HOME")) / ".cache";
  return cache / "voice-agent" / "tools";
}

std::filesystem::path livekit_server_binary() {
  if (auto bin = env_or_empty("VA_LIVEKIT_SERVER_BIN"); !bin.empty()) return bin;
  return test_tools_directory() / (std::string("livekit-server-") + VA_LIVEKIT_SERVER_VERSION) / "server";
}

bool LiveKitServer::available() {
  return unavailable_reason().empty();
}

std::string LiveKitServer::unavailable_reason() {
  std::string missing;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(livekit_server_binary(), ec))
    missing += "livekit-server is not installed at " + livekit_server_binary().string();
  if (!find_program("redis-server"))
    missing += std::string(missing.empty() ? "" : "; ") + "redis-server is not installed";
  if (!missing.empty()) missing += " (run scripts/setup)";
  return missing;
}

LiveKitServer::LiveKitServer(LiveKitServerOptions options)
    : options_(std::move(options)),
      directory_("livekit"),
      http_port_(reserve_port(PortProtocol::tcp)),
      rtc_tcp_port_(reserve_port(PortProtocol::tcp)),
      rtc_udp_ports_(reserve_port_block(20, PortProtocol::udp, false)),
      http_(std::chrono::seconds(10)) {
  if (auto why = unavailable_reason(); !why.empty()) throw std::runtime_error(why);
  const bool webrtc = !options_.node_ip.empty();
  std::ostringstream config;
  config << "port: " << http_port_.port() << "\n"
         << "bind_addresses: [\"127.0.0.1\"]\n"
         << "rtc:\n"
         << "  tcp_port: " << rtc_tcp_port_.port() << "\n"
         << "  port_range_start: " << rtc_udp_ports_.first() << "\n"
         << "  port_range_end: " << rtc_udp_ports_.last() << "\n"
         << "  use_external_ip: false\n"
         << "  node_ip: " << (webrtc ? options_.node_ip : "127.0.0.1")
         << "\n"
         // Pion (the server) would offer a loopback candidate, but the clients' WebRTC stacks skip them.
         << "  enable_loopback_candidate: " << (webrtc ? "false" : "true")
         << "\n"
         // Without this the server hands clients Google's STUN servers; tests never leave their network.
         << "  stun_servers: [\"127.0.0.1:3478\"]\n"
         << "keys:\n"
         << "  " << options_.api_key << ": " << options_.api_secret << "\n"
         << "room:\n"
         << "  auto_create: true\n"
         << "  empty_timeout: 300\n"
         << "logging:\n"
         << "  level: debug\n";
  if (options_.with_redis) {
    redis_port_ = reserve_port(PortProtocol::tcp);
    config << "redis:\n  address: 127.0.0.1:" << redis_port_.port() << "\n";
  }
  if (!options_.webhook_urls.empty()) {
    config << "webhook:\n  api_key: " << options_.api_key << "\n  urls:\n";
    for (const auto& url : options_.webhook_urls) config << "    - \"" << url << "\"\n";
  }
  config_text_ = config.str();
  config_file_ = directory_.write_file("livekit.yaml", config_text_);
  start();
}

void LiveKitServer::start() {
  if (server_ && server_->running()) return;
  if (options_.with_redis) {
    redis_ = std::make_unique<Process>(std::vector<std::string>{
        "redis-server", "--bind", "127.0.0.1", "--port", std::to_string(redis_port_.port()), "--save", "",
        "--appendonly", "no", "--dir", directory_.path().string()});
    if (!redis_->wait_for_output("Ready to accept connections", Stream::either, 10s)) {
      throw std::runtime_error("redis-server did not start:\n" + process_logs(redis_.get()));
    }
  }
  // The logs of a run before a restart stay readable through log().
  if (server_) earlier_log_ += server_->stdout_text() + server_->stderr_text() + "\n--- restarted ---\n";
  server_ = std::make_unique<Process>(
      std::vector<std::string>{livekit_server_binary().string(), "--config", config_file_.string()});
  const auto deadline = std::chrono::steady_clock::now() + options_.startup_timeout;
  while (true) {
    auto response = http_.get(url() + "/");
    if (response.status == 200) break;
    if (!server_->running() || std::chrono::steady_clock::now() > deadline) {
      auto logs = process_logs(server_.get());
      stop();
      throw std::runtime_error("livekit-server did not become ready at " + url() + "\nconfig:\n" +
                               config_text_ + "\nlog:\n" + logs);
    }
    std::this_thread::sleep_for(100ms);
  }
}

LiveKitServer::~LiveKitServer() {
  stop();
}

std::string LiveKitServer::url() const {
  return "http://127.0.0.1:" + std::to_string(http_port_.port());
}

std::string LiveKitServer::ws_url() const {
  return "ws://127.0.0.1:" + std::to_string(http_port_.port());
}

std::string LiveKitServer::log() const {
  return earlier_log_ + (server_ ? server_->stdout_text() + server_->stderr_text() : std::string());
}

std::string LiveKitServer::admin_token(const std::string& room) const {
  livekit::AccessTokenClaims claims;
  claims.api_key = options_.api_key;
  claims.identity = "voice-agent-test-admin";
  livekit::VideoGrant video;
  video.room_create = true;
  video.room_list = true;
  video.room_admin = true;
  video.room_join = true;
  if (!room.empty()) video.room = room;
  claims.video = video;
  claims.sip = livekit::SipGrant{true, true};
  auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  claims.not_before = now - 5;
  claims.expires_at = now + 600;
  return livekit::mint_access_token(claims, options_.api_secret);
}

nlohmann::json LiveKitServer::twirp(const std::string& service, const std::string& method,
                                    const nlohmann::json& request, long* status,
                                    const std::optional<std::string>& token) const {
  auto response = http_.request(
      "POST", url() + "/twirp/livekit." + service + "/" + method,
      {{"Authorization", "Bearer " + token.value_or(admin_token())}, {"Content-Type", "application/json"}},
      request.dump());
  if (status != nullptr) *status = response.status;
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_discarded()) return {{"_status", response.status}, {"_body", response.body + response.error}};
  return body;
}

void LiveKitServer::stop(std::chrono::milliseconds grace) {
  for (auto* p : {&server_, &redis_}) {
    if (!*p) continue;
    if ((*p)->running()) {
      (*p)->send_signal(SIGTERM);
      (*p)->wait_for_exit(grace);
    }
  }
  // Next to the config, for a post-mortem with VA_TEST_KEEP_TEMP=1. Best effort: stop() runs in the
  // destructor.
  try {
    if (server_) directory_.write_file("livekit-server.log", log());
    if (redis_) directory_.write_file("redis.log", redis_->stdout_text() + redis_->stderr_text());
  } catch (const std::exception&) {
  }
}

}  // namespace va::test
