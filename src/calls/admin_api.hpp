// The admin API over the call records (issue 12 item 5), on voice-agent's HTTP service. Every route but
// the OpenAPI document needs `Authorization: Bearer <http.admin_token>` (compared in constant time; 401
// otherwise); without a token configured the routes are not served at all.
//
//   GET /v1/calls?state=&direction=&source=&number=&instance=&from=&to=&limit=&cursor=
//   GET /v1/calls/counts        calls per state: stored (all instances) and live (this one)
//   GET /v1/calls/{id}          one call with transitions, transcript, turn metrics, DTMF, events
//   POST /v1/calls              place a call {"to", "flow", "trunk", "from"} → 202 {"id", "sip_call_id"}
//   POST /v1/calls/{id}/hangup  hang up a live call of this instance → 202
//   POST /v1/calls/{id}/transfer  blind transfer {"target"} → 202
//   GET /openapi.json           the OpenAPI 3 document of these routes
//
// Steering goes through a CallControl (call_control.hpp); without one (null) those routes answer 501.
#pragma once

#include <string>
#include <string_view>

#include "calls/call_control.hpp"
#include "calls/orchestrator.hpp"
#include "calls/store.hpp"
#include "http/router.hpp"

namespace va::calls {

void add_admin_routes(http::Router& router, Store& store, const Orchestrator& orchestrator, std::string token,
                      CallControl* control = nullptr);

// Whether an Authorization header carries `token` as a bearer token; constant time in the token's content.
bool bearer_token_matches(std::string_view authorization, std::string_view token);

// The OpenAPI 3.0 document (JSON).
const std::string& admin_openapi_document();

}  // namespace va::calls
