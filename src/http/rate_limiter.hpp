// Per-client-IP token bucket (the limiter behind 429 + Retry-After).
//
// Each client address owns a bucket of `burst` tokens refilled at `requests_per_second`; a request takes one
// token. Memory is bounded: a bucket that has been idle long enough to refill completely carries no state
// (it equals a fresh bucket), so such buckets are swept away, and the table is capped at `max_clients`
// entries — when a flood of source addresses fills it, the least recently seen buckets are evicted first.
// The table is split into independently locked shards so io threads rarely contend.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace va::http {

// A client address in binary form: IPv6, or IPv4 as an IPv4-mapped IPv6 address (::ffff:a.b.c.d).
using ClientKey = std::array<std::uint8_t, 16>;

// Parses "192.0.2.1" or "2001:db8::1" (no brackets, no port); nullopt when it is neither.
std::optional<ClientKey> client_key_from_text(std::string_view address);

struct RateLimiterOptions {
  double requests_per_second = 50;  // refill rate
  double burst = 100;               // bucket size (a client may send this many at once)
  std::size_t max_clients = 100'000;
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  struct Decision {
    bool allowed = true;
    std::uint32_t retry_after_seconds = 0;  // when refused: seconds until a token is available (ceil, >= 1)
  };

  explicit RateLimiter(RateLimiterOptions options);
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  Decision check(const ClientKey& client, Clock::time_point now);
  Decision check(const ClientKey& client) { return check(client, Clock::now()); }
  // Text form, for callers that only have the address as a string; an unparsable address shares one bucket.
  Decision check(std::string_view client_address, Clock::time_point now);

  // Buckets currently tracked (for tests and diagnostics).
  std::size_t tracked_clients() const;

 private:
  struct Shard;
  Shard& shard_for(const ClientKey& client);

  RateLimiterOptions options_;
  Clock::duration full_after_;  // time for an empty bucket to refill completely
  std::size_t shard_capacity_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace va::http
