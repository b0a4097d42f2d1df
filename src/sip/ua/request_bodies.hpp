// Parsers of the small bodies in-dialog requests carry: INFO application/dtmf-relay (a key press) and NOTIFY
// message/sipfrag (the progress of a transfer). Untrusted input: they never throw, and whatever cannot be
// read is nullopt.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace va::sip {

struct DtmfRelay {
  char digit = 0;  // '0'-'9', '*', '#', 'A'-'D'
  std::chrono::milliseconds duration{100};
};

// "Signal=5\r\nDuration=160\r\n": the de-facto application/dtmf-relay format (Cisco and most PBXes). Names
// are case-insensitive; a missing or unreadable Duration is 100 ms; durations are clamped to 0-10 s.
std::optional<DtmfRelay> parse_dtmf_relay(std::string_view body);

// The status code of a message/sipfrag body holding a status line (RFC 3420): "SIP/2.0 180 Ringing" → 180.
std::optional<int> sipfrag_status(std::string_view body);

}  // namespace va::sip
