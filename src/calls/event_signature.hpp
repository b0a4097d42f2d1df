// How a receiver knows an outbound call event (docs/call-records.md "Outbound events") came from this
// voice-agent and was not altered or replayed. Every POST carries:
//
//   X-Voice-Agent-Event: call.ended
//   X-Voice-Agent-Event-Id: 42                       increasing per store; de-duplicate on it
//   X-Voice-Agent-Signature: t=1764900000,v1=<hex>   HMAC-SHA256(secret, "<t>.<body>"), lowercase hex
//
// The receiver recomputes the MAC over the exact body bytes, compares in constant time, and refuses a `t`
// more than its tolerance (default 300 s) away from its clock. Several v1= values may appear (a secret in
// rotation): any one matching is enough.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace va::calls {

inline constexpr std::string_view kEventHeader = "X-Voice-Agent-Event";
inline constexpr std::string_view kEventIdHeader = "X-Voice-Agent-Event-Id";
inline constexpr std::string_view kSignatureHeader = "X-Voice-Agent-Signature";

// "t=<unix_seconds>,v1=<hex>" for each secret, the v1 values in the order given.
std::string sign_event(const std::vector<std::string>& secrets, std::int64_t unix_seconds,
                       std::string_view body);

// Empty when `header` signs `body` with `secret` within `tolerance` of `now_unix_seconds`; else why not.
std::string verify_event_signature(std::string_view header, std::string_view body, std::string_view secret,
                                   std::int64_t now_unix_seconds,
                                   std::chrono::seconds tolerance = std::chrono::seconds(300));

}  // namespace va::calls
