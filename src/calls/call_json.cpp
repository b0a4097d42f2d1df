#include "calls/call_json.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace va::calls {

namespace {
// 2200-01-01: later times are refused — system_clock's nanoseconds end in 2262, and no call is that late.
constexpr std::int64_t kLatestSeconds = 7'258'118'400;
}  // namespace

std::optional<Timestamp> parse_time(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t seconds = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc() || end != text.data() + text.size() || seconds > kLatestSeconds)
      return std::nullopt;
    return Timestamp(std::chrono::seconds(seconds));
  }
  std::tm tm{};
  int millis = 0;
  char tail[4] = {};
  std::string s(text);
  int n = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%1[Z]", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                      &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis, tail);
  if (n != 8) {
    millis = 0;
    n = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%1[Z]", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, tail);
    if (n != 7) return std::nullopt;
  }
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  auto seconds = static_cast<std::int64_t>(timegm(&tm));
  if (seconds < 0 || seconds > kLatestSeconds || millis < 0) return std::nullopt;
  return Timestamp(std::chrono::seconds(seconds) + std::chrono::milliseconds(millis));
}

nlohmann::json detail_json(const CallDetail& d) {
  auto j = call_json(d.call);
  auto& transitions = j["transitions"] = nlohmann::json::array();
  for (const auto& t : d.transitions) {
    transitions.push_back({{"from", to_string(t.from)},
                           {"to", to_string(t.to)},
                           {"at", iso8601(t.at)},
                           {"reason", t.reason ? nlohmann::json(std::string(to_string(*t.reason))) : nullptr},
                           {"sip_status", t.sip_status ? nlohmann::json(*t.sip_status) : nullptr},
                           {"detail", t.detail}});
  }
  auto& transcript = j["transcript"] = nlohmann::json::array();
  for (const auto& s : d.transcript) {
    transcript.push_back({{"speaker", to_string(s.speaker)},
                          {"text", s.text},
                          {"start_ms", s.start_ms},
                          {"end_ms", s.end_ms},
                          {"interrupted", s.interrupted},
                          {"cut_ms", s.cut_ms ? nlohmann::json(*s.cut_ms) : nullptr}});
  }
  auto& turns = j["metrics"] = nlohmann::json::array();
  auto ms = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  for (const auto& t : d.turns) {
    turns.push_back({{"turn", t.turn},
                     {"total_ms", ms(t.total_ms)},
                     {"endpointing_ms", ms(t.endpointing_ms)},
                     {"end_of_speech_to_final_ms", ms(t.end_of_speech_to_final_ms)},
                     {"final_to_reply_ms", ms(t.final_to_reply_ms)},
                     {"reply_to_first_audio_ms", ms(t.reply_to_first_audio_ms)},
                     {"first_audio_to_first_frame_ms", ms(t.first_audio_to_first_frame_ms)},
                     {"recognition_ms", ms(t.recognition_ms)},
                     {"llm_first_token_ms", ms(t.llm_first_token_ms)}});
  }
  auto& dtmf = j["dtmf"] = nlohmann::json::array();
  for (const auto& x : d.dtmf)
    dtmf.push_back({{"digit", std::string(1, x.digit)},
                    {"at_ms", x.at_ms},
                    {"duration_ms", x.duration_ms},
                    {"source", x.source}});
  auto& events = j["events"] = nlohmann::json::array();
  for (const auto& e : d.events) {
    events.push_back({{"id", e.id},
                      {"type", e.type},
                      {"attempts", e.attempts},
                      {"delivered_at", e.delivered_at ? nlohmann::json(iso8601(*e.delivered_at)) : nullptr},
                      {"last_error", e.last_error}});
  }
  return j;
}

}  // namespace va::calls
