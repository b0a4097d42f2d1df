// routing.inbound: which route (and so which flow) an inbound call takes, by the dialled number (the
// Request-URI's user part). Match syntax as validated by the config schema: an exact number ("+79991234567"),
// a prefix with a trailing '*' ("+7999*"), '*' for anything, or "~regex" (the whole number must match).
// The first matching route wins.
#pragma once

#include <string_view>

#include "common/config.hpp"
#include "media/recording_mode.hpp"

namespace va::sip {

bool route_matches(std::string_view match, std::string_view dialed);
const config::InboundRoute* find_inbound_route(const config::Routing& routing, std::string_view dialed);

// The bridge-mode route (routing.inbound[].livekit: bridge) whose bridge_user is `user`, if any.
const config::InboundRoute* find_bridge_route(const config::Routing& routing, std::string_view user);

struct InboundRouteChoice {
  const config::InboundRoute* route = nullptr;  // null: no route
  std::string_view dialed;                      // the number the route matched
};

// The route of an INVITE. The Request-URI user comes first. A call delivered on a registration, though, is
// retargeted by the registrar to our Contact (sip:<account>@our-address), and only the To header still
// names the number the caller dialled; so when the Request-URI user matches no route, or only a catch-all
// "*", and the To user matches a more specific route, the To user is the dialled number. Before all that, a
// bridge route's bridge_user (Request-URI, then To) picks that route: it is how LiveKit SIP, dialled into a
// room in bridge mode, reaches the route the room belongs to.
InboundRouteChoice choose_inbound_route(const config::Routing& routing, std::string_view request_uri_user,
                                        std::string_view to_user);

// A route's `record` as the call handlers see it (media::CallInfo::record).
media::RecordingMode recording_mode(config::RecordMode mode);

}  // namespace va::sip
