// The real `voice-agent serve` as the trunk tests run it (support/agent_instance.hpp launches it): the
// trunks under test and nothing else of the example configuration, SIP on 127.0.0.1 (UDP and TCP on one
// free port), every call routed to the echo flow, short monitoring intervals, debug JSON logs on stderr.
#pragma once

#include <string>

#include "support/agent_instance.hpp"

namespace va::test {

struct TrunkAgentConfig {
  std::string trunks_yaml;  // the items of sip.trunks, each starting with "    - name: ..."
  std::string monitoring_yaml =
      "  trunk_check_interval: 2s\n  reconnect_attempts: 3\n  backoff_initial: 200ms\n  backoff_max: 1s\n";
};

inline AgentInstanceOptions trunk_agent(const TrunkAgentConfig& config) {
  return {.config_yaml =
              "livekit: {url: \"ws://127.0.0.1:7880\", api_key: devkey, api_secret: secret, dev: true}\n"
              "sip:\n"
              "  trunks:\n" +
              config.trunks_yaml + "monitoring:\n" + config.monitoring_yaml +
              "http: {shutdown_timeout: 8s}\n"
              "logging: {level: debug, format: json}\n",
          .sip_transports = {"udp", "tcp"},
          .flow = "echo"};
}

}  // namespace va::test
