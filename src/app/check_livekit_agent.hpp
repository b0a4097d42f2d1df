// `voice-agent check`: the LiveKit media path — what a LiveKit call needs beyond the server API: the room
// leg's library (liblivekit_ffi) and the agent worker's registration. Both SKIP unless LiveKit is configured
// and the agent worker is enabled (LiveKit::agent_worker_enabled).
#pragma once

#include <chrono>

#include "app/check_result.hpp"
#include "common/config.hpp"

namespace va::app {

// "LiveKit media library": livekit.agent.library (empty: where scripts/setup installs it) loaded as serve
// loads it — dlopen, the four C functions, initialisation and the protocol probe (room/ffi_library.hpp) —
// then disposed again. FAIL names the file and why (missing, not liblivekit_ffi, another protocol version).
CheckResult check_livekit_media_library(const config::Config& config);

// "LiveKit agent worker": an agent worker as serve runs it (agent_worker_options) registers with
// livekit.url under livekit.agent.name within `timeout`, then stops. It drains from the start, so the server
// never offers it a job: check cannot take a real call. FAIL with the worker's error (unreachable server,
// the server's 401 for wrong credentials).
CheckResult check_livekit_agent_worker(const config::Config& config,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace va::app
