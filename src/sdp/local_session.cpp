#include "sdp/local_session.hpp"

#include <chrono>
#include <random>
#include <string>

namespace va::sdp {

LocalSession::LocalSession(std::uint64_t session_id, std::uint64_t initial_version)
    : session_id_(session_id), version_(initial_version) {}

void LocalSession::stamp(SessionDescription& description) {
  auto& o = description.origin;
  o.username = "-";
  o.session_id = std::to_string(session_id_);
  if (description.connection) {
    o.address_type = description.connection->address_type;
    o.address = description.connection->address;
  }
  if (last_) {
    // Compare with the version field equal on both sides: only the content decides.
    o.session_version = last_->origin.session_version;
    if (description != *last_) ++version_;
  }
  o.session_version = std::to_string(version_);
  last_ = description;
}

std::uint64_t new_session_id() {
  // Seconds since 1900 (NTP era) fit in 34 bits for centuries; keep them in the top half, randomness below.
  constexpr std::uint64_t kNtpUnixOffset = 2'208'988'800ULL;
  auto unix_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  std::uint64_t ntp_seconds = static_cast<std::uint64_t>(unix_seconds) + kNtpUnixOffset;
  std::random_device entropy;
  std::uint64_t random_bits = (std::uint64_t{entropy()} << 8) ^ entropy();
  // sess-id is 1*DIGIT with no stated bound; staying below 2^63 keeps peers that read it as signed happy.
  return ((ntp_seconds << 24) ^ (random_bits & 0xffffff)) & 0x7fffffffffffffffULL;
}

}  // namespace va::sdp
