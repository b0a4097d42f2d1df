// Session timers (RFC 4028): the Session-Expires / Min-SE negotiation as pure functions, so the calls only
// schedule what these decide.
//
//   INVITE/UPDATE we receive:  Session-Expires below our Min-SE → 422 with our Min-SE (§8.1); otherwise our
//   2xx
//                              carries Session-Expires with the refresher (the request's, else uac when the
//                              peer supports "timer", else uas — §9), and Require: timer when the peer
//                              supports it.
//   INVITE we send:            Supported: timer, Session-Expires: <ours>, Min-SE: <ours>; a 422 raises our
//                              value to its Min-SE for one retry (§7.4); the 2xx says the interval and who
//                              refreshes (no Session-Expires: no session timer, §7.2).
//   The refresher re-INVITEs at half the interval; the other side BYEs when no refresh came by
//   interval - min(32 s, interval / 3) (§10).
//
// "refresher=uac/uas" is relative to the transaction that carries it: in a refresh we send we are the UAC.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "sip/message.hpp"

namespace va::sip {

// RFC 4028 §4: Min-SE may not be configured below 90 s. UserAgentOptions::session_timer lets tests go lower
// (tests only: real peers would answer such a value with 422).
struct SessionTimerSettings {
  std::chrono::seconds expires{1800};  // what we ask for in our INVITEs
  std::chrono::seconds min_se{90};     // the shortest interval we accept
  bool enabled = true;
};

enum class Refresher : std::uint8_t { uac, uas };

struct SessionExpires {
  std::uint32_t seconds = 0;
  std::optional<Refresher> refresher;
  std::string to_string() const;  // "1800;refresher=uac"
};

// The Session-Expires (or compact "x") header; nullopt when absent or malformed.
std::optional<SessionExpires> session_expires_of(const Message& message);
// The Min-SE header (delta-seconds); nullopt when absent or malformed.
std::optional<std::uint32_t> min_se_of(const Message& message);

// The session timer a dialog runs: the interval and whether we refresh.
struct SessionTimer {
  std::chrono::seconds interval{0};
  bool we_refresh = false;

  // When the refresher sends its refresh (half the interval), or when the other side gives up.
  std::chrono::milliseconds refresh_after() const;
  std::chrono::milliseconds expire_after() const;
};

// What we do with a session-timer-bearing INVITE or UPDATE we received.
struct SessionTimerAnswer {
  bool too_small = false;              // answer 422 with Min-SE: `min_se`
  std::uint32_t min_se = 0;            // for the 422
  std::optional<SessionExpires> echo;  // Session-Expires for our 2xx (nullopt: no timer)
  bool require_timer = false;          // Require: timer in our 2xx
  std::optional<SessionTimer> timer;   // what to run once the 2xx is sent
};
SessionTimerAnswer answer_session_timer(const Message& request, const SessionTimerSettings& settings);

// Our INVITE's session-timer headers (Supported: timer is in every request we send).
void add_session_timer_request_headers(Message& request, std::uint32_t expires,
                                       const SessionTimerSettings& settings,
                                       std::optional<Refresher> refresher = std::nullopt);
// What the 2xx to our INVITE (or refresh) says; nullopt: no session timer.
std::optional<SessionTimer> session_timer_from_2xx(const Message& response);

}  // namespace va::sip
