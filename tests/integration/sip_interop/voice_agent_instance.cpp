#include "integration/sip_interop/voice_agent_instance.hpp"

#include <csignal>
#include <regex>
#include <sstream>

#include "integration/binary.hpp"
#include "support/http_client.hpp"
#include "support/temp_directory.hpp"

namespace va::test {

using namespace std::chrono_literals;

VoiceAgentInstance::VoiceAgentInstance(VoiceAgentOptions options) : options_(std::move(options)) {
  ProcessOptions process;
  process.argv = {binary(),   "serve",
                  "--config", example_config(),
                  "--set",    "http.listen=127.0.0.1:0",
                  "--set",    "sip.listen=[\"" + options_.transport + "://" + address() + "\"]",
                  "--set",    "sip.trunks=[]",
                  "--set",    "routing.outbound.trunk=",
                  "--set",    "sip.rtp_ports.min=" + std::to_string(options_.rtp_first),
                  "--set",    "sip.rtp_ports.max=" + std::to_string(options_.rtp_last),
                  "--set",    "routing.inbound=[{match: \"*\", flow: " + options_.flow + "}]",
                  "--set",    "http.shutdown_timeout=5s"};
  for (const auto& set : options_.extra_sets) process.argv.insert(process.argv.end(), {"--set", set});
  process.unset_env = clean_env();
  process_ = std::make_unique<Process>(process);
  // Generous: an ASan build on a loaded 2-core machine starts slowly.
  http_ = wait_for_listen_address(*process_, 30s);
  // A SIP endpoint that cannot bind is not fatal to serve (it stays up, "degraded", for LiveKit mode): stop
  // waiting at its error, which the log then shows (on a shared machine: a port taken by another program).
  const bool sip_settled =
      http_.has_value() && process_->wait_for_output(
                               [](const std::string&, const std::string& err) {
                                 return err.find("SIP listening") != std::string::npos ||
                                        err.find("cannot start the SIP endpoint") != std::string::npos;
                               },
                               20s);
  sip_ready_ = sip_settled && process_->stderr_text().find("SIP listening") != std::string::npos;
}

VoiceAgentInstance::~VoiceAgentInstance() {
  if (process_ && process_->running()) {
    process_->send_signal(SIGTERM);
    process_->wait_for_exit(10s);
  }
}

std::string VoiceAgentInstance::address() const {
  return "127.0.0.1:" + std::to_string(options_.sip_port);
}

std::string VoiceAgentInstance::uri(const std::string& user) const {
  return "sip:" + (user.empty() ? std::string() : user + "@") + address();
}

std::string VoiceAgentInstance::log() const {
  return "--- voice-agent " + address() + " ---\n" + tail(process_->stderr_text(), 6000) + "\n";
}

double VoiceAgentInstance::metric(const std::string& sample) const {
  if (!http_) return -1;
  HttpClient client;
  const auto response = client.get("http://" + *http_ + "/metrics");
  const std::regex line("(^|\\n)" +
                        std::regex_replace(sample, std::regex(R"([{}\[\]()+.*?^$|\\])"), R"(\$&)") +
                        " ([0-9.eE+-]+)");
  std::smatch m;
  if (!std::regex_search(response.body, m, line)) return -1;
  return std::stod(m[2].str());
}

std::size_t VoiceAgentInstance::count_log_lines(const std::string& substring) const {
  std::istringstream in(process_->stderr_text());
  std::size_t count = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find(substring) != std::string::npos) ++count;
  }
  return count;
}

ExitStatus VoiceAgentInstance::stop(std::chrono::milliseconds timeout) {
  process_->send_signal(SIGTERM);
  return process_->wait_for_exit(timeout);
}

}  // namespace va::test
