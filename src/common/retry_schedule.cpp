#include "common/retry_schedule.hpp"

#include <algorithm>

namespace va {

std::chrono::milliseconds RetrySchedule::delay_after(std::uint32_t consecutive_failures) const {
  auto cap = std::max(max, initial);
  if (consecutive_failures == 0) return initial;
  if (failed_after(consecutive_failures)) return cap;
  auto delay = initial;
  for (std::uint32_t i = 1; i < consecutive_failures && delay < cap; ++i) delay *= 2;
  return std::min(delay, cap);
}

std::chrono::milliseconds with_jitter(std::chrono::milliseconds delay, double fraction, double unit_random) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  unit_random = std::clamp(unit_random, 0.0, 1.0);
  double factor = 1.0 - fraction + 2.0 * fraction * unit_random;
  return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(delay.count()) * factor));
}

}  // namespace va
