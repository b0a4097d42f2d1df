// When a trunk's REGISTER client tries again (monitoring.backoff_initial, backoff_max, reconnect_attempts),
// and when it refreshes a registration.
//
// Failures: the n-th consecutive failure waits backoff_initial * 2^(n-1), capped at backoff_max (1 s, 2 s,
// 4 s, ... 60 s with the defaults). From the reconnect_attempts-th consecutive failure on the state is
// reported "failed" and every further retry waits backoff_max: a carrier that comes back is found again
// without an operator restarting anything. No random jitter: voice-agent holds one registration per trunk,
// so there is no herd of clients to spread.
//
// Refresh: a registration granted for E seconds is refreshed after max(E/2, E - 60 s) (E = 3600 → 3540 s,
// 300 → 240 s, 10 → 5 s). The 60 s margin covers a refresh that times out (Timer F, 32 s) and still leaves
// time for a retry before the binding lapses; half the interval for short grants keeps the same headroom
// in proportion. Never sooner than 1 s, so a registrar granting 1 s cannot make us spin.
#pragma once

#include <chrono>
#include <cstdint>

namespace va::sip {

struct RetrySchedule {
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds max{60000};
  // Consecutive failures after which the state is reported failed (0: the first failure already is).
  std::uint32_t attempts_before_failed = 5;

  // The wait after the `consecutive_failures`-th failure in a row (1 for the first).
  std::chrono::milliseconds delay_after(std::uint32_t consecutive_failures) const;
  bool failed_after(std::uint32_t consecutive_failures) const {
    return consecutive_failures >= attempts_before_failed;
  }
};

std::chrono::milliseconds registration_refresh_delay(std::chrono::seconds granted);

}  // namespace va::sip
