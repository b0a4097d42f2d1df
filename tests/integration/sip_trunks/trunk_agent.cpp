#include "integration/sip_trunks/trunk_agent.hpp"

#include <csignal>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "support/http_client.hpp"

namespace va::test {

using namespace std::chrono_literals;

TrunkAgent::TrunkAgent(const AgentOptions& options)
    : sip_(reserve_port(PortProtocol::udp_and_tcp)), media_(reserve_rtp_ports(8)) {
  const auto port = std::to_string(sip_.port());
  std::string yaml =
      "livekit: {url: \"ws://127.0.0.1:7880\", api_key: devkey, api_secret: secret, dev: true}\n"
      "sip:\n"
      "  listen: [\"udp://127.0.0.1:" +
      port + "\", \"tcp://127.0.0.1:" + port +
      "\"]\n"
      "  rtp_ports: {min: " +
      std::to_string(media_.first()) + ", max: " + std::to_string(media_.last()) +
      "}\n"
      "  trunks:\n" +
      options.trunks_yaml +
      "routing:\n  inbound: [{match: \"*\", flow: echo}]\n"
      "monitoring:\n" +
      options.monitoring_yaml +
      "http: {listen: \"127.0.0.1:0\", shutdown_timeout: 8s}\n"
      "logging: {level: debug, format: json}\n";
  const auto config = directory_.write("voice-agent.yaml", yaml);
  ProcessOptions process;
  process.argv = {binary(), "serve", "--config", config};
  process.unset_env = clean_env();
  process_ = std::make_unique<Process>(process);
  http_ = wait_for_listen_address(*process_, 20s);
  sip_ready_ = process_->wait_for_output("SIP listening", Stream::err, 20s);
}

std::optional<double> TrunkAgent::metric(const std::string& sample) const {
  HttpClient client;
  auto response = client.get("http://" + http_.value_or("") + "/metrics");
  std::regex line("(^|\\n)" + std::regex_replace(sample, std::regex(R"([{}\[\]()+.*?^$|\\])"), R"(\$&)") +
                  " ([0-9.eE+-]+)");
  std::smatch m;
  if (!std::regex_search(response.body, m, line)) return std::nullopt;
  return std::stod(m[2].str());
}

TrunkAgent::Component TrunkAgent::trunk_health(const std::string& trunk) const {
  HttpClient client;
  auto response = client.get("http://" + http_.value_or("") + "/readyz");
  Component c;
  c.http_status = response.status;
  auto json = nlohmann::json::parse(response.body, nullptr, false);
  if (json.is_discarded()) return c;
  c.overall = json.value("status", "");
  auto components = json.value("components", nlohmann::json::object());
  auto it = components.find("trunk:" + trunk);
  if (it == components.end()) return c;
  c.state = it->value("state", "");
  c.detail = it->value("detail", "");
  return c;
}

bool TrunkAgent::eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(100ms);
  }
  return true;
}

ExitStatus TrunkAgent::stop() {
  process_->send_signal(SIGTERM);
  return process_->wait_for_exit(20s);
}

}  // namespace va::test
