#include "support/agent_instance.hpp"

#include <csignal>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "support/http_client.hpp"

#if !defined(VA_BINARY) || !defined(VA_SOURCE_DIR)
#error "VA_BINARY and VA_SOURCE_DIR must name the voice-agent binary and the source tree"
#endif

namespace va::test {
namespace {

using namespace std::chrono_literals;

// LiveKit's variables must not leak from the developer's shell into tests.
const std::vector<std::string> kLiveKitEnvironment = {"LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"};

std::string sip_listen_override(const std::vector<std::string>& transports, std::uint16_t port) {
  std::string list;
  for (const auto& transport : transports) {
    if (!list.empty()) list += ", ";
    list += "\"" + transport + "://127.0.0.1:" + std::to_string(port) + "\"";
  }
  return "sip.listen=[" + list + "]";
}

}  // namespace

std::filesystem::path example_config_file() {
  return std::filesystem::path(VA_SOURCE_DIR) / "config/livekit-sip.example.yaml";
}

AgentInstance::AgentInstance(AgentInstanceOptions options)
    : options_(std::move(options)), directory_("voice-agent") {
  ProcessOptions process;
  process.argv = {VA_BINARY, "serve"};
  if (options_.config_yaml) {
    process.argv.insert(
        process.argv.end(),
        {"--config", directory_.write_file("voice-agent.yaml", *options_.config_yaml).string()});
  } else if (!options_.config_file.empty()) {
    process.argv.insert(process.argv.end(), {"--config", options_.config_file.string()});
  }
  process.argv.insert(process.argv.end(), {"--set", "http.listen=" + options_.http_listen});
  if (sip_wanted()) {
    sip_port_ = options_.sip_port;
    if (sip_port_ == 0) {
      sip_reservation_ = reserve_port(PortProtocol::udp_and_tcp);
      sip_port_ = sip_reservation_.port();
    }
    rtp_first_ = options_.rtp_first;
    rtp_last_ = options_.rtp_last;
    if (rtp_first_ == 0) {
      rtp_reservation_ = reserve_rtp_ports(8);
      rtp_first_ = rtp_reservation_.first();
      rtp_last_ = rtp_reservation_.last();
    }
    process.argv.insert(process.argv.end(),
                        {"--set", sip_listen_override(options_.sip_transports, sip_port_)});
  } else {
    process.argv.insert(process.argv.end(), {"--set", "sip.listen=[]"});
    rtp_first_ = options_.rtp_first;
    rtp_last_ = options_.rtp_last;
  }
  if (rtp_first_ != 0) {
    process.argv.insert(process.argv.end(), {"--set", "sip.rtp_ports.min=" + std::to_string(rtp_first_),
                                             "--set", "sip.rtp_ports.max=" + std::to_string(rtp_last_)});
  }
  if (!options_.flow.empty()) {
    process.argv.insert(process.argv.end(),
                        {"--set", "routing.inbound=[{match: \"*\", flow: " + options_.flow + "}]"});
  }
  // The call records go into the instance's own directory (never a file shared with other tests, or one
  // beside a configuration file in the source tree); a test's own storage.url in `sets` comes later and wins.
  process.argv.insert(process.argv.end(), {"--set", "storage.url=sqlite://" + records_file().string()});
  // Stopping an instance hangs up its calls at once, as the tests expect of the end of a test; the drain
  // tests (tests/integration/calls) set their own sip.drain_timeout.
  process.argv.insert(process.argv.end(), {"--set", "sip.drain_timeout=0s"});
  for (const auto& set : options_.sets) process.argv.insert(process.argv.end(), {"--set", set});
  process.env = options_.env;
  process.unset_env = kLiveKitEnvironment;
  process_ = std::make_unique<Process>(process);

  http_ = wait_for_listen_address(*process_, options_.http_timeout);
  if (!http_ || !sip_wanted()) return;
  // A SIP endpoint that cannot bind is not fatal to serve (it stays up, "degraded", for LiveKit mode): stop
  // waiting at its error, which the log then shows (on a shared machine: a port taken by another program).
  const bool sip_settled = process_->wait_for_output(
      [](const std::string&, const std::string& err) {
        return err.find("SIP listening") != std::string::npos ||
               err.find("cannot start the SIP endpoint") != std::string::npos;
      },
      options_.sip_timeout);
  sip_ready_ = sip_settled && process_->stderr_text().find("SIP listening") != std::string::npos;
}

AgentInstance::~AgentInstance() {
  if (process_ && process_->running()) {
    process_->send_signal(SIGTERM);
    process_->wait_for_exit(options_.stop_timeout);
  }
}

const std::string& AgentInstance::http_address() const {
  static const std::string none;
  return http_ ? *http_ : none;
}

std::string AgentInstance::sip_uri(const std::string& user) const {
  return "sip:" + (user.empty() ? std::string() : user + "@") + sip_address();
}

std::string AgentInstance::log() const {
  return process_->stderr_text();
}

std::string AgentInstance::describe() const {
  const std::string name = sip_wanted() ? sip_address() : http_address();
  return "--- voice-agent " + name + " ---\n" + tail(process_->stderr_text(), 6000) + "\n";
}

std::size_t AgentInstance::count_log_lines(const std::string& substring) const {
  std::istringstream in(process_->stderr_text());
  std::size_t count = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find(substring) != std::string::npos) ++count;
  }
  return count;
}

double AgentInstance::metric(const std::string& sample) const {
  if (!http_) return -1;
  HttpClient client;
  const auto response = client.get(url("/metrics"));
  const std::regex line("(^|\\n)" +
                        std::regex_replace(sample, std::regex(R"([{}\[\]()+.*?^$|\\])"), R"(\$&)") +
                        " ([0-9.eE+-]+)");
  std::smatch m;
  if (!std::regex_search(response.body, m, line)) return -1;
  return std::stod(m[2].str());
}

double AgentInstance::wait_for_metric(const std::string& sample, double expected,
                                      std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  double value = metric(sample);
  while (value != expected && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    value = metric(sample);
  }
  return value;
}

AgentInstance::Component AgentInstance::health_component(const std::string& name) const {
  Component component;
  if (!http_) return component;
  HttpClient client;
  const auto response = client.get(url("/readyz"));
  component.http_status = response.status;
  const auto json = nlohmann::json::parse(response.body, nullptr, false);
  if (!json.is_object()) return component;
  component.overall = json.value("status", "");
  const auto components = json.value("components", nlohmann::json::object());
  const auto it = components.find(name);
  if (it == components.end() || !it->is_object()) return component;
  component.state = it->value("state", "");
  component.detail = it->value("detail", "");
  return component;
}

ExitStatus AgentInstance::stop() {
  return stop(options_.stop_timeout);
}

ExitStatus AgentInstance::stop(std::chrono::milliseconds timeout) {
  process_->send_signal(SIGTERM);
  return process_->wait_for_exit(timeout);
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(100ms);
  }
  return true;
}

}  // namespace va::test
