#include "app/token_command.hpp"

#include <chrono>
#include <iostream>

#include "app/exit_codes.hpp"
#include "common/duration.hpp"
#include "common/log.hpp"
#include "livekit/access_token.hpp"

namespace va::app {
namespace {

// Applies one --grant name; false if the name is unknown.
bool apply_grant(const std::string& grant, livekit::AccessTokenClaims& claims) {
  auto& video = claims.video;
  auto v = [&]() -> livekit::VideoGrant& {
    if (!video) video.emplace();
    return *video;
  };
  auto s = [&]() -> livekit::SipGrant& {
    if (!claims.sip) claims.sip.emplace();
    return *claims.sip;
  };
  if (grant == "join")
    v().room_join = true;
  else if (grant == "create")
    v().room_create = true;
  else if (grant == "admin")
    v().room_admin = true;
  else if (grant == "list")
    v().room_list = true;
  else if (grant == "publish")
    v().can_publish = true;
  else if (grant == "subscribe")
    v().can_subscribe = true;
  else if (grant == "publish-data")
    v().can_publish_data = true;
  else if (grant == "hidden")
    v().hidden = true;
  else if (grant == "agent")
    v().agent = true;
  else if (grant == "sip-admin")
    s().admin = true;
  else if (grant == "sip-call")
    s().call = true;
  else
    return false;
  return true;
}

int usage_error(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  return kExitUsageOrConfig;
}

}  // namespace

int token_create(const ConfigSource& source, const TokenCreateOptions& options) {
  auto loaded = load_config(source);
  for (const auto& s : loaded.secrets) log::add_secret(s);
  print_diagnostics(loaded, source);
  if (!loaded.ok()) return kExitUsageOrConfig;
  const auto& lk = loaded.config.livekit;
  if (!lk.configured())
    return usage_error(
        "token create signs with the LiveKit API secret: livekit.url, livekit.api_key and livekit.api_secret "
        "are not set (set them in the livekit section or export LIVEKIT_URL, LIVEKIT_API_KEY and "
        "LIVEKIT_API_SECRET)");
  if (options.identity.empty()) return usage_error("--identity must not be empty");

  const auto ttl = parse_duration(options.ttl);
  if (!ttl || ttl->count() <= 0)
    return usage_error("--ttl \"" + options.ttl + "\" is not a positive duration (e.g. 1h, 30m)");
  if (!options.kind.empty() && !livekit::is_valid_kind(options.kind))
    return usage_error("--kind must be one of standard, agent, sip, ingress, egress");

  livekit::AccessTokenClaims claims;
  claims.api_key = lk.api_key;
  claims.identity = options.identity;
  claims.name = options.name;
  claims.metadata = options.metadata;
  claims.kind = options.kind;
  for (const auto& a : options.attributes) {
    const auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) return usage_error("--attribute \"" + a + "\" is not KEY=VALUE");
    claims.attributes[a.substr(0, eq)] = a.substr(eq + 1);
  }
  for (const auto& g : options.grants) {
    if (!apply_grant(g, claims)) return usage_error("unknown --grant \"" + g + "\"");
  }
  if (!options.room.empty()) {
    // Like LiveKit's CLI: a room with no explicit grants means "join it and talk".
    if (options.grants.empty()) {
      for (const char* g : {"join", "publish", "subscribe"}) apply_grant(g, claims);
    }
    if (!claims.video) claims.video.emplace();
    claims.video->room = options.room;
  }
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  claims.not_before = now;
  claims.expires_at = now + std::chrono::duration_cast<std::chrono::seconds>(*ttl).count();
  std::cout << livekit::mint_access_token(claims, lk.api_secret) << "\n";
  return kExitOk;
}

}  // namespace va::app
