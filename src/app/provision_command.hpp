// `voice-agent provision [--dry-run] [--prune] [--json]`: makes the LiveKit server's SIP trunks and dispatch
// rules match livekit-sip.yaml (src/livekit/provision_*.hpp), printing the plan before applying it.
#pragma once

#include "app/config_loading.hpp"

namespace va::app {

struct ProvisionOptions {
  bool dry_run = false;
  bool prune = false;
  bool json = false;
};

int provision(const ConfigSource& source, const ProvisionOptions& options);

}  // namespace va::app
