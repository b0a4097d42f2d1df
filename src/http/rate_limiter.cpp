#include "http/rate_limiter.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace va::http {
namespace {

// Enough shards that two io threads (or a few dozen) almost never wait on each other.
constexpr std::size_t kShardCount = 64;
// How often a shard looks for buckets that have refilled completely (at least; see sweep_interval).
constexpr std::chrono::seconds kMinSweepInterval{1};
// When a shard is full of recently active clients, evict this fraction of it at once (the least recently
// seen), so the scan is paid once per many insertions rather than on every new address.
constexpr std::size_t kEvictFractionDivisor = 8;

struct ClientKeyHash {
  std::size_t operator()(const ClientKey& key) const noexcept {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    std::memcpy(&a, key.data(), 8);
    std::memcpy(&b, key.data() + 8, 8);
    // 64-bit mix (splitmix64 finaliser) of both halves.
    std::uint64_t h = a ^ (b * 0x9e3779b97f4a7c15ULL);
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return static_cast<std::size_t>(h);
  }
};

struct Bucket {
  double tokens = 0;
  RateLimiter::Clock::time_point updated;
};

}  // namespace

struct alignas(64) RateLimiter::Shard {
  std::mutex mutex;
  std::unordered_map<ClientKey, Bucket, ClientKeyHash> buckets;
  Clock::time_point next_sweep{};
};

std::optional<ClientKey> client_key_from_text(std::string_view address) {
  char text[INET6_ADDRSTRLEN + 1];
  if (address.empty() || address.size() >= sizeof text) return std::nullopt;
  std::memcpy(text, address.data(), address.size());
  text[address.size()] = '\0';

  ClientKey key{};
  in_addr v4{};
  if (inet_pton(AF_INET, text, &v4) == 1) {
    key[10] = 0xff;
    key[11] = 0xff;
    std::memcpy(key.data() + 12, &v4, 4);
    return key;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text, &v6) == 1) {
    std::memcpy(key.data(), &v6, 16);
    return key;
  }
  return std::nullopt;
}

RateLimiter::RateLimiter(RateLimiterOptions options)
    : options_(options), shards_(std::make_unique<Shard[]>(kShardCount)) {
  // Degenerate settings are rejected by config validation; keep the arithmetic finite regardless.
  options_.burst = std::max(options_.burst, 1.0);
  options_.requests_per_second = std::max(options_.requests_per_second, 1e-6);
  options_.max_clients = std::max<std::size_t>(options_.max_clients, kShardCount);
  shard_capacity_ = options_.max_clients / kShardCount;
  full_after_ = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options_.burst / options_.requests_per_second));
}

RateLimiter::~RateLimiter() = default;

RateLimiter::Shard& RateLimiter::shard_for(const ClientKey& client) {
  // The top bits pick the shard; the map uses the low bits, so the two stay independent.
  return shards_[(ClientKeyHash{}(client) >> 58) % kShardCount];
}

namespace {

// Drops buckets that would be full by `now`: forgetting them changes no future decision.
void sweep_full(std::unordered_map<ClientKey, Bucket, ClientKeyHash>& buckets,
                RateLimiter::Clock::time_point now, double rate, double burst) {
  for (auto it = buckets.begin(); it != buckets.end();) {
    const double elapsed = std::chrono::duration<double>(now - it->second.updated).count();
    if (it->second.tokens + elapsed * rate >= burst) {
      it = buckets.erase(it);
    } else {
      ++it;
    }
  }
}

void evict_least_recent(std::unordered_map<ClientKey, Bucket, ClientKeyHash>& buckets, std::size_t count) {
  std::vector<std::pair<RateLimiter::Clock::time_point, ClientKey>> by_age;
  by_age.reserve(buckets.size());
  for (const auto& [key, bucket] : buckets) by_age.emplace_back(bucket.updated, key);
  count = std::min(count, by_age.size());
  std::nth_element(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(count), by_age.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < count; ++i) buckets.erase(by_age[i].second);
}

}  // namespace

RateLimiter::Decision RateLimiter::check(const ClientKey& client, Clock::time_point now) {
  const double rate = options_.requests_per_second;
  const double burst = options_.burst;
  Shard& shard = shard_for(client);
  std::lock_guard lock(shard.mutex);

  if (now >= shard.next_sweep) {
    sweep_full(shard.buckets, now, rate, burst);
    shard.next_sweep = now + std::max<Clock::duration>(full_after_, kMinSweepInterval);
  }

  auto it = shard.buckets.find(client);
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= shard_capacity_) {
      sweep_full(shard.buckets, now, rate, burst);
      if (shard.buckets.size() >= shard_capacity_) {
        evict_least_recent(shard.buckets, std::max<std::size_t>(1, shard_capacity_ / kEvictFractionDivisor));
      }
    }
    it = shard.buckets.emplace(client, Bucket{burst, now}).first;
  }

  Bucket& bucket = it->second;
  if (now > bucket.updated) {
    const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(burst, bucket.tokens + elapsed * rate);
    bucket.updated = now;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return {};
  }
  const double wait = std::ceil((1.0 - bucket.tokens) / rate);
  Decision refused;
  refused.allowed = false;
  refused.retry_after_seconds = static_cast<std::uint32_t>(std::clamp(wait, 1.0, 86'400.0));
  return refused;
}

RateLimiter::Decision RateLimiter::check(std::string_view client_address, Clock::time_point now) {
  return check(client_key_from_text(client_address).value_or(ClientKey{}), now);
}

std::size_t RateLimiter::tracked_clients() const {
  std::size_t total = 0;
  for (std::size_t i = 0; i < kShardCount; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    total += shards_[i].buckets.size();
  }
  return total;
}

}  // namespace va::http
