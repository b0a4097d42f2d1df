// The real `voice-agent serve` for interop tests: a config written for the run into a temporary directory
// (loopback SIP port, the RTP port range, the codecs, one flow for every call, HTTP on a free port; no
// trunks, so nothing registers or probes beyond loopback), plus --set overrides a test may add.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/temp_directory.hpp"

namespace va::test {

struct VoiceAgentOptions {
  std::uint16_t sip_port = 0;
  std::uint16_t rtp_first = 0;
  std::uint16_t rtp_last = 0;
  std::string flow = "echo";
  std::string transport = "udp";
  std::vector<std::string> extra_sets{};  // "key=value" for --set, applied over the generated config
};

class VoiceAgentInstance {
 public:
  // Starts the binary and waits (generously) for its HTTP and SIP listeners.
  explicit VoiceAgentInstance(VoiceAgentOptions options);
  ~VoiceAgentInstance();  // a process still running is killed by Process
  VoiceAgentInstance(const VoiceAgentInstance&) = delete;
  VoiceAgentInstance& operator=(const VoiceAgentInstance&) = delete;

  bool ready() const { return http_.has_value() && sip_ready_; }
  Process& process() { return *process_; }
  std::string uri(const std::string& user = {}) const;  // sip:user@127.0.0.1:port
  std::string address() const;                          // 127.0.0.1:port
  std::string log() const;                              // stderr (JSON log lines), tail

  // One sample of /metrics, e.g. `sip_calls_total{result="answered"}`; -1 when absent or unreachable.
  double metric(const std::string& sample) const;
  // Polls metric() until it equals `expected` or `timeout` passes; returns the last value. For state that
  // settles after the peer saw the call end (our side handles the BYE or its 200 a moment later).
  double wait_for_metric(const std::string& sample, double expected,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // Lines of the log containing `substring`.
  std::size_t count_log_lines(const std::string& substring) const;

  // SIGTERM: calls are hung up with BYE, the process drains and exits (0 expected).
  ExitStatus stop(std::chrono::milliseconds timeout = std::chrono::seconds(20));

 private:
  VoiceAgentOptions options_;
  TempDirectory directory_;
  std::unique_ptr<Process> process_;
  std::optional<std::string> http_;
  bool sip_ready_ = false;
};

}  // namespace va::test
