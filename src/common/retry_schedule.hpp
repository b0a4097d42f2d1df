// When a failing health probe or client tries again (monitoring.backoff_initial, backoff_max,
// reconnect_attempts). Shared by the SIP trunks' registration clients and the LiveKit API monitor.
//
// Failures: the n-th consecutive failure waits backoff_initial * 2^(n-1), capped at backoff_max (1 s, 2 s,
// 4 s, ... 60 s with the defaults). From the reconnect_attempts-th consecutive failure on the state is
// reported "failed" and every further retry waits backoff_max: a peer that comes back is found again
// without an operator restarting anything. The schedule itself has no random jitter: voice-agent holds one
// registration per trunk and one monitor per LiveKit server, so there is no herd of clients to spread.
// LiveKit agent workers are the exception — every instance reconnects to the same server the moment it
// restarts — so they spread their delays with with_jitter().
#pragma once

#include <chrono>
#include <cstdint>

namespace va {

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

// `delay` spread uniformly over ±`fraction` (0..1) of itself; `unit_random` in [0, 1) is the random draw
// (passed in, so the arithmetic is testable).
std::chrono::milliseconds with_jitter(std::chrono::milliseconds delay, double fraction, double unit_random);

}  // namespace va
