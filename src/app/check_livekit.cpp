#include "app/check_livekit.hpp"

#include <chrono>
#include <random>

#include "livekit/api_health_monitor.hpp"
#include "livekit/room_service.hpp"
#include "livekit/sip_service.hpp"
#include "livekit/twirp_client.hpp"

namespace va::app {
namespace {

using namespace std::chrono_literals;

livekit::TwirpClientOptions check_client_options() {
  livekit::TwirpClientOptions o;
  o.connect_timeout = 3s;
  o.request_timeout = 5s;
  o.read_retries = 0;
  return o;
}

livekit::ServerEndpoint endpoint_of(const config::Config& config) {
  return {config.livekit.url, config.livekit.api_key, config.livekit.api_secret};
}

std::string throwaway_room_name() {
  std::random_device random;
  std::uniform_int_distribution<std::uint32_t> digits(0, 0xffffff);
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%06x", digits(random));
  return "voice-agent-check-" +
         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count()) +
         "-" + suffix;
}

CheckResult failed(CheckResult r, const std::string& step, const livekit::ApiError& error) {
  r.outcome = CheckOutcome::fail;
  r.reason = step + " failed: " + std::string(livekit::to_string(error.code)) +
             (error.message.empty() ? "" : ": " + error.message);
  r.hint = error.hint.empty() ? "see the LiveKit server's log for " + error.method : error.hint;
  return r;
}

std::string milliseconds_since(std::chrono::steady_clock::time_point begin) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - begin);
  return std::to_string(ms.count()) + " ms";
}

}  // namespace

CheckResult check_livekit_api(const config::Config& config) {
  CheckResult r{"LiveKit API connection and permissions", CheckOutcome::pass, "", ""};
  if (!config.livekit.configured()) {
    r.outcome = CheckOutcome::skip;
    r.reason = "LiveKit is not configured";
    r.hint =
        "set livekit.url, api_key and api_secret (LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET) to use "
        "LiveKit mode";
    return r;
  }
  auto begin = std::chrono::steady_clock::now();
  livekit::TwirpClient client(endpoint_of(config), check_client_options());

  livekit::RoomService rooms(client);
  auto listed = rooms.list_rooms();
  if (!listed) return failed(std::move(r), "ListRooms", listed.error());
  std::size_t room_count = listed->size();

  // roomCreate: a room nobody joins, deleted at once; empty_timeout bounds its life if the delete is lost.
  auto room = throwaway_room_name();
  auto created = rooms.create_room({.name = room, .empty_timeout = 10});
  if (!created) return failed(std::move(r), "CreateRoom", created.error());
  auto deleted = rooms.delete_room(room);
  if (!deleted) return failed(std::move(r), "DeleteRoom of " + room, deleted.error());

  auto trunks = livekit::SipService(client).list_inbound_trunks();
  if (!trunks) {
    r = failed(std::move(r), "ListSIPInboundTrunk", trunks.error());
    if (livekit::is_sip_unavailable(trunks.error())) {
      r.reason = "rooms work, but SIP is not available on the server: " + trunks.error().message;
    }
    return r;
  }
  std::size_t trunk_count = trunks->size();
  r.reason = config.livekit.url + ": ListRooms (" + std::to_string(room_count) +
             (room_count == 1 ? " room" : " rooms") + "), CreateRoom + DeleteRoom, ListSIPInboundTrunk (" +
             std::to_string(trunk_count) + " inbound trunk" + (trunk_count == 1 ? "" : "s") + ") in " +
             milliseconds_since(begin);
  return r;
}

CheckResult check_livekit_monitor(const config::Config& config) {
  CheckResult r{"health monitoring", CheckOutcome::pass, "", ""};
  if (!config.livekit.configured()) {
    r.outcome = CheckOutcome::skip;
    r.reason =
        "LiveKit is not configured: no LiveKit API monitor, /readyz component \"livekit\" ready "
        "(not configured)";
    return r;
  }
  HealthRegistry health;
  metrics::Registry metrics;
  livekit::ApiHealthMonitorOptions options;
  options.interval = config.monitoring.trunk_check_interval;
  livekit::ApiHealthMonitor monitor(endpoint_of(config), check_client_options(), options, health, metrics);
  auto status = monitor.run_round();
  std::string readyz;
  for (const auto& c : health.components())
    if (c.name == "livekit") readyz = std::string(to_string(c.state));
  r.reason = "livekit: " + std::string(livekit::to_string(status.state)) + " (" + status.detail +
             "), /readyz component \"livekit\" " + readyz;
  if (status.state != livekit::ApiHealth::ready) {
    r.outcome = CheckOutcome::fail;
    r.hint = "serve would report LiveKit as " + readyz + " and retry every " +
             std::to_string(status.next_in.count()) + " ms; see the LiveKit API check above for the cause";
  }
  return r;
}

}  // namespace va::app
