// routing.inbound: which route (and so which flow) an inbound call takes, by the dialled number (the
// Request-URI's user part). Match syntax as validated by the config schema: an exact number ("+79991234567"),
// a prefix with a trailing '*' ("+7999*"), '*' for anything, or "~regex" (the whole number must match).
// The first matching route wins.
#pragma once

#include <string_view>

#include "common/config.hpp"

namespace va::sip {

bool route_matches(std::string_view match, std::string_view dialed);
const config::InboundRoute* find_inbound_route(const config::Routing& routing, std::string_view dialed);

}  // namespace va::sip
