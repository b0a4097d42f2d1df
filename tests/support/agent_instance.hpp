// The real `voice-agent serve` for integration tests: one launcher for every test that runs the binary.
//
// The configuration is the example one (config/livekit-sip.example.yaml), a YAML text written for the test
// into a temporary directory, or another file; the launcher then adds --set overrides for what a test must
// never share with a test running beside it: HTTP on an ephemeral loopback port, and SIP either off
// (sip.listen=[], the default, so no two tests race for the example's port 5060) or on 127.0.0.1 at a free
// port with a free RTP range. It waits (generously: an ASan build on a loaded 2-core machine starts slowly)
// for the HTTP listener and, with SIP, for the SIP endpoint; reads /metrics and /readyz; and stops the
// process with SIGTERM, returning its exit status.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/free_port.hpp"
#include "support/process.hpp"
#include "support/temp_directory.hpp"

namespace va::test {

// The example configuration shipped in config/.
std::filesystem::path example_config_file();

struct AgentInstanceOptions {
  // The configuration: `config_yaml` written to the instance's directory when set, otherwise `config_file`;
  // an empty `config_file` passes no --config (serve's embedded example configuration).
  std::optional<std::string> config_yaml{};
  std::filesystem::path config_file = example_config_file();

  // SIP transports ("udp", "tcp") to listen on at 127.0.0.1:sip_port. Empty: no SIP endpoint at all.
  std::vector<std::string> sip_transports{};
  std::uint16_t sip_port = 0;  // 0: a free port is reserved (for UDP and TCP)
  // The RTP range (sip.rtp_ports); 0: with SIP, a block of 8 free ports is reserved, without SIP the
  // configuration's range stays.
  std::uint16_t rtp_first = 0;
  std::uint16_t rtp_last = 0;
  std::string flow{};  // every inbound call goes to this flow; empty: the configuration's routing

  std::string http_listen = "127.0.0.1:0";
  std::vector<std::string> sets{};  // more --set key=value, applied after the launcher's own
  std::vector<std::pair<std::string, std::string>> env{};

  std::chrono::milliseconds http_timeout{30'000};  // waiting for the HTTP listener
  std::chrono::milliseconds sip_timeout{20'000};   // then for the SIP endpoint
  std::chrono::milliseconds stop_timeout{20'000};  // SIGTERM to exit, in stop() and the destructor
};

class AgentInstance {
 public:
  // Starts the binary and waits for its listeners (or for it to exit). Never throws for a process that
  // does not come up: ready()/listening() say so and log() shows why.
  explicit AgentInstance(AgentInstanceOptions options = {});
  ~AgentInstance();  // SIGTERM and a bounded wait; a process still running then is killed by Process
  AgentInstance(const AgentInstance&) = delete;
  AgentInstance& operator=(const AgentInstance&) = delete;

  // HTTP is listening and, when SIP was asked for, the SIP endpoint too.
  bool ready() const { return listening() && (!sip_wanted() || sip_ready_); }
  bool listening() const { return http_.has_value(); }
  Process& process() { return *process_; }

  // The SQLite file of the instance's call records (storage.url unless the test set its own).
  std::filesystem::path records_file() const { return directory_.path() / "calls.db"; }

  const std::string& http_address() const;  // "127.0.0.1:41234"; empty when not listening
  std::string url(const std::string& path) const { return "http://" + http_address() + path; }

  std::uint16_t sip_port() const { return sip_port_; }
  std::string sip_address() const { return "127.0.0.1:" + std::to_string(sip_port_); }
  std::string sip_uri(const std::string& user = {}) const;  // sip:user@127.0.0.1:port
  std::uint16_t rtp_first() const { return rtp_first_; }
  std::uint16_t rtp_last() const { return rtp_last_; }

  std::string log() const;  // everything on stderr (JSON log lines) so far
  // A failure message: which instance, and the tail of its log.
  std::string describe() const;
  std::size_t count_log_lines(const std::string& substring) const;

  // One sample of /metrics, e.g. `sip_calls_total{result="answered"}`; -1 when absent or unreachable.
  double metric(const std::string& sample) const;
  // Polls metric() until it equals `expected` or `timeout` passes; returns the last value. For state that
  // settles after the peer saw the call end (our side handles the BYE or its 200 a moment later).
  double wait_for_metric(const std::string& sample, double expected,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

  // One component of /readyz, e.g. "trunk:lab" or "livekit"; empty state when absent.
  struct Component {
    std::string state;
    std::string detail;
    std::string overall;  // the document's "status"
    long http_status = 0;
  };
  Component health_component(const std::string& name) const;

  // SIGTERM: calls are hung up with BYE, the process drains and exits (0 expected).
  ExitStatus stop();
  ExitStatus stop(std::chrono::milliseconds timeout);

 private:
  bool sip_wanted() const { return !options_.sip_transports.empty(); }

  AgentInstanceOptions options_;
  TempDirectory directory_;
  PortReservation sip_reservation_;
  PortReservation rtp_reservation_;
  std::uint16_t sip_port_ = 0;
  std::uint16_t rtp_first_ = 0;
  std::uint16_t rtp_last_ = 0;
  std::unique_ptr<Process> process_;
  std::optional<std::string> http_;
  bool sip_ready_ = false;
};

// Polls `condition` every 100 ms until it holds or `timeout` passes (an upper bound for an event that must
// happen, not a measurement); returns its last value.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

}  // namespace va::test
