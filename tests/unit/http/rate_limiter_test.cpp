#include "http/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace va::http {
namespace {

using namespace std::chrono_literals;
using Clock = RateLimiter::Clock;

ClientKey v4(std::uint32_t n) {
  return *client_key_from_text("10." + std::to_string((n >> 16) & 0xff) + "." +
                               std::to_string((n >> 8) & 0xff) + "." + std::to_string(n & 0xff));
}

TEST(RateLimiter, AllowsBurstThenRefusesWithRetryAfter) {
  RateLimiter limiter({.requests_per_second = 2, .burst = 3});
  const auto t0 = Clock::now();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.check("192.0.2.1", t0).allowed) << i;
  const auto refused = limiter.check("192.0.2.1", t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 1u);  // half a second to the next token, rounded up
}

TEST(RateLimiter, RetryAfterIsCeilingOfTimeToNextToken) {
  RateLimiter limiter({.requests_per_second = 0.1, .burst = 1});
  const auto t0 = Clock::now();
  EXPECT_TRUE(limiter.check("192.0.2.1", t0).allowed);
  EXPECT_EQ(limiter.check("192.0.2.1", t0).retry_after_seconds, 10u);
  EXPECT_EQ(limiter.check("192.0.2.1", t0 + 2500ms).retry_after_seconds, 8u);  // 7.5 s left
  EXPECT_TRUE(limiter.check("192.0.2.1", t0 + 10s).allowed);
}

TEST(RateLimiter, RefillsAtTheConfiguredRateUpToBurst) {
  RateLimiter limiter({.requests_per_second = 10, .burst = 5});
  const auto t0 = Clock::now();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(limiter.check("192.0.2.1", t0).allowed);
  ASSERT_FALSE(limiter.check("192.0.2.1", t0).allowed);
  // 0.2 s at 10/s: two tokens.
  EXPECT_TRUE(limiter.check("192.0.2.1", t0 + 200ms).allowed);
  EXPECT_TRUE(limiter.check("192.0.2.1", t0 + 200ms).allowed);
  EXPECT_FALSE(limiter.check("192.0.2.1", t0 + 200ms).allowed);
  // A long pause refills to the burst, not beyond.
  int allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += limiter.check("192.0.2.1", t0 + 1h).allowed ? 1 : 0;
  EXPECT_EQ(allowed, 5);
}

TEST(RateLimiter, ClientsHaveSeparateBuckets) {
  RateLimiter limiter({.requests_per_second = 1, .burst = 1});
  const auto t0 = Clock::now();
  EXPECT_TRUE(limiter.check("192.0.2.1", t0).allowed);
  EXPECT_FALSE(limiter.check("192.0.2.1", t0).allowed);
  EXPECT_TRUE(limiter.check("192.0.2.2", t0).allowed);
  EXPECT_TRUE(limiter.check("2001:db8::1", t0).allowed);
  EXPECT_FALSE(limiter.check("2001:db8::1", t0).allowed);
}

TEST(RateLimiter, Ipv4AndItsMappedIpv6FormAreOneClient) {
  EXPECT_EQ(client_key_from_text("192.0.2.7"), client_key_from_text("::ffff:192.0.2.7"));
  EXPECT_FALSE(client_key_from_text("not-an-ip").has_value());
  EXPECT_FALSE(client_key_from_text("").has_value());
  EXPECT_FALSE(client_key_from_text("[::1]").has_value());
}

TEST(RateLimiter, FloodOfAddressesStaysWithinTheCap) {
  RateLimiter limiter({.requests_per_second = 1, .burst = 10, .max_clients = 1'000});
  const auto t0 = Clock::now();
  for (std::uint32_t i = 0; i < 50'000; ++i) {
    EXPECT_TRUE(limiter.check(v4(i), t0 + std::chrono::microseconds(i)).allowed);
  }
  EXPECT_LE(limiter.tracked_clients(), 1'000u);
  EXPECT_GT(limiter.tracked_clients(), 500u);
}

TEST(RateLimiter, BucketsThatRefilledAreForgotten) {
  RateLimiter limiter({.requests_per_second = 10, .burst = 10});
  const auto t0 = Clock::now();
  for (std::uint32_t i = 0; i < 1'000; ++i) limiter.check(v4(i), t0);
  EXPECT_EQ(limiter.tracked_clients(), 1'000u);
  // Much later every old bucket is full again; touching the shards sweeps them.
  const auto later = t0 + 1min;
  for (std::uint32_t i = 0; i < 1'000; ++i) limiter.check(v4(100'000 + i), later);
  EXPECT_EQ(limiter.tracked_clients(), 1'000u);
  // The old clients start over with a full bucket: 10 allowed.
  int allowed = 0;
  for (int i = 0; i < 11; ++i) allowed += limiter.check(v4(0), later).allowed ? 1 : 0;
  EXPECT_EQ(allowed, 10);
}

TEST(RateLimiter, ConcurrentChecksNeverOverspendABucket) {
  RateLimiter limiter({.requests_per_second = 1, .burst = 1'000});
  const auto t0 = Clock::now();
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1'000; ++i) {
        if (limiter.check("198.51.100.1", t0).allowed) allowed.fetch_add(1);
        limiter.check(v4(static_cast<std::uint32_t>(t * 1'000 + i)), t0);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 1'000);
}

}  // namespace
}  // namespace va::http
