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

}  // namespace va
