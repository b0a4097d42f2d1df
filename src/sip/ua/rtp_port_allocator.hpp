// The RTP port range of sip.rtp_ports, handed out in even/odd pairs (RTP on the even port, RTCP on the next,
// RFC 3550 §11). Released pairs go to the back of the queue, so a port is reused as late as possible and a
// stray packet of a finished call rarely reaches the next one. Thread-safe: calls on every media thread
// allocate and release.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

namespace va::sip {

class RtpPortAllocator {
 public:
  // Every even port p with min <= p and p + 1 <= max. An empty range (max < min + 1) allocates nothing.
  RtpPortAllocator(std::uint16_t min, std::uint16_t max);

  // The even RTP port of a free pair; nullopt when the range is exhausted (the caller answers 503).
  std::optional<std::uint16_t> allocate();
  void release(std::uint16_t rtp_port);
  std::size_t available() const;
  std::size_t capacity() const { return capacity_; }

 private:
  mutable std::mutex mutex_;
  std::deque<std::uint16_t> free_;
  std::size_t capacity_ = 0;
};

}  // namespace va::sip
