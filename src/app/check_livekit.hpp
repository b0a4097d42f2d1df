// `voice-agent check`: the LiveKit server API checks.
#pragma once

#include "app/check_result.hpp"
#include "common/config.hpp"

namespace va::app {

// "LiveKit API connection and permissions": ListRooms (reachable, credentials, roomList), CreateRoom +
// DeleteRoom of a uniquely named throwaway room (roomCreate), ListSIPInboundTrunk (sip.admin, and whether the
// server has SIP at all: without Redis it answers "sip not connected (redis required)"). Each request is
// bounded by a 3 s connect and 5 s request timeout, without retries: the check reports what it sees.
CheckResult check_livekit_api(const config::Config& config);

// "health monitoring", LiveKit part: one round of the monitor serve runs (api_health_monitor.hpp), with
// the state /readyz would show. Empty `detail` in the result's reason when livekit.url is not set.
CheckResult check_livekit_monitor(const config::Config& config);

}  // namespace va::app
