#include "sip/ua/session_timer.hpp"

#include <algorithm>
#include <charconv>

#include "common/ascii.hpp"
#include "sip/params.hpp"

namespace va::sip {
namespace {

std::optional<std::uint32_t> delta_seconds(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  std::uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

using ascii::iequals;

}  // namespace

std::string SessionExpires::to_string() const {
  auto out = std::to_string(seconds);
  if (refresher) out += *refresher == Refresher::uac ? ";refresher=uac" : ";refresher=uas";
  return out;
}

std::optional<SessionExpires> session_expires_of(const Message& message) {
  auto value = message.header(HeaderId::session_expires);
  if (!value) return std::nullopt;
  auto semicolon = value->find(';');
  auto seconds = delta_seconds(value->substr(0, semicolon));
  if (!seconds || *seconds == 0) return std::nullopt;
  SessionExpires out{*seconds, std::nullopt};
  if (semicolon != std::string_view::npos) {
    auto params = parse_params(value->substr(semicolon), ParamSyntax::header);
    if (!params) return std::nullopt;
    if (auto r = params->get("refresher")) {
      if (iequals(*r, "uac")) out.refresher = Refresher::uac;
      if (iequals(*r, "uas")) out.refresher = Refresher::uas;
    }
  }
  return out;
}

std::optional<std::uint32_t> min_se_of(const Message& message) {
  auto value = message.header(HeaderId::min_se);
  if (!value) return std::nullopt;
  return delta_seconds(value->substr(0, value->find(';')));
}

std::chrono::milliseconds SessionTimer::refresh_after() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(interval) / 2;
}

std::chrono::milliseconds SessionTimer::expire_after() const {
  auto total = std::chrono::duration_cast<std::chrono::milliseconds>(interval);
  return total - std::min<std::chrono::milliseconds>(std::chrono::seconds(32), total / 3);
}

SessionTimerAnswer answer_session_timer(const Message& request, const SessionTimerSettings& settings) {
  SessionTimerAnswer out;
  if (!settings.enabled) return out;
  auto se = session_expires_of(request);
  if (!se) return out;  // §9: no Session-Expires, no timer (we do not impose one)
  auto min_se = static_cast<std::uint32_t>(settings.min_se.count());
  if (se->seconds < min_se) {
    out.too_small = true;
    out.min_se = min_se;
    return out;
  }
  bool peer_supports = request.has_token(HeaderId::supported, "timer");
  SessionExpires echo = *se;
  if (!echo.refresher) echo.refresher = peer_supports ? Refresher::uac : Refresher::uas;
  // A peer that does not support timers cannot refresh (a proxy asked for the timer): we must (§9).
  if (!peer_supports) echo.refresher = Refresher::uas;
  out.echo = echo;
  out.require_timer = peer_supports;
  out.timer = SessionTimer{std::chrono::seconds(echo.seconds), echo.refresher == Refresher::uas};
  return out;
}

void add_session_timer_request_headers(Message& request, std::uint32_t expires,
                                       const SessionTimerSettings& settings,
                                       std::optional<Refresher> refresher) {
  if (!settings.enabled) return;
  request.set_header("Session-Expires", SessionExpires{expires, refresher}.to_string());
  request.set_header("Min-SE", std::to_string(settings.min_se.count()));
}

std::optional<SessionTimer> session_timer_from_2xx(const Message& response) {
  auto se = session_expires_of(response);
  if (!se) return std::nullopt;
  // §7.2: a 2xx without refresher cannot happen from an RFC 4028 UAS; treat it as ours to refresh.
  return SessionTimer{std::chrono::seconds(se->seconds),
                      se->refresher.value_or(Refresher::uac) == Refresher::uac};
}

}  // namespace va::sip
