// The real `voice-agent serve` with a configuration written for one trunk test: SIP on 127.0.0.1 (UDP and
// TCP on one port), every call routed to the echo flow, short monitoring intervals, JSON logs on stderr.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "integration/binary.hpp"
#include "support/free_port.hpp"
#include "support/process.hpp"

namespace va::test {

struct AgentOptions {
  std::string trunks_yaml;  // the items of sip.trunks, each starting with "    - name: ..."
  std::string monitoring_yaml =
      "  trunk_check_interval: 2s\n  reconnect_attempts: 3\n  backoff_initial: 200ms\n  backoff_max: 1s\n";
};

class TrunkAgent {
 public:
  explicit TrunkAgent(const AgentOptions& options);

  bool ready() const { return http_.has_value() && sip_ready_; }
  Process& process() { return *process_; }
  std::uint16_t sip_port() const { return sip_.port(); }
  std::string sip_address() const { return "127.0.0.1:" + std::to_string(sip_.port()); }
  std::string log() const { return process_->stderr_text(); }

  // One sample of /metrics, e.g. `sip_trunk_registered{trunk="lab"}`; nullopt when absent.
  std::optional<double> metric(const std::string& sample) const;
  // The /readyz component "trunk:<name>": state and detail; empty state when absent.
  struct Component {
    std::string state;
    std::string detail;
    std::string overall;  // the document's "status"
    long http_status = 0;
  };
  Component trunk_health(const std::string& trunk) const;

  // Polls `condition` every 100 ms until it holds or `timeout` passes (an upper bound for an event that
  // must happen, not a measurement); returns its last value.
  static bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

  ExitStatus stop();  // SIGTERM, wait for exit

 private:
  TempDir directory_;
  PortReservation sip_;
  PortReservation media_;
  std::unique_ptr<Process> process_;
  std::optional<std::string> http_;
  bool sip_ready_ = false;
};

}  // namespace va::test
