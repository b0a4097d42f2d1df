#include "sip/ua/rtp_port_allocator.hpp"

namespace va::sip {

RtpPortAllocator::RtpPortAllocator(std::uint16_t min, std::uint16_t max) {
  std::uint32_t first = min % 2 == 0 ? min : std::uint32_t{min} + 1;
  for (std::uint32_t p = first; p + 1 <= max; p += 2) free_.push_back(static_cast<std::uint16_t>(p));
  capacity_ = free_.size();
}

std::optional<std::uint16_t> RtpPortAllocator::allocate() {
  std::lock_guard lock(mutex_);
  if (free_.empty()) return std::nullopt;
  auto port = free_.front();
  free_.pop_front();
  return port;
}

void RtpPortAllocator::release(std::uint16_t rtp_port) {
  std::lock_guard lock(mutex_);
  free_.push_back(rtp_port);
}

std::size_t RtpPortAllocator::available() const {
  std::lock_guard lock(mutex_);
  return free_.size();
}

}  // namespace va::sip
