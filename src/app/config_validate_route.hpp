#pragma once

#include "http/router.hpp"

namespace va::app {
// POST /v1/config/validate: validates a livekit-sip.yaml sent as the body (Content-Type application/yaml,
// application/x-yaml or text/yaml) and answers {"valid":…, "errors":[…], "warnings":[…]} — for CI pipelines
// and admin tools that check a configuration before deploying it. The server's environment is never
// consulted: ${VAR} references resolve only through their ":-default", so the endpoint cannot reveal it.
void add_config_validate_route(http::Router& router);
}  // namespace va::app
