// When a trunk's REGISTER client tries again (monitoring.backoff_initial, backoff_max, reconnect_attempts),
// and when it refreshes a registration.
//
// Failures: see common/retry_schedule.hpp (the schedule is shared with the LiveKit API monitor).
//
// Refresh: a registration granted for E seconds is refreshed after max(E/2, E - 60 s) (E = 3600 → 3540 s,
// 300 → 240 s, 10 → 5 s). The 60 s margin covers a refresh that times out (Timer F, 32 s) and still leaves
// time for a retry before the binding lapses; half the interval for short grants keeps the same headroom
// in proportion. Never sooner than 1 s, so a registrar granting 1 s cannot make us spin.
#pragma once

#include <chrono>
#include <cstdint>

#include "common/retry_schedule.hpp"

namespace va::sip {

using RetrySchedule = va::RetrySchedule;

std::chrono::milliseconds registration_refresh_delay(std::chrono::seconds granted);

}  // namespace va::sip
