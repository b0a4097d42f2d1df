// `voice-agent check`: the LiveKit webhook checks. Both start the real receiver route on an in-process HTTP
// server on 127.0.0.1:0 (configuration as `serve` would use it: webhooks.*, livekit.api_key/api_secret,
// http.body_limit) and talk to it over real HTTP; nothing outside the process is touched.
#pragma once

#include "app/check_result.hpp"
#include "common/config.hpp"

namespace va::app {

// "webhook endpoint": a room_started event for the room "voice-agent-check", signed as LiveKit signs it
// with livekit.api_key/api_secret, must be answered 200 and reach the event sink parsed.
CheckResult check_webhook_endpoint(const config::Config& config);

// "webhook error handling": a forged signature, a tampered body and a missing Authorization header must
// each be answered 401 and reach nothing.
CheckResult check_webhook_error_handling(const config::Config& config);

}  // namespace va::app
