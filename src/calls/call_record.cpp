#include "calls/call_record.hpp"

namespace va::calls {

std::string_view to_string(Direction d) {
  return d == Direction::inbound ? "inbound" : "outbound";
}
std::string_view to_string(Source s) {
  return s == Source::sip ? "sip" : "livekit";
}
std::string_view to_string(Speaker s) {
  return s == Speaker::caller ? "caller" : "agent";
}

std::optional<Direction> parse_direction(std::string_view text) {
  if (text == "inbound") return Direction::inbound;
  if (text == "outbound") return Direction::outbound;
  return std::nullopt;
}
std::optional<Source> parse_source(std::string_view text) {
  if (text == "sip") return Source::sip;
  if (text == "livekit") return Source::livekit;
  return std::nullopt;
}
std::optional<Speaker> parse_speaker(std::string_view text) {
  if (text == "caller") return Speaker::caller;
  if (text == "agent") return Speaker::agent;
  return std::nullopt;
}

}  // namespace va::calls
