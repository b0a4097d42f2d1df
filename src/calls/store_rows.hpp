// What the two SQL stores (sqlite_store.cpp, postgres_store.cpp) share: the column lists their reads map
// back, times as milliseconds since the epoch, and the keyset cursor of CallPage ("<created_at ms>:<id>" of a
// page's last call), so a cursor from one backend means the same in the other.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "calls/call_record.hpp"

namespace va::calls::rows {

inline constexpr const char* kCallColumns =
    "id, direction, source, state, end_reason, sip_status, caller, called, trunk, room, "
    "participant_identity, sip_call_id, flow, instance, attributes, recordings, created_at, answered_at, "
    "ended_at";
inline constexpr const char* kEventColumns =
    "id, call_id, type, payload, created_at, attempts, next_attempt_at, delivered_at, last_error";

inline std::int64_t to_ms(Timestamp t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline Timestamp from_ms(std::int64_t ms) {
  return Timestamp(std::chrono::milliseconds(ms));
}

inline std::string make_cursor(const CallRecord& c) {
  return std::to_string(to_ms(c.created_at)) + ":" + c.id;
}
inline std::optional<std::pair<std::int64_t, std::string>> parse_cursor(const std::string& cursor) {
  auto colon = cursor.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == cursor.size()) return std::nullopt;
  std::int64_t ms = 0;
  auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + colon, ms);
  if (ec != std::errc() || end != cursor.data() + colon) return std::nullopt;
  return std::make_pair(ms, cursor.substr(colon + 1));
}

}  // namespace va::calls::rows
