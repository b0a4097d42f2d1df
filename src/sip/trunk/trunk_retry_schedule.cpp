#include "sip/trunk/trunk_retry_schedule.hpp"

#include <algorithm>

namespace va::sip {

std::chrono::milliseconds registration_refresh_delay(std::chrono::seconds granted) {
  using namespace std::chrono;
  milliseconds e = granted;
  auto delay = std::max(e / 2, e - milliseconds(seconds(60)));
  return std::max(delay, milliseconds(1000));
}

}  // namespace va::sip
