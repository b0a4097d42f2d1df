#include "sip/ua/inbound_route.hpp"

#include <regex>
#include <string>

namespace va::sip {

bool route_matches(std::string_view match, std::string_view dialed) {
  if (match.empty()) return false;
  if (match.front() == '~') {
    try {
      return std::regex_match(std::string(dialed), std::regex(std::string(match.substr(1))));
    } catch (const std::regex_error&) {
      return false;
    }
  }
  // Numbers compare without a leading '+': MTS Exolve sends 7XXXXXXXXXX in the Request-URI while operators
  // write E.164 (+7XXXXXXXXXX) in the configuration; both name the same number.
  auto digits = [](std::string_view s) { return !s.empty() && s.front() == '+' ? s.substr(1) : s; };
  match = digits(match);
  dialed = digits(dialed);
  if (match.empty()) return dialed.empty();
  if (match.back() == '*') return dialed.starts_with(match.substr(0, match.size() - 1));
  return match == dialed;
}

const config::InboundRoute* find_inbound_route(const config::Routing& routing, std::string_view dialed) {
  for (const auto& route : routing.inbound) {
    if (route_matches(route.match, dialed)) return &route;
  }
  return nullptr;
}

const config::InboundRoute* find_bridge_route(const config::Routing& routing, std::string_view user) {
  if (user.empty()) return nullptr;
  for (const auto& route : routing.inbound) {
    // A bridge user is a number or a name without '*' or '~': route_matches compares it exactly (a leading
    // '+' aside).
    if (route.livekit == config::RouteLiveKitMode::bridge && route_matches(route.bridge_user, user))
      return &route;
  }
  return nullptr;
}

InboundRouteChoice choose_inbound_route(const config::Routing& routing, std::string_view request_uri_user,
                                        std::string_view to_user) {
  // LiveKit SIP dialling us into a room (bridge mode) names the route by its bridge user. That comes before
  // the number rules: an earlier pattern route may cover the same number and would take the call elsewhere.
  if (const auto* bridge = find_bridge_route(routing, request_uri_user)) return {bridge, request_uri_user};
  if (const auto* bridge = find_bridge_route(routing, to_user)) return {bridge, to_user};
  const auto* route = find_inbound_route(routing, request_uri_user);
  bool catch_all = route && route->match == "*";
  if ((!route || catch_all) && !to_user.empty() && to_user != request_uri_user) {
    const auto* by_to = find_inbound_route(routing, to_user);
    if (by_to && by_to->match != "*") return {by_to, to_user};
  }
  return {route, request_uri_user};
}

media::RecordingMode recording_mode(config::RecordMode mode) {
  switch (mode) {
    case config::RecordMode::off:
      return media::RecordingMode::off;
    case config::RecordMode::stereo:
      return media::RecordingMode::stereo;
    case config::RecordMode::split:
      return media::RecordingMode::split;
  }
  return media::RecordingMode::off;
}

}  // namespace va::sip
